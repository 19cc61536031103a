import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../main/formats/memray/index';
import { listCaptures } from '../../main/formats/memray/oracles';
import type { MemrayModel } from '../../main/model/memray/model';
import { temporariesFromDump as bruteForce, type Tally, type Window } from '../memray-temporary-oracle';

/**
 * memray's temporary allocations of a brushed range: only those found (at their free) in the
 * memory-record intervals the range overlaps, as every other range snapshot counts its whole
 * time buckets. The model's counts per allocator and per thread against the brute force of
 * test/memray-temporary-oracle.ts restricted to the range, over memray's own record dumps of the
 * shared captures, at fine buckets and at merged (coarse) ones.
 */

const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;

function modelTally(m: MemrayModel, n: number, w: Window, threads?: number[]): Tally {
  const out: Tally = new Map();
  const spec = { kind: 'temporary' as const, threshold: n, fromMs: w.fromMs, toMs: w.toMs };
  for (const r of m.allocators(spec, threads && { threads }).byAllocator)
    if (r.count > 0) out.set(r.name.toLowerCase(), { count: r.count, bytes: r.bytes });
  return out;
}

function byThread(m: MemrayModel, n: number, w: Window): Tally {
  const out: Tally = new Map();
  for (const t of m.info().threads) {
    let count = 0;
    let bytes = 0;
    for (const v of modelTally(m, n, w, [t.id]).values()) {
      count += v.count;
      bytes += v.bytes;
    }
    if (count > 0) out.set(String(t.id), { count, bytes });
  }
  return out;
}

const sorted = (t: Tally) => [...t.entries()].sort(([a], [b]) => a.localeCompare(b));
const total = (t: Tally) => [...t.values()].reduce((s, v) => s + v.count, 0);

/** ms from start_time of each MEMORY_RECORD (read from the dump, not from the model). */
function recordTimes(dump: string): number[] {
  const start = Number(/ start_time=(\d+)/.exec(dump)![1]);
  return [...dump.matchAll(/^MEMORY_RECORD time=(\d+)/gm)].map((m) => Number(m[1]) - start);
}

const captures = listCaptures(FIXTURES).filter(
  (c) => c.oracle('parse.txt') !== undefined && !/aggregate/.test(c.name),
);

/** Temporaries inside the partial ranges, and in the whole captures (both summed over all). */
const cut = { inside: 0, whole: 0 };

describe('temporary allocations in a brushed range', () => {
  it('finds the shared captures', () => expect(captures.length).toBeGreaterThan(15));

  for (const c of captures) {
    it(`${c.folder}/${c.name}: ranges at fine buckets equal the brute force over the range`, async () => {
      const dump = c.oracle('parse.txt')!;
      const m = (await loadMemrayModel(c.path, {})) as MemrayModel;
      // one bucket per memory record: every range below resolves to exactly its intervals
      expect(m.b.timeIndex.bucketShift).toBe(0);
      const t = recordTimes(dump);
      const k = t.length;
      expect(k).toBeGreaterThan(0);
      const end = t[k - 1];
      const at = (i: number) => t[Math.min(k - 1, i)];
      const windows: Window[] = [
        { fromMs: -1, toMs: end + 1000 },
        { fromMs: at(Math.floor(k / 4)), toMs: at(Math.floor(k / 2)) },
        { fromMs: at(1) + 0.5, toMs: at(4) - 0.25 },
        { fromMs: at(Math.floor(k / 2)) + 0.1, toMs: end },
        { fromMs: at(Math.floor((3 * k) / 4)), toMs: at(Math.floor((3 * k) / 4)) },
        { fromMs: 0, toMs: 0 },
      ].filter((w) => w.toMs >= w.fromMs);
      for (const n of [1, 8]) {
        for (const w of windows) {
          const want = bruteForce(dump, n, w);
          const label = `N=${n} ${w.fromMs}:${w.toMs}`;
          expect(sorted(modelTally(m, n, w)), `${label} per allocator`).toEqual(sorted(want.byAllocator));
          expect(sorted(byThread(m, n, w)), `${label} per thread`).toEqual(sorted(want.byThread));
          if (w.fromMs > 0) cut.inside += total(want.byAllocator);
        }
        // the whole capture as a range is the whole capture's temporaries
        const whole = bruteForce(dump, n).byAllocator;
        expect(sorted(modelTally(m, n, windows[0]))).toEqual(sorted(whole));
        cut.whole += total(whole);
      }
    });
  }

  it('the ranges above do cut: they hold temporaries, fewer than the whole captures', () => {
    expect(cut.inside).toBeGreaterThan(100);
    expect(cut.inside).toBeLessThan(cut.whole);
  });

  it('merged (coarse) buckets: bucket-aligned ranges equal the brute force', async () => {
    const subjects = captures.filter((c) => /killed|basic\.bin|threads|pymalloc/.test(c.name));
    expect(subjects.length).toBeGreaterThan(4);
    let aligned = 0;
    for (const c of subjects) {
      const dump = c.oracle('parse.txt')!;
      const t = recordTimes(dump);
      for (const maxBuckets of [2, 4, 8]) {
        const m = (await loadMemrayModel(c.path, { maxBuckets })) as MemrayModel;
        const index = m.b.timeIndex;
        const nb = index.bucketCount;
        expect(index.bucketShift, `${c.name} ${maxBuckets}`).toBeGreaterThan(0);
        expect(m.b.temporary.bucketCount).toBe(nb);
        // A range from just after bucket b1 − 1's last record to bucket b2's last record covers
        // exactly the memory-record intervals of b1 … b2, when no other record shares those times.
        const shift = index.bucketShift;
        const first = (bk: number) => bk << shift;
        const lastRecord = (bk: number) => Math.min(first(bk + 1) - 1, t.length - 1);
        const window = (b1: number, b2: number): Window | undefined => {
          const fromMs = b1 === 0 ? -1 : t[lastRecord(b1 - 1)] + 0.5;
          const toMs = b2 === nb - 1 ? t[t.length - 1] + 1000 : t[lastRecord(b2)];
          if (b1 > 0 && !(t[first(b1)] >= fromMs)) return undefined;
          if (b2 < nb - 1 && !(t[lastRecord(b2) - 1] < toMs)) return undefined;
          return { fromMs, toMs };
        };
        let checked = 0;
        for (let b1 = 0; b1 < nb; b1++) {
          for (const b2 of new Set([b1, nb - 1])) {
            const w = window(b1, b2);
            if (!w) continue;
            const got = modelTally(m, 1, w);
            expect(sorted(got), `${c.name} ${maxBuckets}: buckets ${b1}…${b2}`).toEqual(
              sorted(bruteForce(dump, 1, w).byAllocator),
            );
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(0);
        aligned += checked;
        // the whole capture as a range: every bucket's temporaries, the whole capture's
        const whole = { fromMs: -1, toMs: t[t.length - 1] + 1000 };
        expect(sorted(modelTally(m, 8, whole)), `${c.name} ${maxBuckets}: whole`).toEqual(
          sorted(bruteForce(dump, 8).byAllocator),
        );
      }
    }
    expect(aligned).toBeGreaterThan(3 * subjects.length);
  });

  it('a range needs both ends, and the snapshot says which range it counted', async () => {
    const c = captures.find((x) => x.name === 'threads.bin')!;
    const m = (await loadMemrayModel(c.path, {})) as MemrayModel;
    expect(() => m.snapshot({ kind: 'temporary', threshold: 1, fromMs: 5 })).toThrow(/both fromMs and toMs/);
    const snap = m.snapshot({ kind: 'temporary', threshold: 1, fromMs: 10, toMs: 50 });
    expect(snap.label).toMatch(/^temporary allocations .*, found \d+\.\d{3}–\d+\.\d{3} s$/);
  });
});
