import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symbolSearchOf } from './args';
import { CliError } from './errors';

describe('--sysroot / --debug-dir', () => {
  it('are repeatable, kept in order and made absolute', () => {
    expect(symbolSearchOf({ sysroot: ['a', '/b'], 'debug-dir': ['/c', 'd/e'] })).toEqual({
      sysroots: [resolve('a'), '/b'],
      debugDirs: ['/c', resolve('d/e')],
    });
    expect(symbolSearchOf({ 'debug-dir': ['/x'] })).toEqual({ debugDirs: ['/x'] });
  });

  it('absent means the defaults (recorded paths and /usr/lib/debug), an empty one is refused', () => {
    expect(symbolSearchOf({})).toBeUndefined();
    expect(() => symbolSearchOf({ sysroot: [' '] })).toThrow(CliError);
    expect(() => symbolSearchOf({ 'debug-dir': [''] })).toThrow(/--debug-dir needs a directory/);
  });
});
