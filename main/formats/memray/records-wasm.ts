import type { MemrayTotalsBuilder } from '../../model/memray/totals-builder';
import { R } from '../../model/memray/vocabulary';
import { Cursor } from './header';
import { wrapU64, type RecordLoop, type RecordState } from './record-state';
import { CommonType, V12Type } from './record-types';
import type { WindowMemory } from './stream';
import { ERR, STATUS, WasmWindowMemory, instantiateTotals, type TotalsExports } from './wasm/totals-wasm';

/**
 * The v12/v13 totals replay (`heapscope stats`) in WebAssembly: the host side of
 * wasm/assembly/totals.ts. The module parses the hot records in its own memory, where the
 * stream window lives too (no copy per chunk); it calls back for new frames, thread switches,
 * the records it leaves to JavaScript (decoded here with the shared RecordState) and the rare
 * values it does not keep; at the end its totals are handed to the MemrayTotalsBuilder.
 */
export class V12WasmTotals implements RecordLoop {
  private readonly w: TotalsExports;
  private state?: RecordState;
  private model?: MemrayTotalsBuilder;
  private view = new Uint8Array(0);
  /** Stream offset of memory address 0 during a parse call (address + base = offset). */
  private base = 0;
  /** Input copied in when the window is not in the module's memory (tests' own buffers). */
  private scratch = 0;
  private scratchSize = 0;

  /**
   * Made before the header is read (the stream window lives in the module's memory);
   * `tableBits` sizes its address table up front (MemrayTotalsBuilder.tableBitsFor).
   */
  constructor(tableBits: number) {
    this.w = instantiateTotals({
      pushNode: (parent, code, offset, entry) => {
        const state = this.state!;
        const m = state.model;
        const sub = (offset + 1) * 2 + entry;
        let frame = m.frameIntern.get(code, sub);
        if (frame < 0) {
          frame = state.newFrameV12(code, offset, entry);
          m.frameIntern.set(code, sub, frame);
        }
        return m.pyChild(parent, frame);
      },
      coldRecord: (type, pos, end) => this.coldRecord(type, pos, end),
      switchThread: (tid) => this.switchThread(tid),
      memoryRecord: (rss, ms, heap) => {
        this.model!.timelinePoint(rss, ms, heap);
        this.model!.recordCounts[R.MEMORY_RECORD]++;
      },
      wideTake: (lo, hi) => this.model!.takeWide(lo, hi),
      wideSet: (lo, hi, size) => this.model!.setWide(lo, hi, size),
      rangeAdd: (address, size) => this.model!.addRange(address, size),
      rangeFree: (address, size) => this.model!.freeRange(address, size),
      largeSize: (size) => this.model!.addLargeSize(size),
      newAllocator: (allocator) => {
        this.model!.allocatorOrder.push(allocator);
      },
    });
    this.w.init(tableBits);
  }

  /** The stream window, inside the module's memory (see stream.ts WindowMemory). */
  windowMemory(): WindowMemory {
    return new WasmWindowMemory(this.w);
  }

  /** The header is read: parse for `state`, into `model`, which takes the totals at finish(). */
  attach(state: RecordState, model: MemrayTotalsBuilder): this {
    this.state = state;
    this.model = model;
    this.w.setNative(state.header.nativeTraces ? 1 : 0);
    model.external = () => this.adopt();
    return this;
  }

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const w = this.w;
    const state = this.state!;
    const n = end - pos;
    if (n <= 0) return pos;
    // buf[i] is at address i + delta: the window itself when it lives in the module's memory
    let delta: number;
    if (buf.buffer === w.memory.buffer) delta = buf.byteOffset;
    else {
      if (this.scratchSize < n) {
        if (this.scratch) w.free(this.scratch);
        this.scratch = w.alloc(n + 16);
        this.scratchSize = n;
      }
      this.bytes().set(buf.subarray(pos, end), this.scratch);
      delta = this.scratch - pos;
    }
    this.base = base - delta;
    const at = w.parse(pos + delta, end + delta) - delta;
    state.records = w.getRecords();
    switch (w.getStatus()) {
      case STATUS.MORE:
        return at;
      case STATUS.INCOMPLETE: {
        const t = w.getWhat();
        const what =
          t === V12Type.ALLOCATION
            ? 'ALLOCATION'
            : t === V12Type.FRAME_PUSH
              ? 'FRAME_PUSH'
              : t === V12Type.OBJECT_RECORD
                ? 'OBJECT_RECORD'
                : 'record';
        return state.incomplete(at, final, base, what);
      }
      case STATUS.TRAILER:
        state.trailer(R.TRAILER);
        return at;
      case STATUS.COLD_STOP:
        return at;
      default: {
        const code = w.getError();
        const arg = w.getErrorArg();
        const reason =
          code === ERR.BAD_ALLOCATOR
            ? `invalid allocator id ${arg} in an ALLOCATION record`
            : code === ERR.NO_THREAD_ALLOCATION
              ? 'ALLOCATION record before any CONTEXT_SWITCH'
              : code === ERR.NO_THREAD_PUSH
                ? 'FRAME_PUSH record before any CONTEXT_SWITCH'
                : code === ERR.NO_THREAD_POP
                  ? 'FRAME_POP record before any CONTEXT_SWITCH'
                  : `unknown record type 0x${arg.toString(16).padStart(2, '0')}`;
        state.stop(base + at, reason);
        return at;
      }
    }
  }

  /** The module's memory as bytes (a fresh view after the module grew its memory). */
  private bytes(): Uint8Array {
    const buffer = this.w.memory.buffer;
    if (this.view.buffer !== buffer) this.view = new Uint8Array(buffer);
    return this.view;
  }

  /** CONTEXT_SWITCH: the module's stack goes to the thread it was for, the new thread's comes in. */
  private switchThread(tid: number): void {
    const state = this.state!;
    const m = state.model;
    const w = this.w;
    if (state.haveThread) {
      const d = w.stackDepth();
      if (d > 0 || state.stacks[m.thread] !== undefined) {
        state.stacks[m.thread] = new Int32Array(this.bytes().buffer, w.stackPtr(), d).slice();
        state.depths[m.thread] = d;
      }
    }
    m.setThread(tid);
    const st = state.stacks[m.thread];
    const d = state.depths[m.thread] ?? 0;
    w.ensureStack(d);
    if (st && d > 0) new Int32Array(this.bytes().buffer, w.stackPtr(), d).set(st.subarray(0, d));
    w.setStack(d);
    state.haveThread = true;
    m.recordCounts[R.CONTEXT_SWITCH]++;
  }

  /**
   * A record the module hands back (type byte at pos-1; memory addresses): the address after
   * it, -1 if cut, -2 to stop.
   */
  private coldRecord(type: number, pos: number, end: number): number {
    const state = this.state!;
    const m = state.model;
    const c = new Cursor(this.bytes(), pos, end);
    const at = this.base + pos - 1;
    switch (type) {
      case CommonType.NATIVE_TRACE_INDEX: {
        // the native-id channel lives in the module
        const ip = wrapU64(state.ipChan + c.svarint());
        const parent = wrapU64(this.w.getNativeId() + c.svarint());
        if (c.short) return -1;
        state.checkNativeParent(parent, at);
        state.ipChan = ip;
        this.w.setNativeId(parent);
        m.nativeNode(ip, parent);
        m.recordCounts[R.NATIVE_FRAME_ID]++;
        return c.p;
      }
      case V12Type.CODE_OBJECT:
        return state.codeObject(c, at) ? c.p : -1;
      default: {
        const read = state.commonRecordOrStop(type, c, at);
        return read === 'stop' ? -2 : read ? c.p : -1;
      }
    }
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
