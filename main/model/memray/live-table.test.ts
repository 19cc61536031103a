import { describe, expect, it } from 'vitest';
import { EMPTY_SLOT, LiveTable } from './live-table';

/** A plain Map is the reference: the table must agree on every insert, replace and remove. */
describe('LiveTable (extendible hash of open-addressing segments)', () => {
  it('agrees with a Map over 250 k mixed operations (splits, tombstones, rebuilds)', () => {
    const t = new LiveTable();
    const ref = new Map<number, { payload: number; birth: number }>();
    let x = 987654321;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const live: number[] = [];
    for (let op = 0; op < 250_000; op++) {
      const r = rnd() % 100;
      if (r < 55 || live.length === 0) {
        // clustered addresses (like pymalloc pools) plus some far-apart ones; a8 < 2^45
        const a8 = r < 45 ? 0x0fe0_0000_00 + (rnd() % 400_000) * 2 : (rnd() % 8191) * 4294967296 + rnd();
        const lo = a8 | 0;
        const hi = Math.floor(a8 / 4294967296);
        const payload = rnd() & 0x7fffffff;
        const birth = (op & 0x7ffff) << 13;
        const prev = t.insert(lo, hi, payload, birth);
        const had = ref.get(a8);
        expect(prev).toBe(had ? had.payload : EMPTY_SLOT);
        if (had) expect(t.lastBirthWord >>> 13).toBe(had.birth);
        else live.push(a8);
        ref.set(a8, { payload, birth: op & 0x7ffff });
      } else {
        const idx = rnd() % live.length;
        const a8 = r < 97 ? live[idx] : 0x7777_0000_00 + rnd();
        const w = t.remove(a8 | 0, Math.floor(a8 / 4294967296));
        const had = ref.get(a8);
        expect(w).toBe(had ? had.payload : EMPTY_SLOT);
        if (had) {
          expect(t.lastBirthWord >>> 13).toBe(had.birth);
          ref.delete(a8);
          live[idx] = live[live.length - 1];
          live.pop();
        }
      }
      expect(t.size).toBe(ref.size);
    }
    expect(ref.size).toBeGreaterThan(20_000);
  });
});
