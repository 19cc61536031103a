import type { KeyTable } from './key-table';
import { BIRTH_MASK } from './live-table';
import { F64List, PairMap, growF64, growI32, growU8 } from './tables';

/** The most coarse time buckets kept; beyond this, neighbours merge pairwise. */
export const MAX_BUCKETS = 2048;
/** Per-key bucket entries (and free intervals) kept before buckets merge: ~35 MB at most. */
export const ENTRY_BUDGET = 400_000;

/** Per-key (count, bytes), indexed by key: the currency of every snapshot kind. */
export interface KeyVector {
  count: Float64Array;
  bytes: Float64Array;
}

/**
 * What is kept per time bucket beside the index (the temporary allocations found in each): it
 * closes and merges its buckets when the index does.
 */
export interface BucketFollower {
  closeBucket(): void;
  mergeBuckets(): void;
}

/** The heap's peak over some buckets: where it is, how high, and the memory record dating it. */
export interface BucketPeak {
  bucket: number;
  bytes: number;
  /** The memory record whose time dates the peak (-1: the capture start). */
  record: number;
}

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
 */
export class TimeIndex {
  /** Memory records so far: an allocation record lies in fine interval `fineCount`. */
  fineCount = 0;
  /** Coarse bucket = fine index >> bucketShift. */
  bucketShift = 0;
  /** Coarse buckets kept before neighbours merge (even; lowered by tests to exercise merging). */
  maxBuckets = MAX_BUCKETS;
  /** Per-key entries kept before buckets merge (lowered by tests). */
  entryBudget = ENTRY_BUDGET;

  // ---- per bucket ----
  private readonly bStartHeap = new F64List();
  private readonly bEndHeap = new F64List();
  private readonly bPeakHeap = new F64List();
  /**
   * Where each bucket's peak (bPeakHeap) happened, at memory-record resolution: v ≥ 0, an
   * ALLOCATION record in fine interval v (after memory record v-1, at or before memory record v;
   * the last such record, memray's `>=` rule); v < 0, the heap at the bucket's start, which is
   * the heap at memory record -v-2 (-1: the capture start).
   */
  private readonly bPeakFine = new F64List();
  private readonly bEndTime = new F64List();
  private readonly bStartTime = new F64List();
  /** Bucket b's entries are [bEntOff[b], bEntOff[b + 1]); likewise its frees in bIvOff. */
  private readonly bEntOff: number[] = [0];
  private readonly bIvOff: number[] = [0];

  // ---- per (bucket, key) entries: allocated, live-set change by the end and by the peak ----
  private eKey = new Int32Array(4096);
  private eAllocC = new Float64Array(4096);
  private eAllocB = new Float64Array(4096);
  private eDeltaC = new Float64Array(4096);
  private eDeltaB = new Float64Array(4096);
  private ePeakC = new Float64Array(4096);
  private ePeakB = new Float64Array(4096);
  private eN = 0;
  // ---- per (bucket, key, birth bucket): freed ----
  private iKey = new Int32Array(4096);
  private iBirth = new Int32Array(4096);
  private iC = new Float64Array(4096);
  private iB = new Float64Array(4096);
  private iN = 0;

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

  // ---- merging ----
  private mergeScratch = new Float64Array(1024);
  private readonly mergeSlots = new PairMap(12);
  private mergeKeys = new Int32Array(1024);
  /** Entries the index may hold before merging again, once the budget proved too small. */
  private entryFloor = 0;

  constructor(
    private readonly keys: KeyTable,
    private readonly follower: BucketFollower,
  ) {}

  // ======================= building (per record) =======================

  /** Per-key arrays follow the key table's capacity. */
  growKeys(min: number): void {
    if (min <= this.flags.length) return;
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
    if ((this.fineCount & ((1 << this.bucketShift) - 1)) === 0) this.closeBucket(timeMs, current);
  }

  /** End of stream: close the open bucket so the index covers everything read. */
  finish(timeMs: number, current: number): void {
    this.closeBucket(timeMs, current);
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
    this.bStartHeap.push(startHeap);
    this.bEndHeap.push(current);
    this.bPeakHeap.push(usePeak ? this.localPeak : startHeap);
    this.bPeakFine.push(usePeak ? this.localPeakFine : -this.bucketStartFine - 1);
    this.bStartTime.push(this.bucketStartTime);
    this.bEndTime.push(timeMs);
    const n = this.tN;
    if (this.eN + n > this.eKey.length) this.growEntries(this.eN + n);
    for (let i = 0; i < n; i++) {
      const k = this.tList[i];
      const e = this.eN++;
      this.eKey[e] = k;
      // touched() runs before a key counts, so allCount moved past startAll
      this.eAllocC[e] = keys.allCount[k] - this.startAllCount[k];
      this.eAllocB[e] = keys.allBytes[k] - this.startAllBytes[k];
      this.eDeltaC[e] = keys.liveCount[k] - this.startCount[k];
      this.eDeltaB[e] = keys.liveBytes[k] - this.startBytes[k];
      this.ePeakC[e] = usePeak ? this.lpCount[k] : 0;
      this.ePeakB[e] = usePeak ? this.lpBytes[k] : 0;
      this.startCount[k] = keys.liveCount[k];
      this.startBytes[k] = keys.liveBytes[k];
      this.lpCount[k] = 0;
      this.lpBytes[k] = 0;
      this.flags[k] &= PEAK_DIRTY;
    }
    this.tN = 0;
    this.lN = 0;
    this.bEntOff.push(this.eN);
    if (this.iN + this.pN > this.iKey.length) this.growIntervals(this.iN + this.pN);
    for (let i = 0; i < this.pN; i++) {
      const j = this.iN++;
      this.iKey[j] = this.pKey[i];
      this.iBirth[j] = this.pBirth[i];
      this.iC[j] = this.pC[i];
      this.iB[j] = this.pB[i];
    }
    this.pN = 0;
    this.bucketSerial++;
    if (this.pendingIv.size > 0) this.pendingIv = new PairMap(8);
    this.bIvOff.push(this.iN);
    this.follower.closeBucket();
    this.bucketStartHeap = current;
    this.bucketStartTime = timeMs;
    this.bucketStartFine = this.fineCount;
    this.localPeak = -Infinity;
    // Bound the index: at most maxBuckets buckets and about ENTRY_BUDGET per-key entries (a
    // capture with many stacks touched everywhere gets coarser buckets instead of more memory).
    // Merging needs an even count so the open bucket starts a merged one.
    const limit = Math.max(this.entryBudget, this.entryFloor);
    let merged = false;
    while (
      this.bStartHeap.length >= 2 &&
      this.bStartHeap.length % 2 === 0 &&
      (this.bStartHeap.length >= this.maxBuckets || this.eN > limit || this.iN > limit)
    ) {
      const before = this.eN + this.iN;
      this.mergeBuckets();
      merged = true;
      if (this.bStartHeap.length < this.maxBuckets && this.eN + this.iN === before) break;
    }
    // More distinct keys than the budget (deep recursive stacks: 492 k keys in the 3.8 MB
    // treebuilder capture) cannot fit however coarse the buckets get; merging again at every
    // bucket rewrote all entries each time (2.4 s of a 7.7 s open). Merge again only once the
    // entries have doubled: the index stays within 2× what one bucket per key needs.
    if (merged && (this.eN > this.entryBudget || this.iN > this.entryBudget))
      this.entryFloor = 2 * Math.max(this.eN, this.iN);
  }

  /**
   * The index's biggest arrays grow ×4 while small, then straight to the budget: few
   * reallocations, because glibc keeps freed multi-MB blocks once its mmap threshold has risen
   * (measured: ~50 MB of extra RSS on the 1 GB synthetic capture with ×1.5 growth).
   */
  private capacityFor(min: number, cap: number): number {
    const full = this.entryBudget + (1 << 16);
    if (min > full) return Math.ceil(min * 1.25);
    return cap * 4 >= full / 2 ? full : Math.max(min, cap * 4);
  }

  private growEntries(min: number): void {
    const n = this.capacityFor(min, this.eKey.length);
    this.eKey = growI32(this.eKey, n);
    this.eAllocC = growF64(this.eAllocC, n);
    this.eAllocB = growF64(this.eAllocB, n);
    this.eDeltaC = growF64(this.eDeltaC, n);
    this.eDeltaB = growF64(this.eDeltaB, n);
    this.ePeakC = growF64(this.ePeakC, n);
    this.ePeakB = growF64(this.ePeakB, n);
  }

  private growIntervals(min: number): void {
    const n = this.capacityFor(min, this.iKey.length);
    this.iKey = growI32(this.iKey, n);
    this.iBirth = growI32(this.iBirth, n);
    this.iC = growF64(this.iC, n);
    this.iB = growF64(this.iB, n);
  }

  /**
   * Too many buckets, or too many per-key entries in them: merge neighbours pairwise (bucket
   * 2i and 2i+1 become i), in place. A merged bucket's entries never outnumber its two inputs',
   * so output never overtakes input; each pair is staged in a small scratch first.
   */
  private mergeBuckets(): void {
    const nb = this.bStartHeap.length;
    const half = nb >> 1;
    this.follower.mergeBuckets();
    const sh = this.bStartHeap.data;
    const eh = this.bEndHeap.data;
    const ph = this.bPeakHeap.data;
    const pf = this.bPeakFine.data;
    const st = this.bStartTime.data;
    const et = this.bEndTime.data;
    // (key, pair) → staged index; typed-array hash and scratch, so a merge of ~10^5 entries
    // makes no JS-heap garbage
    const slot = this.mergeSlots;
    slot.clear();
    let sv = this.mergeScratch;
    let sk = this.mergeKeys;
    let eOut = 0;
    let iOut = 0;
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = a + 1;
      const peakInB = ph[b] >= ph[a];
      sh[j] = sh[a];
      eh[j] = eh[b];
      ph[j] = peakInB ? ph[b] : ph[a];
      // b's start heap is a's end heap (≤ a's peak): an equal start-heap peak in b is reached in a
      pf[j] = peakInB && pf[b] >= 0 ? pf[b] : pf[a];
      st[j] = st[a];
      et[j] = et[b];
      let n = 0;
      const need = this.bEntOff[b + 1] - this.bEntOff[a];
      if (need * 6 > sv.length) sv = this.mergeScratch = new Float64Array(need * 6 * 2);
      if (need > sk.length) sk = this.mergeKeys = new Int32Array(need * 2);
      for (let src = a; src <= b; src++) {
        for (let e = this.bEntOff[src]; e < this.bEntOff[src + 1]; e++) {
          const k = this.eKey[e];
          let d = slot.get(k, j);
          if (d < 0) {
            d = n++;
            slot.set(k, j, d);
            sk[d] = k;
            sv.fill(0, d * 6, d * 6 + 6);
          }
          const o = d * 6;
          sv[o] += this.eAllocC[e];
          sv[o + 1] += this.eAllocB[e];
          if (src === a) {
            // The merged peak is in b: everything a changed counts; in a: a's own peak delta.
            sv[o + 4] += peakInB ? this.eDeltaC[e] : this.ePeakC[e];
            sv[o + 5] += peakInB ? this.eDeltaB[e] : this.ePeakB[e];
          } else if (peakInB) {
            sv[o + 4] += this.ePeakC[e];
            sv[o + 5] += this.ePeakB[e];
          }
          sv[o + 2] += this.eDeltaC[e];
          sv[o + 3] += this.eDeltaB[e];
        }
      }
      for (let d = 0; d < n; d++) {
        const o = d * 6;
        this.eKey[eOut] = sk[d];
        this.eAllocC[eOut] = sv[o];
        this.eAllocB[eOut] = sv[o + 1];
        this.eDeltaC[eOut] = sv[o + 2];
        this.eDeltaB[eOut] = sv[o + 3];
        this.ePeakC[eOut] = sv[o + 4];
        this.ePeakB[eOut] = sv[o + 5];
        eOut++;
      }
      n = 0;
      const needI = this.bIvOff[b + 1] - this.bIvOff[a];
      if (needI * 6 > sv.length) sv = this.mergeScratch = new Float64Array(needI * 6 * 2);
      if (needI * 2 > sk.length) sk = this.mergeKeys = new Int32Array(needI * 4);
      for (let src = a; src <= b; src++) {
        for (let e = this.bIvOff[src]; e < this.bIvOff[src + 1]; e++) {
          const birth = this.iBirth[e] >> 1;
          // pair j and birth (both < 2048) share one int: births ≤ j < maxBuckets
          let d = slot.get(this.iKey[e], 0x400000 + birth * 2048 + j);
          if (d < 0) {
            d = n++;
            slot.set(this.iKey[e], 0x400000 + birth * 2048 + j, d);
            sk[d * 2] = this.iKey[e];
            sk[d * 2 + 1] = birth;
            sv[d * 2] = 0;
            sv[d * 2 + 1] = 0;
          }
          sv[d * 2] += this.iC[e];
          sv[d * 2 + 1] += this.iB[e];
        }
      }
      for (let d = 0; d < n; d++) {
        this.iKey[iOut] = sk[d * 2];
        this.iBirth[iOut] = sk[d * 2 + 1];
        this.iC[iOut] = sv[d * 2];
        this.iB[iOut] = sv[d * 2 + 1];
        iOut++;
      }
      // offsets of bucket j (read before: bEntOff[a] for a ≥ j is not yet overwritten)
      this.bEntOff[j + 1] = eOut;
      this.bIvOff[j + 1] = iOut;
    }
    this.eN = eOut;
    this.iN = iOut;
    this.bEntOff.length = half + 1;
    this.bIvOff.length = half + 1;
    this.bStartHeap.length = half;
    this.bEndHeap.length = half;
    this.bPeakHeap.length = half;
    this.bPeakFine.length = half;
    this.bStartTime.length = half;
    this.bEndTime.length = half;
    this.bucketShift++;
    this.bucketSerial++;
    // pending frees of the open bucket refer to birth buckets at the old resolution
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

  // ======================= reading (queries) =======================

  get bucketCount(): number {
    return this.bStartHeap.length;
  }

  startTimeMs(bucket: number): number {
    return this.bStartTime.get(bucket);
  }

  /** The time of the memory record that closed `bucket` (the last one's for the final bucket). */
  endTimeMs(bucket: number): number {
    return this.bEndTime.get(bucket);
  }

  /** Every bucket's end time, in order (a copy). */
  endTimesMs(): Float64Array {
    return this.bEndTime.view().slice();
  }

  /** The bucket that contains time t (ms from start): the first bucket ending at or after t. */
  bucketAt(t: number): number {
    const ends = this.bEndTime.view();
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] >= t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The memory record that closes `bucket`, of `records` in all (the last for the final bucket). */
  lastRecordOf(bucket: number, records: number): number {
    return Math.min(((bucket + 1) << this.bucketShift) - 1, records - 1);
  }

  /** The live set at the start of `bucket`: the sum of the changes of the buckets before it. */
  liveAtStart(bucket: number): KeyVector {
    const v = this.zeros();
    const end = this.bEntOff[bucket];
    for (let e = 0; e < end; e++) {
      v.count[this.eKey[e]] += this.eDeltaC[e];
      v.bytes[this.eKey[e]] += this.eDeltaB[e];
    }
    return v;
  }

  /** The live set when `bucket` reached its peak. */
  liveAtPeakOf(bucket: number): KeyVector {
    const v = this.liveAtStart(bucket);
    for (let e = this.bEntOff[bucket]; e < this.bEntOff[bucket + 1]; e++) {
      v.count[this.eKey[e]] += this.ePeakC[e];
      v.bytes[this.eKey[e]] += this.ePeakB[e];
    }
    return v;
  }

  /** Allocated in buckets b1..b2. */
  allocatedIn(b1: number, b2: number): KeyVector {
    const v = this.zeros();
    for (let e = this.bEntOff[b1]; e < this.bEntOff[b2 + 1]; e++) {
      v.count[this.eKey[e]] += this.eAllocC[e];
      v.bytes[this.eKey[e]] += this.eAllocB[e];
    }
    return v;
  }

  /** Allocated in buckets b1..b2 and not freed by the end of b2 (memray --temporal intervals). */
  survivorsIn(b1: number, b2: number): KeyVector {
    const v = this.allocatedIn(b1, b2);
    for (let i = this.bIvOff[b1]; i < this.bIvOff[b2 + 1]; i++) {
      const birth = this.iBirth[i];
      if (birth < b1 || birth > b2) continue;
      v.count[this.iKey[i]] -= this.iC[i];
      v.bytes[this.iKey[i]] -= this.iB[i];
    }
    return v;
  }

  /**
   * The largest bucket peak of b1..b2 (the heap after any record of the buckets, or the heap at
   * b1's start); ties go to the latest bucket whose peak a record reached (memray's `>=` rule on
   * records), so buckets covering the capture have the capture's peak.
   */
  peakIn(b1: number, b2: number): BucketPeak {
    const peaks = this.bPeakHeap.view();
    const where = this.bPeakFine.view();
    let best = b1;
    for (let i = b1 + 1; i <= b2; i++) {
      if (peaks[i] > peaks[best] || (peaks[i] === peaks[best] && where[i] >= 0)) best = i;
    }
    const v = where[best];
    return { bucket: best, bytes: peaks[best], record: v >= 0 ? v : -v - 2 };
  }

  /** The heap at `bucket`'s peak. */
  peakBytesOf(bucket: number): number {
    return this.bPeakHeap.get(bucket);
  }

  /**
   * The fine interval in which an ALLOCATION record reached `bucket`'s peak (after memory
   * record v-1, at or before record v), or -1 when the bucket's peak is the heap at its start.
   */
  peakIntervalOf(bucket: number): number {
    const v = this.bPeakFine.get(bucket);
    return v >= 0 ? v : -1;
  }

  /** into[groupOf[key]] += the live bytes each key gained over `bucket` (groups < 0 skipped). */
  addChangeBytes(bucket: number, groupOf: ArrayLike<number>, into: Float64Array | number[]): void {
    for (let e = this.bEntOff[bucket]; e < this.bEntOff[bucket + 1]; e++) {
      const g = groupOf[this.eKey[e]];
      if (g >= 0) into[g] += this.eDeltaB[e];
    }
  }

  /** into[groupOf[key]] += the live bytes each key gained from `bucket`'s start to its peak. */
  addPeakChangeBytes(bucket: number, groupOf: ArrayLike<number>, into: Float64Array | number[]): void {
    for (let e = this.bEntOff[bucket]; e < this.bEntOff[bucket + 1]; e++) {
      const g = groupOf[this.eKey[e]];
      if (g >= 0) into[g] += this.ePeakB[e];
    }
  }

  /** Bytes the index holds, roughly (for the bench report). */
  approxBytes(): number {
    return this.eKey.length * 52 + this.iKey.length * 24;
  }

  private zeros(): KeyVector {
    return { count: new Float64Array(this.keys.count), bytes: new Float64Array(this.keys.count) };
  }
}
