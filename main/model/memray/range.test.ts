import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';
import { listCaptures } from '../../formats/memray/oracles';
import { replayDump } from '../../../test/memray-dump-replay';

/*
 * Range peaks (`stats --range T1:T2`, `summary(range)`) against a brute-force replay of memray's
 * own record dumps (`memray parse` → *.parse.txt): the heap after every ALLOCATION record, with
 * memray's rules (a live address allocated again adds without subtracting; munmap shrinks or
 * splits mmap ranges).
 */

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const captures = listCaptures(FIXTURES);

interface Replay {
  /** Memory-record times, ms from the start. */
  times: number[];
  /** Per ALLOCATION record: heap after it, and memory records seen before it (its fine interval). */
  heap: number[];
  fine: number[];
  peak: number;
}

/** The plain replay of the dump (test/memray-dump-replay.ts), with times from the capture start. */
function replay(dump: string): Replay {
  const r = replayDump(dump);
  return {
    times: r.records.map((m) => m.epochMs - r.startEpochMs),
    heap: r.heapAfter,
    fine: r.intervalOf,
    peak: r.peak,
  };
}

/**
 * The range's peak at memory-record resolution, as documented in MemrayModel.rangePeak: fine
 * intervals (memory record i-1, memory record i] overlapping [t1, t2], the heap at the first one's
 * start included; the peak's time is the memory record closing the interval of the last record
 * reaching it (the interval's start for a start-heap peak), clamped into [t1, t2].
 */
function bruteRangePeak(r: Replay, t1: number, t2: number): { heap: number; timeMs: number } {
  const n = r.times.length;
  const last = n ? r.times[n - 1] : 0;
  const endOf = (i: number) => (i < n ? r.times[i] : last);
  const startOf = (i: number) => (i === 0 ? 0 : r.times[i - 1]);
  const first = (t: number) => {
    for (let i = 0; i <= n; i++) if (endOf(i) >= t) return i;
    return n;
  };
  const b1 = first(t1);
  const b2 = first(t2);
  let best = 0;
  let when = startOf(b1);
  for (let k = 0; k < r.heap.length; k++) {
    if (r.fine[k] < b1) {
      best = r.heap[k];
      continue;
    }
    if (r.fine[k] > b2) break;
    if (r.heap[k] >= best) {
      best = r.heap[k];
      when = endOf(r.fine[k]);
    }
  }
  return { heap: best, timeMs: Math.min(t2, Math.max(t1, when)) };
}

const subjects = captures.filter((c) => {
  const dump = c.oracle('parse.txt');
  return dump !== undefined && dump.includes('file_format=ALL_ALLOCATIONS') && dump.includes('MEMORY_RECORD');
});

describe('memray range peaks against a brute-force replay of memray parse dumps', () => {
  it('has subjects', () => expect(subjects.length).toBeGreaterThan(10));

  for (const c of subjects) {
    it(`${c.folder}/${c.name}`, async () => {
      const r = replay(c.oracle('parse.txt')!);
      const stats = c.oracle('stats.json');
      if (stats) expect(r.peak).toBe(JSON.parse(stats).metadata.peak_memory);
      const m = await loadMemrayModel(c.path, {});
      if (m.b.timeIndex.bucketShift !== 0) return; // one bucket per memory record below
      const whole = m.summary();
      expect(whole.peakBytes).toBe(r.peak);

      // candidate ends: memory-record times, points between and beside them
      const ts = new Set<number>([-1, 0]);
      for (let i = 0; i < r.times.length; i++) {
        ts.add(r.times[i]);
        if (i > 0) ts.add((r.times[i - 1] + r.times[i]) / 2);
        ts.add(r.times[i] + 0.25);
      }
      const end = (r.times[r.times.length - 1] ?? 0) + 5;
      ts.add(end);
      const cand = [...ts].sort((a, b) => a - b);
      const step = Math.max(1, Math.floor(cand.length / 40));
      const picks = cand.filter((_, i) => i % step === 0 || i === cand.length - 1);
      for (const t1 of picks) {
        for (const t2 of picks) {
          if (t2 < t1) continue;
          const got = m.summary({ fromMs: t1, toMs: t2 });
          const want = bruteRangePeak(r, t1, t2);
          expect([t1, t2, got.peakBytes, got.peakTimeMs]).toEqual([t1, t2, want.heap, want.timeMs]);
        }
      }
      // the whole capture as a range: the whole capture's peak and time
      const all = m.statsJson({ range: { fromMs: -1, toMs: end } });
      expect(all.peakMemory).toBe(r.peak);
      expect(all.peakTimeMs).toBe(whole.peakTimeMs);
    });
  }

  it('v12 basic.bin: the ranges of the issue report a peak time inside the range', async () => {
    const c = captures.find((x) => x.folder.startsWith('v12-memray1.19.3-py311') && x.name === 'basic.bin')!;
    const m = await loadMemrayModel(c.path, {});
    const r = replay(c.oracle('parse.txt')!);
    for (const [t1, t2] of [
      [20, 40],
      [47.5, 126.25],
    ]) {
      const s = m.statsJson({ range: { fromMs: t1, toMs: t2 } });
      expect(s.peakTimeMs).toBeGreaterThanOrEqual(t1);
      expect(s.peakTimeMs).toBeLessThanOrEqual(t2);
      const want = bruteRangePeak(r, t1, t2);
      expect([s.peakMemory, s.peakTimeMs]).toEqual([want.heap, want.timeMs]);
    }
  });

  it('merged (coarse) buckets: peak times stay inside the range, whole-capture ranges match', async () => {
    for (const c of subjects.filter((x) => /killed|basic\.bin|threads/.test(x.name))) {
      const r = replay(c.oracle('parse.txt')!);
      for (const maxBuckets of [2, 4, 8]) {
        const m = await loadMemrayModel(c.path, { maxBuckets });
        const whole = m.summary();
        const end = (r.times[r.times.length - 1] ?? 0) + 5;
        const all = m.summary({ fromMs: -1, toMs: end });
        expect([all.peakBytes, all.peakTimeMs]).toEqual([whole.peakBytes, whole.peakTimeMs]);
        for (let i = 0; i + 1 < r.times.length; i += 1) {
          const t1 = r.times[i] + 0.5;
          const t2 = r.times[Math.min(r.times.length - 1, i + 3)] - 0.25;
          if (t2 < t1) continue;
          const s = m.summary({ fromMs: t1, toMs: t2 });
          expect(s.peakTimeMs).toBeGreaterThanOrEqual(t1);
          expect(s.peakTimeMs).toBeLessThanOrEqual(t2);
          // whole buckets: at least the exact range's peak
          expect(s.peakBytes).toBeGreaterThanOrEqual(bruteRangePeak(r, t1, t2).heap);
        }
      }
    }
  });
});
