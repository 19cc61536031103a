import { MemrayIndexBuilder } from './builder';
import { ALLOCATOR_KIND, AllocatorKind } from './vocabulary';

/**
 * The replay `heapscope stats` needs and nothing more: totals per Python stack node and
 * allocator, the size histogram, the heap, its peak and when, and what is alive at the end. No
 * time index, no per-key peak or leak journals. The heap rules are the full builder's own
 * (heap-replay.ts, one implementation), driven with key 0; queries that need more than totals
 * are refused by the model.
 */
export class MemrayTotalsBuilder extends MemrayIndexBuilder {
  /** log2 of the WebAssembly loop's starting table slots (see tableBitsFor). */
  readonly tableBits: number;
  /** Set by a parser whose own loop keeps the numbers (the WebAssembly one); run by finish(). */
  external?: () => void;
  /**
   * Allocations per Python stack node and per allocator: all `stats` reports per location
   * (memray groups by the innermost Python frame), without a (stack, thread, allocator) key
   * lookup per record. finish() turns them into one key per node for the model.
   */
  private nodeCountAll = new Float64Array(4096);
  private nodeBytesAll = new Float64Array(4096);

  /**
   * `fileBytes` sizes the WebAssembly loop's table up front, so a big capture never copies it
   * while growing: one slot per 4 bytes of file (≈ 16 decoded bytes), 2^16 to 2^22 slots.
   */
  constructor(nativeTraces: boolean, fileBytes = 0) {
    super(nativeTraces);
    this.tableBits = MemrayTotalsBuilder.tableBitsFor(fileBytes);
  }

  static tableBitsFor(fileBytes: number): number {
    return Math.min(22, Math.max(16, Math.ceil(Math.log2(Math.max(1, fileBytes / 4)))));
  }

  override allocation(lo: number, hi: number, size: number, allocator: number, py: number): void {
    this.allocationRecords++;
    const heap = this.heap;
    const kind = ALLOCATOR_KIND[allocator];
    if (kind === AllocatorKind.SIMPLE_ALLOCATOR) {
      this.count(py, allocator, size);
      heap.allocate(lo, hi, size, 0, 0);
    } else if (kind === AllocatorKind.SIMPLE_DEALLOCATOR) {
      heap.free(lo, hi);
    } else if (kind === AllocatorKind.RANGED_ALLOCATOR) {
      this.count(py, allocator, size);
      heap.map((hi * 4294967296 + (lo >>> 0)) * 8, size, 0, 0);
    } else {
      heap.unmap((hi * 4294967296 + (lo >>> 0)) * 8, size);
    }
    if (heap.endRecord(this.allocationRecords - 1)) this.peakFine = this.timeline.length;
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
    return this.heap.takeWideSize(lo, hi);
  }

  setWide(lo: number, hi: number, size: number): void {
    this.heap.setWideSize(lo, hi, size);
  }

  addRange(address: number, size: number): void {
    this.heap.ranges.add(address, size);
  }

  /** munmap inside the WebAssembly loop's replay: the bytes it took off the ranges. */
  freeRange(address: number, size: number): number {
    return this.heap.ranges.cut(address, size);
  }

  addLargeSize(size: number): void {
    this.largeSizes.set(size, (this.largeSizes.get(size) ?? 0) + 1);
  }

  timelinePoint(rss: number, timeMs: number, heap: number): void {
    this.timeline.point(timeMs, rss, heap);
  }

  /** Time, RSS and heap per memory record; no time index is built. */
  override memoryRecord(rss: number, timeMs: number): void {
    this.timeline.point(timeMs, rss, this.current);
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
    /** Memory records the loop saw: the timeline's points already (its memoryRecord hook). */
    fineCount: number;
  }): void {
    this.nodeCountAll = w.nodeCount;
    this.nodeBytesAll = w.nodeBytes;
    this.smallSizes.set(w.smallSizes);
    this.allocatorCount.set(w.allocatorCount);
    this.allocatorBytes.set(w.allocatorBytes);
    // the loop replayed the heap itself (a mirror of heap-replay.ts): its results stand in
    const heap = this.heap;
    heap.current = w.current;
    heap.peak = w.peak;
    heap.liveBytes = w.liveTotal;
    heap.peakIndex = w.peakIndex;
    this.allocationRecords = w.allocationRecords;
    this.peakFine = w.peakFine;
  }

  override finish(): void {
    this.external?.();
    // One key per Python stack node that allocated: what topLocations() reads.
    const nodes: number[] = [];
    for (let py = 0; py < this.nodeCountAll.length; py++) if (this.nodeCountAll[py] > 0) nodes.push(py);
    const keys = this.keys;
    keys.count = nodes.length;
    keys.py = Int32Array.from(nodes);
    keys.allCount = Float64Array.from(nodes, (py) => this.nodeCountAll[py]);
    keys.allBytes = Float64Array.from(nodes, (py) => this.nodeBytesAll[py]);
    for (let a = 0; a < 16; a++) {
      this.totalAllocations += this.allocatorCount[a];
      this.totalBytes += this.allocatorBytes[a];
    }
  }

  override leakedBytes(): number {
    return this.heap.liveBytes;
  }
}
