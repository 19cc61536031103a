import type { KeyTable } from './key-table';
import { F64List, growF64, growI32 } from './tables';

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

/**
 * The closed buckets of the memray index's time axis (see time-index.ts for what a bucket
 * holds): their storage, the appending of a bucket the open bucket closed, the pairwise merging
 * that bounds them, and the queries. One implementation for both record loops: the JavaScript
 * open bucket (TimeIndex) and the WebAssembly one (records-wasm-full.ts) close into it the same way.
 */
export class TimeBuckets {
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

  // ---- merging ----
  /**
   * Per key: the serial of the merge step that last staged it, and where (its merged entry; for
   * frees, its latest merged free). A hash of (key, pair) did this before: 1.2 s of an 8.1 s open
   * of the 20 M-record synthetic capture, its table grown to 4 M slots (67 MB).
   */
  private mergeStamp = new Int32Array(1024);
  private mergePos = new Int32Array(1024);
  /** Per merged free of the pair being merged: the same key's previous one (-1: none). */
  private mergeNext = new Int32Array(1024);
  private mergeSerial = 0;
  /** Entries the index may hold before merging again, once the budget proved too small. */
  private entryFloor = 0;

  constructor(
    protected readonly keys: KeyTable,
    private readonly follower: BucketFollower,
  ) {}

  // ======================= closing a bucket =======================

  /** Room for `entries` more per-key entries and `frees` more frees before pushEntry/pushFree. */
  protected reserve(entries: number, frees: number): void {
    if (this.eN + entries > this.eKey.length) this.growEntries(this.eN + entries);
    if (this.iN + frees > this.iKey.length) this.growIntervals(this.iN + frees);
  }

  /** One entry of the bucket being closed (after reserve). */
  protected pushEntry(
    k: number,
    allocC: number,
    allocB: number,
    deltaC: number,
    deltaB: number,
    peakC: number,
    peakB: number,
  ): void {
    const e = this.eN++;
    this.eKey[e] = k;
    this.eAllocC[e] = allocC;
    this.eAllocB[e] = allocB;
    this.eDeltaC[e] = deltaC;
    this.eDeltaB[e] = deltaB;
    this.ePeakC[e] = peakC;
    this.ePeakB[e] = peakB;
  }

  /** One (key, birth bucket) free of the bucket being closed (after reserve). */
  protected pushFree(k: number, birth: number, count: number, bytes: number): void {
    const j = this.iN++;
    this.iKey[j] = k;
    this.iBirth[j] = birth;
    this.iC[j] = count;
    this.iB[j] = bytes;
  }

  /**
   * Closes a bucket from packed rows (the WebAssembly open bucket's): `entries` holds 7 numbers
   * per entry (key, allocC, allocB, deltaC, deltaB, peakC, peakB), `frees` 4 per free (key,
   * birth bucket, count, bytes); then as endBucket.
   */
  appendBucket(
    entries: Float64Array,
    entryCount: number,
    frees: Float64Array,
    freeCount: number,
    bucket: {
      startHeap: number;
      endHeap: number;
      peakHeap: number;
      peakFine: number;
      startTime: number;
      endTime: number;
    },
  ): void {
    this.reserve(entryCount, freeCount);
    for (let i = 0; i < entryCount; i++) {
      const o = i * 7;
      this.pushEntry(
        entries[o],
        entries[o + 1],
        entries[o + 2],
        entries[o + 3],
        entries[o + 4],
        entries[o + 5],
        entries[o + 6],
      );
    }
    for (let i = 0; i < freeCount; i++) {
      const o = i * 4;
      this.pushFree(frees[o], frees[o + 1], frees[o + 2], frees[o + 3]);
    }
    this.endBucket(
      bucket.startHeap,
      bucket.endHeap,
      bucket.peakHeap,
      bucket.peakFine,
      bucket.startTime,
      bucket.endTime,
    );
  }

  /**
   * The entries and frees pushed since the last close form a bucket with these heap values and
   * times; the follower closes its own, then buckets merge while there are too many.
   */
  protected endBucket(
    startHeap: number,
    endHeap: number,
    peakHeap: number,
    peakFine: number,
    startTime: number,
    endTime: number,
  ): void {
    this.bStartHeap.push(startHeap);
    this.bEndHeap.push(endHeap);
    this.bPeakHeap.push(peakHeap);
    this.bPeakFine.push(peakFine);
    this.bStartTime.push(startTime);
    this.bEndTime.push(endTime);
    this.bEntOff.push(this.eN);
    this.bIvOff.push(this.iN);
    this.follower.closeBucket();
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
    // Past the budget (more keys than it holds: treebuilder-pymalloc.bin's 492 k) the index
    // doubles: ×1.25 steps copied its seven columns about four times over, 0.19 s of a 3 s open.
    if (min > full) return Math.max(min, cap * 2);
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
   * 2i and 2i+1 become i), in place: a merged bucket's entries never outnumber its two inputs',
   * so output never overtakes input. A key's merged entry is the one its first entry in the pair
   * staged, in the order of first appearance; a per-key stamp finds it (no hash, no garbage).
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
    const nk = this.keys.count;
    if (nk > this.mergeStamp.length) {
      this.mergeStamp = growI32(this.mergeStamp, nk);
      this.mergePos = growI32(this.mergePos, nk);
    }
    const stamp = this.mergeStamp;
    const pos = this.mergePos;
    const eKey = this.eKey;
    const eAllocC = this.eAllocC;
    const eAllocB = this.eAllocB;
    const eDeltaC = this.eDeltaC;
    const eDeltaB = this.eDeltaB;
    const ePeakC = this.ePeakC;
    const ePeakB = this.ePeakB;
    const iKey = this.iKey;
    const iBirth = this.iBirth;
    const iC = this.iC;
    const iB = this.iB;
    const entOff = this.bEntOff;
    const ivOff = this.bIvOff;
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
      // (offsets of a and b are read before bucket j's are written: j ≤ a)
      const inB = entOff[b];
      const eEnd = entOff[b + 1];
      let serial = ++this.mergeSerial;
      for (let e = entOff[a]; e < eEnd; e++) {
        const k = eKey[e];
        let pc: number;
        let pb: number;
        if (e < inB) {
          // The merged peak is in b: everything a changed counts; in a: a's own peak delta.
          pc = peakInB ? eDeltaC[e] : ePeakC[e];
          pb = peakInB ? eDeltaB[e] : ePeakB[e];
        } else {
          pc = peakInB ? ePeakC[e] : 0;
          pb = peakInB ? ePeakB[e] : 0;
        }
        if (stamp[k] === serial) {
          const o = pos[k];
          eAllocC[o] += eAllocC[e];
          eAllocB[o] += eAllocB[e];
          eDeltaC[o] += eDeltaC[e];
          eDeltaB[o] += eDeltaB[e];
          ePeakC[o] += pc;
          ePeakB[o] += pb;
        } else {
          stamp[k] = serial;
          pos[k] = eOut;
          eKey[eOut] = k;
          eAllocC[eOut] = eAllocC[e];
          eAllocB[eOut] = eAllocB[e];
          eDeltaC[eOut] = eDeltaC[e];
          eDeltaB[eOut] = eDeltaB[e];
          ePeakC[eOut] = pc;
          ePeakB[eOut] = pb;
          eOut++;
        }
      }
      // Frees: per (key, birth), births 2i and 2i+1 folding into i. A key's merged frees of the
      // pair form a list (pos → mergeNext), one or two long nearly always.
      const first = iOut;
      const iStart = ivOff[a];
      const iEnd = ivOff[b + 1];
      if (iEnd - iStart > this.mergeNext.length) this.mergeNext = growI32(this.mergeNext, iEnd - iStart);
      const next = this.mergeNext;
      serial = ++this.mergeSerial;
      for (let e = iStart; e < iEnd; e++) {
        const k = iKey[e];
        const birth = iBirth[e] >> 1;
        let d = -1;
        if (stamp[k] === serial) {
          for (d = pos[k]; d >= 0 && iBirth[d] !== birth; d = next[d - first]);
        } else {
          stamp[k] = serial;
          pos[k] = -1;
        }
        if (d >= 0) {
          iC[d] += iC[e];
          iB[d] += iB[e];
        } else {
          next[iOut - first] = pos[k];
          pos[k] = iOut;
          iKey[iOut] = k;
          iBirth[iOut] = birth;
          iC[iOut] = iC[e];
          iB[iOut] = iB[e];
          iOut++;
        }
      }
      entOff[j + 1] = eOut;
      ivOff[j + 1] = iOut;
    }
    this.eN = eOut;
    this.iN = iOut;
    entOff.length = half + 1;
    ivOff.length = half + 1;
    this.bStartHeap.length = half;
    this.bEndHeap.length = half;
    this.bPeakHeap.length = half;
    this.bPeakFine.length = half;
    this.bStartTime.length = half;
    this.bEndTime.length = half;
    this.bucketShift++;
    this.afterMerge();
  }

  /** The buckets merged (bucketShift is one higher): the open bucket adapts (time-index.ts). */
  protected afterMerge(): void {}

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

  /** Every per-key entry of `bucket`: key, allocated, live-set change by its end and by its peak. */
  forEachEntry(
    bucket: number,
    fn: (
      k: number,
      allocC: number,
      allocB: number,
      deltaC: number,
      deltaB: number,
      peakC: number,
      peakB: number,
    ) => void,
  ): void {
    for (let e = this.bEntOff[bucket]; e < this.bEntOff[bucket + 1]; e++)
      fn(
        this.eKey[e],
        this.eAllocC[e],
        this.eAllocB[e],
        this.eDeltaC[e],
        this.eDeltaB[e],
        this.ePeakC[e],
        this.ePeakB[e],
      );
  }

  /** Every (key, birth bucket) free of `bucket`. */
  forEachFree(bucket: number, fn: (k: number, birth: number, count: number, bytes: number) => void): void {
    for (let i = this.bIvOff[bucket]; i < this.bIvOff[bucket + 1]; i++)
      fn(this.iKey[i], this.iBirth[i], this.iC[i], this.iB[i]);
  }

  /** Bytes the index holds, roughly (for the bench report). */
  approxBytes(): number {
    return this.eKey.length * 52 + this.iKey.length * 24;
  }

  private zeros(): KeyVector {
    return { count: new Float64Array(this.keys.count), bytes: new Float64Array(this.keys.count) };
  }
}
