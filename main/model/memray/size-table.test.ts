import { describe, expect, it } from 'vitest';
import { NOT_FOUND, SIZE_TABLE_MAX_HI, SIZE_TABLE_MAX_SIZE, SizeTable } from './size-table';

/** A plain Map is the reference: the table must agree on every insert, replace and remove. */
describe('SizeTable (address → size, open addressing)', () => {
  it('agrees with a Map over 300 k mixed operations (growth, tombstones, rebuilds)', () => {
    const t = new SizeTable(16);
    const ref = new Map<number, number>();
    let x = 123456789;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const live: number[] = [];
    for (let op = 0; op < 300_000; op++) {
      const r = rnd() % 100;
      if (r < 55 || live.length === 0) {
        // dense pools (neighbouring addresses share a table region) and far-apart addresses
        const a8 =
          r < 45
            ? 0x0fe0_0000_00 + (rnd() % 300_000) * 2
            : (rnd() % (SIZE_TABLE_MAX_HI - 1)) * 4294967296 + rnd();
        const size = r < 50 ? rnd() % 512 : rnd() % SIZE_TABLE_MAX_SIZE;
        const prev = t.insert(a8 | 0, Math.floor(a8 / 4294967296), size);
        const had = ref.get(a8);
        expect(prev).toBe(had ?? NOT_FOUND);
        if (had === undefined) live.push(a8);
        ref.set(a8, size);
      } else {
        const idx = rnd() % live.length;
        const a8 = r < 97 ? live[idx] : 0x7777_0000_00 + rnd();
        const size = t.remove(a8 | 0, Math.floor(a8 / 4294967296));
        const had = ref.get(a8);
        expect(size).toBe(had ?? NOT_FOUND);
        if (had !== undefined) {
          ref.delete(a8);
          live[idx] = live[live.length - 1];
          live.pop();
        }
      }
      expect(t.size).toBe(ref.size);
    }
    expect(ref.size).toBeGreaterThan(20_000);
    // a size-0 allocation is an entry like any other (empty slots are not zero sizes)
    expect(t.insert(12345, 0, 0)).toBe(ref.get(12345) ?? NOT_FOUND);
    expect(t.remove(12345, 0)).toBe(0);
    expect(t.remove(12345, 0)).toBe(NOT_FOUND);
  });
});
