import { describe, expect, it } from 'vitest';
import { formatBytes, formatCountOf, formatExactBytes, parseSize, parseUnitSystem } from './units';

describe('formatBytes, SI (the default)', () => {
  it('labels decimal multiples kB, MB, GB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(1536)).toBe('1.5 kB');
    // memray's own numbers: 24,712,697 B is 24.7 MB (and 23.6 MiB, never "23.6 MB").
    expect(formatBytes(24_712_697)).toBe('24.7 MB');
    expect(formatBytes(24_712_697, 'si')).toBe('24.7 MB');
    expect(formatBytes(1e9)).toBe('1.0 GB');
    expect(formatBytes(52_443_396)).toBe('52.4 MB');
  });

  it('chooses the unit after rounding', () => {
    expect(formatBytes(999_949)).toBe('999.9 kB');
    expect(formatBytes(999_950)).toBe('1.0 MB');
    expect(formatBytes(999_999)).toBe('1.0 MB');
    expect(formatBytes(999_999_999)).toBe('1.0 GB');
    expect(formatBytes(999.6)).toBe('1.0 kB');
    expect(formatBytes(999_500, 'si', 0)).toBe('1 MB');
    expect(formatBytes(999_499, 'si', 0)).toBe('999 kB');
  });

  it('keeps the sign of negatives (diffs) and never prints "-0"', () => {
    expect(formatBytes(-1536)).toBe('-1.5 kB');
    expect(formatBytes(-999)).toBe('-999 B');
    expect(formatBytes(-999_950)).toBe('-1.0 MB');
    expect(formatBytes(-0.2)).toBe('0 B');
  });

  it('tops out at exabytes for huge values', () => {
    expect(formatBytes(1e15)).toBe('1.0 PB');
    expect(formatBytes(2.5e18)).toBe('2.5 EB');
    expect(formatBytes(5e21)).toBe('5000.0 EB');
    expect(formatBytes(Infinity)).toBe('Infinity B');
  });

  it('takes a number of digits', () => {
    expect(formatBytes(24_712_697, 'si', 0)).toBe('25 MB');
    expect(formatBytes(24_712_697, 'si', 2)).toBe('24.71 MB');
    expect(formatBytes(512, 'si', 2)).toBe('512 B');
  });
});

describe('formatBytes, IEC', () => {
  it('labels binary multiples KiB, MiB, GiB', () => {
    expect(formatBytes(0, 'iec')).toBe('0 B');
    expect(formatBytes(1000, 'iec')).toBe('1000 B');
    expect(formatBytes(1023, 'iec')).toBe('1023 B');
    expect(formatBytes(1024, 'iec')).toBe('1.0 KiB');
    expect(formatBytes(1536, 'iec')).toBe('1.5 KiB');
    expect(formatBytes(24_712_697, 'iec')).toBe('23.6 MiB');
    expect(formatBytes(2 ** 30, 'iec')).toBe('1.0 GiB');
    expect(formatBytes(2 ** 60, 'iec')).toBe('1.0 EiB');
  });

  it('chooses the unit after rounding', () => {
    // 1023.95 KiB rounds to 1024.0: that is 1.0 MiB.
    expect(formatBytes(1023.95 * 1024, 'iec')).toBe('1.0 MiB');
    expect(formatBytes(1023.9 * 1024, 'iec')).toBe('1023.9 KiB');
    expect(formatBytes(1023.6, 'iec')).toBe('1.0 KiB');
    expect(formatBytes(-(1024 ** 2), 'iec')).toBe('-1.0 MiB');
  });
});

describe('formatExactBytes', () => {
  it('groups digits', () => {
    expect(formatExactBytes(24_712_697)).toBe('24,712,697 B');
    expect(formatExactBytes(0)).toBe('0 B');
    expect(formatExactBytes(-1536)).toBe('-1,536 B');
  });
});

describe('parseSize', () => {
  it('reads a bare number, or one with B, as bytes', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('4096B')).toBe(4096);
    expect(parseSize(' 4096 b ')).toBe(4096);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('10.4')).toBe(10);
  });

  it('reads SI labels as decimal, whatever the case', () => {
    expect(parseSize('24MB')).toBe(24_000_000);
    expect(parseSize('24 MB')).toBe(24_000_000);
    expect(parseSize('24mb')).toBe(24_000_000);
    expect(parseSize('10kB')).toBe(10_000);
    expect(parseSize('10KB')).toBe(10_000);
    expect(parseSize('10kb')).toBe(10_000);
    expect(parseSize('1.5GB')).toBe(1_500_000_000);
    expect(parseSize('.5GB')).toBe(500_000_000);
    expect(parseSize('2TB')).toBe(2e12);
  });

  it('reads IEC labels as binary', () => {
    expect(parseSize('24MiB')).toBe(25_165_824);
    expect(parseSize('24mib')).toBe(25_165_824);
    expect(parseSize('24Mi')).toBe(25_165_824);
    expect(parseSize('10KiB')).toBe(10_240);
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
  });

  it('refuses a bare prefix, whose meaning tools disagree on, naming both readings', () => {
    expect(() => parseSize('24M')).toThrow(
      'ambiguous size: "24M" (write 24MB for 24,000,000 bytes or 24MiB for 25,165,824)',
    );
    expect(() => parseSize('512k')).toThrow(/write 512kB for 512,000 bytes or 512KiB for 524,288/);
    expect(() => parseSize('1K')).toThrow(/ambiguous size/);
  });

  it('refuses garbage with one clear sentence', () => {
    for (const bad of ['lots', '', '-5MB', '1e6', '24 MBB', '24XB', '24iB', '1,000', 'MB', '5 M B'])
      expect(() => parseSize(bad), bad).toThrow(/^not a size: ".*" \(expected a number of bytes/);
    expect(() => parseSize('99999999EB')).toThrow(/size too large/);
  });

  it('round-trips: a limit typed in either system prints back as typed', () => {
    expect(formatBytes(parseSize('100MB'))).toBe('100.0 MB');
    expect(formatBytes(parseSize('1.5GB'))).toBe('1.5 GB');
    expect(formatBytes(parseSize('100MiB'), 'iec')).toBe('100.0 MiB');
    expect(formatBytes(parseSize('24MiB'))).toBe('25.2 MB');
  });
});

describe('parseUnitSystem', () => {
  it('takes si or iec', () => {
    expect(parseUnitSystem('si')).toBe('si');
    expect(parseUnitSystem('IEC')).toBe('iec');
    expect(() => parseUnitSystem('binary')).toThrow(
      'not a unit system: "binary" (expected si for kB/MB/GB or iec for KiB/MiB/GiB)',
    );
  });
});

describe('formatCountOf', () => {
  it('groups digits and puts the word in the plural except for exactly one', () => {
    expect(formatCountOf(1, 'arena')).toBe('1 arena');
    expect(formatCountOf(0, 'arena')).toBe('0 arenas');
    expect(formatCountOf(1_204, 'live block')).toBe('1,204 live blocks');
  });
});
