/**
 * What browser mode may open: the files named on `heapscope serve`, and files under the folders
 * named there. Paths are compared after resolving symbolic links, so a link inside an allowed
 * folder cannot lead outside it.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { expandHome } from '../engine/home-path';

export interface AllowedRoots {
  /** Real paths of the files named. */
  files: ReadonlySet<string>;
  /** Real paths of the folders named. */
  dirs: readonly string[];
}

/** Whether a real (symlink-free, absolute) path is one of the files or lies under one of the folders. */
export function isAllowedPath(real: string, roots: AllowedRoots): boolean {
  if (roots.files.has(real)) return true;
  return roots.dirs.some((dir) => {
    const back = relative(dir, real);
    return back !== '' && !back.startsWith('..') && !isAbsolute(back);
  });
}

/**
 * The real path of `path`, or for a path that does not exist (yet), the real path of its nearest
 * existing ancestor joined with the rest, so a missing file under an allowed folder still gets
 * its own "no such file" message while one outside is refused like any other.
 */
export async function realPathOrNearest(path: string): Promise<string> {
  // The engine reads `~/…` as the home folder (engine/home-path.ts); so must the check.
  const full = resolve(expandHome(path));
  const rest: string[] = [];
  let at = full;
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(at);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) return full;
      rest.push(basename(at));
      at = parent;
    }
  }
}

export class OpenAllowlist {
  private constructor(private readonly roots: AllowedRoots) {}

  static async create(files: readonly string[], dirs: readonly string[]): Promise<OpenAllowlist> {
    const realFiles = await Promise.all(files.map((f) => realPathOrNearest(f)));
    const realDirs = await Promise.all(dirs.map((d) => realPathOrNearest(d)));
    return new OpenAllowlist({ files: new Set(realFiles), dirs: realDirs });
  }

  async allows(path: string): Promise<boolean> {
    return isAllowedPath(await realPathOrNearest(path), this.roots);
  }

  /** Whether `dir` is one of the folders named or lies under one (files named do not count). */
  async allowsFolder(dir: string): Promise<boolean> {
    const real = await realPathOrNearest(dir);
    return this.roots.dirs.includes(real) || isAllowedPath(real, { files: new Set(), dirs: this.roots.dirs });
  }
}
