import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export const MAX_RECENT = 12;

/** Most recent first, no duplicates, at most MAX_RECENT. */
export function addRecent(list: readonly string[], path: string, max = MAX_RECENT): string[] {
  const full = resolve(path);
  return [full, ...list.filter((p) => p !== full)].slice(0, max);
}

/** Recent files kept in `userData/recent.json`; a missing or damaged file means "none yet". */
export class RecentFiles {
  constructor(private readonly file: string) {}

  async read(): Promise<string[]> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      const list = (parsed as { files?: unknown }).files;
      return Array.isArray(list)
        ? list.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT)
        : [];
    } catch {
      return [];
    }
  }

  async add(path: string): Promise<string[]> {
    const next = addRecent(await this.read(), path);
    await mkdir(dirname(this.file), { recursive: true });
    // Write then rename, so a crash never leaves half a file.
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ files: next }, null, 2)}\n`);
    await rename(tmp, this.file);
    return next;
  }
}
