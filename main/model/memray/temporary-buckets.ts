import { PairMap, growF64, growI32, growU8 } from './tables';

/**
 * memray's temporary allocations per time bucket, so a brushed range counts only the ones found
 * (at their free) inside it, as the other range snapshots count only their buckets. The buckets
 * are the time index's own (time-index.ts): closed and merged pairwise in step with it, so a range
 * resolves to the same whole buckets b1 … b2 for every snapshot kind.
 *
 * Each bucket holds one entry per (key, threshold class) that found temporaries in it. A
 * temporary is found at a free of its key's memory, which the time index also records for that
 * key in that bucket, so the entries stay within the index's per-key entries (one class nearly
 * always: see temporary.ts).
 */
export class TemporaryBuckets {
  // ---- the open bucket: (key, class) → pending entry; a per-key stamp skips the map ----
  private pending = new PairMap(8);
  private pKey = new Int32Array(256);
  private pClass = new Uint8Array(256);
  private pCount = new Float64Array(256);
  private pBytes = new Float64Array(256);
  private pN = 0;
  private stamp = new Int32Array(1024).fill(-1);
  private stampClass = new Uint8Array(1024);
  private stampIdx = new Int32Array(1024);
  private serial = 0;

  // ---- closed buckets: entries off[b] … off[b + 1] − 1 ----
  private readonly off: number[] = [0];
  private jKey = new Int32Array(1024);
  private jClass = new Uint8Array(1024);
  private jCount = new Float64Array(1024);
  private jBytes = new Float64Array(1024);
  private jN = 0;

  // ---- merging: per key, the merge step that last staged it and its latest merged entry ----
  private mergeStamp = new Int32Array(1024);
  private mergePos = new Int32Array(1024);
  /** Per merged entry of the pair being merged: the same key's previous one (-1: none). */
  private mergeNext = new Int32Array(1024);
  private mergeSerial = 0;

  /** Closed buckets (the time index's bucket count once the capture is read). */
  get bucketCount(): number {
    return this.off.length - 1;
  }

  /** A temporary of `key` with full size `size`, in threshold class `c`, found in the open bucket. */
  add(key: number, c: number, size: number): void {
    if (key >= this.stamp.length) this.growKeys(key + 1);
    let i: number;
    if (this.stamp[key] === this.serial && this.stampClass[key] === c) i = this.stampIdx[key];
    else {
      i = this.pending.get(key, c);
      if (i < 0) {
        i = this.pN++;
        if (i >= this.pKey.length) {
          this.pKey = growI32(this.pKey, i + 1);
          this.pClass = growU8(this.pClass, i + 1);
          this.pCount = growF64(this.pCount, i + 1);
          this.pBytes = growF64(this.pBytes, i + 1);
        }
        this.pKey[i] = key;
        this.pClass[i] = c;
        this.pCount[i] = 0;
        this.pBytes[i] = 0;
        this.pending.set(key, c, i);
      }
      this.stamp[key] = this.serial;
      this.stampClass[key] = c;
      this.stampIdx[key] = i;
    }
    this.pCount[i]++;
    this.pBytes[i] += size;
  }

  /**
   * The open bucket as another loop found it (the WebAssembly full index, temporary.ts
   * attachWasm): entry e is key `ints[6e]`, class `ints[6e + 1]`, count `floats[3e + 1]`, bytes
   * `floats[3e + 2]`. It replaces the pending entries (none: that loop found them all); the
   * (key, class) map stays empty, as no add() follows before the close.
   */
  setOpen(n: number, ints: Int32Array, floats: Float64Array): void {
    if (n > this.pKey.length) {
      this.pKey = growI32(this.pKey, n);
      this.pClass = growU8(this.pClass, n);
      this.pCount = growF64(this.pCount, n);
      this.pBytes = growF64(this.pBytes, n);
    }
    for (let i = 0; i < n; i++) {
      this.pKey[i] = ints[i * 6];
      this.pClass[i] = ints[i * 6 + 1];
      this.pCount[i] = floats[i * 3 + 1];
      this.pBytes[i] = floats[i * 3 + 2];
    }
    this.pN = n;
  }

  /** The time index closed a bucket: what the open one found becomes that bucket's entries. */
  close(): void {
    const n = this.pN;
    this.reserve(this.jN + n);
    for (let i = 0; i < n; i++) {
      const j = this.jN++;
      this.jKey[j] = this.pKey[i];
      this.jClass[j] = this.pClass[i];
      this.jCount[j] = this.pCount[i];
      this.jBytes[j] = this.pBytes[i];
    }
    this.off.push(this.jN);
    this.pN = 0;
    if (this.pending.size > 0) this.pending = new PairMap(8);
    this.serial++;
  }

  /**
   * The time index merged its closed buckets pairwise (2j and 2j + 1 become j; an even count):
   * the same here, in place (a merged bucket never has more entries than its two halves), a
   * (key, class) in the order of its first entry. A key's merged entries of the pair form a list
   * (mergePos → mergeNext, one class nearly always) that a per-key stamp validates: a hash of
   * (key, class, pair) here cost 0.5 s of an 8.1 s open of the 20 M-record synthetic capture.
   */
  merge(): void {
    const half = this.bucketCount >> 1;
    const jKey = this.jKey;
    const jClass = this.jClass;
    const jCount = this.jCount;
    const jBytes = this.jBytes;
    let out = 0;
    for (let j = 0; j < half; j++) {
      const from = this.off[2 * j];
      const to = this.off[2 * j + 2];
      const start = out;
      if (to - from > this.mergeNext.length) this.mergeNext = growI32(this.mergeNext, to - from);
      const next = this.mergeNext;
      const serial = ++this.mergeSerial;
      for (let e = from; e < to; e++) {
        // entries of bucket j land at or before position e: they never overwrite unread ones
        const k = jKey[e];
        const c = jClass[e];
        if (k >= this.mergeStamp.length) this.growMergeKeys(k + 1);
        let d = -1;
        if (this.mergeStamp[k] === serial) {
          for (d = this.mergePos[k]; d >= 0 && jClass[d] !== c; d = next[d - start]);
        } else {
          this.mergeStamp[k] = serial;
          this.mergePos[k] = -1;
        }
        if (d >= 0) {
          jCount[d] += jCount[e];
          jBytes[d] += jBytes[e];
          continue;
        }
        next[out - start] = this.mergePos[k];
        this.mergePos[k] = out;
        jKey[out] = k;
        jClass[out] = c;
        jCount[out] = jCount[e];
        jBytes[out] = jBytes[e];
        out++;
      }
      this.off[j] = start;
    }
    this.off[half] = out;
    this.off.length = half + 1;
    this.jN = out;
  }

  /**
   * Per key, the temporaries of classes 0 … `upTo` found in buckets b1 … b2 (inclusive): count
   * and bytes for keys 0 … keyCount − 1.
   */
  perKey(
    upTo: number,
    b1: number,
    b2: number,
    keyCount: number,
  ): { count: Float64Array; bytes: Float64Array } {
    const count = new Float64Array(keyCount);
    const bytes = new Float64Array(keyCount);
    const last = Math.min(b2, this.bucketCount - 1);
    if (b1 > last) return { count, bytes };
    for (let e = this.off[b1]; e < this.off[last + 1]; e++) {
      const k = this.jKey[e];
      if (this.jClass[e] > upTo || k >= keyCount) continue;
      count[k] += this.jCount[e];
      bytes[k] += this.jBytes[e];
    }
    return { count, bytes };
  }

  /** Bytes held, roughly (for the bench report). */
  approxBytes(): number {
    return this.jKey.length * 21 + this.stamp.length * 9 + this.pKey.length * 21;
  }

  private reserve(min: number): void {
    if (min <= this.jKey.length) return;
    const n = Math.max(min, Math.ceil(this.jKey.length * 1.5));
    this.jKey = growI32(this.jKey, n);
    this.jClass = growU8(this.jClass, n);
    this.jCount = growF64(this.jCount, n);
    this.jBytes = growF64(this.jBytes, n);
  }

  private growMergeKeys(min: number): void {
    this.mergeStamp = growI32(this.mergeStamp, min);
    this.mergePos = growI32(this.mergePos, min);
  }

  private growKeys(min: number): void {
    const n = Math.max(min, Math.ceil(this.stamp.length * 1.5));
    const stamp = new Int32Array(n).fill(-1);
    stamp.set(this.stamp);
    this.stamp = stamp;
    this.stampClass = growU8(this.stampClass, n);
    this.stampIdx = growI32(this.stampIdx, n);
  }
}
