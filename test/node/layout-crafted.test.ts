import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layoutHandlers } from '../../main/engine/layout-handlers';
import { loadMemrayModel } from '../../main/formats/memray/index';
import type { MemrayModel } from '../../main/model/memray/model';
import {
  A1,
  A2,
  ARENA,
  BRK_PIN,
  CHURN_ARENAS,
  KIB,
  MIB,
  OVERHEAD,
  POOL,
  THREAD_HEAP,
  craft,
  site,
  type Built,
} from '../generator/layout-program';
import { ALLOC, encodeCapture, type CaptureProgram } from '../generator/memray-capture';

/**
 * Issue 14 on captures whose layout is known by construction (test/generator/layout-program.ts:
 * small blocks placed to fill chosen pools of eleven arenas, a few kept to pin them, raw-domain
 * blocks off the pool grid, a brk heap whose top is pinned above a hole, a thread-arena heap, an
 * allocation with a mapping of its own and an mmap range). The test replays the program's events plainly (a Map of live addresses, the
 * heap by memray's rules) and derives every expected number from that live set and the CPython
 * constants; the layout must give exactly those.
 */

const tmp = mkdtempSync(join(tmpdir(), 'heapscope-layout-'));

// ------------------------------------------------------------------ the brute force

interface LiveBlock {
  size: number;
  allocator: number;
  code: number;
}

interface Moment {
  live: Map<number, LiveBlock>;
  heap: number;
}

/**
 * memray's rules, plainly: the live set and heap at every memory record, at the peak and at the
 * end. The peak's live set comes from a second replay stopped at the peak's record (a copy at
 * every new peak would be quadratic on a ramp).
 */
function replay(p: CaptureProgram): { atRecord: Moment[]; peak: Moment; end: Moment } {
  const run = (stopAt: number) => {
    const live = new Map<number, LiveBlock>();
    let heap = 0;
    let peakHeap = -1;
    let peakAt = -1;
    const atRecord: Moment[] = [];
    const stack: number[] = [];
    let record = 0;
    for (const e of p.events) {
      if (e.kind === 'push') stack.push(e.frame.code);
      else if (e.kind === 'pop') stack.length -= e.count;
      else if (e.kind === 'memory') atRecord.push({ live: new Map(live), heap });
      else if (e.kind === 'alloc') {
        heap += e.size;
        live.set(e.address, { size: e.size, allocator: e.allocator, code: stack[stack.length - 1] ?? 0 });
      } else if (e.kind === 'free') {
        const b = live.get(e.address);
        if (b) {
          heap -= b.size;
          live.delete(e.address);
        }
      }
      if (e.kind === 'alloc' || e.kind === 'free') {
        if (heap >= peakHeap) {
          peakHeap = heap;
          peakAt = record;
        }
        if (record++ === stopAt) break;
      }
    }
    return { atRecord, end: { live, heap }, peakAt };
  };
  const whole = run(Infinity);
  return { atRecord: whole.atRecord, peak: run(whole.peakAt).end, end: whole.end };
}

const isSmallPymalloc = (b: LiveBlock) =>
  b.allocator >= ALLOC.PYMALLOC_MALLOC && b.allocator <= ALLOC.PYMALLOC_REALLOC && b.size <= 512;
const block = (size: number) => Math.ceil(size / 16) * 16;
const chunk = (size: number) => Math.max(32, Math.ceil((size + 8) / 16) * 16);

/** What CPython's constants say about a live set: pools, the blocks off their grid, arenas. */
function expectedPymalloc(m: Moment, pool = POOL, arena = ARENA) {
  const windows = new Map<number, [number, LiveBlock][]>();
  for (const [a, b] of m.live) {
    if (b.allocator === ALLOC.MMAP || !isSmallPymalloc(b)) continue;
    const w = a - (a % pool);
    windows.set(w, [...(windows.get(w) ?? []), [a, b]]);
  }
  const pools = new Map<number, [number, LiveBlock][]>();
  const outside = { blocks: 0, bytes: 0, windows: 0 };
  for (const [w, blocks] of windows) {
    const off = blocks.filter(
      ([a, b]) => a - w < OVERHEAD || (a - w - OVERHEAD) % block(b.size) !== 0,
    ).length;
    if (off > 0 && off >= 0.25 * blocks.length) {
      outside.windows++;
      outside.blocks += blocks.length;
      outside.bytes += blocks.reduce((s, [, b]) => s + b.size, 0);
    } else pools.set(w, blocks);
  }
  const arenas = new Set([...pools.keys()].map((w) => w - (w % arena)));
  const liveBytes = [...pools.values()].flat().reduce((s, [, b]) => s + b.size, 0);
  return { pools, outside, arenas, liveBytes };
}

/** The pinning sites of a live set: per sparse arena (≤ 25% used), each block's share of its held bytes. */
function expectedPinning(m: Moment) {
  const want = expectedPymalloc(m);
  // per arena: held bytes shared among its live blocks; a site keeps its blocks' shares
  const byArena = new Map<number, { bytes: number; blocks: number }>();
  for (const blocks of want.pools.values())
    for (const [a, b] of blocks) {
      const ar = a - (a % ARENA);
      const t = byArena.get(ar) ?? { bytes: 0, blocks: 0 };
      t.bytes += b.size;
      t.blocks++;
      byArena.set(ar, t);
    }
  const kept = new Map<number, { blocks: number; bytes: number; arenas: Set<number>; kept: number }>();
  for (const blocks of want.pools.values())
    for (const [a, b] of blocks) {
      const ar = a - (a % ARENA);
      const t = byArena.get(ar)!;
      if (t.bytes > 0.25 * ARENA) continue;
      const k = kept.get(b.code) ?? { blocks: 0, bytes: 0, arenas: new Set(), kept: 0 };
      k.blocks++;
      k.bytes += b.size;
      k.arenas.add(ar);
      k.kept += (ARENA - t.bytes) / t.blocks;
      kept.set(b.code, k);
    }
  return [...kept]
    .map(([code, k]) => ({
      ...site(code),
      blocks: k.blocks,
      bytes: k.bytes,
      arenas: k.arenas.size,
      keptBytes: Math.round(k.kept),
    }))
    .sort((x, y) => y.keptBytes - x.keptBytes);
}

async function open(built: Built, name: string): Promise<MemrayModel> {
  const path = join(tmp, `${name}.bin`);
  writeFileSync(path, encodeCapture(built.program));
  return (await loadMemrayModel(path, {})) as MemrayModel;
}

describe('memory layout of a crafted capture (CPython 3.11: 16 KiB pools, 1 MiB arenas)', async () => {
  const built = craft();
  const model = await open(built, 'crafted');
  const ref = replay(built.program);

  it('pools, blocks, arenas and held bytes at the end, the peak and every checkpoint', () => {
    const moments = [
      { at: { kind: 'end' } as const, m: ref.end },
      { at: { kind: 'peak' } as const, m: ref.peak },
      ...built.records.map((ms, i) => ({ at: { kind: 'at', timeMs: ms } as const, m: ref.atRecord[i] })),
    ];
    for (const { at, m } of moments) {
      const layout = layoutHandlers.layout(model, { at });
      const p = layout.pymalloc;
      const want = expectedPymalloc(m);
      expect(layout.heapBytes).toBe(m.heap);
      expect(p.geometry).toMatchObject({ poolBytes: POOL, arenaBytes: ARENA, poolOverheadBytes: OVERHEAD });
      expect(p.pools).toBe(want.pools.size);
      expect(p.poolBytes).toBe(want.pools.size * POOL);
      expect(p.liveBytes).toBe(want.liveBytes);
      expect(p.liveBlocks).toBe([...want.pools.values()].flat().length);
      expect(p.outside).toMatchObject(want.outside);
      // arenas: exactly the two mapped ones, where they hold pools
      expect(p.arenaList.map((a) => a.address)).toEqual([...want.arenas].sort((x, y) => x - y));
      expect(p.arenas).toBe(want.arenas.size);
      expect(p.heldBytes).toBe(want.arenas.size * ARENA - want.liveBytes);
      // every pool: its slot in its arena, its block size, occupancy and capacity
      for (const a of p.arenaList)
        a.poolIndex.forEach((i, j) => {
          const blocks = want.pools.get(a.address + i * POOL)!;
          const size = Math.max(...blocks.map(([, b]) => block(b.size)));
          expect(a.poolBlocks[j]).toBe(blocks.length);
          expect(a.poolBlockBytes[j]).toBe(size);
          expect(a.poolCapacity[j]).toBe(Math.floor((POOL - OVERHEAD) / size));
          expect(a.poolLiveBytes[j]).toBe(blocks.reduce((s, [, b]) => s + b.size, 0));
        });
      // a time at or after the end of tracking is the end
      expect(layout.sitesAvailable).toBe(layout.moment.kind !== 'at');
    }
  });

  it('answers a time with the checkpoint at or before it, and says so', () => {
    const layout = layoutHandlers.layout(model, { at: { kind: 'at', timeMs: 25 } });
    expect(layout.moment).toMatchObject({ kind: 'at', timeMs: 20, requestedMs: 25 });
    expect(layout.moment.label).toMatch(/checkpoint at 0\.02 s/);
    expect(layout.heapBytes).toBe(ref.atRecord[1].heap);
    expect(layoutHandlers.layout(model, { at: { kind: 'at', timeMs: 5 } }).heapBytes).toBe(0);
    expect(layout.moments.map((m) => m.kind)).toEqual(['at', 'at', 'at', 'at', 'peak', 'end']);
  });

  it('names the code pinning the sparse arenas, with its share of their held bytes (end)', () => {
    const layout = layoutHandlers.layout(model, { at: { kind: 'end' } });
    const expected = expectedPinning(ref.end);
    expect(layout.pymalloc.sparseArenas).toBe(1 + CHURN_ARENAS);
    expect(layout.pymalloc.pinning.map(({ key: _key, ...s }) => s)).toEqual(expected);
    expect(layout.pymalloc.pinning.map((s) => s.function)).toEqual(['churn', 'load_cache']);
    const finding = layout.findings.find((f) => f.code === 'layout-pymalloc-held');
    expect(finding?.text).toMatch(/11 arenas are at most 25% used/);
    expect(finding?.text).toMatch(
      /12 live blocks from churn at \/srv\/app\/work\.py:41 keep 10 of them resident/,
    );
    expect(finding?.text).toMatch(/PYTHONMALLOC=malloc/);
  });

  it('lays out the malloc heap: the brk top and its pin, a thread heap, an own mapping (end)', () => {
    const layout = layoutHandlers.layout(model, { at: { kind: 'end' } });
    const mh = layout.mallocHeap;
    const want = expectedPymalloc(ref.end);
    const pooled = new Set([...want.pools.values()].flat().map(([a]) => a));
    const malloc = [...ref.end.live].filter(([a, b]) => b.allocator !== ALLOC.MMAP && !pooled.has(a));
    const own = malloc.filter(([a, b]) => b.size + 8 >= 128 * KIB && a % 4096 === 16);
    const brk = malloc.filter(([a]) => a < A1 && !own.some(([o]) => o === a));
    const thread = malloc.filter(([a]) => a >= THREAD_HEAP && a < THREAD_HEAP + 64 * MIB);
    const from = Math.min(...brk.map(([a]) => a)) - 16;
    const top = Math.max(...brk.map(([a, b]) => a + b.size));
    expect(mh.modelled).toBe(true);
    expect(mh.liveCount).toBe(malloc.length);
    expect(mh.brk).toMatchObject({
      fromAddress: from,
      topAddress: top,
      liveCount: brk.length,
      liveBytes: brk.reduce((s, [, b]) => s + b.size, 0),
      freeBelowTopBytes: top - from - brk.reduce((s, [, b]) => s + chunk(b.size), 0),
      pin: { address: BRK_PIN, size: 4096, allocator: 'MALLOC', ...site(3) },
    });
    const threadEnd = Math.max(...thread.map(([a, b]) => a + b.size));
    expect(mh.threadHeaps).toEqual([
      {
        address: THREAD_HEAP,
        spanBytes: threadEnd - THREAD_HEAP,
        liveBytes: 1500,
        liveCount: 2,
        freeBytes: threadEnd - THREAD_HEAP - chunk(1000) - chunk(500) - 2240,
      },
    ]);
    expect(mh.ownMmap).toEqual({ count: 1, bytes: 2 * MIB });
    expect(layout.mappings.byFamily).toEqual([{ family: 'mmap', ranges: 1, reservedBytes: 3 * MIB }]);
    expect(layout.heldBytes).toBe(
      layout.pymalloc.heldBytes + mh.brk!.freeBelowTopBytes + mh.threadHeaps[0].freeBytes,
    );
    const brkFinding = layout.findings.find((f) => f.code === 'layout-brk-pinned');
    expect(brkFinding?.text).toMatch(
      /pinned by a 4\.1 kB MALLOC block from native_buffers at \/srv\/app\/buffers\.py:71/,
    );
    expect(brkFinding?.text).toMatch(/malloc_trim/);
  });

  it('gives the stacks of a pool’s and an arena’s live blocks (end) and refuses them elsewhere', () => {
    const pool7 = layoutHandlers.layoutSites(model, { region: { kind: 'pool', address: A2 + 7 * POOL } });
    expect(pool7.totalCount).toBe(2);
    expect(pool7.rows.map((r) => [r.function, r.line, r.ownCount, r.ownBytes])).toEqual([
      ['load_cache', 11, 2, 200],
    ]);
    const arena2 = layoutHandlers.layoutSites(model, { region: { kind: 'arena', address: A2 } });
    expect(arena2.rows.map((r) => [r.function, r.ownCount])).toEqual([
      ['churn', 3],
      ['load_cache', 2],
    ]);
    const sparse = layoutHandlers.layoutSites(model, { region: { kind: 'sparse-arenas' } });
    expect(sparse.rows.map((r) => [r.function, r.ownCount])).toEqual([
      ['load_cache', 102],
      ['churn', 12],
    ]);
    const heap = layoutHandlers.layoutSites(model, {
      region: { kind: 'heap-range', fromAddress: BRK_PIN, toAddress: BRK_PIN + 1 },
    });
    expect(heap.rows.map((r) => [r.function, r.ownBytes])).toEqual([['native_buffers', 4096]]);
    const checkpoint = layoutHandlers.layout(model, { at: { kind: 'at', timeMs: 1 } }).moment;
    expect(checkpoint.kind).toBe('at');
    expect(() =>
      layoutHandlers.layoutSites(model, { at: { kind: 'at', timeMs: 1 }, region: { kind: 'sparse-arenas' } }),
    ).toThrow(/known at the peak and at the end of tracking/);
  });

  it('names the pinning code and a region’s stacks at the peak too, blocks freed after it included', () => {
    const layout = layoutHandlers.layout(model, { at: { kind: 'peak' } });
    expect(layout.sitesAvailable).toBe(true);
    const expected = expectedPinning(ref.peak);
    expect(layout.pymalloc.pinning.map(({ key: _key, ...s }) => s)).toEqual(expected);
    // every arena's blocks at the peak, by the code that allocated them
    const want = expectedPymalloc(ref.peak);
    const freedAfter = [...ref.peak.live.keys()].filter((a) => !ref.end.live.has(a)).length;
    expect(freedAfter).toBeGreaterThan(0);
    for (const ar of want.arenas) {
      const byCode = new Map<string, number>();
      for (const blocks of want.pools.values())
        for (const [a, b] of blocks)
          if (a - (a % ARENA) === ar)
            byCode.set(site(b.code).function, (byCode.get(site(b.code).function) ?? 0) + 1);
      const got = layoutHandlers.layoutSites(model, {
        at: { kind: 'peak' },
        region: { kind: 'arena', address: ar },
      });
      expect(new Map(got.rows.map((r) => [r.function, r.ownCount]))).toEqual(byCode);
    }
  });

  it('splits RSS into live heap, held and the rest at every checkpoint, the peak and the end', () => {
    const bands = layoutHandlers.layoutBands(model);
    expect(bands.kind).toEqual(['at', 'at', 'peak', 'at', 'at', 'end']);
    const i = bands.kind.indexOf('peak');
    expect(bands.heapBytes[i]).toBe(ref.peak.heap);
    const want = expectedPymalloc(ref.peak);
    expect(bands.heldBytes[i]).toBe(want.arenas.size * ARENA - want.liveBytes);
    bands.timeMs.forEach((_t, j) => {
      if (bands.rssBytes[j] === null) return;
      expect(bands.restBytes[j]).toBe(
        Math.max(0, bands.rssBytes[j]! - bands.heapBytes[j] - bands.heldBytes[j]),
      );
    });
  });
});

describe('memory layout: other interpreters and recordings', () => {
  it('CPython 3.9: 4 KiB pools in 256 KiB arenas', async () => {
    const built = craft({ pythonVersionHex: 0x030912f0 }, 1);
    const model = await open(built, 'py39');
    const layout = layoutHandlers.layout(model, { at: { kind: 'end' } });
    const want = expectedPymalloc(replay(built.program).end, 4 * KIB, 256 * KIB);
    expect(layout.pymalloc.geometry).toMatchObject({ poolBytes: 4 * KIB, arenaBytes: 256 * KIB });
    expect(layout.pymalloc.geometry?.source).toMatch(/CPython 3\.9\.18/);
    expect(layout.pymalloc.pools).toBe(want.pools.size);
    expect(layout.pymalloc.liveBytes).toBe(want.liveBytes);
  });

  it('v10 headers have no Python version: the geometry is inferred from the block addresses', async () => {
    const built = craft(undefined, 1);
    built.program.version = 10;
    const model = await open(built, 'v10');
    const layout = layoutHandlers.layout(model, { at: { kind: 'end' } });
    expect(layout.pymalloc.geometry?.poolBytes).toBe(POOL);
    expect(layout.pymalloc.geometry?.source).toMatch(/inferred from addresses/);
    expect(layout.pymalloc.liveBytes).toBe(expectedPymalloc(replay(built.program).end).liveBytes);
  });

  it('a mimalloc interpreter: pymalloc not modelled, said plainly; the malloc heap still is', async () => {
    const model = await open(craft({ pythonAllocator: 5 }, 1), 'mimalloc');
    const layout = layoutHandlers.layout(model, { at: { kind: 'end' } });
    expect(layout.pymalloc.modelled).toBe(false);
    expect(layout.limits.find((l) => l.part === 'pymalloc')?.reason).toMatch(/mimalloc.*not modelled/);
    expect(layout.mallocHeap.modelled).toBe(true);
  });

  it('without --trace-python-allocators: says which part is missing and how to record it', async () => {
    const model = await open(craft({ tracePythonAllocators: false }, 1), 'notrace');
    const layout = layoutHandlers.layout(model, { at: { kind: 'peak' } });
    const limit = layout.limits.find((l) => l.part === 'pymalloc');
    expect(limit?.reason).toMatch(/--trace-python-allocators/);
    expect(limit?.howToRecord).toMatch(/memray run --trace-python-allocators/);
    expect(layout.limits.find((l) => l.part === 'malloc-heap')?.reason).toMatch(/end of tracking only/);
  });
});

describe('layout arguments from outside the process (browser mode, IPC)', () => {
  it('are checked at the boundary', async () => {
    const { checkApiArgs } = await import('../../main/server/validate');
    expect(checkApiArgs('layout', [{ captureId: 'c' }])).toBeUndefined();
    expect(
      checkApiArgs('layout', [{ captureId: 'c', at: { kind: 'at', timeMs: 5 }, maxArenas: 10 }]),
    ).toBeUndefined();
    expect(checkApiArgs('layout', [{ captureId: 'c', at: { kind: 'later' } }])).toMatch(
      /kind must be one of 'peak', 'end', 'at'/,
    );
    expect(checkApiArgs('layout', [{ captureId: 'c', at: { kind: 'at', timeMs: -1 } }])).toMatch(
      /needs timeMs/,
    );
    expect(
      checkApiArgs('layoutSites', [{ captureId: 'c', region: { kind: 'pool', address: 4096 } }]),
    ).toBeUndefined();
    expect(checkApiArgs('layoutSites', [{ captureId: 'c', region: { kind: 'pool' } }])).toMatch(
      /address must be/,
    );
    expect(
      checkApiArgs('layoutSites', [
        { captureId: 'c', region: { kind: 'heap-range', fromAddress: 10, toAddress: 5 } },
      ]),
    ).toMatch(/fromAddress ≤ toAddress/);
    expect(checkApiArgs('layoutBands', [{}])).toMatch(/captureId/);
  });
});
