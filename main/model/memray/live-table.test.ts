import { describe, expect, it } from 'vitest';
import { LiveTable } from './live-table';

interface Entry {
  key: number;
  size: number;
  birth: number;
}

/** A plain Map is the reference: the table must agree on every insert, replace and remove. */
describe('LiveTable (extendible hash of open-addressing segments)', () => {
  it('agrees with a Map over 250 k mixed operations (splits, tombstones, rebuilds, every key and size width)', () => {
    const t = new LiveTable();
    const ref = new Map<number, Entry>();
    let x = 987654321;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const live: number[] = [];
    // plain comparisons first: one expect() per operation made this test take 10 s
    const check = (found: boolean, had: Entry | undefined) => {
      const same = had
        ? found && t.lastKey === had.key && t.lastSize === had.size && t.lastBirth === had.birth
        : !found;
      if (!same)
        expect({ found, key: t.lastKey, size: t.lastSize, birth: t.lastBirth }).toEqual({
          found: !!had,
          ...had,
        });
    };
    for (let op = 0; op < 250_000; op++) {
      const r = rnd() % 100;
      if (r < 55 || live.length === 0) {
        // clustered addresses (like pymalloc pools) plus some far-apart ones; a8 < 2^45
        const a8 = r < 45 ? 0x0fe0_0000_00 + (rnd() % 400_000) * 2 : (rnd() % 8191) * 4294967296 + rnd();
        const lo = a8 | 0;
        const hi = Math.floor(a8 / 4294967296);
        // keys past 2^15 and 2^16 and sizes past 2^31: the widths an earlier packed layout lost
        const key = rnd() % 4 === 0 ? rnd() & 0x7fffffff : rnd() % 70_000;
        const size = rnd() % 3 === 0 ? rnd() : rnd() % 600;
        const birth = op & 0x7ffff;
        const had = ref.get(a8);
        check(t.insert(lo, hi, key, size, birth), had);
        if (!had) live.push(a8);
        ref.set(a8, { key, size, birth });
      } else {
        const idx = rnd() % live.length;
        const a8 = r < 97 ? live[idx] : 0x7777_0000_00 + rnd();
        const had = ref.get(a8);
        check(t.remove(a8 | 0, Math.floor(a8 / 4294967296)), had);
        if (had) {
          ref.delete(a8);
          live[idx] = live[live.length - 1];
          live.pop();
        }
      }
      if (t.size !== ref.size) expect(t.size).toBe(ref.size);
    }
    expect(ref.size).toBeGreaterThan(20_000);
    // every entry survived the splits with its key, size and birth
    const seen = new Map<number, Entry>();
    t.forEach((lo, hi, key, size, birth) => seen.set(hi * 4294967296 + (lo >>> 0), { key, size, birth }));
    expect(seen).toEqual(ref);
  });
});
