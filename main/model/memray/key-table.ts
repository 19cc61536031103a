import { growF64, growI32, growU8 } from './tables';

/**
 * The keys every number of the memray index is attributed to: one per distinct (Python stack
 * node, native stack node, thread slot, canonical allocator, memory-map generation), found by
 * open addressing on typed arrays, so the index grows with distinct keys, not with records.
 * Beside the identity columns, each key's totals: allocated over the capture (`all*`), alive now
 * (`live*`; at the end of the stream, memray's leaks) and alive at the peak (`peak*`).
 */
export class KeyTable {
  count = 0;
  py = new Int32Array(1024);
  native = new Int32Array(1024);
  thread = new Int32Array(1024);
  allocator = new Uint8Array(1024);
  generation = new Int32Array(1024);
  /** Slot in FAMILIES (model/allocator-family.ts), set by whoever adds the key. */
  family = new Uint8Array(1024);

  allCount = new Float64Array(1024);
  allBytes = new Float64Array(1024);
  liveCount = new Float64Array(1024);
  liveBytes = new Float64Array(1024);
  peakCount = new Float64Array(1024);
  peakBytes = new Float64Array(1024);

  private hash = new Int32Array(4096).fill(-1);
  private shift = 20;
  /** Keys were appended without the hash (append): it is rebuilt at the next lookup. */
  private hashStale = false;
  // The previous lookup: consecutive records of a loop mostly share their key.
  private lastPy = -1;
  private lastNat = -1;
  private lastThr = -1;
  private lastAlloc = -1;
  private lastGen = -1;
  private lastKey = -1;

  /**
   * `added(key)` runs once per new key, after its columns are set: the owner sets its family and
   * grows its own per-key arrays to `capacity` (a listener bound once, not a closure per record).
   */
  constructor(private readonly added: (key: number) => void) {}

  /** Rows the columns hold before they grow. */
  get capacity(): number {
    return this.py.length;
  }

  /** The key of one record, checking the previous record's key first. */
  keyFor(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    if (
      py === this.lastPy &&
      nat === this.lastNat &&
      thr === this.lastThr &&
      alloc === this.lastAlloc &&
      gen === this.lastGen
    ) {
      return this.lastKey;
    }
    const k = this.lookup(py, nat, thr, alloc, gen);
    this.lastPy = py;
    this.lastNat = nat;
    this.lastThr = thr;
    this.lastAlloc = alloc;
    this.lastGen = gen;
    this.lastKey = k;
    return k;
  }

  /** The key of (py, nat, thr, alloc, gen), added when new. */
  lookup(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    if (this.hashStale) this.rehash(this.hash.length);
    const mask = this.hash.length - 1;
    let i = (hashKey(py, nat, thr, alloc, gen) >>> this.shift) & mask;
    const table = this.hash;
    for (;;) {
      const k = table[i];
      if (k === -1) break;
      if (
        this.py[k] === py &&
        this.native[k] === nat &&
        this.thread[k] === thr &&
        this.allocator[k] === alloc &&
        this.generation[k] === gen
      )
        return k;
      i = (i + 1) & mask;
    }
    const k = this.addRow(py, nat, thr, alloc, gen);
    if ((this.count + 1) * 2 > table.length) this.rehash(table.length * 2);
    else table[i] = k;
    this.added(k);
    return k;
  }

  /**
   * Adds a key the caller knows is new, as the next one: the WebAssembly full index calls this
   * for each key its own table did not hold, in the order it numbers them. No probe of this
   * table's hash (the first lookup rebuilds it): on treebuilder-pymalloc.bin's 492 k keys the
   * probes and the rehashes were about 0.2 s of a 3 s open.
   */
  append(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    const k = this.addRow(py, nat, thr, alloc, gen);
    this.hashStale = true;
    this.added(k);
    return k;
  }

  /** The identity columns of the next key (not yet in the hash, not yet announced). */
  private addRow(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    const k = this.count++;
    if (k >= this.py.length) this.grow(k + 1);
    this.py[k] = py;
    this.native[k] = nat;
    this.thread[k] = thr;
    this.allocator[k] = alloc;
    this.generation[k] = gen;
    return k;
  }

  /** Σ column[k] over the keys. */
  sum(column: Float64Array): number {
    let s = 0;
    for (let k = 0; k < this.count; k++) s += column[k];
    return s;
  }

  /** Indexes every key again in a table of at least `min` slots (grown to hold them at half load). */
  private rehash(min: number): void {
    let size = min;
    while ((this.count + 1) * 2 > size) size *= 2;
    this.hash = new Int32Array(size).fill(-1);
    // the slot is the hash's top log2(size) bits
    this.shift = Math.max(0, 32 - Math.log2(size));
    this.hashStale = false;
    const mask = size - 1;
    for (let k = 0; k < this.count; k++) {
      const h = hashKey(this.py[k], this.native[k], this.thread[k], this.allocator[k], this.generation[k]);
      let i = (h >>> this.shift) & mask;
      while (this.hash[i] !== -1) i = (i + 1) & mask;
      this.hash[i] = k;
    }
  }

  private grow(min: number): void {
    this.py = growI32(this.py, min);
    this.native = growI32(this.native, min);
    this.thread = growI32(this.thread, min);
    this.allocator = growU8(this.allocator, min);
    this.generation = growI32(this.generation, min);
    this.family = growU8(this.family, min);
    this.allCount = growF64(this.allCount, min);
    this.allBytes = growF64(this.allBytes, min);
    this.liveCount = growF64(this.liveCount, min);
    this.liveBytes = growF64(this.liveBytes, min);
    this.peakCount = growF64(this.peakCount, min);
    this.peakBytes = growF64(this.peakBytes, min);
  }
}

function hashKey(py: number, nat: number, thr: number, alloc: number, gen: number): number {
  const h =
    Math.imul(py, 0x9e3779b1) ^
    Math.imul(nat + 1, 0x85ebca6b) ^
    Math.imul(thr + 7, 0xc2b2ae35) ^
    Math.imul(alloc * 31 + gen, 0x27d4eb2f);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
}
