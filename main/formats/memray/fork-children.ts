import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The fork children `NAME.bin.PID` that `memray run --follow-fork` writes beside a parent
 * capture `NAME.bin`, in PID order.
 */
export async function findForkChildren(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((n) => join(dir, n));
}
