import { describe, expect, it } from 'vitest';
import { loadMemrayMultiProcess } from '../../main/formats/memray/index';
import { listCaptures } from '../../main/formats/memray/oracles';
import { handlers } from '../../main/engine/handlers';
import type { GrowthSeries } from '../../main/model/capture-model';
import { replaySites, siteKey, type SiteReplay } from '../memray-dump-sites';

/**
 * Leak suspects by growth for a --follow-fork parent merged with its child: the merged
 * series of live bytes per site against a brute force over memray's own record dumps
 * (`memray parse`) of both processes, with none of the model's code: each process's sites are
 * replayed from its dump (test/memray-dump-sites.ts), put on one clock by the dumps' start_time,
 * and summed at every memory record of either process over the processes running then (from
 * their first memory record to their last, the end of tracking there).
 */

const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;
const captures = listCaptures(FIXTURES);
const folders = [...new Set(captures.filter((c) => c.name === 'fork.bin').map((c) => c.folder))];

interface Proc {
  replay: SiteReplay;
  offsetMs: number;
}

const startOf = (dump: string) => Number(/ start_time=(\d+)/.exec(dump)![1]);

/** A process's sites at ms `t` of its own clock: as of its latest memory record, the end after the last. */
function sitesAt(p: SiteReplay, t: number): Map<string, { bytes: number }> | undefined {
  const last = p.recordMs.length - 1;
  if (last < 0 || t < p.recordMs[0] || t > p.recordMs[last]) return undefined;
  if (t >= p.recordMs[last]) return p.atEnd;
  let i = 0;
  while (i + 1 <= last && p.recordMs[i + 1] <= t) i++;
  return p.atRecord[i];
}

function bruteMerged(procs: Proc[]): { timeMs: number[]; sites: Map<string, number[]> } {
  const times = [...new Set(procs.flatMap((p) => p.replay.recordMs.map((t) => t + p.offsetMs)))].sort(
    (a, b) => a - b,
  );
  const sites = new Map<string, number[]>();
  times.forEach((T, col) => {
    for (const p of procs) {
      const at = sitesAt(p.replay, T - p.offsetMs);
      if (!at) continue;
      for (const [key, v] of at) {
        let row = sites.get(key);
        if (!row) sites.set(key, (row = new Array<number>(times.length).fill(0)));
        row[col] += v.bytes;
      }
    }
  });
  return { timeMs: times, sites };
}

/** The model's series by the oracle's site key (function, file): its sites also carry lines. */
function bySiteKey(s: GrowthSeries): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const site of s.sites) {
    const key = site.file === '' ? siteKey('', '<unknown>') : siteKey(site.function, site.file);
    const row = out.get(key) ?? new Array<number>(s.timeMs.length).fill(0);
    for (let i = 0; i < s.timeMs.length; i++) row[i] += site.live[i];
    out.set(key, row);
  }
  return out;
}

const nonZero = (m: Map<string, number[]>) =>
  [...m].filter(([, row]) => row.some((v) => v !== 0)).sort(([a], [b]) => (a < b ? -1 : 1));

describe('growth of a --follow-fork parent merged with its child', () => {
  it('has fork fixtures', () => expect(folders.length).toBeGreaterThanOrEqual(4));

  for (const folder of folders) {
    it(`${folder}: every site's merged live bytes equal the dumps' replay, summed on one clock`, async () => {
      const parent = captures.find((c) => c.folder === folder && c.name === 'fork.bin')!;
      const child = captures.find((c) => c.folder === folder && /^fork\.bin\.\d+$/.test(c.name))!;
      const parentDump = parent.oracle('parse.txt')!;
      const childDump = child.oracle('parse.txt')!;
      const procs: Proc[] = [
        { replay: replaySites(parentDump), offsetMs: 0 },
        { replay: replaySites(childDump), offsetMs: startOf(childDump) - startOf(parentDump) },
      ];
      const model = await loadMemrayMultiProcess(parent.path, [child.path]);
      expect(model.info().capabilities.growth).toBe(true);
      const series = model.growthSeries()!;
      const want = bruteMerged(procs);
      expect(Array.from(series.timeMs)).toEqual(want.timeMs);
      expect(nonZero(bySiteKey(series))).toEqual(nonZero(want.sites));
      // the child's threads alone: its sites only, on the merged clock
      const childThreads = model.threadsOf(1);
      const only = bruteMerged([procs[1]]);
      const childSeries = model.growthSeries({ threads: childThreads })!;
      expect(Array.from(childSeries.timeMs)).toEqual(only.timeMs);
      expect(nonZero(bySiteKey(childSeries))).toEqual(nonZero(only.sites));
      // and the one growth ranking answers for the merged capture
      const ranked = handlers.growth(model, { limit: 50 }, { captureId: 'x' });
      expect(ranked.points).toBe(want.timeMs.length);
      expect(ranked.totalSites).toBeGreaterThan(0);
    });
  }
});
