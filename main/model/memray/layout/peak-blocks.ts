import { BIRTH_MASK } from '../live-table';

/**
 * Which small pymalloc blocks were live at the latest peak, one by one, so the layout at the
 * peak can name the stacks of the blocks in a pool or arena (issue 14), without a second pass
 * over the file. The live set at the peak is
 *
 *   (blocks live at the end that were live at the peak) ∪ (blocks live at the peak that left since),
 *
 * and this class keeps what the end alone cannot tell:
 * - `log`: every placed small block that leaves the live set after the latest peak and was live
 *   at it (address/8 lo and hi, size, key; 12 bytes): at most the blocks live at the peak
 *   (large.bin: 2.6 M, 31 MB), cleared by every new peak (memray's `>=`);
 * - whether a block was live at the peak: born (the fine interval it was allocated in, kept
 *   modulo 2^19 by the heap replay) before the peak's interval, or in it and not allocated after
 *   the peak record. The second part is the `tie` set: the addresses allocated after the peak
 *   while the fine interval is still the peak's (insert-only until the next peak; a block
 *   allocated later has a later birth).
 *
 * Births wrap after 2^19 memory records (about 87 minutes at memray's 10 ms): in a longer
 * capture a block older than that may be taken for a younger one (source.ts says so in the
 * layout of such a capture). The tie set holds at most TIE_MAX addresses; past that (a burst of
 * allocations between two memory records right after the peak) `overflowed` says the stacks at
 * the peak are not known.
 *
 * The log is kept in chunks of PEAK_LOG_CHUNK entries that never move, reused after each peak:
 * no doubling copy, and the WebAssembly full index (assembly/pages.ts, the peak-block part) hands
 * over each chunk it fills (takeChunk) instead of holding the whole log in its own memory too —
 * a second 31 MB on large.bin (peak RSS 199 → 169 MB; CPU within the noise). Its tie set and
 * the log's last, partial chunk come at the end (PymallocPageTable.adoptWasm);
 * page-table-wasm.test.ts compares the two.
 */

/** Addresses the tie set holds at most (16 MiB of table). */
export const TIE_MAX = 1 << 20;
/** Log entries per chunk (assembly/pages.ts's LOG_CHUNK): 786 kB. */
export const PEAK_LOG_CHUNK_BITS = 16;
const CHUNK_MASK = (1 << PEAK_LOG_CHUNK_BITS) - 1;
const EMPTY = -1;

export class PeakBlocks {
  /**
   * Chunk c holds entries c·PEAK_LOG_CHUNK …, 3 words each: lo, hi | size << 13 (hi < 2^13,
   * size ≤ 512), key. Read by forEachEntry. Chunks past logN are kept for reuse.
   */
  private chunks: Int32Array[] = [];
  logN = 0;
  /** The fine interval (memory records read before it) of the latest peak record. */
  peakFine = 0;
  seen = false;
  overflowed = false;

  // tie set: open addressing over (lo, hi) pairs; hi = EMPTY marks a free slot
  private tie = new Int32Array(2 * 1024).fill(EMPTY);
  private tieMask = 1023;
  /** Slots in use, so a new peak clears them in O(used). */
  private tieUsed = new Int32Array(256);
  tieN = 0;

  /** The heap reached (again) its peak after a record read in fine interval `fine`. */
  atPeak(fine: number): void {
    this.logN = 0;
    for (let i = 0; i < this.tieN; i++) this.tie[this.tieUsed[i] * 2 + 1] = EMPTY;
    this.tieN = 0;
    this.overflowed = false;
    this.peakFine = fine;
    this.seen = true;
  }

  /** A placed small block became live in fine interval `fine`. */
  added(lo: number, hi: number, fine: number): void {
    if (fine === this.peakFine && this.seen) this.tieInsert(lo, hi);
  }

  /** A placed small block (born in `birthLow`, mod 2^19) left the live set in fine interval `fine`. */
  removed(lo: number, hi: number, size: number, key: number, birthLow: number, fine: number): void {
    if (!this.seen || !this.liveAtPeak(lo, hi, birthLow, fine)) return;
    const chunk = this.chunk(this.logN >>> PEAK_LOG_CHUNK_BITS);
    const i = (this.logN & CHUNK_MASK) * 3;
    chunk[i] = lo;
    chunk[i + 1] = hi | (size << 13);
    chunk[i + 2] = key;
    this.logN++;
  }

  /** Visits the log's entries (address in bytes, size, key), a chunk at a time. */
  forEachEntry(fn: (address: number, size: number, key: number) => void): void {
    for (let c = 0; c * (CHUNK_MASK + 1) < this.logN; c++) {
      const words = this.chunks[c];
      const n = Math.min(CHUNK_MASK + 1, this.logN - c * (CHUNK_MASK + 1)) * 3;
      for (let i = 0; i < n; i += 3) {
        const hiSize = words[i + 1];
        fn(((hiSize & 8191) * 4294967296 + (words[i] >>> 0)) * 8, hiSize >>> 13, words[i + 2]);
      }
    }
  }

  /** The log's first logN entries as one array of words (tests). */
  logWords(): Int32Array {
    const out = new Int32Array(this.logN * 3);
    for (let c = 0; c * (CHUNK_MASK + 1) < this.logN; c++) {
      const n = Math.min(CHUNK_MASK + 1, this.logN - c * (CHUNK_MASK + 1));
      out.set(this.chunks[c].subarray(0, n * 3), c * (CHUNK_MASK + 1) * 3);
    }
    return out;
  }

  /** Chunk `c` of the log, made when first needed. */
  private chunk(c: number): Int32Array {
    return (this.chunks[c] ??= new Int32Array((CHUNK_MASK + 1) * 3));
  }

  /** The WebAssembly loop filled chunk `c` of the log since the latest peak: `words` are its entries. */
  takeChunk(c: number, words: Int32Array): void {
    this.chunk(c).set(words);
  }

  /** Whether a block live now (at fine interval `fine`), born in `birthLow`, was live at the peak. */
  liveAtPeak(lo: number, hi: number, birthLow: number, fine: number): boolean {
    const birth = fine - ((fine - birthLow) & BIRTH_MASK);
    return birth < this.peakFine || (birth === this.peakFine && !this.tieHas(lo, hi));
  }

  /** Every address of the tie set (adoptWasm's counterpart; tests). */
  tieEntries(): Int32Array {
    const out = new Int32Array(this.tieN * 2);
    for (let i = 0; i < this.tieN; i++) {
      const s = this.tieUsed[i] * 2;
      out[i * 2] = this.tie[s];
      out[i * 2 + 1] = this.tie[s + 1];
    }
    return out;
  }

  /**
   * The state the WebAssembly loop left (PymallocPageTable.adoptWasm): the log's length and its
   * last chunk's entries (`tail`, the ones not handed over by takeChunk), the tie set.
   */
  adopt(s: {
    logN: number;
    tail: Int32Array;
    tie: Int32Array;
    peakFine: number;
    seen: boolean;
    overflowed: boolean;
  }): void {
    this.atPeak(s.peakFine);
    this.seen = s.seen;
    this.overflowed = s.overflowed;
    this.logN = s.logN;
    if (s.tail.length > 0) this.chunk((s.logN - s.tail.length / 3) >>> PEAK_LOG_CHUNK_BITS).set(s.tail);
    for (let i = 0; i < s.tie.length; i += 2) this.tieInsert(s.tie[i], s.tie[i + 1]);
  }

  get bytesHeld(): number {
    return this.chunks.length * (CHUNK_MASK + 1) * 12 + this.tie.byteLength + this.tieUsed.byteLength;
  }

  private slotOf(lo: number, hi: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 8;
  }

  private tieInsert(lo: number, hi: number): void {
    if (this.tieN >= TIE_MAX) {
      this.overflowed = true;
      return;
    }
    let i = this.slotOf(lo, hi) & this.tieMask;
    for (;;) {
      const h = this.tie[i * 2 + 1];
      if (h === EMPTY) break;
      if (h === hi && this.tie[i * 2] === lo) return;
      i = (i + 1) & this.tieMask;
    }
    this.tie[i * 2] = lo;
    this.tie[i * 2 + 1] = hi;
    if (this.tieN === this.tieUsed.length) {
      const next = new Int32Array(this.tieN * 2);
      next.set(this.tieUsed);
      this.tieUsed = next;
    }
    this.tieUsed[this.tieN++] = i;
    if (this.tieN * 2 > this.tieMask + 1) this.growTie();
  }

  private tieHas(lo: number, hi: number): boolean {
    if (this.tieN === 0) return false;
    let i = this.slotOf(lo, hi) & this.tieMask;
    for (;;) {
      const h = this.tie[i * 2 + 1];
      if (h === EMPTY) return false;
      if (h === hi && this.tie[i * 2] === lo) return true;
      i = (i + 1) & this.tieMask;
    }
  }

  private growTie(): void {
    const entries = this.tieEntries();
    const size = (this.tieMask + 1) * 2;
    this.tie = new Int32Array(size * 2).fill(EMPTY);
    this.tieMask = size - 1;
    this.tieN = 0;
    for (let i = 0; i < entries.length; i += 2) this.tieInsert(entries[i], entries[i + 1]);
  }
}
