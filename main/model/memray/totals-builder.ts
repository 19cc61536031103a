import { ALLOCATOR_KIND, MemrayIndexBuilder } from './builder';
import { NOT_FOUND, SIZE_TABLE_MAX_HI, SIZE_TABLE_MAX_SIZE, SizeTable } from './size-table';

/**
 * The replay `heapscope stats` needs and nothing more: totals per key, the size histogram, the
 * heap, its peak and when, and what is alive at the end. No time index, no per-key peak or
 * leak journals, no key or birth per live allocation: a live allocation is an address and a
 * size (size-table.ts). Same heap rules as the full builder (memray's, format doc §13.2–13.3),
 * checked against the same oracles; queries that need more than totals are refused by the model.
 */
/** Table size standing for "the size is in `wide`" (sizes from here up live there). */
const WIDE = SIZE_TABLE_MAX_SIZE - 1;

export class MemrayTotalsBuilder extends MemrayIndexBuilder {
  private readonly sizes: SizeTable;
  /** log2 of the table's starting slots (the WebAssembly loop sizes its own table the same). */
  readonly tableBits: number;
  /** Set by a parser whose own loop keeps the numbers (the WebAssembly one); run by finish(). */
  external?: () => void;
  /**
   * Sizes too wide for the table (≥ WIDE), by address; the table holds WIDE for them, so the
   * common lookup never touches this map. Addresses ≥ 2^48 (none on x86-64 or arm64 user
   * space) live only here.
   */
  private readonly wide = new Map<number, number>();
  /**
   * Allocations per Python stack node and per allocator: all `stats` reports per location
   * (memray groups by the innermost Python frame), without a (stack, thread, allocator) key
   * lookup per record. finish() turns them into one key per node for the model.
   */
  private nodeCountAll = new Float64Array(4096);
  private nodeBytesAll = new Float64Array(4096);
  /** Live mmap ranges as [begin, end) pairs. */
  private ranges: number[] = [];
  /** Bytes alive now (differs from `current` after memray's overwrite quirk). */
  liveTotal = 0;

  /**
   * `fileBytes` sizes the table up front, so a big capture never copies it while growing:
   * one slot per 4 bytes of file (≈ 16 decoded bytes), 2^16 to 2^22 slots (512 KiB to
   * 32 MiB). The memory is the allocator's zeroed pages, touched only where entries land.
   */
  constructor(nativeTraces: boolean, fileBytes = 0) {
    super(nativeTraces);
    this.tableBits = MemrayTotalsBuilder.tableBitsFor(fileBytes);
    this.sizes = new SizeTable(this.tableBits);
  }

  static tableBitsFor(fileBytes: number): number {
    return Math.min(22, Math.max(16, Math.ceil(Math.log2(Math.max(1, fileBytes / 4)))));
  }

  override allocation(lo: number, hi: number, size: number, allocator: number, py: number): void {
    this.allocationRecords++;
    const kind = ALLOCATOR_KIND[allocator];
    if (kind === 0) {
      this.count(py, allocator, size);
      let old: number;
      if (hi < SIZE_TABLE_MAX_HI) {
        old = this.sizes.insert(lo, hi, size < WIDE ? size : WIDE);
        if (old === WIDE) old = this.takeWide(lo, hi);
        if (size >= WIDE) this.wide.set((hi * 4294967296 + (lo >>> 0)) * 8, size);
      } else {
        old = this.takeWide(lo, hi);
        this.wide.set((hi * 4294967296 + (lo >>> 0)) * 8, size);
      }
      // memray overwrites a live address without taking it off the heap; it leaves the live set
      if (old !== NOT_FOUND) this.liveTotal -= old;
      this.liveTotal += size;
      this.current += size;
    } else if (kind === 1) {
      let s = hi < SIZE_TABLE_MAX_HI ? this.sizes.remove(lo, hi) : WIDE;
      if (s === WIDE) s = this.takeWide(lo, hi);
      if (s !== NOT_FOUND) {
        this.current -= s;
        this.liveTotal -= s;
      }
    } else if (kind === 2) {
      this.count(py, allocator, size);
      if (size > 0) {
        const address = (hi * 4294967296 + (lo >>> 0)) * 8;
        this.ranges.push(address, address + size);
        this.current += size;
        this.liveTotal += size;
      }
    } else {
      this.unmapRange((hi * 4294967296 + (lo >>> 0)) * 8, size);
    }
    if (this.current >= this.peak) {
      this.peak = this.current;
      this.peakIndex = this.allocationRecords - 1;
      this.peakFine = this.fineCount;
    }
  }

  private count(py: number, allocator: number, size: number): void {
    if (py >= this.nodeCountAll.length) {
      const n = Math.max(py + 1, this.nodeCountAll.length * 2);
      const c = new Float64Array(n);
      c.set(this.nodeCountAll);
      this.nodeCountAll = c;
      const b = new Float64Array(n);
      b.set(this.nodeBytesAll);
      this.nodeBytesAll = b;
    }
    this.nodeCountAll[py]++;
    this.nodeBytesAll[py] += size;
    if (this.allocatorCount[allocator] === 0) this.allocatorOrder.push(allocator);
    this.allocatorCount[allocator]++;
    this.allocatorBytes[allocator] += size;
    if (size < 65536) this.smallSizes[size]++;
    else this.largeSizes.set(size, (this.largeSizes.get(size) ?? 0) + 1);
  }

  /** The host side of the WebAssembly loop (formats/memray/wasm): what it keeps in JS. */
  takeWide(lo: number, hi: number): number {
    const address = (hi * 4294967296 + (lo >>> 0)) * 8;
    const s = this.wide.get(address);
    if (s === undefined) return NOT_FOUND;
    this.wide.delete(address);
    return s;
  }

  setWide(lo: number, hi: number, size: number): void {
    this.wide.set((hi * 4294967296 + (lo >>> 0)) * 8, size);
  }

  addRange(address: number, size: number): void {
    this.ranges.push(address, address + size);
  }

  addLargeSize(size: number): void {
    this.largeSizes.set(size, (this.largeSizes.get(size) ?? 0) + 1);
  }

  timelinePoint(rss: number, timeMs: number, heap: number): void {
    this.lastTimeMs = timeMs;
    this.tTime.push(timeMs);
    this.tRss.push(rss);
    this.tHeap.push(heap);
  }

  private unmapRange(lo: number, size: number): void {
    const removed = this.freeRange(lo, size);
    this.current -= removed;
    this.liveTotal -= removed;
  }

  /** munmap: shrink, split or drop every live mmap range it overlaps (§13.1); returns the bytes taken. */
  freeRange(lo: number, size: number): number {
    let removed = 0;
    const hi = lo + size;
    const r = this.ranges;
    const next: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      const b = r[i];
      const e = r[i + 1];
      const ob = Math.max(b, lo);
      const oe = Math.min(e, hi);
      if (oe <= ob) {
        next.push(b, e);
        continue;
      }
      removed += oe - ob;
      if (b < ob) next.push(b, ob);
      if (oe < e) next.push(oe, e);
    }
    this.ranges = next;
    return removed;
  }

  override memoryRecord(rss: number, timeMs: number): void {
    this.timelinePoint(rss, timeMs, this.current);
    this.fineCount++;
  }

  /**
   * The WebAssembly loop's numbers, taken in once at the end: per-node and per-allocator
   * totals, the histogram, the heap and its peak.
   */
  adopt(w: {
    nodeCount: Float64Array<ArrayBuffer>;
    nodeBytes: Float64Array<ArrayBuffer>;
    smallSizes: Float64Array;
    allocatorCount: Float64Array;
    allocatorBytes: Float64Array;
    current: number;
    peak: number;
    liveTotal: number;
    allocationRecords: number;
    peakIndex: number;
    peakFine: number;
    fineCount: number;
  }): void {
    this.nodeCountAll = w.nodeCount;
    this.nodeBytesAll = w.nodeBytes;
    this.smallSizes.set(w.smallSizes);
    this.allocatorCount.set(w.allocatorCount);
    this.allocatorBytes.set(w.allocatorBytes);
    this.current = w.current;
    this.peak = w.peak;
    this.liveTotal = w.liveTotal;
    this.allocationRecords = w.allocationRecords;
    this.peakIndex = w.peakIndex;
    this.peakFine = w.peakFine;
    this.fineCount = w.fineCount;
  }

  override finish(): void {
    this.external?.();
    // One key per Python stack node that allocated: what topLocations() reads.
    const nodes: number[] = [];
    for (let py = 0; py < this.nodeCountAll.length; py++) if (this.nodeCountAll[py] > 0) nodes.push(py);
    this.keyCount = nodes.length;
    this.keyPy = Int32Array.from(nodes);
    this.allCount = Float64Array.from(nodes, (py) => this.nodeCountAll[py]);
    this.allBytes = Float64Array.from(nodes, (py) => this.nodeBytesAll[py]);
    for (let a = 0; a < 16; a++) {
      this.totalAllocations += this.allocatorCount[a];
      this.totalBytes += this.allocatorBytes[a];
    }
  }

  override leakedBytes(): number {
    return this.liveTotal;
  }

  override get liveAllocations(): number {
    return this.sizes.size + this.wide.size + this.ranges.length / 2;
  }
}
