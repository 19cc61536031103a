import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from './units';

describe('sizes', () => {
  it('parses the units CI configs use, binary like memray and pytest-memray', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('10kb')).toBe(10 * 1024);
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('100MB')).toBe(100 * 1024 ** 2);
    expect(parseSize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('lots')).toThrow(/not a size/);
  });

  it('prints a limit back in the unit it was typed in', () => {
    expect(formatBytes(parseSize('100MB'))).toBe('100.0 MB');
    expect(formatBytes(parseSize('1.5GB'))).toBe('1.5 GB');
  });
});
