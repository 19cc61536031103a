import { describe, expect, it } from 'vitest';
import type { PymallocGeometry } from '../../../shared/layout';
import { poolRowFinder, poolRowOf, type PoolTable } from './pymalloc';

/** A pool table holding just addresses (what poolRowOf and poolRowFinder read). */
function poolsAt(addresses: number[]): PoolTable {
  const n = addresses.length;
  return {
    n,
    address: Float64Array.from(addresses),
    blocks: new Int32Array(n),
    bytes: new Float64Array(n),
    blockBytes: new Int32Array(n),
    capacity: new Int32Array(n),
    outside: new Uint8Array(n),
    arena: new Int32Array(n),
    arenaStart: [],
  };
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('poolRowFinder', () => {
  for (const poolBytes of [4096, 16384])
    it(`finds the same row as the binary search (${poolBytes} B pools)`, () => {
      const g = { poolBytes, arenaBytes: poolBytes * 64 } as PymallocGeometry;
      const rnd = seeded(poolBytes);
      // pools in a few clusters, low and high in the 48-bit space, sorted as buildPools makes them
      const set = new Set<number>();
      for (const base of [0x55d0_0000_0000, 0x7f3a_0000_0000, 0x7fff_f000_0000, 2 ** 40])
        for (let i = 0; i < 3000; i++) set.add(base + Math.floor(rnd() * 20000) * poolBytes);
      const pools = poolsAt([...set].sort((a, b) => a - b));
      const find = poolRowFinder(pools, g);
      let hits = 0;
      const probe = (a: number) => {
        const want = poolRowOf(pools, g, a);
        expect(find(a)).toBe(want);
        if (want >= 0) hits++;
      };
      for (let r = 0; r < pools.n; r++) {
        const a = pools.address[r];
        for (const d of [0, 1, 48, poolBytes - 1, poolBytes, -1]) probe(a + d);
      }
      for (let i = 0; i < 20000; i++) probe(Math.floor(rnd() * 2 ** 47));
      probe(2 ** 48 + pools.address[0]); // above 2^48: no pool, even if the low bits match one
      probe(2 ** 53 - poolBytes);
      expect(hits).toBeGreaterThan(pools.n * 4);
    });

  it('finds nothing in an empty table', () => {
    const g = { poolBytes: 16384, arenaBytes: 2 ** 20 } as PymallocGeometry;
    expect(poolRowFinder(poolsAt([]), g)(0x7f00_0000_0000)).toBe(-1);
  });
});
