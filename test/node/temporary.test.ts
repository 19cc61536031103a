import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../main/formats/memray/index';
import { listCaptures } from '../../main/formats/memray/oracles';
import { TEMPORARY_THRESHOLDS } from '../../main/model/memray/temporary';
import type { MemrayModel } from '../../main/model/memray/model';
import { temporariesFromDump as bruteForce, type Tally } from '../memray-temporary-oracle';
import { ALLOC, encodeCapture, type CaptureEvent, type CaptureProgram } from '../generator/memray-capture';

/**
 * memray's temporary allocations (TemporaryAllocationsAggregator in memray's snapshot.cpp):
 * the model's counts against a brute force written from memray's definition — a literal deque
 * per thread of the N + 1 most recent allocations, searched front to back on every free — over
 * memray's own record dumps (`memray parse`) of the shared captures, and over crafted streams
 * for the thread, realloc, double-free and munmap cases.
 */

const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'heapscope-temporary-'));

function modelByAllocator(m: MemrayModel, n: number): Tally {
  const out: Tally = new Map();
  for (const r of m.allocators({ kind: 'temporary', threshold: n }).byAllocator)
    if (r.count > 0) out.set(r.name.toLowerCase(), { count: r.count, bytes: r.bytes });
  return out;
}

function modelByThread(m: MemrayModel, n: number): Tally {
  const out: Tally = new Map();
  for (const t of m.info().threads) {
    const rows = m.allocators({ kind: 'temporary', threshold: n }, { threads: [t.id] }).byAllocator;
    const count = rows.reduce((s, r) => s + r.count, 0);
    const bytes = rows.reduce((s, r) => s + r.bytes, 0);
    if (count > 0) out.set(String(t.id), { count, bytes });
  }
  return out;
}

const sorted = (t: Tally) => [...t.entries()].sort(([a], [b]) => a.localeCompare(b));

describe('temporary allocations against memray parse dumps', () => {
  const captures = listCaptures(FIXTURES).filter((c) => c.oracle('parse.txt') !== undefined);
  it('finds the shared captures', () => expect(captures.length).toBeGreaterThan(20));
  for (const c of captures) {
    it(`${c.folder}/${c.name}`, async () => {
      const dump = c.oracle('parse.txt')!;
      const m = (await loadMemrayModel(c.path, {})) as MemrayModel;
      if (m.info().facts.fileFormat === 'aggregated') {
        expect(() => m.snapshot({ kind: 'temporary' })).toThrow(/aggregated/);
        expect(m.info().capabilities.temporaryThresholds).toBeUndefined();
        return;
      }
      let found = 0;
      for (const n of [1, 8]) {
        const want = bruteForce(dump, n);
        expect(sorted(modelByAllocator(m, n)), `N=${n} per allocator`).toEqual(sorted(want.byAllocator));
        expect(sorted(modelByThread(m, n)), `N=${n} per thread`).toEqual(sorted(want.byThread));
        found += [...want.byAllocator.values()].reduce((s, v) => s + v.count, 0);
      }
      // the flamegraph snapshot carries the same totals
      const snap = m.snapshot({ kind: 'temporary', threshold: 8 });
      let bytes = 0;
      for (let r = 0; r < snap.rows.length; r++) bytes += snap.rows.bytes[r];
      const want8 = [...bruteForce(dump, 8).byAllocator.values()].reduce((s, v) => s + v.bytes, 0);
      expect(bytes).toBe(want8);
      expect(found).toBeGreaterThan(0);
    });
  }
});

/** A crafted program on thread 1 (and 2), one function on the stack. */
function program(version: 10 | 12 | 13, events: CaptureEvent[]): CaptureProgram {
  return {
    version,
    startTimeMs: 1_700_000_000_000,
    codes: [{ id: 1, name: 'work', file: '/srv/gen/work.py', firstLine: 10 }],
    events: [
      { kind: 'switch', tid: 1 },
      { kind: 'push', frame: { code: 1, offset: 0, entry: true } },
      { kind: 'switch', tid: 2 },
      { kind: 'push', frame: { code: 1, offset: 0, entry: true } },
      { kind: 'switch', tid: 1 },
      { kind: 'memory', rss: 1 << 20, ms: 0 },
      ...events,
      { kind: 'memory', rss: 1 << 20, ms: 10 },
    ],
  };
}

async function temporaries(p: CaptureProgram, n: number): Promise<{ count: number; bytes: number }> {
  const path = join(tmp, `crafted-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, encodeCapture(p));
  const m = (await loadMemrayModel(path, {})) as MemrayModel;
  const rows = m.allocators({ kind: 'temporary', threshold: n }).byAllocator;
  return { count: rows.reduce((s, r) => s + r.count, 0), bytes: rows.reduce((s, r) => s + r.bytes, 0) };
}

const A = 0x5555_0000_1000;
const B = 0x5555_0000_2000;
const malloc = (address: number, size: number): CaptureEvent => ({
  kind: 'alloc',
  allocator: ALLOC.MALLOC,
  address,
  size,
});
const free = (address: number): CaptureEvent => ({ kind: 'free', allocator: ALLOC.FREE, address });
const others = (k: number): CaptureEvent[] =>
  Array.from({ length: k }, (_, i) => malloc(0x6666_0000_0000 + i * 64, 8));

describe('temporary allocations on crafted streams', () => {
  for (const version of [10, 12, 13] as const) {
    it(`v${version}: N counts the other allocations in between, for every offered N`, async () => {
      for (const k of [0, 1, 2, 3, 5, 8, 9, 16, 17, 32, 33]) {
        const p = program(version, [malloc(A, 100), ...others(k), free(A)]);
        for (const n of TEMPORARY_THRESHOLDS) {
          const got = await temporaries(p, n);
          expect(got, `k=${k} N=${n}`).toEqual(k <= n ? { count: 1, bytes: 100 } : { count: 0, bytes: 0 });
        }
      }
    });
  }

  it('frees between do not count, only allocations (memray, unlike heaptrack)', async () => {
    const p = program(12, [malloc(A, 100), malloc(B, 7), free(B), free(0x7777_0000_0000), free(A)]);
    // N = 0: A is not the newest allocation any more (B is); N = 1: it is in the deque
    expect(await temporaries(p, 0)).toEqual({ count: 1, bytes: 7 });
    expect(await temporaries(p, 1)).toEqual({ count: 2, bytes: 107 });
  });

  it("a free only searches its own thread's allocations", async () => {
    const p = program(12, [
      malloc(A, 100),
      { kind: 'switch', tid: 2 },
      free(A), // A was made on thread 1: not temporary here
      malloc(B, 40),
      { kind: 'switch', tid: 1 },
      ...others(3), // thread 1's allocations do not push B out of thread 2's deque
      { kind: 'switch', tid: 2 },
      free(B),
    ]);
    expect(await temporaries(p, 0)).toEqual({ count: 1, bytes: 40 });
    expect(await temporaries(p, 32)).toEqual({ count: 1, bytes: 40 });
  });

  it('realloc: the free of the old pointer matches, then the REALLOC record is the newest entry', async () => {
    const realloc = (address: number, size: number): CaptureEvent => ({
      kind: 'alloc',
      allocator: ALLOC.REALLOC,
      address,
      size,
    });
    // in place: free(A) finds the malloc; free(A) again finds the REALLOC (its full new size)
    const inPlace = program(12, [malloc(A, 100), free(A), realloc(A, 300), free(A)]);
    expect(await temporaries(inPlace, 1)).toEqual({ count: 2, bytes: 400 });
    // moved: the old block is temporary; the new one, freed later past the threshold, is not
    const moved = program(12, [malloc(A, 100), free(A), realloc(B, 300), ...others(2), free(B)]);
    expect(await temporaries(moved, 1)).toEqual({ count: 1, bytes: 100 });
    expect(await temporaries(moved, 2)).toEqual({ count: 2, bytes: 400 });
  });

  it('a match stays in the deque: freeing an address twice reports its allocation twice', async () => {
    const p = program(12, [malloc(A, 100), free(A), free(A)]);
    expect(await temporaries(p, 1)).toEqual({ count: 2, bytes: 200 });
  });

  it('the most recent allocation at the address is the one reported', async () => {
    const p = program(12, [malloc(A, 100), malloc(A, 250), free(A)]);
    expect(await temporaries(p, 4)).toEqual({ count: 1, bytes: 250 });
  });

  it('munmap matches an mmap only with the same address and size', async () => {
    const M = 0x7f00_0000_0000;
    const mmap: CaptureEvent = { kind: 'alloc', allocator: ALLOC.MMAP, address: M, size: 8192 };
    const half = program(12, [mmap, { kind: 'munmap', address: M, size: 4096 }]);
    expect(await temporaries(half, 4)).toEqual({ count: 0, bytes: 0 });
    const whole = program(12, [mmap, { kind: 'munmap', address: M, size: 8192 }]);
    expect(await temporaries(whole, 4)).toEqual({ count: 1, bytes: 8192 });
    // a plain free at an mmap's address matches it by address alone (memray's simple rule)
    const freed = program(12, [mmap, free(M)]);
    expect(await temporaries(freed, 4)).toEqual({ count: 1, bytes: 8192 });
  });

  it('thresholds outside the offered set are refused, not guessed', async () => {
    const path = join(tmp, 'refuse.bin');
    writeFileSync(path, encodeCapture(program(12, [malloc(A, 1), free(A)])));
    const m = (await loadMemrayModel(path, {})) as MemrayModel;
    expect(() => m.snapshot({ kind: 'temporary', threshold: 3 })).toThrow(/0, 1, 2, 4, 8, 16, 32/);
  });
});
