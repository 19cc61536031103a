import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutHandlers } from '../../main/engine/layout-handlers';
import { loadMemrayModel } from '../../main/formats/memray/index';
import { MemrayRecordParser } from '../../main/formats/memray/records';
import { streamFile } from '../../main/formats/memray/stream';
import { MemrayIndexBuilder } from '../../main/model/memray/builder';

/**
 * Issue 14 on the real pymalloc captures: at the peak and at the end, the small (1–512 B) blocks
 * the layout places (in pools, plus those it finds outside pymalloc's pools) are exactly the live
 * PYMALLOC_* bytes ≤ 512 B of a plain replay of the records, and pools hold at least those bytes.
 *
 * The reference reads the records through the reader (checked against memray's own outputs
 * elsewhere) into a builder whose replay is replaced by a Map of live addresses: none of the heap
 * replay, the page table or the layout query runs in it. Its peak must equal memray's stats.json.
 */

/** In the repository (CI needs nothing else), then the shared set's further ones (large.bin …). */
const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;
const SHARED = new URL('../../../shared/fixtures/memray', import.meta.url).pathname;

const SIMPLE_ALLOC = new Set([1, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14]);
const SIMPLE_FREE = new Set([2, 15]);
const MMAP = 10;
const MUNMAP = 11;

/**
 * Live addresses → size * 16 + allocator, as a Map of small Maps, one per 4 KiB of address
 * space. (One JS Map churning near 300 k entries spent ~17 µs per delete + set in V8's rehashing:
 * pymalloc.bin's reference took 30 s; small maps rehash for nothing.)
 */
class AddressMap {
  private readonly pages = new Map<number, Map<number, number>>();
  size = 0;

  get(address: number): number | undefined {
    return this.pages.get(Math.floor(address / 4096))?.get(address % 4096);
  }

  set(address: number, value: number): void {
    const page = Math.floor(address / 4096);
    let m = this.pages.get(page);
    if (!m) this.pages.set(page, (m = new Map()));
    if (!m.has(address % 4096)) this.size++;
    m.set(address % 4096, value);
  }

  delete(address: number): void {
    if (this.pages.get(Math.floor(address / 4096))?.delete(address % 4096)) this.size--;
  }

  *entries(): Generator<[number, number]> {
    for (const [page, m] of this.pages) for (const [offset, v] of m) yield [page * 4096 + offset, v];
  }
}

/** A plain replay of memray's heap rules, keeping the live small PYMALLOC bytes at the peak. */
class ReferenceReplay {
  private readonly alive = new AddressMap();
  private ranges: [number, number][] = [];
  heapNow = 0;
  peakHeap = 0;
  small = { bytes: 0, blocks: 0 };
  peakSmall = { bytes: 0, blocks: 0 };
  records = 0;
  /** The (0-based) record after which the heap was last at its peak. */
  lastPeakRecord = -1;
  /** Python stack node per live address (the reader's, as the builder would get it). */
  private readonly stackOf = new AddressMap();
  /** Second pass: the small blocks live after record `snapshotAt`, as "address size stack". */
  snapshotAt = -1;
  snapshot: string[] = [];

  private isSmall(enc: number): boolean {
    const size = Math.floor(enc / 16);
    const alloc = enc % 16;
    return alloc >= 12 && alloc <= 14 && size >= 1 && size <= 512;
  }

  private leave(enc: number): void {
    if (!this.isSmall(enc)) return;
    this.small.bytes -= Math.floor(enc / 16);
    this.small.blocks--;
  }

  allocation(lo: number, hi: number, size: number, allocator: number, py: number): void {
    const address = (hi * 4294967296 + (lo >>> 0)) * 8;
    if (SIMPLE_ALLOC.has(allocator)) this.stackOf.set(address, py);
    if (SIMPLE_ALLOC.has(allocator)) {
      this.heapNow += size; // a live address allocated again is replaced, not subtracted (memray)
      const old = this.alive.get(address);
      if (old !== undefined) this.leave(old);
      const enc = size * 16 + allocator;
      this.alive.set(address, enc);
      if (this.isSmall(enc)) {
        this.small.bytes += size;
        this.small.blocks++;
      }
    } else if (SIMPLE_FREE.has(allocator)) {
      const old = this.alive.get(address);
      if (old !== undefined) {
        this.heapNow -= Math.floor(old / 16);
        this.alive.delete(address);
        this.leave(old);
      }
    } else if (allocator === MMAP) {
      if (size > 0) {
        this.ranges.push([address, address + size]);
        this.heapNow += size;
      }
    } else if (allocator === MUNMAP) {
      const next: [number, number][] = [];
      for (const [b, e] of this.ranges) {
        const ob = Math.max(b, address);
        const oe = Math.min(e, address + size);
        if (oe <= ob) {
          next.push([b, e]);
          continue;
        }
        this.heapNow -= oe - ob;
        if (b < ob) next.push([b, ob]);
        if (oe < e) next.push([oe, e]);
      }
      this.ranges = next;
    }
    if (this.heapNow >= this.peakHeap) {
      this.peakHeap = this.heapNow;
      this.peakSmall = { ...this.small };
      this.lastPeakRecord = this.records;
    }
    if (this.records === this.snapshotAt)
      for (const [address, enc] of this.alive.entries())
        if (this.isSmall(enc) && address < 2 ** 48)
          this.snapshot.push(`${address} ${Math.floor(enc / 16)} ${this.stackOf.get(address)}`);
    this.records++;
  }

  /** Distinct windows of `poolBytes` holding live small blocks now. */
  windows(poolBytes: number): number {
    const seen = new Set<number>();
    for (const [address, enc] of this.alive.entries())
      if (this.isSmall(enc)) seen.add(Math.floor(address / poolBytes));
    return seen.size;
  }
}

/** The records as the reader decodes them, into the reference instead of the builder's replay. */
async function reference(path: string, snapshotAt = -1): Promise<ReferenceReplay> {
  const ref = new ReferenceReplay();
  ref.snapshotAt = snapshotAt;
  // a plain function in place of the builder's replay for this read (a spy's bookkeeping per
  // call would double the time over large.bin's 15 M records)
  const proto = MemrayIndexBuilder.prototype;
  const replay = Object.getOwnPropertyDescriptor(proto, 'allocation')!;
  Object.defineProperty(proto, 'allocation', {
    ...replay,
    value(lo: number, hi: number, size: number, allocator: number, py: number) {
      ref.allocation(lo, hi, size, allocator, py);
    },
  });
  try {
    // the JavaScript loop: the reference listens to its per-record builder calls
    const parser = new MemrayRecordParser(path, () => undefined);
    parser.fullLoop = 'js';
    await streamFile(path, {}, parser);
  } finally {
    Object.defineProperty(proto, 'allocation', replay);
  }
  return ref;
}

function fixturesIn(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const folder of readdirSync(root).sort()) {
    const dir = join(root, folder);
    if (!/^v\d+-/.test(folder)) continue;
    for (const name of readdirSync(dir).sort())
      if (/^(pymalloc.*|large|treebuilder-pymalloc)\.bin$/.test(name)) out.push(join(folder, name));
  }
  return out;
}

/** Relative name → path: the repository's fixtures, then the shared set's others. */
function fixtures(): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of fixturesIn(FIXTURES)) out.set(rel, join(FIXTURES, rel));
  for (const rel of fixturesIn(SHARED)) if (!out.has(rel)) out.set(rel, join(SHARED, rel));
  return out;
}

const table: string[] = [];
const peakStacks: string[] = [];

describe('layout on the pymalloc captures: placed small bytes = live PYMALLOC bytes ≤ 512 B', () => {
  const list = fixtures();
  it('finds the fixtures', () => {
    expect(fixturesIn(FIXTURES).length).toBeGreaterThanOrEqual(7);
  });
  for (const [rel, path] of list) {
    it(
      rel,
      async () => {
        const ref = await reference(path);
        const stats = JSON.parse(readFileSync(path.replace(/\.bin$/, '.stats.json'), 'utf8')) as {
          metadata: { peak_memory: number };
        };
        // the reference itself follows memray: its peak is memray's
        expect(ref.peakHeap).toBe(stats.metadata.peak_memory);
        const model = await loadMemrayModel(path, {});
        for (const kind of ['peak', 'end'] as const) {
          const layout = layoutHandlers.layout(model, { at: { kind } });
          const p = layout.pymalloc;
          const want = kind === 'peak' ? ref.peakSmall : ref.small;
          if (model.info().facts.pythonAllocator?.startsWith('mimalloc')) {
            expect(p.modelled).toBe(false);
            expect(layout.limits.find((l) => l.part === 'pymalloc')?.reason).toMatch(/mimalloc/);
            table.push(
              `${rel} ${kind}: mimalloc interpreter, not modelled (live small PYMALLOC ${want.bytes} B)`,
            );
            continue;
          }
          expect(p.modelled).toBe(true);
          expect(p.liveBytes + p.outside.bytes).toBe(want.bytes);
          expect(p.liveBlocks + p.outside.blocks).toBe(want.blocks);
          expect(p.poolBytes).toBeGreaterThanOrEqual(p.liveBytes);
          expect(p.blockBytes).toBeGreaterThanOrEqual(p.liveBytes);
          expect(p.arenaBytes).toBeGreaterThanOrEqual(p.poolBytes);
          expect(layout.heapBytes).toBe(kind === 'peak' ? ref.peakHeap : ref.heapNow);
          if (kind === 'end') expect(p.pools + p.outside.windows).toBe(ref.windows(p.geometry!.poolBytes));
          if (kind === 'peak') {
            // the peak's blocks one by one (peak-blocks.ts), against a second reference pass that
            // stops at the peak record and lists what is live there
            const at = await reference(path, ref.lastPeakRecord);
            const input = model.allocatorLayout!()!.input({ kind: 'peak' }, true);
            expect(input.live).toBeUndefined();
            const blocks = input.poolBlocks!;
            const keys = (model as unknown as { keys: { py: Int32Array } }).keys;
            const got: string[] = [];
            blocks.forEach((address, size, key) => got.push(`${address} ${size} ${keys.py[key]}`));
            expect(got.length).toBe(at.snapshot.length);
            expect(got.sort()).toEqual(at.snapshot.sort());
            expect(layout.sitesAvailable).toBe(true);
            peakStacks.push(`${rel}: ${got.length} blocks live at the peak, one by one = the reference`);
          }
          table.push(
            `${rel} ${kind}: live small ${want.bytes} B (${want.blocks} blocks); in pools ${p.liveBytes} B, outside ${p.outside.bytes} B; ` +
              `${p.pools} pools = ${p.poolBytes} B, ${p.arenas} arenas = ${p.arenaBytes} B, held ${p.heldBytes} B, sparse ${p.sparseArenas}`,
          );
        }
      },
      180_000,
    );
  }
  afterAll(() => {
    if (process.env.HEAPSCOPE_LAYOUT_TABLE) console.log([...table, ...peakStacks].join('\n'));
  });
});
