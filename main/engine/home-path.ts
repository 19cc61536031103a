import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * `~` and `~/…` (also `~\…` on Windows) name the user's home folder, as in a shell: the open
 * dialog takes typed paths, and `path.resolve('~/x.bin')` would look for a folder named `~` in the
 * current one. `~user/…` and every other path are returned as given.
 */
export function expandHome(path: string, home: string = homedir(), platform = process.platform): string {
  if (path === '~') return home;
  const separators = platform === 'win32' ? ['/', '\\'] : ['/'];
  if (path.startsWith('~') && separators.includes(path[1])) return join(home, path.slice(2));
  return path;
}
