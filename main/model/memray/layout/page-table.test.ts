import { describe, expect, it } from 'vitest';
import { PymallocPageTable } from './page-table';
import type { PageStates } from './page-rows';

/**
 * The page table against a brute force: a plain Map of live blocks, grouped by 4 KiB page at the
 * moment asked for (end, peak by memray's `>=` rule over a running heap, each checkpoint).
 */

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
}

type Live = Map<number, number>;

/**
 * A page's block size: the largest size class it held since it was last empty (a pool keeps one
 * size class while it holds blocks), tracked plainly per page.
 */
class StickyMax {
  max = new Map<number, number>();
  count = new Map<number, number>();
  add(address: number, size: number): void {
    const page = Math.floor(address / 4096);
    this.count.set(page, (this.count.get(page) ?? 0) + 1);
    this.max.set(page, Math.max(this.max.get(page) ?? 0, Math.ceil(size / 16) * 16));
  }
  remove(address: number): void {
    const page = Math.floor(address / 4096);
    const n = this.count.get(page)! - 1;
    this.count.set(page, n);
    if (n === 0) this.max.delete(page);
  }
  copy(): Map<number, number> {
    return new Map(this.max);
  }
}

function pagesOf(
  live: Live,
  sticky: Map<number, number>,
): Map<number, { blocks: number; bytes: number; maxBlock: number; off16: number; off4: number }> {
  const out = new Map<
    number,
    { blocks: number; bytes: number; maxBlock: number; off16: number; off4: number }
  >();
  for (const [address, size] of live) {
    const page = Math.floor(address / 4096) * 4096;
    const p = out.get(page) ?? { blocks: 0, bytes: 0, maxBlock: 0, off16: 0, off4: 0 };
    const block = Math.ceil(size / 16) * 16;
    const o16 = address % 16384;
    const o4 = address % 4096;
    p.blocks++;
    p.bytes += size;
    p.maxBlock = sticky.get(page / 4096)!;
    if (!(o16 >= 48 && (o16 - 48) % block === 0)) p.off16++;
    if (!(o4 >= 48 && (o4 - 48) % block === 0)) p.off4++;
    out.set(page, p);
  }
  return out;
}

function asMap(s: PageStates) {
  const out = new Map<
    number,
    { blocks: number; bytes: number; maxBlock: number; off16: number; off4: number }
  >();
  for (let i = 0; i < s.n; i++)
    out.set(s.address[i], {
      blocks: s.blocks[i],
      bytes: s.bytes[i],
      maxBlock: s.blockBytes[i],
      off16: s.off16[i],
      off4: s.off4[i],
    });
  return out;
}

function split(address: number): [number, number] {
  const a8 = address / 8;
  return [a8 | 0, Math.floor(a8 / 4294967296)];
}

describe('pymalloc page table', () => {
  for (const seed of [1, 7, 42, 1234]) {
    it(`matches a brute force at the end, the peak and every checkpoint (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const t = new PymallocPageTable();
      t.checkpoints.maxCheckpoints = 8;
      // pools of a few arenas in the mmap area, some far apart (other chunks, other hash slots)
      const bases = [0x7f1234500000, 0x7f1234600000, 0x7f12347f0000, 0x55d0c0000000, 0x7ffe00000000];
      const live: Live = new Map();
      const sticky = new StickyMax();
      let peakSticky = new Map<number, number>();
      const stickyAt: Map<number, number>[] = [];
      let heap = 0;
      let peak = -1;
      let peakLive: Live = new Map();
      const atRecord: Live[] = [];
      const born = new Map<number, { key: number; birth: number }>();
      let peakBorn = new Map(born);
      let records = 0;
      for (let step = 0; step < 6000; step++) {
        const grow = step < 3000 ? 0.7 : 0.3;
        if (live.size === 0 || rng.next() / 2 ** 32 < grow) {
          const base = bases[rng.int(bases.length)];
          const size = 1 + rng.int(512);
          // mostly on a pool's grid (16 KiB pools, block = size class), sometimes anywhere
          const block = Math.ceil(size / 16) * 16;
          const address =
            rng.int(10) === 0
              ? base + 16 * rng.int(65536)
              : base + 16384 * rng.int(64) + 48 + block * rng.int(Math.floor((16384 - 48) / block));
          if (live.has(address)) continue;
          live.set(address, size);
          born.set(address, { key: rng.int(50), birth: records });
          sticky.add(address, size);
          const [lo, hi] = split(address);
          heap += size;
          t.add(lo, hi, size, records, heap >= peak);
        } else {
          const keys = [...live.keys()];
          const address = keys[rng.int(keys.length)];
          const size = live.get(address)!;
          live.delete(address);
          sticky.remove(address);
          const [lo, hi] = split(address);
          const b = born.get(address)!;
          t.remove(lo, hi, size, b.key, b.birth & 0x7ffff, records);
          heap -= size;
        }
        if (heap >= peak) {
          peak = heap;
          peakLive = new Map(live);
          peakSticky = sticky.copy();
          peakBorn = new Map(born);
          t.atPeak(records);
        }
        if (rng.int(40) === 0) {
          records++;
          atRecord[records] = new Map(live);
          stickyAt[records] = sticky.copy();
          t.memoryRecord(records, records * 10, heap, 0);
        }
      }
      expect(asMap(t.current())).toEqual(pagesOf(live, sticky.max));
      expect(asMap(t.peak())).toEqual(pagesOf(peakLive, peakSticky));
      // the blocks live at the peak one by one: the end's that were, plus the log (peak-blocks.ts)
      const pb = t.peakBlocks;
      const atPeak = new Map<number, string>();
      for (const [address, size] of live) {
        const [lo, hi] = split(address);
        if (pb.liveAtPeak(lo, hi, born.get(address)!.birth & 0x7ffff, records))
          atPeak.set(address, `${size}/${born.get(address)!.key}`);
      }
      pb.forEachEntry((address, size, key) => {
        expect(atPeak.has(address)).toBe(false);
        atPeak.set(address, `${size}/${key}`);
      });
      const expected = new Map([...peakLive].map(([a, size]) => [a, `${size}/${peakBorn.get(a)!.key}`]));
      expect(atPeak).toEqual(expected);
      expect(pb.logN).toBeGreaterThan(0);
      const cps = t.checkpoints;
      expect(cps.count).toBeGreaterThan(2);
      expect(cps.count).toBeLessThan(8);
      for (let k = 0; k < cps.count; k++)
        expect(asMap(t.atCheckpoint(k))).toEqual(pagesOf(atRecord[cps.fine[k]], stickyAt[cps.fine[k]]));
      const seen: number[] = [];
      t.replayCheckpoints((k, pages) => {
        seen.push(k);
        expect(asMap(pages)).toEqual(pagesOf(atRecord[cps.fine[k]], stickyAt[cps.fine[k]]));
      });
      expect(seen).toEqual([...Array(cps.count).keys()]);
      // evenly spread: every 2^shift memory records
      cps.fine.forEach((f, k) => expect(f).toBe((k + 1) << cps.shift));
      let bytes = 0;
      for (const s of live.values()) bytes += s;
      expect(t.liveBlocks).toBe(live.size);
      expect(t.liveBytes).toBe(bytes);
    });
  }

  it('keeps blocks at addresses ≥ 2^48 out of the pages, counted apart', () => {
    const t = new PymallocPageTable();
    const [lo, hi] = split(2 ** 49 + 4096 + 48);
    t.add(lo, hi, 32, 0, false);
    expect(t.current().n).toBe(0);
    expect([t.wideBlocks, t.wideBytes]).toEqual([1, 32]);
    t.remove(lo, hi, 32, 0, 0, 0);
    expect([t.wideBlocks, t.wideBytes]).toEqual([0, 0]);
  });
});
