import { BIRTH_MASK } from './live-table';
import { PairMap, growF64, growI32, growU8 } from './tables';
import { TimeBuckets } from './time-buckets';

export { ENTRY_BUDGET, MAX_BUCKETS, TimeBuckets } from './time-buckets';
export type { BucketFollower, BucketPeak, KeyVector } from './time-buckets';

// Per-key journal bits: changed since the last global-peak sync, since the bucket-peak sync,
// touched in the open bucket.
const PEAK_DIRTY = 1;
const BUCKET_PEAK_DIRTY = 2;
const TOUCHED = 4;
const ALL_DIRTY = 7;

/**
 * The memray index's time axis: the live set per key through time, without one entry per
 * record. Memory records cut the stream into fine intervals; consecutive fine intervals form a
 * coarse bucket (at most `maxBuckets`; neighbours merge pairwise when there are more, or when
 * the per-key entries pass `entryBudget`). Per bucket it keeps the heap at its start, end and
 * peak, and per key touched in it what was allocated, the change of the live set by its end and
 * by the bucket's peak; per (key, birth bucket) what was freed (memray's --temporal intervals).
 * Ranges, moments and per-site growth are sums over those entries.
 *
 * The builder drives it per record (`touched`, `changed`, `afterRecord`, `freed`) and per memory
 * record (`memoryRecord`); all of it on typed arrays, no allocation per record. It also keeps
 * the per-key live set at the capture's peak (`afterRecord` at the peak), which follows the same
 * journal.
 *
 * This class is the open bucket, per record; the closed buckets (storage, merging, the queries)
 * are TimeBuckets (time-buckets.ts), which the WebAssembly loop's open bucket closes into too.
 */
export class TimeIndex extends TimeBuckets {
  /** Memory records so far: an allocation record lies in fine interval `fineCount`. */
  fineCount = 0;
  /**
   * Set by a loop that keeps the open bucket itself (records-wasm-full.ts): finish() closes the
   * last bucket through it.
   */
  closeExternally?: (timeMs: number, current: number) => void;

  // ---- per key, for the open bucket ----
  private startCount = new Float64Array(1024);
  private startBytes = new Float64Array(1024);
  private lpCount = new Float64Array(1024);
  private lpBytes = new Float64Array(1024);
  private startAllCount = new Float64Array(1024);
  private startAllBytes = new Float64Array(1024);
  private flags = new Uint8Array(1024);
  /** Keys changed since the last global-peak sync, since the bucket-peak sync, touched in the bucket. */
  private gList = new Int32Array(1024);
  private gN = 0;
  private lList = new Int32Array(1024);
  private lN = 0;
  private tList = new Int32Array(1024);
  private tN = 0;
  /** Per-key cache of the last pending (birth → index) pair, valid while pkStamp == bucketSerial. */
  private pkStamp = new Int32Array(1024).fill(-1);
  private pkBirth = new Int32Array(1024);
  private pkIdx = new Int32Array(1024);

  // ---- the open bucket ----
  private bucketStartHeap = 0;
  private bucketStartTime = 0;
  private localPeak = -Infinity;
  /** Fine interval of the last record that reached localPeak. */
  private localPeakFine = 0;
  /** First fine interval of the open bucket. */
  private bucketStartFine = 0;
  /** Frees in the open bucket: (key, birth bucket) → index into the pending arrays. */
  private pendingIv = new PairMap(8);
  private pKey = new Int32Array(256);
  private pBirth = new Int32Array(256);
  private pC = new Float64Array(256);
  private pB = new Float64Array(256);
  private pN = 0;
  private bucketSerial = 0;

  // ======================= building (per record) =======================

  /** Per-key arrays follow the key table's capacity. */
  growKeys(min: number): void {
    // a loop that keeps the open bucket itself (records-wasm-full.ts) needs none of these
    if (min <= this.flags.length || this.closeExternally) return;
    this.startCount = growF64(this.startCount, min);
    this.startBytes = growF64(this.startBytes, min);
    this.lpCount = growF64(this.lpCount, min);
    this.lpBytes = growF64(this.lpBytes, min);
    const stamps = new Int32Array(Math.max(min, this.pkStamp.length * 2)).fill(-1);
    stamps.set(this.pkStamp);
    this.pkStamp = stamps;
    this.pkBirth = growI32(this.pkBirth, min);
    this.pkIdx = growI32(this.pkIdx, min);
    this.startAllCount = growF64(this.startAllCount, min);
    this.startAllBytes = growF64(this.startAllBytes, min);
    this.flags = growU8(this.flags, min);
    this.gList = growI32(this.gList, min);
    this.lList = growI32(this.lList, min);
    this.tList = growI32(this.tList, min);
  }

  /**
   * Key `k` is about to count an allocation: touched first, so the bucket's allocated total is
   * the key's total now minus its total at first touch.
   */
  touched(k: number): void {
    const f = this.flags[k];
    if ((f & TOUCHED) === 0) {
      this.touch(k);
      this.flags[k] = f | TOUCHED;
    }
  }

  /** Key `k` changed its live numbers: journal it for the global peak, the bucket peak and the bucket. */
  changed(k: number): void {
    const f = this.flags[k];
    if (f === ALL_DIRTY) return;
    if ((f & PEAK_DIRTY) === 0) this.gList[this.gN++] = k;
    if ((f & BUCKET_PEAK_DIRTY) === 0) this.lList[this.lN++] = k;
    if ((f & TOUCHED) === 0) this.touch(k);
    this.flags[k] = ALL_DIRTY;
  }

  /**
   * After every ALLOCATION record: `atPeak` when the heap reached the capture's peak (the keys
   * changed since the last one take their live numbers); a heap ≥ the open bucket's peak so far
   * is its new peak.
   */
  afterRecord(current: number, atPeak: boolean): void {
    const keys = this.keys;
    if (atPeak) {
      const list = this.gList;
      for (let i = 0; i < this.gN; i++) {
        const k = list[i];
        keys.peakCount[k] = keys.liveCount[k];
        keys.peakBytes[k] = keys.liveBytes[k];
        this.flags[k] &= ~PEAK_DIRTY;
      }
      this.gN = 0;
    }
    if (current < this.localPeak) return;
    this.localPeak = current;
    this.localPeakFine = this.fineCount;
    const list = this.lList;
    for (let i = 0; i < this.lN; i++) {
      const k = list[i];
      this.lpCount[k] = keys.liveCount[k] - this.startCount[k];
      this.lpBytes[k] = keys.liveBytes[k] - this.startBytes[k];
      this.flags[k] &= ~BUCKET_PEAK_DIRTY;
    }
    this.lN = 0;
  }

  /**
   * `count` allocations (`bytes`) of key `k` left the live set; they were born in the fine
   * interval whose low 19 bits are `birthLow` (the most recent one with those bits: one living
   * longer than 2^19 memory records gets a wrong birth bucket, only here).
   */
  freed(k: number, birthLow: number, count: number, bytes: number): void {
    const birthFine = this.fineCount - ((this.fineCount - birthLow) & BIRTH_MASK);
    const birth = birthFine >>> this.bucketShift;
    let i: number;
    // most frees of a key in a bucket hit the same birth bucket as its previous free
    if (this.pkStamp[k] === this.bucketSerial && this.pkBirth[k] === birth) {
      i = this.pkIdx[k];
    } else {
      i = this.pendingIv.get(k, birth);
      if (i < 0) {
        i = this.pN++;
        if (i >= this.pKey.length) {
          this.pKey = growI32(this.pKey, i + 1);
          this.pBirth = growI32(this.pBirth, i + 1);
          this.pC = growF64(this.pC, i + 1);
          this.pB = growF64(this.pB, i + 1);
        }
        this.pKey[i] = k;
        this.pBirth[i] = birth;
        this.pC[i] = 0;
        this.pB[i] = 0;
        this.pendingIv.set(k, birth, i);
      }
      this.pkStamp[k] = this.bucketSerial;
      this.pkBirth[k] = birth;
      this.pkIdx[k] = i;
    }
    this.pC[i] += count;
    this.pB[i] += bytes;
  }

  /** A MEMORY_RECORD at `timeMs` (heap `current`) ends a fine interval, and maybe a bucket. */
  memoryRecord(timeMs: number, current: number): void {
    this.fineCount++;
    if ((this.fineCount & ((1 << this.bucketShift) - 1)) === 0) this.closeOpenBucket(timeMs, current);
  }

  /** End of stream: close the open bucket so the index covers everything read. */
  finish(timeMs: number, current: number): void {
    this.closeOpenBucket(timeMs, current);
  }

  /** The open bucket closes here, or where the loop that keeps it says (closeExternally). */
  private closeOpenBucket(timeMs: number, current: number): void {
    if (this.closeExternally) this.closeExternally(timeMs, current);
    else this.closeBucket(timeMs, current);
  }

  /** First change of a key in the open bucket: remember where it started. */
  private touch(k: number): void {
    this.tList[this.tN++] = k;
    this.startAllCount[k] = this.keys.allCount[k];
    this.startAllBytes[k] = this.keys.allBytes[k];
  }

  private closeBucket(timeMs: number, current: number): void {
    const keys = this.keys;
    const startHeap = this.bucketStartHeap;
    const usePeak = this.localPeak >= startHeap;
    const n = this.tN;
    this.reserve(n, this.pN);
    for (let i = 0; i < n; i++) {
      const k = this.tList[i];
      // touched() runs before a key counts, so allCount moved past startAll
      this.pushEntry(
        k,
        keys.allCount[k] - this.startAllCount[k],
        keys.allBytes[k] - this.startAllBytes[k],
        keys.liveCount[k] - this.startCount[k],
        keys.liveBytes[k] - this.startBytes[k],
        usePeak ? this.lpCount[k] : 0,
        usePeak ? this.lpBytes[k] : 0,
      );
      this.startCount[k] = keys.liveCount[k];
      this.startBytes[k] = keys.liveBytes[k];
      this.lpCount[k] = 0;
      this.lpBytes[k] = 0;
      this.flags[k] &= PEAK_DIRTY;
    }
    this.tN = 0;
    this.lN = 0;
    for (let i = 0; i < this.pN; i++) this.pushFree(this.pKey[i], this.pBirth[i], this.pC[i], this.pB[i]);
    this.pN = 0;
    this.bucketSerial++;
    if (this.pendingIv.size > 0) this.pendingIv = new PairMap(8);
    const startTime = this.bucketStartTime;
    const peakFine = usePeak ? this.localPeakFine : -this.bucketStartFine - 1;
    const peakHeap = usePeak ? this.localPeak : startHeap;
    this.bucketStartHeap = current;
    this.bucketStartTime = timeMs;
    this.bucketStartFine = this.fineCount;
    this.localPeak = -Infinity;
    this.endBucket(startHeap, current, peakHeap, peakFine, startTime, timeMs);
  }

  /** The buckets merged: pending frees of the open bucket refer to birth buckets at the old resolution. */
  protected override afterMerge(): void {
    this.bucketSerial++;
    for (let i = 0; i < this.pN; i++) this.pBirth[i] >>= 1;
    this.compactPending();
  }

  /** After a merge two pending entries may share (key, birth); fold them. */
  private compactPending(): void {
    const seen = new PairMap(8);
    let w = 0;
    for (let i = 0; i < this.pN; i++) {
      const j = seen.get(this.pKey[i], this.pBirth[i]);
      if (j >= 0) {
        this.pC[j] += this.pC[i];
        this.pB[j] += this.pB[i];
        continue;
      }
      this.pKey[w] = this.pKey[i];
      this.pBirth[w] = this.pBirth[i];
      this.pC[w] = this.pC[i];
      this.pB[w] = this.pB[i];
      seen.set(this.pKey[w], this.pBirth[w], w);
      w++;
    }
    this.pN = w;
    this.pendingIv = seen;
  }
}
