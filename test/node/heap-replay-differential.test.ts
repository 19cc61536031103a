import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../main/formats/memray/index';
import { listCaptures } from '../../main/formats/memray/oracles';
import { ALLOCATOR_NAMES } from '../../main/model/memray/vocabulary';
import type { MemrayModel } from '../../main/model/memray/model';
import { Rng, encodeCapture, randomProgram, randomShape } from '../generator/memray-capture';
import { referenceReplay, type ReferenceRow } from '../generator/reference-replay';

/**
 * One set of heap rules (main/model/memray/heap-replay.ts) behind three replays: the full
 * index (what the app, export, report, diff and check read), the totals replay in JavaScript
 * and the totals loop in WebAssembly (v12/v13 `stats --json`). They must agree with each other
 * on every capture, and with a plain reference replay (test/generator/reference-replay.ts) on
 * thousands of random ones.
 */

const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;
const SHARED = new URL('../../../shared/fixtures/memray', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'heapscope-differential-'));

interface Replayed {
  peak: number | null;
  peakTimeMs: number | null;
  leakedBytes: number | null;
  totalAllocations: number | null;
  totalBytes: number | null;
  allocationRecords: number | null;
}

function numbers(m: MemrayModel): Replayed {
  const s = m.statsJson({ top: 10 });
  return {
    peak: s.peakMemory,
    peakTimeMs: s.peakTimeMs,
    leakedBytes: s.leakedBytes,
    totalAllocations: s.totalAllocations,
    totalBytes: s.totalBytesAllocated,
    allocationRecords: m.b.allocationRecords,
  };
}

/** The full model's per-key numbers as rows keyed like the reference's (thread, allocator, stack). */
function rows(m: MemrayModel, which: 'peak' | 'leaks'): ReferenceRow[] {
  const keys = m.b.keys;
  const out = new Map<string, ReferenceRow>();
  for (let k = 0; k < keys.count; k++) {
    const count = which === 'peak' ? keys.peakCount[k] : keys.liveCount[k];
    const bytes = which === 'peak' ? keys.peakBytes[k] : keys.liveBytes[k];
    if (count === 0 && bytes === 0) continue;
    const tid = m.b.threadTid[keys.thread[k]];
    const allocator = ALLOCATOR_NAMES[keys.allocator[k]];
    const stack = m.stackString(keys.py[k], 0, keys.generation[k], keys.thread[k], {
      pythonOnly: true,
      untrimmed: true,
    });
    const id = `${tid}\0${allocator}\0${stack}`;
    const row = out.get(id) ?? { tid, allocator, stack, count: 0, bytes: 0 };
    row.count += count;
    row.bytes += bytes;
    out.set(id, row);
  }
  return sorted([...out.values()]);
}

function sorted(r: ReferenceRow[]): ReferenceRow[] {
  const key = (x: ReferenceRow) => `${x.tid}\0${x.allocator}\0${x.stack}`;
  return r.filter((x) => x.count !== 0 || x.bytes !== 0).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

function liveCount(m: MemrayModel): number {
  let n = 0;
  for (let k = 0; k < m.b.keys.count; k++) n += m.b.keys.liveCount[k];
  return n;
}

async function threeReplays(path: string) {
  const [full, totals, jsTotals] = await Promise.all([
    loadMemrayModel(path),
    loadMemrayModel(path, { detail: 'totals' }),
    loadMemrayModel(path, { detail: 'totals', jsTotals: true }),
  ]);
  return { full, totals, jsTotals };
}

describe('random captures: full index = totals (JS) = totals (WebAssembly) = reference replay', () => {
  // 1,000 programs of 50–1,550 steps: ~30 s of one core (three replays each, from files)
  const RUNS = 1000;
  it(`${RUNS} seeded programs (v10, v12, v13; deep and shallow stacks, threads, overwrites, realloc chains, mmap/munmap, wide sizes and addresses, truncation)`, async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= RUNS && failures.length < 3; seed++) {
      const rng = new Rng(seed * 2654435761);
      const program = randomProgram(rng, randomShape(rng));
      const truncate = rng.chance(0.1) ? rng.u32() / 4294967296 : undefined;
      const path = join(tmp, `random-${seed}.bin`);
      writeFileSync(path, encodeCapture(program, truncate));
      const { full, totals, jsTotals } = await threeReplays(path);
      const f = numbers(full);
      // all three replays agree
      try {
        expect(numbers(totals)).toEqual(f);
        expect(numbers(jsTotals)).toEqual(f);
        expect([...totals.b.timeline.heapBytes.view()]).toEqual([...full.b.timeline.heapBytes.view()]);
        if (truncate === undefined) {
          // and with the reference, event by event
          const ref = referenceReplay(program);
          expect(full.info().truncated).toBe(false);
          expect(f).toEqual({
            peak: ref.peak,
            peakTimeMs: ref.peakTimeMs,
            leakedBytes: ref.leakedBytes,
            totalAllocations: ref.totalAllocations,
            totalBytes: ref.totalBytes,
            allocationRecords: ref.allocationRecords,
          });
          expect(liveCount(full)).toBe(ref.leakedCount);
          expect([...full.b.timeline.heapBytes.view()]).toEqual(ref.heapAtMemoryRecords);
          expect(rows(full, 'peak')).toEqual(sorted(ref.peakRows));
          expect(rows(full, 'leaks')).toEqual(sorted(ref.leakRows));
        } else expect(full.info().truncated).toBe(true);
      } catch (e) {
        failures.push(
          `seed ${seed} (v${program.version}${truncate !== undefined ? ', truncated' : ''}): ${(e as Error).message.slice(0, 2000)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('a program with more distinct stacks than 2^16 (keys past the widths a packed table could hold)', async () => {
    const rng = new Rng(77);
    const program = randomProgram(rng, {
      version: 12,
      steps: 400_000,
      threads: 2,
      functions: 40,
      maxDepth: 400,
      pushRate: 0.45,
      // most frees left out: ~40 k live allocations, so the live table splits its segments
      keep: 0.8,
    });
    const path = join(tmp, 'many-keys.bin');
    writeFileSync(path, encodeCapture(program));
    const { full, totals, jsTotals } = await threeReplays(path);
    expect(full.b.keys.count).toBeGreaterThan(65_536);
    const ref = referenceReplay(program);
    const f = numbers(full);
    expect(numbers(totals)).toEqual(f);
    expect(numbers(jsTotals)).toEqual(f);
    expect(f.peak).toBe(ref.peak);
    expect(f.leakedBytes).toBe(ref.leakedBytes);
    expect(liveCount(full)).toBe(ref.leakedCount);
    expect(rows(full, 'peak')).toEqual(sorted(ref.peakRows));
    expect(rows(full, 'leaks')).toEqual(sorted(ref.leakRows));
  }, 120_000);
});

describe('every memray fixture: full index = totals (JS) = totals (WebAssembly)', () => {
  const shipped = listCaptures(FIXTURES);
  const names = new Set(shipped.map((c) => `${c.folder}/${c.name}`));
  const all = [...shipped, ...listCaptures(SHARED).filter((c) => !names.has(`${c.folder}/${c.name}`))];
  for (const c of all) {
    it(`${c.folder}/${c.name}`, async () => {
      const { full, totals, jsTotals } = await threeReplays(c.path);
      if (full.info().facts.fileFormat === 'aggregated') return;
      const f = numbers(full);
      expect(numbers(totals)).toEqual(f);
      expect(numbers(jsTotals)).toEqual(f);
      // leaked count: the full index's per-key live counts against the totals' live entries
      expect(liveCount(full)).toBe(jsTotals.b.heap.liveEntries);
      expect([...totals.b.timeline.heapBytes.view()]).toEqual([...full.b.timeline.heapBytes.view()]);
      expect([...jsTotals.b.timeline.heapBytes.view()]).toEqual([...full.b.timeline.heapBytes.view()]);
      // per-stack high-water and leak rows add up to the peak and the leaks
      const sum = (r: ReferenceRow[]) => r.reduce((s, x) => s + x.bytes, 0);
      expect(sum(rows(full, 'peak'))).toBe(f.peak);
      expect(sum(rows(full, 'leaks'))).toBe(f.leakedBytes);
    }, 120_000);
  }
});
