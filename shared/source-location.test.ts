import { describe, expect, it } from 'vitest';
import { locationText } from './source-location';

describe('locationText', () => {
  it('names a Python site by file:line and a native one by its object', () => {
    expect(locationText({ file: '/srv/app.py', line: 12 })).toBe('/srv/app.py:12');
    expect(locationText({ file: '/srv/app.py', line: 12 }, 'app.py')).toBe('app.py:12');
    expect(locationText({ file: '/usr/lib/libfoo.so', line: 0 })).toBe('/usr/lib/libfoo.so');
  });
  it('names a native frame with a source line by the source, then the object', () => {
    const site = { file: '/usr/lib/libfoo.so', line: 0, source: { file: '/src/foo.c', line: 5 } };
    expect(locationText(site)).toBe('/src/foo.c:5 (/usr/lib/libfoo.so)');
    expect(locationText(site, 'libfoo.so')).toBe('/src/foo.c:5 (libfoo.so)');
  });
});
