/**
 * The live-allocation table: address → (key, size, birth), as an extendible hash of fixed-size
 * open-addressing segments. Growing splits one 256 KiB segment at a time, so an old and a new
 * full-size table never coexist (on large.bin, 2.6 M live allocations at the peak, one doubling
 * table peaked 22 MB higher).
 *
 * A slot is 4 int32 words: [ (address/8) low 32 bits, (address/8) high 13 bits | birth << 13,
 * key, size (as uint32) ]. The key word alone says whether a slot is used: EMPTY_SLOT (-1) or
 * TOMB (-2), else a key ≥ 0. Key and size have words of their own on purpose: an earlier layout
 * packed `key << 16 | size` into one word whose sign doubled as "empty", so every key from
 * 32768 up vanished from the table at the first segment split (deep-stack captures have
 * millions of keys; their leaks came out 3× too high). Callers keep addresses ≥ 2^48, high
 * words < 0 and sizes ≥ 2^32 out (see heap-replay.ts).
 */

const SEG_BITS = 14;
const SEG_SLOTS = 1 << SEG_BITS;
const SEG_MASK = SEG_SLOTS - 1;
/** Words per slot. */
const W = 4;
/** Split a segment when it would exceed 75 % load. */
const SEG_MAX = (SEG_SLOTS * 3) >> 2;
export const EMPTY_SLOT = -1;
/** A removed entry: probes continue past it; inserts may reuse it. */
const TOMB = -2;
/** The largest high word (of address/8) the table holds: addresses below 2^48. */
export const LIVE_TABLE_MAX_HI = 8191;
/** Births are kept modulo 2^19. */
export const BIRTH_MASK = 0x7ffff;

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
  /** The entry found by the last insert (when it replaced one) or remove. */
  lastKey = 0;
  lastSize = 0;
  lastBirth = 0;
  private readonly scratch = new Int32Array(SEG_SLOTS * W);

  constructor() {
    this.segs.push(LiveTable.emptySegment());
    this.segCount.push(0);
    this.segTomb.push(0);
    this.segDepth.push(0);
  }

  private static emptySegment(): Int32Array {
    const s = new Int32Array(SEG_SLOTS * W);
    for (let i = 2; i < s.length; i += W) s[i] = EMPTY_SLOT;
    return s;
  }

  get bytes(): number {
    return this.segs.length * SEG_SLOTS * W * 4 + this.dir.length * 4;
  }

  private segIndex(h: number): number {
    return this.depth === 0 ? 0 : this.dir[h >>> (32 - this.depth)];
  }

  /**
   * Inserts or replaces (`hi` ≤ LIVE_TABLE_MAX_HI, `key` ≥ 0, `birth` < 2^19). Returns true when
   * the address was live; the old entry is then in lastKey/lastSize/lastBirth.
   */
  insert(lo: number, hi: number, key: number, size: number, birth: number): boolean {
    const h = hashOf(lo, hi);
    const hiBirth = hi | (birth << 13);
    let si = this.segIndex(h);
    for (;;) {
      const t = this.segs[si];
      let i = posOf(h, lo);
      let reuse = -1;
      for (;;) {
        const j = i * W;
        const k = t[j + 2];
        if (k === EMPTY_SLOT) break;
        if (k === TOMB) {
          if (reuse < 0) reuse = j;
        } else if (t[j] === lo && (t[j + 1] & 8191) === hi) {
          this.lastKey = k;
          this.lastSize = t[j + 3] >>> 0;
          this.lastBirth = t[j + 1] >>> 13;
          t[j + 1] = hiBirth;
          t[j + 2] = key;
          t[j + 3] = size;
          return true;
        }
        i = (i + 1) & SEG_MASK;
      }
      if (reuse >= 0) {
        t[reuse] = lo;
        t[reuse + 1] = hiBirth;
        t[reuse + 2] = key;
        t[reuse + 3] = size;
        this.segTomb[si]--;
        this.segCount[si]++;
        this.size++;
        return false;
      }
      if (this.segCount[si] + this.segTomb[si] < SEG_MAX) {
        const j = i * W;
        t[j] = lo;
        t[j + 1] = hiBirth;
        t[j + 2] = key;
        t[j + 3] = size;
        this.segCount[si]++;
        this.size++;
        return false;
      }
      // Full: clean out tombstones if they are a good part of it, else split. One 2 KiB address
      // block has at most 256 entries, so this always makes room eventually.
      if (this.segTomb[si] * 4 > SEG_MAX) this.rebuild(si);
      else this.split(si);
      si = this.segIndex(h);
    }
  }

  /** Removes the address; returns true when it was live (the entry in lastKey/lastSize/lastBirth). */
  remove(lo: number, hi: number): boolean {
    const h = hashOf(lo, hi);
    const si = this.segIndex(h);
    const t = this.segs[si];
    let i = posOf(h, lo);
    for (;;) {
      const j = i * W;
      const k = t[j + 2];
      if (k === EMPTY_SLOT) return false;
      if (k !== TOMB && t[j] === lo && (t[j + 1] & 8191) === hi) {
        this.lastKey = k;
        this.lastSize = t[j + 3] >>> 0;
        this.lastBirth = t[j + 1] >>> 13;
        this.segCount[si]--;
        this.size--;
        if (t[((i + 1) & SEG_MASK) * W + 2] === EMPTY_SLOT) {
          // end of a chain: no tombstone needed, and the tombstones just before it go too
          t[j + 2] = EMPTY_SLOT;
          let b = (i - 1) & SEG_MASK;
          while (t[b * W + 2] === TOMB) {
            t[b * W + 2] = EMPTY_SLOT;
            this.segTomb[si]--;
            b = (b - 1) & SEG_MASK;
          }
        } else {
          t[j + 2] = TOMB;
          this.segTomb[si]++;
        }
        return true;
      }
      i = (i + 1) & SEG_MASK;
    }
  }

  /** Calls `fn` for every live entry (address/8 as lo, hi). Order is unspecified. */
  forEach(fn: (lo: number, hi: number, key: number, size: number, birth: number) => void): void {
    for (const t of this.segs) {
      for (let j = 0; j < t.length; j += W) {
        const k = t[j + 2];
        if (k >= 0) fn(t[j], t[j + 1] & 8191, k, t[j + 3] >>> 0, t[j + 1] >>> 13);
      }
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
    // one scratch buffer for every rebuild: a fresh one each time is 256 KB of garbage per split
    const moved = this.scratch;
    let m = 0;
    for (let j = 0; j < t.length; j += W) {
      const k = t[j + 2];
      if (k >= 0) {
        moved[m++] = t[j];
        moved[m++] = t[j + 1];
        moved[m++] = k;
        moved[m++] = t[j + 3];
      }
      t[j + 2] = EMPTY_SLOT;
    }
    this.size -= this.segCount[si];
    this.segCount[si] = 0;
    this.segTomb[si] = 0;
    for (let x = 0; x < m; x += W) {
      const lo = moved[x];
      const w1 = moved[x + 1];
      const h = hashOf(lo, w1 & 8191);
      const s = this.segIndex(h);
      const seg = this.segs[s];
      let i = posOf(h, lo);
      while (seg[i * W + 2] !== EMPTY_SLOT) i = (i + 1) & SEG_MASK;
      const j = i * W;
      seg[j] = lo;
      seg[j + 1] = w1;
      seg[j + 2] = moved[x + 2];
      seg[j + 3] = moved[x + 3];
      this.segCount[s]++;
      this.size++;
    }
  }
}
