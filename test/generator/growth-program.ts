import { ALLOC, type CaptureEvent, type CaptureProgram, type CodeObject } from './memray-capture';

/**
 * A memray program with a known growth story: a steady leak at one site (`leaky_handler`), an
 * LRU cache that fills in the first ticks and then only replaces entries (`lru_cache_fill`, flat)
 * and churn at a third (`parse_line`), with the live bytes per site after every memory record
 * kept alongside, so a test can fit the slopes itself.
 */

export const CODES: CodeObject[] = [
  { id: 1, name: 'leaky_handler', file: '/srv/gen/app.py', firstLine: 10 },
  { id: 2, name: 'lru_cache_fill', file: '/srv/gen/cache.py', firstLine: 40 },
  { id: 3, name: 'parse_line', file: '/srv/gen/parse.py', firstLine: 70 },
];

export interface Built {
  program: CaptureProgram;
  /** Per site (code id), live bytes after each memory record. */
  live: Map<number, number[]>;
  timeMs: number[];
}

/** The lruleak-like program: `ticks` memory records `stepMs` apart. */
export function leakAndCache(
  version: 10 | 12 | 13,
  ticks: number,
  stepMs: number,
  leakBytes = 64_000,
): Built {
  const events: CaptureEvent[] = [{ kind: 'switch', tid: 1 }];
  const live = new Map<number, number>(CODES.map((c) => [c.id, 0]));
  const series = new Map<number, number[]>(CODES.map((c) => [c.id, []]));
  const timeMs: number[] = [];
  let next = 0x5555_0000_0000;
  const at = (code: number, body: () => void) => {
    events.push({ kind: 'push', frame: { code, offset: 0, entry: true } });
    body();
    events.push({ kind: 'pop', count: 1 });
  };
  const alloc = (code: number, size: number): number => {
    const address = (next += 0x10_0000);
    events.push({ kind: 'alloc', allocator: ALLOC.MALLOC, address, size });
    live.set(code, live.get(code)! + size);
    return address;
  };
  const free = (code: number, address: number, size: number) => {
    events.push({ kind: 'free', allocator: ALLOC.FREE, address });
    live.set(code, live.get(code)! - size);
  };
  const cache: number[] = [];
  for (let t = 1; t <= ticks; t++) {
    // a leak: every tick, one more block nobody frees (its size wobbles a little)
    if (leakBytes > 0) at(1, () => alloc(1, leakBytes + (t % 3) * 1000));
    // an LRU cache of 20 × 100 kB: fills in the first ticks, then evicts one per insert
    at(2, () => {
      for (let i = 0; i < (t <= 5 ? 4 : 1); i++) {
        if (cache.length === 20) free(2, cache.shift()!, 100_000);
        cache.push(alloc(2, 100_000));
      }
    });
    // churn: allocated and freed at once
    at(3, () => free(3, alloc(3, 5000), 5000));
    events.push({ kind: 'memory', rss: 64 << 20, ms: t * stepMs });
    timeMs.push(t * stepMs);
    for (const c of CODES) series.get(c.id)!.push(live.get(c.id)!);
  }
  return { program: { version, codes: CODES, events, startTimeMs: 1_700_000_000_000 }, live: series, timeMs };
}
