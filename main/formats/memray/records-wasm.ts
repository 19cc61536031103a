import type { MemrayTotalsBuilder } from '../../model/memray/totals-builder';
import { R } from '../../model/memray/vocabulary';
import type { RecordState } from './record-state';
import { WasmRecordLoop } from './records-wasm-loop';
import { instantiateTotals, type TotalsExports, type TotalsHost } from './wasm/totals-wasm';

/**
 * The v12/v13 totals replay (`heapscope stats`) in WebAssembly: the host side of
 * wasm/assembly/totals.ts. The module parses the hot records in its own memory, where the
 * stream window lives too (no copy per chunk); it calls back for new frames, thread switches,
 * the records it leaves to JavaScript (records-wasm-loop.ts, shared with the full index's loop)
 * and the rare values it does not keep; at the end its totals are handed to the
 * MemrayTotalsBuilder.
 */
export class V12WasmTotals extends WasmRecordLoop<TotalsExports> implements TotalsHost {
  protected readonly w: TotalsExports;
  private model?: MemrayTotalsBuilder;

  /**
   * Made before the header is read (the stream window lives in the module's memory);
   * `tableBits` sizes its address table up front (MemrayTotalsBuilder.tableBitsFor).
   */
  constructor(tableBits: number) {
    super();
    this.w = instantiateTotals(this);
    this.w.init(tableBits);
  }

  /** The header is read: parse for `state`, into `model`, which takes the totals at finish(). */
  attach(state: RecordState, model: MemrayTotalsBuilder): this {
    this.state = state;
    this.model = model;
    this.w.setNative(state.header.nativeTraces ? 1 : 0);
    model.external = () => this.adopt();
    return this;
  }

  // ---- the module's imports (assembly/totals.ts) ----

  memoryRecord(rss: number, ms: number, heap: number): void {
    this.model!.timelinePoint(rss, ms, heap);
    this.model!.recordCounts[R.MEMORY_RECORD]++;
  }
  wideTake(lo: number, hi: number): number {
    return this.model!.takeWide(lo, hi);
  }
  wideSet(lo: number, hi: number, size: number): void {
    this.model!.setWide(lo, hi, size);
  }
  rangeAdd(address: number, size: number): void {
    this.model!.addRange(address, size);
  }
  rangeFree(address: number, size: number): number {
    return this.model!.freeRange(address, size);
  }
  largeSize(size: number): void {
    this.model!.addLargeSize(size);
  }
  newAllocator(allocator: number): void {
    this.model!.allocatorOrder.push(allocator);
  }

  /** finish(): the module's totals, per Python stack node and allocator, go to the model. */
  private adopt(): void {
    const w = this.w;
    const m = this.model!;
    const mem = w.memory.buffer;
    const cap = w.nodeCapacity();
    const stats = new BigInt64Array(mem, w.nodeStatsPtr(), cap * 2);
    const nodeCount = new Float64Array(cap);
    const nodeBytes = new Float64Array(cap);
    for (let i = 0; i < cap; i++) {
      nodeCount[i] = Number(stats[2 * i]);
      nodeBytes[i] = Number(stats[2 * i + 1]);
    }
    const counts = new Float64Array(16);
    const bytes = new Float64Array(16);
    for (let a = 0; a < 16; a++) {
      counts[a] = w.allocatorCountAt(a);
      bytes[a] = w.allocatorBytesAt(a);
    }
    m.adopt({
      nodeCount,
      nodeBytes,
      smallSizes: Float64Array.from(new Uint32Array(mem, w.smallSizesPtr(), 65536)),
      allocatorCount: counts,
      allocatorBytes: bytes,
      current: w.getCurrent(),
      peak: w.getPeak(),
      liveTotal: w.getLiveTotal(),
      allocationRecords: w.getAllocationRecords(),
      peakIndex: w.getPeakIndex(),
      peakFine: w.getPeakFine(),
      fineCount: w.getFineCount(),
    });
    m.recordCounts[R.FRAME_PUSH] += w.getPushes();
    m.recordCounts[R.FRAME_POP] += w.getPops();
    m.recordCounts[R.OBJECT_RECORD] += w.getObjects();
    m.objectsCreated += w.getObjectsCreated();
    m.objectsDestroyed += w.getObjectsDestroyed();
  }
}
