import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { expandHome } from './home-path';

describe('expandHome', () => {
  const home = join('/', 'home', 'ada');

  it('reads ~ and ~/… as the home folder', () => {
    expect(expandHome('~', home)).toBe(home);
    expect(expandHome('~/x.bin', home)).toBe(join(home, 'x.bin'));
    expect(expandHome('~/runs/a b/x.bin', home)).toBe(join(home, 'runs', 'a b', 'x.bin'));
  });

  it('leaves every other path alone', () => {
    for (const path of ['x.bin', './~/x.bin', '/data/~/x.bin', '~x.bin', '~ada/x.bin', '', 'a~/b'])
      expect(expandHome(path, home)).toBe(path);
  });

  it('takes a backslash after ~ only on Windows', () => {
    expect(expandHome('~\\x.bin', 'C:\\Users\\ada', 'win32')).toBe(join('C:\\Users\\ada', 'x.bin'));
    expect(expandHome('~\\x.bin', home, 'linux')).toBe('~\\x.bin');
  });
});
