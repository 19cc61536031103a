import { InputError } from '../../model/capture-model';
import type { MemrayIndexBuilder } from '../../model/memray/builder';
import { R } from '../../model/memray/vocabulary';
import type { Cursor, MemrayHeader } from './header';
import { decodeLine } from './lines';
import { CommonType } from './record-types';

const TWO64 = 18446744073709551616;

/**
 * How far past the frames defined so far a new frame or code-object id may reach. memray hands
 * ids out in first-seen order (0, 1, 2… / 1, 2, 3…), so a real capture stays within a few of
 * the count; the slack only tolerates writers that skip some, while an id from a damaged file
 * (2^64, say) is refused instead of sizing the frame arrays (docs/formats/memray-format.md §5.2, §5.4).
 */
export const ID_SLACK = 1 << 16;

/** Delta-channel addition with u64 wrap (values memray writes stay far below 2^53). */
export function wrapU64(v: number): number {
  return v < 0 ? v + TWO64 : v >= TWO64 ? v - TWO64 : v;
}

/**
 * Zigzag-decodes a non-negative varint value. Values below 2^31 (nearly all) take integer ops:
 * `%` on a double is a call to fmod, which showed up as the v12 parser's biggest single cost.
 */
export function zigzag(z: number): number {
  if (z <= 0x7fffffff) return (z >>> 1) ^ -(z & 1);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** One record encoding's loop (records-v10.ts, records-v12.ts, records-aggregated.ts, records-wasm.ts). */
export interface RecordLoop {
  /**
   * Parses complete records in buf[pos, end) (`base` is the stream offset of buf[0]) and
   * returns where the first one it did not consume starts.
   */
  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number;
}

/** A SEGMENT_HEADER whose SEGMENT records do not follow. */
class SegmentError extends Error {}

/** The stack of a thread that has pushed nothing yet (shared; replaced on the first push). */
const NO_STACK = new Int32Array(0);

/**
 * What the record loops share once the header is read: the model they feed, where the stream
 * stopped and why, the delta channels, each thread's Python stack, the checks a record's ids
 * pass, and the records that every encoding writes the same way.
 */
export class RecordState {
  stopped = false;
  records = 0;
  sawTrailer = false;
  /** Decoded-stream offset of the first record that could not be read. */
  stopOffset = -1;
  stopReason?: string;

  // delta channels (docs/formats/memray-format.md §3)
  /**
   * The data-pointer and native-id delta channels. A Float64Array, not fields or locals: their
   * values pass 2^31, and a double in a JS variable or field that V8 keeps tagged is a fresh
   * heap number on each write (78 MB of garbage per large.bin load when they were locals).
   */
  readonly chan = new Float64Array(2);
  ipChan = 0;
  firstLineChan = 0;

  // per-thread Python stacks of tree nodes
  readonly stacks: Int32Array<ArrayBuffer>[] = [];
  readonly depths: number[] = [];
  st = new Int32Array(64);
  sd = 0;
  haveThread = false;

  constructor(
    readonly file: string | undefined,
    readonly header: MemrayHeader,
    readonly model: MemrayIndexBuilder,
  ) {}

  /** An incomplete record: wait for more input, or (at the end) it is the truncation point. */
  incomplete(start: number, final: boolean, base: number, what: string): number {
    if (!final) return start;
    this.stop(
      base + start,
      what === 'record' ? 'the data ends inside a record' : `the data ends inside a ${what} record`,
    );
    return start;
  }

  stop(offset: number, reason: string): void {
    this.stopped = true;
    this.stopOffset = offset;
    this.stopReason = reason;
  }

  /** The record that ends the stream. */
  trailer(countSlot: number): void {
    this.model.recordCounts[countSlot]++;
    this.sawTrailer = true;
    this.stopped = true;
  }

  /** A value the capture cannot hold (an id past what was defined, a parent link forward). */
  refuse(offset: number, message: string): never {
    throw new InputError(message, this.file, offset);
  }

  /**
   * NATIVE_TRACE_INDEX record k defines node k; its parent was defined before it (the tree is
   * append-only, docs/formats/memray-format.md §8), so a link to k or beyond would point forward or
   * into a loop.
   */
  checkNativeParent(parent: number, at: number): void {
    const k = this.model.natCount;
    if (!(parent < k))
      this.refuse(
        at,
        `NATIVE_TRACE_INDEX node ${k} names parent ${parent}: expected an earlier node (0 to ${k - 1})`,
      );
  }

  /** An allocation's native stack id names a node defined before it (docs/formats/memray-format.md §8). */
  checkNativeId(nat: number, at: number, what: string): void {
    if (nat >= this.model.natCount)
      this.refuse(
        at,
        `${what} names native stack ${nat}, but only ${this.model.natCount - 1} NATIVE_TRACE_INDEX records came before it`,
      );
  }

  /** A Python frame id that names a defined frame. */
  checkFrameId(frame: number, at: number, what: string): void {
    const n = this.model.frameCount;
    if (!(frame < n))
      this.refuse(at, `${what} names Python frame ${frame}, but only ${n} frames are defined before it`);
  }

  /** A FRAME_INDEX / PYTHON_FRAME_INDEX id: a new one comes next in first-seen order. */
  checkNewFrameId(id: number, at: number, what: string): void {
    const n = this.model.frameCount;
    if (!(id < n + ID_SLACK))
      this.refuse(
        at,
        `${what} defines frame id ${id}: expected the next id (${n}), ids are handed out in order`,
      );
  }

  switchThread(tid: number): void {
    const m = this.model;
    if (this.haveThread && (this.sd > 0 || this.stacks[m.thread] !== undefined)) {
      this.stacks[m.thread] = this.st;
      this.depths[m.thread] = this.sd;
    }
    m.setThread(tid);
    // A thread gets its own stack on its first push: a capture naming a million threads (a
    // CONTEXT_SWITCH is 9 bytes) must not cost a million stacks.
    this.st = this.stacks[m.thread] ?? NO_STACK;
    this.sd = this.depths[m.thread] ?? 0;
    this.haveThread = true;
  }

  push(node: number): void {
    if (this.sd === this.st.length) {
      const g = new Int32Array(Math.max(64, this.st.length * 2));
      g.set(this.st);
      this.st = g;
    }
    this.st[this.sd++] = node;
  }

  top(): number {
    return this.sd > 0 ? this.st[this.sd - 1] : 0;
  }

  /** CODE_OBJECT (v12+, both file formats): false when the record is cut short. */
  codeObject(c: Cursor, at: number): boolean {
    const m = this.model;
    const id = c.varint();
    const name = c.cstring();
    const file = c.cstring();
    const first = this.firstLineChan + c.svarint();
    const len = c.varint();
    const table = c.short ? new Uint8Array(0) : c.bytes(len);
    if (c.short) return false;
    // ids count up from 1, one per record (docs/formats/memray-format.md §5.2): one far
    // beyond would size arrays
    if (!(id < m.codeName.length + ID_SLACK))
      this.refuse(
        at,
        `CODE_OBJECT id ${id}: expected the next id (${m.codeName.length}), ids count up by one`,
      );
    this.firstLineChan = first | 0;
    m.codeName[id] = name;
    m.codeFile[id] = file;
    m.codeFirstLine[id] = first | 0;
    m.codeTable[id] = table;
    m.recordCounts[R.CODE_OBJECT]++;
    return true;
  }

  /**
   * The location of instruction `offset` of code object `code` (v12+: a FRAME_PUSH or an
   * aggregated PYTHON_FRAME_INDEX names a frame this way); empty when the code object is unknown.
   */
  codeLocation(code: number, offset: number): { name: string; file: string; line: number } {
    const m = this.model;
    if (!(code < m.codeName.length && m.codeName[code] !== undefined)) return { name: '', file: '', line: 0 };
    return {
      name: m.codeName[code],
      file: m.codeFile[code],
      line: decodeLine(m.codeTable[code], offset, m.codeFirstLine[code], this.header.pythonVersionHex),
    };
  }

  /** A v12 FRAME_PUSH's frame the model has not seen: interned by location. */
  newFrameV12(code: number, offset: number, entry: number): number {
    const m = this.model;
    const at = this.codeLocation(code, offset);
    return m.addFrame(m.internLocation(at.name, at.file, at.line), entry === 1);
  }

  /** Records that are the same in every encoding (cold path, bounds-checked). */
  commonRecord(type: number, c: Cursor, at: number): boolean {
    const m = this.model;
    switch (type) {
      case CommonType.NATIVE_TRACE_INDEX: {
        const ip = wrapU64(this.ipChan + c.svarint());
        const parent = wrapU64(this.chan[1] + c.svarint());
        if (c.short) return false;
        this.checkNativeParent(parent, at);
        this.ipChan = ip;
        this.chan[1] = parent;
        m.nativeNode(ip, parent);
        m.recordCounts[R.NATIVE_FRAME_ID]++;
        return true;
      }
      case CommonType.MEMORY_MAP_START:
        m.mapStart();
        m.recordCounts[R.MEMORY_MAP_START]++;
        return true;
      case CommonType.SEGMENT_HEADER: {
        const file = c.cstring();
        const n = c.varint();
        const load = c.u64();
        const segs: number[] = [];
        for (let i = 0; i < n && !c.short; i++) {
          const t = c.u8();
          if (!c.short && t !== CommonType.SEGMENT) throw new SegmentError();
          segs.push(c.u64(), c.varint());
        }
        if (c.short) return false;
        m.recordCounts[R.SEGMENT_HEADER]++;
        m.recordCounts[R.SEGMENT] += n;
        for (let i = 0; i < segs.length; i += 2) m.segment(file, load, segs[i], segs[i + 1]);
        return true;
      }
      case CommonType.THREAD_RECORD: {
        const name = c.cstring();
        if (c.short) return false;
        m.setThreadName(name);
        m.recordCounts[R.THREAD]++;
        return true;
      }
      case CommonType.CONTEXT_SWITCH: {
        const tid = c.u64();
        if (c.short) return false;
        this.switchThread(tid);
        m.recordCounts[R.CONTEXT_SWITCH]++;
        return true;
      }
    }
    throw new Error(`not a common record ${type}`);
  }

  /**
   * A common record read by an encoding's loop: stops at a SEGMENT_HEADER not followed by its
   * segments (returns 'stop'); false when the record is cut short.
   */
  commonRecordOrStop(type: number, c: Cursor, at: number): boolean | 'stop' {
    try {
      return this.commonRecord(type, c, at);
    } catch (e) {
      if (!(e instanceof SegmentError)) throw e;
      this.stop(at, 'SEGMENT_HEADER not followed by its SEGMENT records');
      return 'stop';
    }
  }
}
