import { R } from '../../model/memray/vocabulary';
import { Cursor } from './header';
import { wrapU64, type RecordLoop, type RecordState } from './record-state';
import { CommonType, V12Type } from './record-types';
import type { WindowMemory } from './stream';
import { ERR, STATUS, WasmWindowMemory, type LoopExports } from './wasm/loop-wasm';

/**
 * The host side both WebAssembly record loops share (records-wasm.ts, the totals replay;
 * records-wasm-full.ts, the full index): feeding the module its input, turning its stop status
 * into the RecordState's truncation or error, and the decoder's callbacks (new frames, thread
 * switches, the cold records decoded with the shared RecordState), as the JS loop
 * (records-v12.ts) does them. Subclasses instantiate their module with themselves as the host.
 */
export abstract class WasmRecordLoop<E extends LoopExports> implements RecordLoop {
  protected abstract readonly w: E;
  protected state?: RecordState;
  private view = new Uint8Array(0);
  private words = new Int32Array(0);
  /** Stream offset of memory address 0 during a parse call (address + base = offset). */
  protected base = 0;
  /** Input copied in when the window is not in the module's memory (tests' own buffers). */
  private scratch = 0;
  private scratchSize = 0;

  /** The stream window, inside the module's memory (see stream.ts WindowMemory). */
  windowMemory(): WindowMemory {
    return new WasmWindowMemory(this.w);
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
  protected bytes(): Uint8Array {
    const buffer = this.w.memory.buffer;
    if (this.view.buffer !== buffer) this.view = new Uint8Array(buffer);
    return this.view;
  }

  /** The module's memory as int32 words (as bytes()). */
  private memoryWords(): Int32Array {
    const buffer = this.w.memory.buffer;
    if (this.words.buffer !== buffer) this.words = new Int32Array(buffer);
    return this.words;
  }

  // ---- the decoder's imports (assembly/common.ts) ----

  /** A FRAME_PUSH the module's push cache did not know: the frame's node (records-v12.ts). */
  pushNode(parent: number, code: number, offset: number, entry: number): number {
    const state = this.state!;
    const m = state.model;
    const sub = (offset + 1) * 2 + entry;
    let frame = m.frameIntern.get(code, sub);
    if (frame < 0) {
      frame = state.newFrameV12(code, offset, entry);
      m.frameIntern.set(code, sub, frame);
    }
    return m.pyChild(parent, frame);
  }

  /**
   * CONTEXT_SWITCH: the module's stack goes to the thread it was for, the new thread's comes
   * in (RecordState.switchThread's rules); returns the thread's slot.
   */
  switchThread(tid: number): number {
    // Per switch, no allocation and no view: the stacks are copied word by word into a buffer
    // each thread keeps (a slice() and two views per switch were 1.1 s of a 26 s open of the
    // 1 GB synthetic capture, whose threads switch every few records).
    const state = this.state!;
    const m = state.model;
    const w = this.w;
    if (state.haveThread) {
      const d = w.stackDepth();
      let saved = state.stacks[m.thread];
      if (d > 0 || saved !== undefined) {
        if (saved === undefined || saved.length < d)
          saved = state.stacks[m.thread] = new Int32Array(Math.max(16, 2 * d));
        const words = this.memoryWords();
        const from = w.stackPtr() >>> 2;
        for (let i = 0; i < d; i++) saved[i] = words[from + i];
        state.depths[m.thread] = d;
      }
    }
    m.setThread(tid);
    const st = state.stacks[m.thread];
    const d = state.depths[m.thread] ?? 0;
    if (st && d > 0) {
      w.ensureStack(d);
      const words = this.memoryWords();
      const to = w.stackPtr() >>> 2;
      for (let i = 0; i < d; i++) words[to + i] = st[i];
    }
    w.setStack(d);
    state.haveThread = true;
    m.recordCounts[R.CONTEXT_SWITCH]++;
    return m.thread;
  }

  /**
   * A record the module hands back (type byte at pos-1; memory addresses): the address after
   * it, -1 if cut, -2 to stop.
   */
  coldRecord(type: number, pos: number, end: number): number {
    const state = this.state!;
    const m = state.model;
    const c = new Cursor(this.bytes(), pos, end);
    const at = this.base + pos - 1;
    let next: number;
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
        next = c.p;
        break;
      }
      case V12Type.CODE_OBJECT:
        next = state.codeObject(c, at) ? c.p : -1;
        break;
      default: {
        const read = state.commonRecordOrStop(type, c, at);
        next = read === 'stop' ? -2 : read ? c.p : -1;
      }
    }
    if (next >= 0) this.afterColdRecord();
    return next;
  }

  /** A cold record changed the model (the native tree, the memory maps): the module may need to know. */
  protected afterColdRecord(): void {}
}
