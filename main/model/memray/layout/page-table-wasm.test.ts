import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMemrayModel, type MemrayLoadOptions } from '../../../formats/memray/index';
import { listCaptures } from '../../../formats/memray/oracles';
import { IS_PYMALLOC_ALLOCATION } from '../vocabulary';
import {
  gridTable,
  isSmallPymallocBlock,
  PAGE_BYTES,
  PAGES_PER_CHUNK,
  PymallocPageTable,
  SMALL_REQUEST_MAX,
} from './page-table';
import { BIRTH_MASK } from '../live-table';
import { PEAK_LOG_CHUNK_BITS, TIE_MAX } from './peak-blocks';
import {
  compilePages,
  OP_ADD,
  OP_PEAK,
  OP_REMOVE,
  PAGES_SOURCE,
  PageOps,
  recordPageOps,
  replayJs,
  replayWasm,
  tableDifferences,
  type PagesTestExports,
} from './testing/pages-wasm';

/**
 * The WebAssembly page table (formats/memray/wasm/assembly/pages.ts) against the JS class it
 * mirrors (page-table.ts, itself checked against a brute force by page-table.test.ts): the same
 * operations into both — thousands of random ones, and every fixture's as the JS builder makes
 * them — and, after adoptWasm(), every field of the two tables equal (arrays, hash, totals, the
 * peak's saved rows, the dirty list, the checkpoints) and every moment the queries read.
 */

let instance: () => PagesTestExports;
beforeAll(async () => {
  instance = await compilePages();
}, 120_000);

const SOURCE = readFileSync(PAGES_SOURCE, 'utf8');

function scalar(name: string): number {
  const m = new RegExp(`^const ${name}: (?:u32|i32) = (\\d+);`, 'm').exec(SOURCE);
  if (!m) throw new Error(`assembly/pages.ts defines no constant ${name}`);
  return Number(m[1]);
}

describe('assembly/pages.ts speaks page-table.ts', () => {
  it('constants, the pymalloc rule and the block-grid tables', () => {
    const m = /^const IS_PYMALLOC_ALLOCATION: StaticArray<u8> = \[([^\]]*)\];/m.exec(SOURCE);
    expect(m?.[1].split(',').map(Number)).toEqual([...IS_PYMALLOC_ALLOCATION]);
    expect({
      PAGES_PER_CHUNK: scalar('PAGES_PER_CHUNK'),
      PAGE_BYTES: scalar('PAGE_BYTES'),
      SMALL_REQUEST_MAX: scalar('SMALL_REQUEST_MAX'),
      BIRTH_MASK: scalar('BIRTH_MASK'),
      TIE_MAX: scalar('TIE_MAX'),
      PEAK_LOG_CHUNK_BITS: scalar('LOG_CHUNK_BITS'),
    }).toEqual({ PAGES_PER_CHUNK, PAGE_BYTES, SMALL_REQUEST_MAX, BIRTH_MASK, TIE_MAX, PEAK_LOG_CHUNK_BITS });
    const w = instance();
    const sizes = [...Array(601).keys(), 2 ** 16, 2 ** 32 + 1, 2 ** 32 + 100, 2 ** 40];
    for (let a = 0; a < 20; a++)
      for (const size of sizes)
        expect([a, size, w.small(a, size) === 1]).toEqual([a, size, isSmallPymallocBlock(a, size)]);
    for (const pool of [16384, 4096]) {
      const js = gridTable(pool);
      const wasm = new Uint8Array(w.memory.buffer, w.pagesGridPtr(pool), js.length);
      expect(Buffer.from(wasm).equals(Buffer.from(js))).toBe(true);
    }
  });
});

class Rng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }
  int(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

/**
 * What the builder asks of the table over a random replay: blocks of 1–512 bytes at addresses
 * clustered in pools of a few 1 MiB chunks (mostly on a 16 KiB or 4 KiB pool's block grid), or
 * scattered over many chunks (chunk arrays and hash grow), or at addresses ≥ 2^48 (wide);
 * frees of live blocks, replacements of a live address (remove, then add), memray's `>=` peak
 * rule over a heap that other allocators move too, and memory records.
 */
function randomOps(seed: number, steps: number): PageOps {
  const rng = new Rng(seed * 2654435761 + 1);
  const mode = seed % 4; // 0 clustered, 1 scattered, 2 wide-heavy, 3 a bit of everything
  const clusters = Array.from({ length: 1 + rng.int(6) }, () => 0x7f00000 + rng.int(1 << 20)); // address >> 20, below 2^28
  const ops = new PageOps();
  const live = new Map<number, number>(); // address/8 → size
  const order: number[] = [];
  const at = new Map<number, number>();
  const forget = (a8: number) => {
    const i = at.get(a8)!;
    const last = order.pop()!;
    if (last !== a8) {
      order[i] = last;
      at.set(last, i);
    }
    at.delete(a8);
    live.delete(a8);
  };
  const born = new Map<number, { key: number; birth: number }>();
  let heap = 0;
  let peak = -1;
  let fine = 0;
  for (let step = 0; step < steps; step++) {
    const grow = step < steps / 2 ? 0.65 : 0.4;
    let added = -1; // the step's add, told when a peak follows it
    const other = rng.chance(0.05) ? rng.int(3000) - 1000 : 0; // other allocators
    if (order.length === 0 || rng.chance(grow)) {
      const size = rng.chance(0.05) ? 1 + rng.int(16) : 1 + rng.int(512);
      const block = Math.ceil(size / 16) * 16;
      let chunk: number; // address >> 20
      const r = rng.int(100);
      if ((mode === 2 && r < 40) || (mode === 3 && r < 5))
        chunk = 2 ** 28 + rng.int(2 ** 32); // ≥ 2^48 (address/8 below 2^53)
      else if ((mode === 1 && r < (seed === 1 ? 90 : 25)) || (mode === 3 && r < 15)) chunk = rng.int(2 ** 28);
      else if (mode === 3 && r < 18)
        chunk = 2 ** 28 - 1 - rng.int(2); // the last placed chunks
      else chunk = clusters[rng.int(clusters.length)];
      let offset: number; // within the chunk
      if (rng.chance(0.1)) offset = 8 * rng.int(2 ** 17);
      else if (rng.chance(0.3))
        offset = 4096 * rng.int(256) + 48 + block * rng.int(Math.floor((4096 - 48) / block));
      else offset = 16384 * rng.int(64) + 48 + block * rng.int(Math.floor((16384 - 48) / block));
      const a8 = chunk * 2 ** 17 + offset / 8;
      const lo = (a8 % 2 ** 32) | 0;
      const hi = Math.floor(a8 / 2 ** 32);
      const old = live.get(a8);
      if (old !== undefined) {
        // memray replaces a live address: the old block leaves first
        const b = born.get(a8)!;
        ops.push(OP_REMOVE, lo, hi, old, b.key, b.birth & BIRTH_MASK, fine);
        heap -= old;
        forget(a8);
      }
      added = ops.n;
      ops.push(OP_ADD, lo, hi, size, 0, 0, fine);
      born.set(a8, { key: step % 997, birth: fine });
      live.set(a8, size);
      at.set(a8, order.length);
      order.push(a8);
      heap += size;
    } else {
      const a8 = order[rng.int(order.length)];
      const size = live.get(a8)!;
      const b = born.get(a8)!;
      ops.push(
        OP_REMOVE,
        (a8 % 2 ** 32) | 0,
        Math.floor(a8 / 2 ** 32),
        size,
        b.key,
        b.birth & BIRTH_MASK,
        fine,
      );
      heap -= size;
      forget(a8);
    }
    heap += other;
    if (heap >= peak) {
      peak = heap;
      if (added >= 0) ops.key[added] = 1;
      ops.push(OP_PEAK, 0, 0, 0, 0, 0, fine);
    }
    if (rng.chance(1 / 25)) {
      fine++;
      ops.memoryRecord(fine, fine * 10 + rng.int(10), heap, heap + rng.int(1 << 20));
    }
  }
  return ops;
}

/** The same operations into the JS class and, attached, into the module; the tables after. */
function both(ops: PageOps, tune?: (t: PymallocPageTable) => void) {
  const js = new PymallocPageTable();
  const viaWasm = new PymallocPageTable();
  tune?.(js);
  tune?.(viaWasm);
  replayJs(ops, js);
  replayWasm(ops, instance(), viaWasm);
  return { js, viaWasm };
}

describe('the WebAssembly page table equals the JS one', () => {
  it('on 48 random operation sequences (clustered, scattered, wide; checkpoints merging)', () => {
    let adds = 0;
    let placed = 0;
    let wide = 0;
    let maxChunks = 0;
    let merges = 0;
    for (let seed = 1; seed <= 48; seed++) {
      const ops = randomOps(seed, seed % 4 === 1 ? 3000 : 6000 + 200 * seed);
      const { js, viaWasm } = both(ops, (t) => {
        // small limits on some: the checkpoints merge (shift grows), the row budget binds
        if (seed % 3 === 0) t.checkpoints.maxCheckpoints = 4 + (seed % 8);
        if (seed % 5 === 0) t.checkpoints.rowBudget = 200;
      });
      expect(tableDifferences(js, viaWasm), `seed ${seed}`).toEqual([]);
      adds += ops.count(OP_ADD);
      placed += js.smallAllocations;
      wide += js.wideBlocks + (js.peakWideBlocks > 0 ? 1 : 0);
      maxChunks = Math.max(maxChunks, js.chunks);
      merges += js.checkpoints.shift;
    }
    // the sequences reached what they are meant to: blocks in pages, growth past the initial
    // capacities, wide blocks, merged checkpoints
    expect(adds).toBeGreaterThan(100_000);
    expect(placed).toBeGreaterThan(adds / 2);
    expect(maxChunks).toBeGreaterThan(1024);
    expect(wide).toBeGreaterThan(0);
    expect(merges).toBeGreaterThan(10);
  });

  it('on a peak log of several chunks, cut short by a later peak', () => {
    // blocks of 32 bytes on the grid of consecutive 16 KiB pools; every add climbs to a peak
    const a8 = (i: number) => 0x7f00000 * 2 ** 17 + (Math.floor(i / 340) * 16384 + 48 + 32 * (i % 340)) / 8;
    const ops = new PageOps();
    let fine = 0;
    const add = (i: number) => {
      ops.push(OP_ADD, (a8(i) % 2 ** 32) | 0, Math.floor(a8(i) / 2 ** 32), 32, 1, 0, fine);
      ops.push(OP_PEAK, 0, 0, 0, 0, 0, fine);
    };
    const remove = (i: number) =>
      ops.push(OP_REMOVE, (a8(i) % 2 ** 32) | 0, Math.floor(a8(i) / 2 ** 32), 32, i % 7, 0, fine);
    for (let i = 0; i < 150_000; i++) add(i);
    fine++;
    ops.memoryRecord(fine, 10, 32 * 150_000, 0);
    for (let i = 0; i < 140_000; i++) remove(i); // 2 full chunks and a part of the third
    const first = both(ops);
    expect(first.js.peakBlocks.logN).toBe(140_000);
    expect(tableDifferences(first.js, first.viaWasm)).toEqual([]);
    for (let i = 0; i < 140_000; i++) add(i); // back to the peak: the log starts again
    for (let i = 0; i < 65_536; i++) remove(i); // exactly one chunk, still in the module
    let r = both(ops);
    expect(r.js.peakBlocks.logN).toBe(65_536);
    expect(tableDifferences(r.js, r.viaWasm)).toEqual([]);
    for (let i = 65_536; i < 70_000; i++) remove(i);
    r = both(ops);
    expect(r.js.peakBlocks.logN).toBe(70_000 - 0);
    expect(tableDifferences(r.js, r.viaWasm)).toEqual([]);
    const keys: number[] = [];
    r.viaWasm.peakBlocks.forEachEntry((_address, _size, key) => keys.push(key));
    expect(keys.length).toBe(70_000);
    for (let i = 0; i < 70_000; i += 97) expect(keys[i]).toBe(i % 7);
  });

  it('on an empty sequence and on one with no peak', () => {
    const ops = new PageOps();
    let r = both(ops);
    expect(tableDifferences(r.js, r.viaWasm)).toEqual([]);
    ops.push(OP_ADD, 6 + 2 ** 20, 5, 32);
    ops.memoryRecord(1, 5, 32, 100);
    ops.push(OP_REMOVE, 6 + 2 ** 20, 5, 32);
    ops.push(OP_REMOVE, 6 + 2 ** 20, 5, 32); // the page is empty: ignored by both
    ops.push(OP_REMOVE, 6, 7, 32); // an unknown chunk: ignored by both
    r = both(ops);
    expect(r.js.peakSeen).toBe(false);
    expect(tableDifferences(r.js, r.viaWasm)).toEqual([]);
  });

  // The operations the JS builder makes on every fixture capture (the wasm full loop replaces
  // these calls), replayed into the module and compared with the builder's own table.
  // v12/v13 (the formats the WebAssembly loop reads) and the synthetic ones
  const captures = listCaptures(new URL('../../../../test/fixtures/memray', import.meta.url).pathname).filter(
    (c) => !/^v1[01]-/.test(c.folder),
  );
  it(`on the operations of the fixture captures (${captures.length})`, async () => {
    let replayed = 0;
    let adds = 0;
    for (const c of captures) {
      // the JS full loop: its builder calls the table
      const options: MemrayLoadOptions = { jsFull: true };
      let recorded;
      try {
        recorded = await recordPageOps(() => loadMemrayModel(c.path, options));
      } catch {
        continue; // captures the loader refuses have no model to compare
      }
      const { result: model, ops } = recorded;
      if (ops.n === 0) continue; // aggregated: no replay
      const viaWasm = new PymallocPageTable();
      replayWasm(ops, instance(), viaWasm);
      expect(tableDifferences(model.b.pymallocPages, viaWasm), `${c.folder}/${c.name}`).toEqual([]);
      replayed++;
      adds += ops.count(OP_ADD);
    }
    expect(replayed).toBeGreaterThan(40);
    expect(adds).toBeGreaterThan(3_000_000);
  }, 120_000);
});
