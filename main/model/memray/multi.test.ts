import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayMultiProcess } from '../../formats/memray/index';
import { listCaptures } from '../../formats/memray/oracles';
import { buildFindings } from '../../query/findings';
import { displayTimeline } from '../../query/timeline-lod';
import {
  endEpochMs,
  mergedPeakBruteForce,
  replayDump,
  type DumpReplay,
} from '../../../test/memray-dump-replay';

/*
 * A --follow-fork parent merged with its child, against a brute force that shares nothing with
 * the code under test but the convention for dating a heap between memory records (the record
 * closing the interval, as memray's peak time does):
 * - its input is memray's own record dump of each file (`memray parse`), not our binary reader;
 * - each process's heap is a naive replay of those records (test/memray-dump-replay.ts), not the
 *   model's live tables, buckets or timeline series;
 * - the processes are put on one clock by the dumps' epoch-ms timestamps directly, not by the
 *   model's header offsets, and summed by a plain sweep over every moment.
 */

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const captures = listCaptures(FIXTURES);
const folders = [...new Set(captures.filter((c) => c.name === 'fork.bin').map((c) => c.folder))];

function pair(folder: string) {
  const parent = captures.find((c) => c.folder === folder && c.name === 'fork.bin')!;
  const child = captures.find((c) => c.folder === folder && /^fork\.bin\.\d+$/.test(c.name))!;
  return { parent, child };
}

/**
 * memray stats' 10 log-scale bins over sizes, written out from its definition
 * (docs/formats/memray-format.md §13.8).
 */
function bins(sizes: number[]): { minBytes: number; maxBytes: number; count: number }[] {
  const nz = sizes.filter((s) => s > 0);
  let low = Math.log(Math.min(...nz));
  const high = Math.log(Math.max(...sizes));
  if (low === high) low /= 2;
  const step = (high - low) / 10;
  const bounds = Array.from({ length: 10 }, (_, i) => Math.trunc(Math.exp(low + step * (i + 1))));
  const counts = new Array<number>(10).fill(0);
  for (const s of sizes)
    counts[s === 0 ? 0 : Math.max(0, Math.min(9, Math.floor((Math.log(s) - low) / step)))]++;
  return counts.map((count, i) => ({
    minBytes: i === 0 ? 0 : bounds[i - 1],
    maxBytes: i === 9 ? bounds[9] : bounds[i] - 1,
    count,
  }));
}

describe('multi-process (--follow-fork) peak, timeline, histogram and end values', () => {
  it('has fork fixtures', () => expect(folders.length).toBeGreaterThanOrEqual(4));

  for (const folder of folders) {
    it(`${folder}: the merged peak is the highest sum at one moment`, async () => {
      const { parent, child } = pair(folder);
      const dumps: DumpReplay[] = [
        replayDump(parent.oracle('parse.txt')!),
        replayDump(child.oracle('parse.txt')!),
      ];
      const start = dumps[0].startEpochMs;
      const brute = mergedPeakBruteForce(dumps);
      const m = await loadMemrayMultiProcess(parent.path, [child.path], {});
      const s = m.summary();
      expect([s.peakBytes, s.peakTimeMs]).toEqual([brute.bytes, brute.epochMs - start]);
      // the processes' own peaks come apart in time: their sum is more, and labelled apart
      const sumOfPeaks = dumps[0].peak + dumps[1].peak;
      expect(s.sumOfProcessPeaksBytes).toBe(sumOfPeaks);
      expect(brute.bytes).toBeLessThan(sumOfPeaks);
      expect(brute.bytes).toBeGreaterThanOrEqual(Math.max(dumps[0].peak, dumps[1].peak));
      const stats = m.statsJson({});
      expect([stats.peakMemory, stats.peakTimeMs, stats.sumOfProcessPeaks]).toEqual([
        brute.bytes,
        brute.epochMs - start,
        sumOfPeaks,
      ]);

      // the timeline: the sum passes through that peak; each process's own line is drawn
      for (const maxPoints of [Number.MAX_SAFE_INTEGER, 12]) {
        const t = displayTimeline(m.timeline()!, maxPoints);
        expect(Math.max(...t.heapBytes)).toBe(brute.bytes);
        expect(t.timeMs.some((x, i) => x === brute.epochMs - start && t.heapBytes[i] === brute.bytes)).toBe(
          true,
        );
        expect(t.peak).toEqual({ timeMs: brute.epochMs - start, bytes: brute.bytes });
        expect(t.processes?.map((p) => p.pid)).toEqual([
          Number(/ pid=(\d+)/.exec(parent.oracle('parse.txt')!)![1]),
          Number(/ pid=(\d+)/.exec(child.oracle('parse.txt')!)![1]),
        ]);
        t.processes!.forEach((p, k) => {
          const own = p.heapBytes.filter((x): x is number => x !== null);
          expect(Math.max(...own), `process ${k}`).toBe(dumps[k].peak);
        });
        // where both run, the sum is theirs; a process not running holds nothing
        t.heapBytes.forEach((h, i) =>
          expect(h).toBe(t.processes!.reduce((a, p) => a + (p.heapBytes[i] ?? 0), 0)),
        );
        expect(t.sumOfProcessPeaksBytes).toBe(sumOfPeaks);
      }
    });

    it(`${folder}: the histogram bins every process's sizes together, by size`, async () => {
      const { parent, child } = pair(folder);
      const sizes = [
        ...replayDump(parent.oracle('parse.txt')!).sizes,
        ...replayDump(child.oracle('parse.txt')!).sizes,
      ];
      const m = await loadMemrayMultiProcess(parent.path, [child.path], {});
      expect(m.statsJson({}).sizeHistogram).toEqual(bins(sizes));
      expect(m.allocators({ kind: 'peak' }).histogram).toEqual(bins(sizes));
    });

    it(`${folder}: RSS and heap at the end are of the same moment and the same processes`, async () => {
      const { parent, child } = pair(folder);
      const dumps = [replayDump(parent.oracle('parse.txt')!), replayDump(child.oracle('parse.txt')!)];
      const start = dumps[0].startEpochMs;
      const m = await loadMemrayMultiProcess(parent.path, [child.path], {});
      // the moment: the latest memory record of any process; each process running then counts
      // with its last memory record at or before it (RSS and heap of that one record)
      const when = Math.max(...dumps.map((d) => d.records.at(-1)!.epochMs));
      let rss = 0;
      let heap = 0;
      for (const d of dumps) {
        if (when < d.records[0].epochMs || when > endEpochMs(d)) continue;
        const rec = d.records.filter((x) => x.epochMs <= when).at(-1)!;
        rss += rec.rss;
        heap += rec.heap;
      }
      const s = m.summary();
      expect([s.rssAtEndBytes, s.heapAtEndBytes, s.atEndTimeMs]).toEqual([rss, heap, when - start]);
      // a range's end in the middle of the child's run counts both processes there
      const mid = (dumps[1].records[0].epochMs + dumps[1].records.at(-1)!.epochMs) / 2;
      let rss2 = 0;
      let heap2 = 0;
      for (const d of dumps) {
        const rec = d.records.filter((x) => x.epochMs <= mid).at(-1)!;
        rss2 += rec.rss;
        heap2 += rec.heap;
      }
      const r = m.summary({ fromMs: 0, toMs: mid - start });
      expect([r.rssAtEndBytes, r.heapAtEndBytes, r.atEndTimeMs]).toEqual([rss2, heap2, mid - start]);
      // the RSS-vs-heap finding compares those two sums and says so
      const findings = buildFindings(
        { info: m.info(), rssAtEndBytes: 10 * 2 ** 30, heapAtEndBytes: 1, atEndTimeMs: 5 },
        {},
      );
      expect(findings.find((f) => f.code === 'rss-exceeds-heap')?.text).toMatch(
        /summed over the 2 processes/,
      );
    });
  }
});
