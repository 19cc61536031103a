/**
 * The live-allocation table: address → (packed key/size word, birth word), as an extendible
 * hash of fixed-size open-addressing segments. Growing splits one 192 KiB segment at a time,
 * so an old and a new full-size table never coexist: on large.bin (2.6 M live allocations at
 * the peak) the process peak went from 143 MB (one doubling table) to 121 MB.
 *
 * A slot is 3 int32 words: [ (address/8) low 32 bits, (address/8) high 13 bits | birth << 13,
 * payload ]; payload -1 marks an empty slot, -2 a removed one (tombstone: a remove is one store,
 * cheaper than shifting a cluster back; segments are rebuilt when tombstones pile up).
 * Payloads are ≥ 0. Addresses ≥ 2^48 are the caller's business.
 */

const SEG_BITS = 14;
const SEG_SLOTS = 1 << SEG_BITS;
const SEG_MASK = SEG_SLOTS - 1;
/** Split a segment when it would exceed 75 % load. */
const SEG_MAX = (SEG_SLOTS * 3) >> 2;
export const EMPTY_SLOT = -1;
/** A removed entry: probes continue past it; inserts may reuse it. */
const TOMB = -2;

function hashOf(lo: number, hi: number): number {
  // Addresses within one 2 KiB block share a hash (and so a segment and a 256-slot region):
  // a pool of small objects the program allocates and frees together stays in a few pages of
  // the table. Random access into a large table is TLB-bound on this kind of machine.
  return Math.imul((lo >>> 8) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
}

function posOf(h: number, lo: number): number {
  return ((Math.imul(h, 0x2c1b3c6d) >>> (32 - SEG_BITS)) ^ (lo & 255)) & SEG_MASK;
}

export class LiveTable {
  /** directory: top `depth` bits of the hash → segment index */
  private dir = new Int32Array(1);
  private depth = 0;
  private readonly segs: Int32Array[] = [];
  private readonly segCount: number[] = [];
  /** tombstones per segment */
  private readonly segTomb: number[] = [];
  private readonly segDepth: number[] = [];
  size = 0;
  /** Birth word of the entry found by the last insert (when replacing) or remove. */
  lastBirthWord = 0;
  private readonly scratch = new Int32Array(SEG_SLOTS * 3);

  constructor() {
    this.segs.push(LiveTable.emptySegment());
    this.segCount.push(0);
    this.segTomb.push(0);
    this.segDepth.push(0);
  }

  private static emptySegment(): Int32Array {
    const s = new Int32Array(SEG_SLOTS * 3);
    for (let i = 2; i < s.length; i += 3) s[i] = EMPTY_SLOT;
    return s;
  }

  get bytes(): number {
    return this.segs.length * SEG_SLOTS * 12 + this.dir.length * 4;
  }

  private segIndex(h: number): number {
    return this.depth === 0 ? 0 : this.dir[h >>> (32 - this.depth)];
  }

  /**
   * Inserts or replaces. Returns the previous payload when the address was live (its birth in
   * `lastBirthWord`), else EMPTY_SLOT.
   */
  insert(lo: number, hi: number, payload: number, birthBits: number): number {
    const h = hashOf(lo, hi);
    let si = this.segIndex(h);
    for (;;) {
      const t = this.segs[si];
      let i = posOf(h, lo);
      let reuse = -1;
      for (;;) {
        const j = i * 3;
        const w = t[j + 2];
        if (w === EMPTY_SLOT) break;
        if (w === TOMB) {
          if (reuse < 0) reuse = j;
        } else if (t[j] === lo && (t[j + 1] & 8191) === hi) {
          this.lastBirthWord = t[j + 1];
          t[j + 1] = hi | birthBits;
          t[j + 2] = payload;
          return w;
        }
        i = (i + 1) & SEG_MASK;
      }
      if (reuse >= 0) {
        t[reuse] = lo;
        t[reuse + 1] = hi | birthBits;
        t[reuse + 2] = payload;
        this.segTomb[si]--;
        this.segCount[si]++;
        this.size++;
        return EMPTY_SLOT;
      }
      if (this.segCount[si] + this.segTomb[si] < SEG_MAX) {
        const j = i * 3;
        t[j] = lo;
        t[j + 1] = hi | birthBits;
        t[j + 2] = payload;
        this.segCount[si]++;
        this.size++;
        return EMPTY_SLOT;
      }
      // Full: clean out tombstones if they are a good part of it, else split. One 2 KiB address
      // block has at most 256 entries, so this always makes room eventually.
      if (this.segTomb[si] * 4 > SEG_MAX) this.rebuild(si);
      else this.split(si);
      si = this.segIndex(h);
    }
  }

  /** Removes the address; returns its payload (birth in `lastBirthWord`) or EMPTY_SLOT. */
  remove(lo: number, hi: number): number {
    const h = hashOf(lo, hi);
    const si = this.segIndex(h);
    const t = this.segs[si];
    let i = posOf(h, lo);
    for (;;) {
      const j = i * 3;
      const w = t[j + 2];
      if (w === EMPTY_SLOT) return EMPTY_SLOT;
      if (w !== TOMB && t[j] === lo && (t[j + 1] & 8191) === hi) {
        this.lastBirthWord = t[j + 1];
        this.segCount[si]--;
        this.size--;
        if (t[((i + 1) & SEG_MASK) * 3 + 2] === EMPTY_SLOT) {
          // end of a chain: no tombstone needed, and the tombstones just before it go too
          t[j + 2] = EMPTY_SLOT;
          let b = (i - 1) & SEG_MASK;
          while (t[b * 3 + 2] === TOMB) {
            t[b * 3 + 2] = EMPTY_SLOT;
            this.segTomb[si]--;
            b = (b - 1) & SEG_MASK;
          }
        } else {
          t[j + 2] = TOMB;
          this.segTomb[si]++;
        }
        return w;
      }
      i = (i + 1) & SEG_MASK;
    }
  }

  private split(si: number): void {
    const ld = this.segDepth[si];
    if (ld === this.depth) {
      // double the directory
      const old = this.dir;
      const next = new Int32Array(old.length * 2);
      for (let i = 0; i < old.length; i++) {
        next[2 * i] = old[i];
        next[2 * i + 1] = old[i];
      }
      this.dir = next;
      this.depth++;
    }
    const ni = this.segs.length;
    this.segs.push(LiveTable.emptySegment());
    this.segCount.push(0);
    this.segTomb.push(0);
    this.segDepth.push(ld + 1);
    this.segDepth[si] = ld + 1;
    // directory entries of si whose next hash bit (at depth ld) is 1 go to the new segment
    const shift = this.depth - ld - 1;
    for (let i = 0; i < this.dir.length; i++)
      if (this.dir[i] === si && ((i >>> shift) & 1) === 1) this.dir[i] = ni;
    this.rebuild(si);
  }

  /** Takes every entry of segment `si` out (dropping tombstones) and re-inserts it where the directory now says. */
  private rebuild(si: number): void {
    const t = this.segs[si];
    // one scratch buffer for every rebuild: a fresh one each time is 200 KB of garbage per split
    const moved = this.scratch;
    let m = 0;
    for (let i = 0; i < SEG_SLOTS; i++) {
      const j = i * 3;
      const w = t[j + 2];
      if (w >= 0) {
        moved[m++] = t[j];
        moved[m++] = t[j + 1];
        moved[m++] = w;
      }
      t[j + 2] = EMPTY_SLOT;
    }
    this.size -= this.segCount[si];
    this.segCount[si] = 0;
    this.segTomb[si] = 0;
    for (let k = 0; k < m; k += 3) {
      const lo = moved[k];
      const w1 = moved[k + 1];
      const hi = w1 & 8191;
      const h = hashOf(lo, hi);
      const s = this.segIndex(h);
      const seg = this.segs[s];
      let i = posOf(h, lo);
      while (seg[i * 3 + 2] !== EMPTY_SLOT) i = (i + 1) & SEG_MASK;
      const j = i * 3;
      seg[j] = lo;
      seg[j + 1] = w1;
      seg[j + 2] = moved[k + 2];
      this.segCount[s]++;
      this.size++;
    }
  }
}
