/**
 * address → size, for the totals-only replay (`heapscope stats`), where nothing but the size
 * of a live allocation is ever asked for. Two int32 words a slot (8 bytes, against the full
 * model's 12 in live-table.ts): [ (address/8) low 32 bits, ~((address/8) high 13 bits << 18 | size) ].
 * 2.6 M live allocations fit in 2^22 slots = 32 MiB, about the last-level cache of this
 * kind of machine, where the 12-byte table needs ~50 MB.
 *
 * Word 1 is negative for an entry, 0 for an empty slot (so a new table is the allocator's
 * zeroed memory, no fill pass) and 1 for a removed one. Sizes ≥ 2^18 and addresses ≥ 2^48 are
 * the caller's business (it keeps them in a map; they are few).
 */

export const SIZE_TABLE_MAX_SIZE = 1 << 18;
export const SIZE_TABLE_MAX_HI = 1 << 13;
export const NOT_FOUND = -1;
const EMPTY = 0;
const TOMB = 1;
const SIZE_MASK = SIZE_TABLE_MAX_SIZE - 1;

export class SizeTable {
  private t: Int32Array;
  private bits: number;
  private mask: number;
  /** live entries */
  size = 0;
  private tombs = 0;
  private limit: number;

  constructor(bits = 16) {
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.t = new Int32Array(2 << bits);
    this.limit = ((1 << bits) * 3) >>> 2;
  }

  get bytes(): number {
    return this.t.length * 4;
  }

  /**
   * Addresses within one 2 KiB block share a 128-slot region, at their offset in it (one slot
   * per 16 bytes, the alignment of malloc and pymalloc): a pool of small objects allocated and
   * freed together touches few cache lines and pages of the table. (One slot per 8 bytes
   * left most slots of a pool's region empty: measured 10 % slower on large.bin.)
   */
  private home(lo: number, hi: number): number {
    const h = Math.imul((lo >>> 8) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    return ((h >>> (39 - this.bits)) << 7) | ((lo & 255) >>> 1);
  }

  /** Inserts or replaces; returns the size the address had when it was live, else NOT_FOUND. */
  insert(lo: number, hi: number, size: number): number {
    const t = this.t;
    const mask = this.mask;
    const w1 = ~((hi << 18) | size);
    let i = this.home(lo, hi);
    let reuse = -1;
    for (;;) {
      const j = i << 1;
      const w = t[j + 1];
      if (w === EMPTY) break;
      if (w === TOMB) {
        if (reuse < 0) reuse = j;
      } else if (t[j] === lo && ~w >>> 18 === hi) {
        t[j + 1] = w1;
        return ~w & SIZE_MASK;
      }
      i = (i + 1) & mask;
    }
    if (reuse >= 0) {
      t[reuse] = lo;
      t[reuse + 1] = w1;
      this.tombs--;
      this.size++;
      return NOT_FOUND;
    }
    const j = i << 1;
    t[j] = lo;
    t[j + 1] = w1;
    this.size++;
    if (this.size + this.tombs > this.limit) this.resize();
    return NOT_FOUND;
  }

  /** Removes the address; returns its size, or NOT_FOUND. */
  remove(lo: number, hi: number): number {
    const t = this.t;
    const mask = this.mask;
    let i = this.home(lo, hi);
    for (;;) {
      const j = i << 1;
      const w = t[j + 1];
      if (w === EMPTY) return NOT_FOUND;
      if (w !== TOMB && t[j] === lo && ~w >>> 18 === hi) {
        this.size--;
        if (t[(((i + 1) & mask) << 1) + 1] === EMPTY) {
          // end of a chain: no tombstone needed, and the tombstones just before it go too
          t[j + 1] = EMPTY;
          let b = (i - 1) & mask;
          while (t[(b << 1) + 1] === TOMB) {
            t[(b << 1) + 1] = EMPTY;
            this.tombs--;
            b = (b - 1) & mask;
          }
        } else {
          t[j + 1] = TOMB;
          this.tombs++;
        }
        return ~w & SIZE_MASK;
      }
      i = (i + 1) & mask;
    }
  }

  /** Grows (or, when mostly tombstones, rebuilds at the same size). */
  private resize(): void {
    const old = this.t;
    if (this.size * 2 > this.limit) {
      this.bits++;
      this.mask = (1 << this.bits) - 1;
      this.limit = ((1 << this.bits) * 3) >>> 2;
    }
    const t = (this.t = new Int32Array(2 << this.bits));
    this.tombs = 0;
    const mask = this.mask;
    for (let j = 0; j < old.length; j += 2) {
      const w = old[j + 1];
      if (w >= 0) continue;
      const lo = old[j];
      let i = this.home(lo, ~w >>> 18);
      while (t[(i << 1) + 1] !== EMPTY) i = (i + 1) & mask;
      t[i << 1] = lo;
      t[(i << 1) + 1] = w;
    }
  }
}
