import { BIRTH_MASK, LIVE_TABLE_MAX_HI, LiveTable } from './live-table';

/**
 * memray's heap rules, written once (docs/formats/memray-format.md §13.1–13.3). Both model
 * builders drive this class, the full index (builder.ts) and the totals-only replay
 * (totals-builder.ts); the WebAssembly totals loop mirrors it and is checked against it by the
 * differential tests (test/node/heap-replay-differential.test.ts).
 *
 * - A simple allocation makes its address live. One landing on a live address replaces it: the
 *   old one leaves the live set but is NOT taken off the heap (memray's snapshot.cpp does the
 *   same; parity, not a rule we would choose).
 * - A simple free takes the live allocation at its address off the heap; an unknown address is
 *   ignored.
 * - mmap adds a range; munmap trims, splits or drops every live range it overlaps.
 * - After every ALLOCATION record, a heap ≥ the peak so far is the new peak (memray's `>=`).
 *
 * Callers own what an allocation is attributed to: each entry carries a `key` (a caller's id,
 * ≥ 0) and a `birth` (kept modulo 2^19). When a call takes an entry out, its key, size and birth
 * are left in `key`/`size`/`birth` (plain fields rather than a returned object: this runs once
 * per record, ~15 M times per large capture, and must not allocate).
 */
export class HeapReplay {
  private readonly table = new LiveTable();
  /**
   * Entries the table cannot hold: addresses ≥ 2^48 (or a negative high word, which only a
   * damaged file has) and sizes ≥ 2^32. Keyed by the address as a double.
   */
  private readonly wide = new Map<number, { key: number; size: number; birth: number }>();
  /**
   * Counting filter over the wide map's addresses: the table's hot paths ask it before touching
   * the Map (a Map lookup boxes the address as a heap double).
   */
  private readonly wideFilter = new Uint16Array(1 << 16);
  readonly ranges = new RangeSet();
  /**
   * Live entries a WebAssembly loop replayed in its own table, handed over at the end: 4 words
   * each (address/8 low, address/8 high | birth << 13 as in the table's slots, key, size as
   * uint32). See adopt().
   */
  private adopted: Int32Array = new Int32Array(0);

  /** Heap size by memray's rules. */
  current = 0;
  peak = 0;
  /** Index (among ALLOCATION records) of the last record at which the heap equalled the peak. */
  peakIndex = -1;
  /** Bytes alive now: differs from `current` once an allocation replaced a live one. */
  liveBytes = 0;
  maxLiveEntries = 0;

  /** The entry the last allocate() replaced or free() removed. */
  key = 0;
  size = 0;
  birth = 0;

  /**
   * A simple allocation at address/8 = hi·2^32 + lo (lo as int32). Returns true when it replaced
   * a live allocation (that one in key/size/birth).
   */
  allocate(lo: number, hi: number, size: number, key: number, birth: number): boolean {
    this.current += size;
    this.liveBytes += size;
    let replaced: boolean;
    if (hi >>> 0 > LIVE_TABLE_MAX_HI || size > 0xffffffff) {
      replaced = hi >>> 0 <= LIVE_TABLE_MAX_HI && this.tableRemove(lo, hi);
      if (this.wideTake(lo, hi)) replaced = true;
      this.wideSet(lo, hi, key, size, birth);
    } else {
      replaced = this.table.insert(lo, hi, key, size, birth & BIRTH_MASK);
      if (replaced) this.took();
      else if (this.table.size > this.maxLiveEntries) this.maxLiveEntries = this.table.size;
      if (this.wide.size > 0 && this.wideTake(lo, hi)) replaced = true;
    }
    if (replaced) this.liveBytes -= this.size;
    return replaced;
  }

  /** A simple free. Returns true when the address was live (the allocation in key/size/birth). */
  free(lo: number, hi: number): boolean {
    const found =
      (hi >>> 0 <= LIVE_TABLE_MAX_HI && this.tableRemove(lo, hi)) ||
      (this.wide.size > 0 && this.wideTake(lo, hi));
    if (found) {
      this.current -= this.size;
      this.liveBytes -= this.size;
    }
    return found;
  }

  /** mmap of `size` bytes at `address`. */
  map(address: number, size: number, key: number, birth: number): void {
    if (size <= 0) return;
    this.ranges.add(address, size, key, birth & BIRTH_MASK);
    this.current += size;
    this.liveBytes += size;
  }

  /** munmap; `cut` hears of every range it touched (see RangeSet.cut). Returns the bytes taken. */
  unmap(address: number, size: number, cut?: RangeCutListener): number {
    const removed = this.ranges.cut(address, size, cut);
    this.current -= removed;
    this.liveBytes -= removed;
    return removed;
  }

  /** The peak rule, after ALLOCATION record `index`; true when the heap is (again) at its peak. */
  endRecord(index: number): boolean {
    if (this.current < this.peak) return false;
    this.peak = this.current;
    this.peakIndex = index;
    return true;
  }

  get liveEntries(): number {
    return this.table.size + (this.adopted.length >> 2) + this.wide.size + this.ranges.length;
  }

  get tableBytes(): number {
    return this.table.bytes + this.adopted.byteLength;
  }

  /** Every live simple allocation and range (address in bytes). Order is unspecified. */
  forEachLive(fn: (address: number, size: number, key: number) => void): void {
    this.table.forEach((lo, hi, key, size) => fn((hi * 4294967296 + (lo >>> 0)) * 8, size, key));
    const a = this.adopted;
    for (let i = 0; i < a.length; i += 4)
      fn(((a[i + 1] & LIVE_TABLE_MAX_HI) * 4294967296 + (a[i] >>> 0)) * 8, a[i + 3] >>> 0, a[i + 2]);
    for (const [address, e] of this.wide) fn(address, e.size, e.key);
    this.ranges.forEach((begin, end, key) => fn(begin, end - begin, key));
  }

  /**
   * Every live simple allocation the table holds (addresses below 2^48, sizes below 2^32: the
   * wide map's and the ranges are not visited), as address/8 halves with its birth (mod 2^19).
   */
  forEachTableEntry(fn: (lo: number, hi: number, key: number, size: number, birth: number) => void): void {
    this.table.forEach(fn);
    const a = this.adopted;
    for (let i = 0; i < a.length; i += 4)
      fn(a[i], a[i + 1] & LIVE_TABLE_MAX_HI, a[i + 2], a[i + 3] >>> 0, a[i + 1] >>> 13);
  }

  // ---- the WebAssembly totals loop keeps its own table and hands these cases to the host ----

  /** Takes a wide entry out; returns its size or -1. */
  takeWideSize(lo: number, hi: number): number {
    return this.wideTake(lo, hi) ? this.size : -1;
  }

  setWideSize(lo: number, hi: number, size: number): void {
    this.wideSet(lo, hi, 0, size, 0);
  }

  // ---- the WebAssembly full loop (records-wasm-full.ts) keeps its own table, with keys ----

  /** A wide entry with its key and birth. */
  setWideEntry(lo: number, hi: number, key: number, size: number, birth: number): void {
    this.wideSet(lo, hi, key, size, birth);
  }

  /**
   * The end of a replay run in the WebAssembly loop: its live table's entries (`live`, 4 words
   * each as in `adopted`) and its numbers stand in for this replay's; the wide map and the
   * ranges were this class's all along.
   */
  adopt(
    live: Int32Array,
    w: { current: number; peak: number; peakIndex: number; liveBytes: number; maxLiveEntries: number },
  ): void {
    this.adopted = live;
    this.current = w.current;
    this.peak = w.peak;
    this.peakIndex = w.peakIndex;
    this.liveBytes = w.liveBytes;
    this.maxLiveEntries = w.maxLiveEntries;
  }

  private tableRemove(lo: number, hi: number): boolean {
    if (!this.table.remove(lo, hi)) return false;
    this.took();
    return true;
  }

  private took(): void {
    this.key = this.table.lastKey;
    this.size = this.table.lastSize;
    this.birth = this.table.lastBirth;
  }

  private filterSlot(lo: number, hi: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 16;
  }

  private wideSet(lo: number, hi: number, key: number, size: number, birth: number): void {
    this.wideFilter[this.filterSlot(lo, hi)]++;
    this.wide.set(hi * 4294967296 + (lo >>> 0), { key, size, birth: birth & BIRTH_MASK });
  }

  private wideTake(lo: number, hi: number): boolean {
    if (this.wide.size === 0) return false;
    const slot = this.filterSlot(lo, hi);
    if (this.wideFilter[slot] === 0) return false;
    const a8 = hi * 4294967296 + (lo >>> 0);
    const e = this.wide.get(a8);
    if (!e) return false;
    this.wide.delete(a8);
    this.wideFilter[slot]--;
    this.key = e.key;
    this.size = e.size;
    this.birth = e.birth;
    return true;
  }
}

/**
 * Heard once per live range a munmap touched: `removed` bytes went; `freed` is 1 when the
 * range is gone, 0 when it was trimmed at one end, -1 when it was split in two (one more
 * live piece than before).
 */
export type RangeCutListener = (key: number, birth: number, removed: number, freed: number) => void;

/** Live mmap ranges [begin, end) with their key and birth; few, so a flat list. */
export class RangeSet {
  private begin: number[] = [];
  private end: number[] = [];
  private key: number[] = [];
  private birth: number[] = [];

  get length(): number {
    return this.begin.length;
  }

  add(address: number, size: number, key = 0, birth = 0): void {
    this.begin.push(address);
    this.end.push(address + size);
    this.key.push(key);
    this.birth.push(birth);
  }

  /** munmap of [address, address + size): trims, splits or drops every overlapping range. */
  cut(address: number, size: number, listener?: RangeCutListener): number {
    const lo = address;
    const hi = address + size;
    const { begin, end, key, birth } = this;
    const n = begin.length;
    let removedAll = 0;
    let w = 0;
    const split: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = begin[i];
      const e = end[i];
      const k = key[i];
      const bi = birth[i];
      const ob = Math.max(b, lo);
      const oe = Math.min(e, hi);
      if (oe <= ob) {
        begin[w] = b;
        end[w] = e;
        key[w] = k;
        birth[w] = bi;
        w++;
        continue;
      }
      const removed = oe - ob;
      removedAll += removed;
      const keepLeft = b < ob;
      const keepRight = oe < e;
      listener?.(k, bi, removed, keepLeft && keepRight ? -1 : keepLeft || keepRight ? 0 : 1);
      if (keepLeft) {
        begin[w] = b;
        end[w] = ob;
        key[w] = k;
        birth[w] = bi;
        w++;
      }
      if (keepRight) {
        if (keepLeft) split.push(oe, e, k, bi);
        else {
          begin[w] = oe;
          end[w] = e;
          key[w] = k;
          birth[w] = bi;
          w++;
        }
      }
    }
    begin.length = end.length = key.length = birth.length = w;
    for (let i = 0; i < split.length; i += 4)
      this.add(split[i], split[i + 1] - split[i], split[i + 2], split[i + 3]);
    return removedAll;
  }

  forEach(fn: (begin: number, end: number, key: number) => void): void {
    for (let i = 0; i < this.begin.length; i++) fn(this.begin[i], this.end[i], this.key[i]);
  }
}
