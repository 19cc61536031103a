import { writeFile } from 'node:fs/promises';
import { encodeCapture } from '../../generator/memray-capture';
import { leakAndCache } from '../../generator/growth-program';

/**
 * Writes a memray v12 capture whose heap grows steadily (the generator's leak-and-cache program)
 * over `ticks` memory records `stepMs` apart, with an RSS that follows the heap as a process's
 * would (a 40 MB baseline plus 15% over the live bytes), so a preview has a line worth watching.
 * Returns the live bytes after each memory record, as the program itself counts them.
 */
export async function writeGrowingCapture(path: string, ticks: number, stepMs = 10): Promise<number[]> {
  const built = leakAndCache(12, ticks, stepMs);
  const live = built.timeMs.map((_, t) => [...built.live.values()].reduce((sum, s) => sum + s[t], 0));
  let tick = 0;
  for (const event of built.program.events)
    if (event.kind === 'memory') event.rss = 40_000_000 + Math.round(live[tick++] * 1.15);
  await writeFile(path, encodeCapture(built.program));
  return live;
}
