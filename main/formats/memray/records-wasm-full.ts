import { FAMILIES } from '../../model/allocator-family';
import type { MemrayIndexBuilder } from '../../model/memray/builder';
import type { RangeCutListener } from '../../model/memray/heap-replay';
import { R } from '../../model/memray/vocabulary';
import type { RecordState } from './record-state';
import { WasmRecordLoop } from './records-wasm-loop';
import { instantiateFull, type FullExports, type FullHost } from './wasm/full-wasm';

/**
 * The v12/v13 record loop of the full index in WebAssembly: the host side of
 * wasm/assembly/full.ts. The module does every per-record step of builder.ts (keys, per-key
 * totals, the heap, the histogram, the timeline's interval, the time index's open bucket) in its
 * own memory, where the stream window lives too, and its components find memray's temporaries
 * (assembly/temporary.ts) and count pymalloc's pages (assembly/pages.ts). JavaScript does what happens per new frame,
 * key, thread or cold record (the shared RecordState, the JS KeyTable's identity columns), per
 * memory record and bucket close (the timeline point, the closed bucket into TimeBuckets), and
 * at the end, where the module's state moves into the builder's parts: the model and every query
 * read the same JS objects whichever loop filled them (test/node/full-wasm-differential.test.ts).
 */
export class V12WasmFull extends WasmRecordLoop<FullExports> implements FullHost {
  protected readonly w: FullExports;
  private model?: MemrayIndexBuilder;
  /** The open bucket's start time (the last close's). */
  private bucketStartTime = 0;
  /** munmap cuts go back to the module (bound once). */
  private readonly onCut: RangeCutListener = (k, birth, removed, freed) =>
    this.w.rangeCut(k, birth, removed, freed);

  /**
   * Made before the header is read (the stream window lives in the module's memory);
   * `tableBits` sizes its live table up front (MemrayTotalsBuilder.tableBitsFor).
   */
  constructor(tableBits: number) {
    super();
    this.w = instantiateFull(this);
    this.w.init(tableBits);
  }

  /** The header is read: parse for `state`, into `model`, which takes the module's state at finish(). */
  attach(state: RecordState, model: MemrayIndexBuilder): this {
    this.state = state;
    this.model = model;
    const w = this.w;
    w.setNative(state.header.nativeTraces ? 1 : 0);
    w.setNatCount(model.natCount);
    w.setGeneration(model.generation);
    w.setBucketShift(model.timeIndex.bucketShift);
    // the components' state lives in the module until the end (page-table.ts, temporary.ts)
    model.pymallocPages.attachWasm(w);
    model.temporary.attachWasm(w);
    model.adoptExternal = () => this.adopt();
    model.timeIndex.closeExternally = (timeMs) => this.closeBucket(timeMs);
    return this;
  }

  protected override afterColdRecord(): void {
    const m = this.model!;
    this.w.setNatCount(m.natCount);
    this.w.setGeneration(m.generation);
  }

  // ---- the module's imports (assembly/full.ts) ----

  newKey(py: number, nat: number, thread: number, allocator: number, generation: number): number {
    const keys = this.model!.keys;
    // the module asks only for keys its own table did not hold, numbered in order: no lookup.
    // (Append first: adding the key may grow, so replace, the family column.)
    const k = keys.append(py, nat, thread, allocator, generation);
    return keys.family[k];
  }

  /** builder.memoryRecord, with the module's heap, interval and family numbers. */
  memoryRecord(rss: number, ms: number, heap: number, intervalCount: number, intervalBytes: number): void {
    const m = this.model!;
    const w = this.w;
    for (let f = 0; f < FAMILIES.length; f++) m.famLive[f] = w.famLiveAt(f);
    m.timeline.intervalCount = intervalCount;
    m.timeline.intervalBytes = intervalBytes;
    // a due bucket closes through timeIndex.closeExternally (this.closeBucket)
    m.memoryRecordAt(rss, ms, heap);
    m.recordCounts[R.MEMORY_RECORD]++;
  }

  badNative(nat: number, at: number): void {
    this.state!.checkNativeId(nat, this.base + at, 'ALLOCATION record');
  }

  wideTake(lo: number, hi: number): number {
    const heap = this.model!.heap;
    const size = heap.takeWideSize(lo, hi);
    if (size >= 0) this.w.setTaken(heap.key, heap.birth);
    return size;
  }

  wideSet(lo: number, hi: number, key: number, size: number, birth: number): void {
    this.model!.heap.setWideEntry(lo, hi, key, size, birth);
  }

  rangeAdd(address: number, size: number, key: number, birth: number): void {
    this.model!.heap.ranges.add(address, size, key, birth);
  }

  rangeFree(address: number, size: number): number {
    return this.model!.heap.ranges.cut(address, size, this.onCut);
  }

  peakLogChunk(c: number, ptr: number): void {
    this.model!.pymallocPages.takeWasmLogChunk(c, ptr);
  }

  largeSize(size: number): void {
    const sizes = this.model!.largeSizes;
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
  }

  // ---- bucket closes and the end ----

  /** The module's open bucket closes into the time index's closed buckets (TimeBuckets). */
  private closeBucket(timeMs: number): void {
    const w = this.w;
    const ti = this.model!.timeIndex;
    const n = w.closeBucket();
    const nf = w.getFreeCount();
    const mem = w.memory.buffer;
    ti.appendBucket(
      new Float64Array(mem, w.outEntriesPtr(), n * 7),
      n,
      new Float64Array(mem, w.outFreesPtr(), nf * 4),
      nf,
      {
        startHeap: w.outStartHeapValue(),
        endHeap: w.getCurrent(),
        peakHeap: w.outPeakHeapValue(),
        peakFine: w.outPeakFineValue(),
        startTime: this.bucketStartTime,
        endTime: timeMs,
      },
    );
    this.bucketStartTime = timeMs;
    w.setBucketShift(ti.bucketShift);
  }

  /** finish(): the module's per-key columns, heap and counts go to the builder's parts. */
  private adopt(): void {
    const w = this.w;
    const m = this.model!;
    const keys = m.keys;
    const n = w.getKeyCount();
    if (n !== keys.count)
      throw new Error(`internal error: ${n} keys in the module, ${keys.count} in the key table`);
    // in chunks through one small block: a keyCount × 48 B copy would be 24 MB more memory at the
    // end on treebuilder-pymalloc.bin's 492 k keys
    const chunk = w.totalsChunk();
    for (let from = 0; from < n; from += chunk) {
      const c = Math.min(chunk, n - from);
      const at = w.keyTotals(from, c); // first: its first call may grow (detach) the memory
      const t = new Float64Array(w.memory.buffer, at, c * 6);
      for (let j = 0; j < c; j++) {
        const o = j * 6;
        const k = from + j;
        keys.allCount[k] = t[o];
        keys.allBytes[k] = t[o + 1];
        keys.liveCount[k] = t[o + 2];
        keys.liveBytes[k] = t[o + 3];
        keys.peakCount[k] = t[o + 4];
        keys.peakBytes[k] = t[o + 5];
      }
    }
    const livePtr = w.liveEntries();
    const mem = w.memory.buffer;
    m.heap.adopt(new Int32Array(mem, livePtr, w.getTableSize() * 4).slice(), {
      current: w.getCurrent(),
      peak: w.getPeak(),
      peakIndex: w.getPeakIndex(),
      liveBytes: w.getLiveBytes(),
      maxLiveEntries: w.getMaxLiveEntries(),
    });
    m.allocationRecords = w.getAllocationRecords();
    m.peakFine = w.getPeakFine();
    for (let f = 0; f < FAMILIES.length; f++) m.famLive[f] = w.famLiveAt(f);
    const small = new Uint32Array(mem, w.smallSizesPtr(), 65536);
    for (let s = 0; s < 65536; s++) m.smallSizes[s] = small[s];
    m.timeline.intervalCount = w.getIntervalCount();
    m.timeline.intervalBytes = w.getIntervalBytes();
    m.pymallocPages.adoptWasm();
    m.temporary.adoptWasm();
    m.recordCounts[R.FRAME_PUSH] += w.getPushes();
    m.recordCounts[R.FRAME_POP] += w.getPops();
    m.recordCounts[R.OBJECT_RECORD] += w.getObjects();
    m.objectsCreated += w.getObjectsCreated();
    m.objectsDestroyed += w.getObjectsDestroyed();
  }
}
