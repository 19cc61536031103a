/**
 * The files the person has put in front of the app this session: chosen in the open dialog,
 * dropped on the window, named on the command line (or a second `heapscope FILE`, or the OS's
 * open-file event), or listed under recent files. The renderer's `open` reaches only these, so
 * a page that went wrong cannot read arbitrary files through the engine.
 */
import { resolve } from 'node:path';

export class PathGrants {
  private readonly granted = new Set<string>();

  /** Grants each path (resolved against `cwd`, as the engine resolves it). */
  grant(paths: Iterable<string>, cwd?: string): void {
    for (const path of paths) {
      if (typeof path === 'string' && path.length > 0)
        this.granted.add(cwd ? resolve(cwd, path) : resolve(path));
    }
  }

  allows(path: string): boolean {
    return this.granted.has(resolve(path));
  }

  get size(): number {
    return this.granted.size;
  }
}
