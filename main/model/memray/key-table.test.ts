import { describe, expect, it } from 'vitest';
import { KeyTable } from './key-table';

/** A seeded stream of key identities, many repeated (a small LCG: the same keys every run). */
function identities(n: number, seed: number): [number, number, number, number, number][] {
  let x = seed;
  const next = (m: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % m;
  };
  return Array.from({ length: n }, () => [next(3000), next(50) - 1, next(4), next(16), next(3)]);
}

describe('KeyTable', () => {
  it('finds appended keys at their index once the hash is rebuilt, and adds new ones after them', () => {
    const ids = identities(20_000, 7);
    // the reference: a Map over the identity, numbered in first-seen order
    const ref = new Map<string, number>();
    for (const id of ids) if (!ref.has(id.join())) ref.set(id.join(), ref.size);
    const distinct = [...ref.keys()].map((s) => s.split(',').map(Number));

    const added: number[] = [];
    const keys = new KeyTable((k) => added.push(k));
    // the first half appended (as the WebAssembly loop does: each new, in order), the rest looked up
    const half = distinct.length >> 1;
    for (let i = 0; i < half; i++) {
      const [py, nat, thr, alloc, gen] = distinct[i];
      expect(keys.append(py, nat, thr, alloc, gen)).toBe(i);
    }
    for (const [py, nat, thr, alloc, gen] of ids)
      expect(keys.lookup(py, nat, thr, alloc, gen)).toBe(ref.get([py, nat, thr, alloc, gen].join())!);
    expect(keys.count).toBe(distinct.length);
    expect(added).toEqual(distinct.map((_, i) => i));
    for (let k = 0; k < keys.count; k++)
      expect([keys.py[k], keys.native[k], keys.thread[k], keys.allocator[k], keys.generation[k]]).toEqual(
        distinct[k],
      );
  });

  it('rebuilds a hash that appends outgrew: lookups after 10,000 appends to a 4,096-slot table', () => {
    const keys = new KeyTable(() => {});
    for (let i = 0; i < 10_000; i++) keys.append(i, -1, 0, 1, 0);
    for (let i = 0; i < 10_000; i += 97) expect(keys.lookup(i, -1, 0, 1, 0)).toBe(i);
    expect(keys.lookup(10_000, -1, 0, 1, 0)).toBe(10_000);
    expect(keys.count).toBe(10_001);
  });
});
