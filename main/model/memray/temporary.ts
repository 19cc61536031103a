import { F64List, PairMap, growF64, growI32, growU8 } from './tables';
import { TemporaryBuckets } from './temporary-buckets';

/**
 * memray's temporary allocations (`--temporary-allocation-threshold N`; `--temporary-allocations`
 * is N = 1), as its TemporaryAllocationsAggregator (src/memray/_memray/snapshot.cpp) finds them:
 * per thread, a deque of the N + 1 most recent allocations (simple or ranged) made on that
 * thread; a deallocation looks, on its own thread's deque only, for the most recent entry at the
 * same address (a ranged deallocation: same address and same size) and reports that allocation
 * as temporary, leaving it in the deque (a second free of the address reports it again). Each
 * reported allocation counts once with its full size. docs/formats/memray-format.md §13.4.
 *
 * heaptrack's rule is stricter (the free must follow its allocation with nothing in between,
 * any thread); memray's is the one implemented here.
 *
 * One ring of the MAX_THRESHOLD + 1 most recent allocations per thread answers every N at once:
 * the entry a deallocation finds at distance d (0 = the newest) is the one memray's deque of
 * N + 1 finds for every N ≥ d, and no deque of N < d holds a match. Counts are kept per key for
 * the fixed set TEMPORARY_THRESHOLDS, one class per threshold (class c: T[c-1] < d ≤ T[c]), and
 * summed over classes when asked for an N. A key's temporaries nearly always fall in one class
 * (measured: 375 k keys with temporaries, 376 k (key, class) pairs in the deep treebuilder
 * capture), so each key keeps its first class inline and any other in a small map: 17 bytes a
 * key instead of a block of 7 × 16.
 */

/** The thresholds N answered exactly (memray's default is 1). */
export const TEMPORARY_THRESHOLDS = [0, 1, 2, 4, 8, 16, 32] as const;
export const DEFAULT_TEMPORARY_THRESHOLD = 1;
const CLASSES = TEMPORARY_THRESHOLDS.length;
const DEPTH = TEMPORARY_THRESHOLDS[CLASSES - 1] + 1;
/** Distance in the ring → threshold class. */
const CLASS_OF = new Uint8Array(DEPTH).map((_, d) => TEMPORARY_THRESHOLDS.findIndex((t) => d <= t));
/**
 * Per thread, a counting filter over the addresses in its ring, so a free of an address that is
 * not there (most frees of long-lived memory) costs one load instead of a scan of the ring.
 */
const FILTER_BITS = 8;
const FILTER = 1 << FILTER_BITS;

function filterSlot(lo: number, hi: number): number {
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - FILTER_BITS);
}

/** The class index of threshold `n`, or -1 when `n` is not one of TEMPORARY_THRESHOLDS. */
export function thresholdClass(n: number): number {
  return (TEMPORARY_THRESHOLDS as readonly number[]).indexOf(n);
}

/**
 * The exports of the WebAssembly full index that carry its temporaries
 * (formats/memray/wasm/assembly/temporary.ts): while attached it finds them per record, and this
 * class takes the interval counts at each memory record, the open bucket at each bucket close
 * and the per-key arrays at the end, so what happens after the replay is implemented once, here.
 * Layouts (byte offsets): an entry is 24 bytes, i32 key @0, i32 class @4, f64 count @8, f64
 * bytes @16; a key is 32 bytes, f64 count @0, f64 bytes @8, u8 main class + 1 @24 (0: none).
 */
export interface TemporaryWasm {
  memory: { buffer: ArrayBuffer };
  /** The open interval's counts per class (CLASSES f64) moved out: their address. */
  tempTakeInterval(): number;
  /** The open bucket's entry count, moved out (at tempBucketPtr() until the next record). */
  tempTakeBucket(): number;
  tempBucketPtr(): number;
  tempKeyCapacity(): number;
  tempKeyChunkBits(): number;
  tempKeyChunkPtr(i: number): number;
  tempExtraCount(): number;
  tempExtraPtr(): number;
}

export class TemporaryAllocations {
  // ---- per-thread rings (thread slot t owns entries t·DEPTH … t·DEPTH + DEPTH − 1) ----
  private rLo = new Int32Array(DEPTH * 4);
  private rHi = new Int32Array(DEPTH * 4);
  private rSize = new Float64Array(DEPTH * 4);
  private rKey = new Int32Array(DEPTH * 4);
  /** Next write position (the newest entry is just before it) and fill, per thread. */
  private head = new Int32Array(4);
  private fill = new Int32Array(4);
  private filter = new Uint8Array(FILTER * 4);
  private threads = 4;

  // ---- per key: its first class inline (-1: none yet), other classes in `extra` ----
  private mainClass = new Int8Array(1024).fill(-1);
  private mainCount = new Float64Array(1024);
  private mainBytes = new Float64Array(1024);
  /** (key, class) → index into the ex* arrays. */
  private readonly extra = new PairMap(8);
  private exKey = new Int32Array(64);
  private exClass = new Uint8Array(64);
  private exCount = new Float64Array(64);
  private exBytes = new Float64Array(64);
  private exN = 0;

  // ---- per memory-record interval: temporaries found in it, per class ----
  private readonly open = new Float64Array(CLASSES);
  readonly perInterval: F64List[] = TEMPORARY_THRESHOLDS.map(() => new F64List(1024));

  // ---- per time bucket of the index, per key: what a brushed range counts ----
  private readonly buckets = new TemporaryBuckets();

  /** The WebAssembly loop finding the temporaries, until adoptWasm(). */
  private wasm: TemporaryWasm | undefined;

  /**
   * From now on the WebAssembly loop `w` finds the temporaries (allocated/freed are not called);
   * memoryRecord and closeBucket take what it found, adoptWasm takes the rest at the end.
   */
  attachWasm(w: TemporaryWasm): void {
    this.wasm = w;
  }

  /**
   * End of the stream read by the attached loop: its per-key counts, other classes, open interval
   * and open bucket become this object's (a later closeBucket closes that bucket here), and the
   * loop is let go. Every query then answers as if this class had seen the records itself.
   */
  adoptWasm(): void {
    const w = this.wasm;
    if (w === undefined) return;
    this.takeWasmInterval(w);
    this.takeWasmBucket(w);
    const n = w.tempKeyCapacity();
    this.mainClass = new Int8Array(n);
    this.mainCount = new Float64Array(n);
    this.mainBytes = new Float64Array(n);
    // the rows are in chunks of 2^bits keys (never moved while the loop grows them)
    const bits = w.tempKeyChunkBits();
    const per = 1 << bits;
    for (let c = 0; c << bits < n; c++) {
      const at = w.tempKeyChunkPtr(c);
      const kf = new Float64Array(w.memory.buffer, at, per * 4);
      const ku = new Uint8Array(w.memory.buffer, at, per * 32);
      for (let j = 0; j < per; j++) {
        const k = (c << bits) + j;
        this.mainClass[k] = ku[j * 32 + 24] - 1;
        this.mainCount[k] = kf[j * 4];
        this.mainBytes[k] = kf[j * 4 + 1];
      }
    }
    const x = w.tempExtraCount();
    const xi = new Int32Array(w.memory.buffer, w.tempExtraPtr(), x * 6);
    const xf = new Float64Array(w.memory.buffer, w.tempExtraPtr(), x * 3);
    this.exKey = new Int32Array(Math.max(64, x));
    this.exClass = new Uint8Array(this.exKey.length);
    this.exCount = new Float64Array(this.exKey.length);
    this.exBytes = new Float64Array(this.exKey.length);
    for (let i = 0; i < x; i++) {
      this.exKey[i] = xi[i * 6];
      this.exClass[i] = xi[i * 6 + 1];
      this.exCount[i] = xf[i * 3 + 1];
      this.exBytes[i] = xf[i * 3 + 2];
      this.extra.set(this.exKey[i], this.exClass[i], i);
    }
    this.exN = x;
    this.wasm = undefined;
  }

  /** The attached loop's open bucket, moved into the buckets' pending entries. */
  private takeWasmBucket(w: TemporaryWasm): void {
    const n = w.tempTakeBucket();
    const at = w.tempBucketPtr();
    this.buckets.setOpen(
      n,
      new Int32Array(w.memory.buffer, at, n * 6),
      new Float64Array(w.memory.buffer, at, n * 3),
    );
  }

  /** The attached loop's open interval counts, moved here (`open`). */
  private takeWasmInterval(w: TemporaryWasm): void {
    this.open.set(new Float64Array(w.memory.buffer, w.tempTakeInterval(), CLASSES));
  }

  /** An allocation (simple or ranged) of key `key`, address/8 = hi·2^32 + lo, on thread `t`. */
  allocated(t: number, lo: number, hi: number, size: number, key: number): void {
    if (t >= this.threads) this.growThreads(t + 1);
    const base = t * DEPTH;
    const at = this.head[t];
    const i = base + at;
    const fb = t * FILTER;
    if (this.fill[t] === DEPTH) this.filter[fb + filterSlot(this.rLo[i], this.rHi[i])]--;
    else this.fill[t]++;
    this.rLo[i] = lo;
    this.rHi[i] = hi;
    this.rSize[i] = size;
    this.rKey[i] = key;
    this.filter[fb + filterSlot(lo, hi)]++;
    this.head[t] = at + 1 === DEPTH ? 0 : at + 1;
  }

  /**
   * A deallocation on thread `t`; `size` < 0 for a simple one (address only), else a ranged one
   * (munmap: address and size must match).
   */
  freed(t: number, lo: number, hi: number, size: number): void {
    if (t >= this.threads || this.filter[t * FILTER + filterSlot(lo, hi)] === 0) return;
    const base = t * DEPTH;
    const n = this.fill[t];
    let at = this.head[t];
    for (let d = 0; d < n; d++) {
      at = at === 0 ? DEPTH - 1 : at - 1;
      const i = base + at;
      if (this.rLo[i] !== lo || this.rHi[i] !== hi || (size >= 0 && this.rSize[i] !== size)) continue;
      this.found(this.rKey[i], this.rSize[i], CLASS_OF[d]);
      return;
    }
  }

  private found(key: number, size: number, c: number): void {
    this.open[c]++;
    this.buckets.add(key, c, size);
    if (key >= this.mainClass.length) this.growKeys(key + 1);
    const main = this.mainClass[key];
    if (main === c || main < 0) {
      this.mainClass[key] = c;
      this.mainCount[key]++;
      this.mainBytes[key] += size;
      return;
    }
    let i = this.extra.get(key, c);
    if (i < 0) {
      i = this.exN++;
      if (i >= this.exKey.length) {
        this.exKey = growI32(this.exKey, i + 1);
        this.exClass = growU8(this.exClass, i + 1);
        this.exCount = growF64(this.exCount, i + 1);
        this.exBytes = growF64(this.exBytes, i + 1);
      }
      this.exKey[i] = key;
      this.exClass[i] = c;
      this.extra.set(key, c, i);
    }
    this.exCount[i]++;
    this.exBytes[i] += size;
  }

  private growKeys(min: number): void {
    const n = Math.max(min, Math.ceil(this.mainClass.length * 1.5));
    const cls = new Int8Array(n).fill(-1);
    cls.set(this.mainClass);
    this.mainClass = cls;
    this.mainCount = growF64(this.mainCount, n);
    this.mainBytes = growF64(this.mainBytes, n);
  }

  /** A MEMORY_RECORD closes the interval. */
  memoryRecord(): void {
    if (this.wasm !== undefined) this.takeWasmInterval(this.wasm);
    for (let c = 0; c < CLASSES; c++) {
      this.perInterval[c].push(this.open[c]);
      this.open[c] = 0;
    }
  }

  /** The time index closed a bucket (time-index.ts closeBucket). */
  closeBucket(): void {
    if (this.wasm !== undefined) this.takeWasmBucket(this.wasm);
    this.buckets.close();
  }

  /** The time index merged its buckets pairwise (time-index.ts mergeBuckets). */
  mergeBuckets(): void {
    this.buckets.merge();
  }

  /** Time buckets closed so far (the index's bucket count once the capture is read). */
  get bucketCount(): number {
    return this.buckets.bucketCount;
  }

  /** Temporaries found after the last memory record, per class (the timeline's end point). */
  pending(c: number): number {
    return this.open[c];
  }

  /**
   * Per key, memray's temporary allocations with threshold `n` (one of TEMPORARY_THRESHOLDS):
   * count and bytes for keys 0 … keyCount − 1.
   */
  perKey(n: number, keyCount: number): { count: Float64Array; bytes: Float64Array } {
    const upTo = thresholdClass(n);
    if (upTo < 0) throw new RangeError(`threshold ${n} is not one of ${TEMPORARY_THRESHOLDS.join(', ')}`);
    const count = new Float64Array(keyCount);
    const bytes = new Float64Array(keyCount);
    const keys = Math.min(keyCount, this.mainClass.length);
    for (let k = 0; k < keys; k++) {
      const c = this.mainClass[k];
      if (c < 0 || c > upTo) continue;
      count[k] = this.mainCount[k];
      bytes[k] = this.mainBytes[k];
    }
    for (let i = 0; i < this.exN; i++) {
      const k = this.exKey[i];
      if (this.exClass[i] > upTo || k >= keyCount) continue;
      count[k] += this.exCount[i];
      bytes[k] += this.exBytes[i];
    }
    return { count, bytes };
  }

  /**
   * `perKey` for the temporaries found (at their free) in time buckets b1 … b2 of the index: the
   * whole buckets a range resolves to, like every other range snapshot.
   */
  perKeyInBuckets(
    n: number,
    b1: number,
    b2: number,
    keyCount: number,
  ): { count: Float64Array; bytes: Float64Array } {
    const upTo = thresholdClass(n);
    if (upTo < 0) throw new RangeError(`threshold ${n} is not one of ${TEMPORARY_THRESHOLDS.join(', ')}`);
    return this.buckets.perKey(upTo, b1, b2, keyCount);
  }

  /** Temporaries per memory-record interval with threshold `n` (sum of its classes). */
  intervalCounts(n: number): Float64Array {
    const upTo = thresholdClass(n);
    if (upTo < 0) throw new RangeError(`threshold ${n} is not one of ${TEMPORARY_THRESHOLDS.join(', ')}`);
    const out = new Float64Array(this.perInterval[0].length);
    for (let c = 0; c <= upTo; c++) {
      const col = this.perInterval[c].view();
      for (let i = 0; i < out.length; i++) out[i] += col[i];
    }
    return out;
  }

  /** Bytes held, roughly (for the bench report). */
  approxBytes(): number {
    return (
      this.threads * (DEPTH * 20 + FILTER + 8) +
      this.mainClass.length * 17 +
      this.exKey.length * 37 +
      this.buckets.approxBytes()
    );
  }

  private growThreads(min: number): void {
    const n = Math.max(min, this.threads * 2);
    this.rLo = growI32(this.rLo, n * DEPTH);
    this.rHi = growI32(this.rHi, n * DEPTH);
    this.rSize = growF64(this.rSize, n * DEPTH);
    this.rKey = growI32(this.rKey, n * DEPTH);
    this.head = growI32(this.head, n);
    this.fill = growI32(this.fill, n);
    this.filter = growU8(this.filter, n * FILTER);
    this.threads = n;
  }
}
