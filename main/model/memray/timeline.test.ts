import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';
import { listCaptures } from '../../formats/memray/oracles';
import { displayTimeline } from '../../query/timeline-lod';
import { endEpochMs, peakEpochMs, replayDump } from '../../../test/memray-dump-replay';

/*
 * The heap line against memray's own record dumps (`memray parse` → *.parse.txt), replayed
 * naively in test/memray-dump-replay.ts (no Heapscope reader or model code): the line passes
 * through the peak at its time, ends at the heap when tracking stopped at the capture's end, and
 * over every interval between memory records reaches the highest heap of that interval.
 */

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const subjects = listCaptures(FIXTURES).filter((c) => {
  const dump = c.oracle('parse.txt');
  return dump !== undefined && dump.includes('file_format=ALL_ALLOCATIONS') && dump.includes('MEMORY_RECORD');
});

/** Index of a point with exactly this time and heap, or -1. */
function pointAt(t: { timeMs: number[]; heapBytes: number[] }, ms: number, bytes: number): number {
  return t.timeMs.findIndex((x, i) => x === ms && t.heapBytes[i] === bytes);
}

describe('memray timeline: peak and end against a replay of memray parse dumps', () => {
  it('has subjects, among them captures whose peak falls between memory records', () => {
    expect(subjects.length).toBeGreaterThan(10);
    const between = subjects.filter((c) => {
      const r = replayDump(c.oracle('parse.txt')!);
      return r.records.every((rec) => rec.heap < r.peak);
    });
    expect(between.length).toBeGreaterThan(3);
  });

  for (const c of subjects) {
    it(`${c.folder}/${c.name}`, async () => {
      const r = replayDump(c.oracle('parse.txt')!);
      const stats = c.oracle('stats.json');
      if (stats) expect(r.peak).toBe(JSON.parse(stats).metadata.peak_memory);
      const m = await loadMemrayModel(c.path, {});
      const peakMs = peakEpochMs(r) - r.startEpochMs;
      const endMs = endEpochMs(r) - r.startEpochMs;
      expect([m.peakBytes(), m.peakTimeMs()]).toEqual([r.peak, peakMs]);

      for (const maxPoints of [Number.MAX_SAFE_INTEGER, 2000, 60, 13]) {
        const t = displayTimeline(m.timeline()!, maxPoints);
        const where = `${maxPoints} points`;
        // the peak, at its time, is a point of the line, and nothing on the line is higher
        expect(pointAt(t, peakMs, r.peak), where).toBeGreaterThanOrEqual(0);
        expect(Math.max(...t.heapBytes), where).toBe(r.peak);
        expect(t.peak, where).toEqual({ timeMs: peakMs, bytes: r.peak });
        // the last point: the heap when tracking stopped, at the capture's end
        expect([t.timeMs.at(-1), t.heapBytes.at(-1)], where).toEqual([endMs, r.finalHeap]);
        expect(t.end, where).toEqual({ timeMs: endMs, bytes: r.finalHeap });
        // times never go back; allocation totals survive any level of detail
        expect(
          t.timeMs.every((x, i) => i === 0 || x >= t.timeMs[i - 1]),
          where,
        ).toBe(true);
        expect(
          t.allocationCount.reduce((a, x) => a + x, 0),
          where,
        ).toBe(r.sizes.length);
        expect(
          t.allocatedBytes.reduce((a, x) => a + x, 0),
          where,
        ).toBe(r.sizes.reduce((a, x) => a + x, 0));
        // M4 keeps at most 6 points per column (first, last, heap and RSS extremes) + peak, end
        if (maxPoints < 1000) expect(t.timeMs.length, where).toBeLessThanOrEqual(maxPoints + 2);
      }

      // Full resolution: memory records are the points with an RSS; between records v-1 and v the
      // line reaches the interval's highest heap.
      const full = m.heapLine()!;
      const recordIdx = full.rssBytes.flatMap((x, i) => (x !== null ? [i] : []));
      expect(recordIdx.map((i) => [full.timeMs[i], full.rssBytes[i], full.heapBytes[i]])).toEqual(
        r.records.map((rec) => [rec.epochMs - r.startEpochMs, rec.rss, rec.heap]),
      );
      if (m.b.timeIndex.bucketShift !== 0) return; // buckets wider than one interval keep one peak per bucket
      for (let v = 0; v <= r.records.length; v++) {
        const from = v === 0 ? 0 : recordIdx[v - 1];
        const to = v < recordIdx.length ? recordIdx[v] : full.timeMs.length - 1;
        const drawn = Math.max(...full.heapBytes.slice(from, to + 1));
        const startHeap = v === 0 ? 0 : r.records[v - 1].heap;
        const endHeap = v < r.records.length ? r.records[v].heap : r.finalHeap;
        const truth = Math.max(startHeap, endHeap, r.intervalMax[v] ?? -Infinity);
        expect(drawn, `interval ${v}`).toBe(truth);
      }
    });
  }
});

describe('memray timeline over coarse time buckets', () => {
  for (const c of subjects.filter((x) => /killed|basic\.bin|threads|allocators/.test(x.name))) {
    it(`${c.folder}/${c.name}: peak and end survive buckets of many memory records`, async () => {
      const r = replayDump(c.oracle('parse.txt')!);
      for (const maxBuckets of [2, 4, 8]) {
        const m = await loadMemrayModel(c.path, { maxBuckets });
        const t = displayTimeline(m.timeline()!, 40);
        const peakMs = peakEpochMs(r) - r.startEpochMs;
        expect(pointAt(t, peakMs, r.peak), `${maxBuckets} buckets`).toBeGreaterThanOrEqual(0);
        expect(Math.max(...t.heapBytes)).toBe(r.peak);
        expect([t.timeMs.at(-1), t.heapBytes.at(-1)]).toEqual([endEpochMs(r) - r.startEpochMs, r.finalHeap]);
        // the inserted points never overstate: each is at most its interval's true highest heap
        const full = m.heapLine()!;
        const truth = Math.max(...r.records.map((x) => x.heap), ...r.intervalMax.map((x) => x ?? 0));
        expect(Math.max(...full.heapBytes)).toBe(truth);
      }
    });
  }
});

describe('memray summary: one moment for RSS and heap', () => {
  for (const c of subjects.filter((x) => /basic\.bin|threads|killed|fork\.bin$/.test(x.name))) {
    it(`${c.folder}/${c.name}: at the end and at a range's end`, async () => {
      const r = replayDump(c.oracle('parse.txt')!);
      const m = await loadMemrayModel(c.path, {});
      const last = r.records.at(-1)!;
      expect(m.summary()).toMatchObject({
        rssAtEndBytes: last.rss,
        heapAtEndBytes: last.heap,
        atEndTimeMs: last.epochMs - r.startEpochMs,
      });
      if (m.b.timeIndex.bucketShift !== 0) return;
      // a range ending between records v-1 and v ends at record v (whole intervals)
      for (let v = 1; v < r.records.length; v++) {
        const t1 = r.records[v - 1].epochMs - r.startEpochMs;
        const t2 = r.records[v].epochMs - r.startEpochMs;
        if (t2 === t1) continue;
        const s = m.summary({ fromMs: 0, toMs: (t1 + t2) / 2 });
        // the record closing the range: the first at or after its end
        const closing = r.records.find((x) => x.epochMs - r.startEpochMs >= (t1 + t2) / 2)!;
        expect([s.rssAtEndBytes, s.heapAtEndBytes, s.atEndTimeMs], `to ${(t1 + t2) / 2}`).toEqual([
          closing.rss,
          closing.heap,
          closing.epochMs - r.startEpochMs,
        ]);
      }
    });
  }
});
