import { describe, expect, it } from 'vitest';
import type { Timeline } from '../../shared/api';
import { displayTimeline, downsampleTimeline, m4Indices, timelineSoFar } from './timeline-lod';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random series: non-decreasing times with repeats, spiky heap, RSS with gaps. */
function randomTimeline(seed: number, n: number): Timeline {
  const r = rng(seed);
  const timeMs: number[] = [];
  const heapBytes: number[] = [];
  const rssBytes: (number | null)[] = [];
  let t = r() * 5;
  let h = 1000;
  for (let i = 0; i < n; i++) {
    if (r() > 0.2) t += r() < 0.1 ? r() * 500 : r() * 10; // bursts, pauses, equal times
    h = Math.max(0, h + Math.round((r() - 0.5) * 2000) + (r() < 0.02 ? 50_000 : 0));
    timeMs.push(t);
    heapBytes.push(h);
    rssBytes.push(r() < 0.3 ? null : h + Math.round(r() * 5000));
  }
  return {
    timeMs,
    heapBytes,
    rssBytes,
    allocatedBytes: timeMs.map(() => Math.round(r() * 100)),
    allocationCount: timeMs.map(() => Math.round(r() * 3)),
    peak: { timeMs: 0, bytes: 0 },
    durationMs: t,
  };
}

/**
 * Brute force: the pixel column of each point, computed on its own (bucket k holds the times in
 * [t0 + k·w, t0 + (k+1)·w), the last one also its right edge), and per column the lowest and
 * highest values of a column and its first and last points.
 */
function columns(timeMs: number[], buckets: number): number[][] {
  const t0 = timeMs[0];
  const w = (timeMs[timeMs.length - 1] - t0) / buckets;
  const out: number[][] = Array.from({ length: buckets }, () => []);
  timeMs.forEach((t, i) => {
    let k = w > 0 ? Math.floor((t - t0) / w) : 0;
    if (k >= buckets) k = buckets - 1;
    out[k].push(i);
  });
  return out.filter((c) => c.length > 0);
}

describe('timeline level of detail (M4)', () => {
  it('keeps, in every pixel column, its first and last points and each column’s min and max', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const t = randomTimeline(seed, 50 + ((seed * 97) % 3000));
      const buckets = 1 + ((seed * 31) % 400);
      const kept = new Set(m4Indices(t.timeMs, [t.heapBytes, t.rssBytes], buckets));
      for (const col of columns(t.timeMs, buckets)) {
        expect(kept.has(col[0]) && kept.has(col[col.length - 1]), `seed ${seed}`).toBe(true);
        for (const values of [t.heapBytes, t.rssBytes]) {
          const present = col.filter((i) => values[i] !== null);
          if (present.length === 0) continue;
          const vs = present.map((i) => values[i] as number);
          const keptVs = present.filter((i) => kept.has(i)).map((i) => values[i] as number);
          expect([Math.min(...keptVs), Math.max(...keptVs)], `seed ${seed}`).toEqual([
            Math.min(...vs),
            Math.max(...vs),
          ]);
        }
      }
      // nothing else: at most first, last and one min and max per column and value kind
      expect(kept.size, `seed ${seed}`).toBeLessThanOrEqual(columns(t.timeMs, buckets).length * 6);
    }
  });

  it('reduces a whole timeline within budget without losing the extremes, totals or forced points', () => {
    for (let seed = 100; seed < 140; seed++) {
      const full = randomTimeline(seed, 500 + seed * 37);
      const n = full.timeMs.length;
      const keep = [Math.floor(n / 3), n - 1];
      const maxPoints = 30 + ((seed * 13) % 700);
      const t = downsampleTimeline(full, maxPoints, keep);
      expect(t.timeMs.length).toBeLessThanOrEqual(maxPoints);
      expect(Math.max(...t.heapBytes)).toBe(Math.max(...full.heapBytes));
      expect(Math.min(...t.heapBytes)).toBe(Math.min(...full.heapBytes));
      const rss = (a: (number | null)[]) => a.filter((x): x is number => x !== null);
      expect(Math.max(...rss(t.rssBytes))).toBe(Math.max(...rss(full.rssBytes)));
      for (const k of keep) {
        const i = t.timeMs.findIndex((x, j) => x === full.timeMs[k] && t.heapBytes[j] === full.heapBytes[k]);
        expect(i, `seed ${seed}, forced point ${k}`).toBeGreaterThanOrEqual(0);
      }
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      expect(sum(t.allocatedBytes)).toBe(sum(full.allocatedBytes));
      expect(sum(t.allocationCount)).toBe(sum(full.allocationCount));
      // each kept point carries what was allocated since the previous kept point
      let j = 0;
      let acc = 0;
      for (let i = 0; i < n && j < t.timeMs.length; i++) {
        acc += full.allocatedBytes[i];
        if (
          full.timeMs[i] === t.timeMs[j] &&
          full.heapBytes[i] === t.heapBytes[j] &&
          full.rssBytes[i] === t.rssBytes[j]
        ) {
          expect(t.allocatedBytes[j]).toBe(acc);
          acc = 0;
          j++;
        }
      }
      expect(j).toBe(t.timeMs.length);
    }
  });

  it('keeps every process line’s extremes too', () => {
    const a = randomTimeline(7, 4000);
    const b = randomTimeline(8, 4000);
    const full: Timeline = {
      ...a,
      heapBytes: a.heapBytes.map((x, i) => x + b.heapBytes[i]),
      processes: [
        { label: 'a', heapBytes: a.heapBytes },
        { label: 'b', heapBytes: b.heapBytes.map((x, i) => (i < 1000 ? null : x)) },
      ],
    };
    const t = downsampleTimeline(full, 500);
    expect(Math.max(...t.processes![0].heapBytes.map(Number))).toBe(Math.max(...a.heapBytes));
    expect(Math.max(...t.processes![1].heapBytes.filter((x) => x !== null).map(Number))).toBe(
      Math.max(...b.heapBytes.slice(1000)),
    );
  });

  it('returns a series that fits as it is', () => {
    const full = randomTimeline(3, 40);
    expect(downsampleTimeline(full, 40)).toBe(full);
    expect(m4Indices(full.timeMs, [full.heapBytes], 100)).toEqual(full.timeMs.map((_, i) => i));
  });
});

describe('timelineSoFar', () => {
  it('reduces a line read so far exactly as displayTimeline reduces the same points', () => {
    for (const [seed, n] of [
      [1, 1],
      [2, 900],
      [3, 1500],
      [4, 1501],
      [5, 20_000],
    ]) {
      const r = rng(seed);
      const timeMs = new Float64Array(n);
      const heap = new Float64Array(n);
      const rss = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        timeMs[i] = (i > 0 ? timeMs[i - 1] : 0) + (r() < 0.1 ? 0 : Math.floor(r() * 20));
        heap[i] = Math.floor(r() * 1e6) + (r() < 0.01 ? 5e6 : 0);
        rss[i] = heap[i] + Math.floor(r() * 1e5);
      }
      let top = 0;
      for (let i = 1; i < n; i++) if (heap[i] >= heap[top]) top = i;
      const full: Timeline = {
        timeMs: Array.from(timeMs),
        heapBytes: Array.from(heap),
        rssBytes: Array.from(rss),
        allocatedBytes: new Array<number>(n).fill(0),
        allocationCount: new Array<number>(n).fill(0),
        peak: { timeMs: timeMs[top], bytes: heap[top] },
        // the axis reaches the latest point when the header's duration is shorter
        durationMs: Math.max(30_000, timeMs[n - 1]),
      };
      const soFar = timelineSoFar({ timeMs, heapBytes: heap, rssBytes: rss }, 30_000, 1500);
      expect(soFar, `seed ${seed}, ${n} points`).toEqual(displayTimeline(full, 1500));
    }
    expect(timelineSoFar({ timeMs: [], heapBytes: [], rssBytes: [] }, 0, 1500)).toBeNull();
  });

  it('spans the header duration, or the latest point when the header has none', () => {
    const line = { timeMs: [10, 20], heapBytes: [5, 7], rssBytes: [9, 9] };
    expect(timelineSoFar(line, 1000, 1500)!.durationMs).toBe(1000);
    expect(timelineSoFar(line, 0, 1500)!.durationMs).toBe(20);
  });
});
