import { FAMILIES, libraryFamily } from '../allocator-family';
import { PythonFrames } from './frames';
import { HeapReplay, type RangeCutListener } from './heap-replay';
import { KeyTable } from './key-table';
import { MemoryMaps, NativeStackTree, PythonStackTree } from './stack-trees';
import { TemporaryAllocations } from './temporary';
import { TimeIndex } from './time-index';
import { HeapTimeline } from './timeline';
import { isSmallPymallocBlock, PymallocPageTable } from './layout/page-table';
import { ALLOCATOR_FAMILY, ALLOCATOR_KIND, AllocatorKind, RECORD_TYPES } from './vocabulary';

/**
 * One-pass index of a memray capture. The record readers (main/formats/memray) drive it with
 * normalized events; it replays the heap exactly as memray does (docs/formats/memray-format.md
 * §13.2–13.3) and attributes every change to a key, so its size follows the number of distinct
 * (stack, native stack, thread, allocator, generation) keys and time buckets, not the number of
 * records. Its parts, each on typed arrays:
 *
 * - `frames` (frames.ts): code objects, frames, locations;
 * - `pythonStacks`, `nativeStacks`, `maps` (stack-trees.ts): the two stack trees and the memory
 *   maps that name native frames;
 * - `keys` (key-table.ts): the keys and their totals (all, live, peak);
 * - `heap` (heap-replay.ts, shared with the totals replay): live allocations, mmap ranges, the
 *   heap and its peak by memray's rules;
 * - `temporary` (temporary.ts): memray's temporary allocations;
 * - `timeIndex` (time-index.ts): the live set per key through time, in buckets;
 * - `timeline` (timeline.ts): one point per memory record;
 * - `pymallocPages` (layout/page-table.ts): pymalloc's small blocks per page, for the layout.
 *
 * This class is what a reader talks to: the event methods below and the few counts a reader
 * checks ids against. The model (model.ts) reads the parts.
 */
export class MemrayIndexBuilder {
  // ---- record counts ----
  readonly recordCounts = new Float64Array(RECORD_TYPES.length);
  /** ALLOCATION records of any kind (memray's metadata.total_allocations). */
  allocationRecords = 0;
  objectsCreated = 0;
  objectsDestroyed = 0;

  // ---- the parts ----
  readonly frames = new PythonFrames();
  readonly pythonStacks = new PythonStackTree();
  readonly nativeStacks = new NativeStackTree();
  readonly maps = new MemoryMaps();
  readonly keys = new KeyTable((k) => this.keyAdded(k));
  /** The heap: live allocations, mmap ranges, current and peak (memray's rules). */
  readonly heap = new HeapReplay();
  /** memray's temporary allocations, for every offered threshold at once; per time bucket too. */
  readonly temporary = new TemporaryAllocations();
  readonly timeIndex = new TimeIndex(this.keys, this.temporary);
  readonly timeline = new HeapTimeline();
  /** Live small PYMALLOC_* blocks per 4 KiB page, at the end, the peak and checkpoints (issue 14). */
  readonly pymallocPages = new PymallocPageTable();

  // ---- threads ----
  readonly threadTid: number[] = [];
  readonly threadName: string[] = [];
  private readonly tidToSlot = new Map<number, number>();
  /** Slot of the current thread (CONTEXT_SWITCH). */
  thread = 0;

  // ---- totals over the capture ----
  /** Fine interval (memory records before it) in which the peak happened. */
  peakFine = 0;
  /** Live bytes per family (slot of FAMILIES) now. */
  readonly famLive = new Float64Array(FAMILIES.length);
  totalAllocations = 0;
  totalBytes = 0;
  readonly allocatorCount = new Float64Array(16);
  /** Allocators in first-seen order (memray's stats ties follow its hash map: latest first). */
  readonly allocatorOrder: number[] = [];
  readonly allocatorBytes = new Float64Array(16);
  /** Sizes < 65536 counted directly; larger ones in a map (rare). */
  readonly smallSizes = new Float64Array(65536);
  readonly largeSizes = new Map<number, number>();
  /** Set for aggregated captures (no replay; peak/leak numbers given per key). */
  aggregated = false;
  /**
   * Set by a reader whose own loop kept the per-record state (the WebAssembly one,
   * records-wasm-full.ts): finish() runs it first, to move that state into the parts.
   */
  adoptExternal?: () => void;
  /** Aggregated records in file order: key, hwm count, hwm bytes, leak count, leak bytes. */
  readonly aggRecords: number[] = [];

  /** A munmap's cuts, attributed to the ranges' keys (bound once: no closure per record). */
  private readonly onRangeCut: RangeCutListener = (k, birth, removed, freed) => {
    const keys = this.keys;
    keys.liveCount[k] -= freed;
    keys.liveBytes[k] -= removed;
    this.famLive[keys.family[k]] -= removed;
    this.timeIndex.changed(k);
    this.timeIndex.freed(k, birth, freed, removed);
  };

  constructor(readonly nativeTraces: boolean) {}

  get current(): number {
    return this.heap.current;
  }
  get peak(): number {
    return this.heap.peak;
  }
  get maxLive(): number {
    return this.heap.maxLiveEntries;
  }

  // ======================= what a reader checks ids against =======================

  get frameCount(): number {
    return this.frames.frameCount;
  }
  get nodeCount(): number {
    return this.pythonStacks.count;
  }
  get natCount(): number {
    return this.nativeStacks.count;
  }
  get generation(): number {
    return this.maps.generation;
  }

  // ======================= frames and stacks =======================

  // Code objects (v12+), filled by the reader, which decodes frame lines from their tables.
  get codeName(): string[] {
    return this.frames.codeName;
  }
  get codeFile(): string[] {
    return this.frames.codeFile;
  }
  get codeFirstLine(): number[] {
    return this.frames.codeFirstLine;
  }
  get codeTable(): Uint8Array[] {
    return this.frames.codeTable;
  }
  /** v12 frame interning: (code id, offset/entry) → frame id. */
  get frameIntern() {
    return this.frames.frameIntern;
  }

  internLocation(func: string, file: string, line: number): number {
    return this.frames.internLocation(func, file, line);
  }

  /** v10/11: FRAME_INDEX defines frame `id` (its own location: memray v10/11 groups stats by frame id). */
  defineFrame(id: number, func: string, file: string, line: number, isEntry: boolean): void {
    this.frames.defineFrame(id, func, file, line, isEntry);
  }

  /** Appends a frame with a known location; returns its id. */
  addFrame(loc: number, isEntry: boolean): number {
    return this.frames.addFrame(loc, isEntry);
  }

  pyChild(parent: number, frame: number): number {
    return this.pythonStacks.child(parent, frame);
  }

  /** Aggregated files give the tree explicitly: node = (frame, parent). */
  setNode(node: number, frame: number, parent: number): void {
    this.pythonStacks.set(node, frame, parent);
  }

  nativeNode(ip: number, parent: number): void {
    this.nativeStacks.add(ip, parent);
  }

  mapStart(): void {
    this.maps.start();
  }

  segment(file: string, loadAddr: number, vaddr: number, memsz: number): void {
    this.maps.segment(file, loadAddr, vaddr, memsz);
  }

  // ======================= threads =======================

  setThread(tid: number): void {
    let slot = this.tidToSlot.get(tid);
    if (slot === undefined) {
      slot = this.threadTid.length;
      this.threadTid.push(tid);
      this.threadName.push('');
      this.tidToSlot.set(tid, slot);
    }
    this.thread = slot;
  }

  setThreadName(name: string): void {
    this.threadName[this.thread] = name;
  }

  // ======================= keys =======================

  /** A new key: its family, the allocator's first sighting, room in the time index. */
  private keyAdded(k: number): void {
    const keys = this.keys;
    keys.family[k] = this.familyOf(keys.allocator[k], keys.native[k], keys.generation[k]);
    if (!this.allocatorOrder.includes(keys.allocator[k])) this.allocatorOrder.push(keys.allocator[k]);
    this.timeIndex.growKeys(keys.capacity);
  }

  /** The key's family slot in FAMILIES: mmap calls of a jemalloc / mimalloc arena count as theirs. */
  private familyOf(alloc: number, nat: number, gen: number): number {
    const family = ALLOCATOR_FAMILY[alloc] ?? 'other';
    if (family === 'mmap') {
      for (const ip of this.nativeStacks.ipsOf(nat, 256)) {
        const lib = this.maps.libraryOf(gen, ip);
        const arena = lib === undefined ? undefined : libraryFamily([lib]);
        if (arena) return FAMILIES.indexOf(arena);
      }
    }
    return FAMILIES.indexOf(family);
  }

  // ======================= the heap replay =======================

  /**
   * One ALLOCATION record (any allocator). The address arrives as address/8 split in two int32
   * halves (`lo` = low 32 bits, `hi` = the rest) so no double is boxed per record;
   * `allocator` is canonical (v10 numbering), `py` the Python stack node, `nat` the native one.
   * The heap rules themselves are heap-replay.ts; this attributes what they do to keys.
   */
  allocation(lo: number, hi: number, size: number, allocator: number, py: number, nat: number): void {
    this.allocationRecords++;
    const heap = this.heap;
    const kind = ALLOCATOR_KIND[allocator];
    if (kind === AllocatorKind.SIMPLE_ALLOCATOR) {
      const k = this.keys.keyFor(py, nat, this.thread, allocator, this.maps.generation);
      this.countAllocation(k, size);
      this.temporary.allocated(this.thread, lo, hi, size, k);
      if (heap.allocate(lo, hi, size, k, this.timeIndex.fineCount)) {
        this.left(heap.key, heap.birth, heap.size);
        this.leftPages(lo, hi);
      }
      this.entered(k, size);
      if (isSmallPymallocBlock(allocator, size))
        this.pymallocPages.add(lo, hi, size, this.timeIndex.fineCount, heap.current >= heap.peak);
    } else if (kind === AllocatorKind.SIMPLE_DEALLOCATOR) {
      this.temporary.freed(this.thread, lo, hi, -1);
      if (heap.free(lo, hi)) {
        this.left(heap.key, heap.birth, heap.size);
        this.leftPages(lo, hi);
      }
    } else if (kind === AllocatorKind.RANGED_ALLOCATOR) {
      const k = this.keys.keyFor(py, nat, this.thread, allocator, this.maps.generation);
      this.countAllocation(k, size);
      this.temporary.allocated(this.thread, lo, hi, size, k);
      if (size > 0) {
        heap.map((hi * 4294967296 + (lo >>> 0)) * 8, size, k, this.timeIndex.fineCount);
        this.entered(k, size);
      }
    } else {
      this.temporary.freed(this.thread, lo, hi, size);
      heap.unmap((hi * 4294967296 + (lo >>> 0)) * 8, size, this.onRangeCut);
    }
    this.afterRecord();
  }

  private countAllocation(k: number, size: number): void {
    this.timeIndex.touched(k);
    const keys = this.keys;
    keys.allCount[k]++;
    keys.allBytes[k] += size;
    const timeline = this.timeline;
    timeline.intervalCount++;
    timeline.intervalBytes += size;
    if (size < 65536) this.smallSizes[size]++;
    else this.largeSizes.set(size, (this.largeSizes.get(size) ?? 0) + 1);
  }

  /** An allocation of key `k` became live. */
  private entered(k: number, size: number): void {
    const keys = this.keys;
    keys.liveCount[k]++;
    keys.liveBytes[k] += size;
    this.famLive[keys.family[k]] += size;
    this.timeIndex.changed(k);
  }

  /** An allocation of key `k` (born in the fine interval `birth` mod 2^19) left the live set. */
  private left(k: number, birth: number, size: number): void {
    const keys = this.keys;
    keys.liveCount[k]--;
    keys.liveBytes[k] -= size;
    this.famLive[keys.family[k]] -= size;
    this.timeIndex.changed(k);
    this.timeIndex.freed(k, birth, 1, size);
  }

  /** The allocation heap.key/size just left the live set: out of its page if a small pymalloc block. */
  private leftPages(lo: number, hi: number): void {
    const heap = this.heap;
    const size = heap.size;
    if (isSmallPymallocBlock(this.keys.allocator[heap.key], size))
      this.pymallocPages.remove(lo, hi, size, heap.key, heap.birth, this.timeIndex.fineCount);
  }

  /** memray's `>=` peak rule (heap-replay.ts), and the live sets that follow the peaks. */
  private afterRecord(): void {
    const current = this.heap.current;
    const atPeak = this.heap.endRecord(this.allocationRecords - 1);
    if (atPeak) {
      this.peakFine = this.timeIndex.fineCount;
      this.pymallocPages.atPeak(this.peakFine);
    }
    // One call for both peaks' journals: a separate sync call per record at the peak cost 2% of
    // the instructions of a large.bin open (cachegrind, 36.4 G → 35.7 G).
    this.timeIndex.afterRecord(current, atPeak);
  }

  // ======================= time =======================

  memoryRecord(rss: number, timeMs: number): void {
    this.memoryRecordAt(rss, timeMs, this.heap.current);
  }

  /**
   * A MEMORY_RECORD with the heap at `heap`: what every part does at one. The WebAssembly loop
   * (records-wasm-full.ts) calls it with its own heap value, after setting famLive and the
   * timeline's interval numbers from the module.
   */
  memoryRecordAt(rss: number, timeMs: number, heap: number): void {
    this.timeline.memoryRecord(timeMs, rss, heap, this.famLive);
    this.temporary.memoryRecord();
    this.timeIndex.memoryRecord(timeMs, heap);
    this.pymallocPages.memoryRecord(this.timeline.length, timeMs, heap, rss);
  }

  /** Aggregated files: MEMORY_SNAPSHOT carries its own heap value (no time index is built). */
  memorySnapshot(timeMs: number, rss: number, heap: number): void {
    this.timeline.memorySnapshot(timeMs, rss, heap);
  }

  /** End of stream: totals per allocator, and the time index's last bucket. */
  finish(): void {
    if (this.aggregated) return;
    this.adoptExternal?.();
    // Totals per allocator are sums over keys (kept out of the per-record path).
    const keys = this.keys;
    for (let k = 0; k < keys.count; k++) {
      this.totalAllocations += keys.allCount[k];
      this.totalBytes += keys.allBytes[k];
      this.allocatorCount[keys.allocator[k]] += keys.allCount[k];
      this.allocatorBytes[keys.allocator[k]] += keys.allBytes[k];
    }
    // Sync the journals: the final state is the leak snapshot; peak arrays stay as synced.
    this.timeIndex.finish(this.timeline.lastTimeMs, this.heap.current);
    // the reader's loop (and its WebAssembly memory) is not needed any more
    this.adoptExternal = undefined;
    this.timeIndex.closeExternally = undefined;
  }

  // ======================= aggregated captures =======================

  aggregatedAllocation(
    tid: number,
    allocator: number,
    nat: number,
    py: number,
    gen: number,
    hwmCount: number,
    leakCount: number,
    hwmBytes: number,
    leakBytes: number,
  ): void {
    this.setThread(tid);
    const keys = this.keys;
    const k = keys.lookup(py, nat, this.thread, allocator, gen);
    keys.peakCount[k] += hwmCount;
    keys.peakBytes[k] += hwmBytes;
    keys.liveCount[k] += leakCount;
    keys.liveBytes[k] += leakBytes;
    this.heap.peak += hwmBytes;
    this.famLive[keys.family[k]] += leakBytes;
    this.aggRecords.push(k, hwmCount, hwmBytes, leakCount, leakBytes);
  }

  /** Bytes alive now (at the end of the stream: memray's leaked bytes). */
  leakedBytes(): number {
    return this.keys.sum(this.keys.liveBytes);
  }

  /** Live simple allocations now (for tests and sanity checks). */
  get liveAllocations(): number {
    return this.heap.liveEntries;
  }

  /** Bytes held by the index, roughly (for the bench report). */
  approxBytes(): number {
    return (
      this.heap.tableBytes +
      this.keys.capacity * 8 * 20 +
      this.timeIndex.approxBytes() +
      this.pythonStacks.parent.length * 8 +
      this.nativeStacks.ip.length * 12
    );
  }
}
