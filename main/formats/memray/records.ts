import { InputError } from '../../model/capture-model';
import { ALLOCATOR_KIND, MemrayIndexBuilder, R, V12_TO_CANONICAL } from '../../model/memray/builder';
import { MemrayTotalsBuilder } from '../../model/memray/totals-builder';
import { Cursor, parseHeader, type MemrayHeader } from './header';
import { decodeLine } from './lines';
import type { StreamConsumer, WindowMemory } from './stream';
import { ERR, STATUS, WasmWindowMemory, instantiateTotals, type TotalsExports } from './wasm/totals-wasm';

const TWO64 = 18446744073709551616;

/**
 * How far past the frames defined so far a new frame or code-object id may reach. memray hands
 * ids out in first-seen order (0, 1, 2… / 1, 2, 3…), so a real capture stays within a few of
 * the count; the slack only tolerates writers that skip some, while an id from a damaged file
 * (2^64, say) is refused instead of sizing the frame arrays (docs/formats/memray-format.md §5.2, §5.4).
 */
const ID_SLACK = 1 << 16;

/** Delta-channel addition with u64 wrap (values memray writes stay far below 2^53). */
function wrapU64(v: number): number {
  return v < 0 ? v + TWO64 : v >= TWO64 ? v - TWO64 : v;
}

/**
 * Zigzag-decodes a non-negative varint value. Values below 2^31 (nearly all) take integer ops:
 * `%` on a double is a call to fmod, which showed up as the v12 parser's biggest single cost.
 */
function zigzag(z: number): number {
  if (z <= 0x7fffffff) return (z >>> 1) ^ -(z & 1);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * The record layer: parses the header, then one of the three record encodings (v10/11,
 * v12/13, aggregated) and feeds normalized events to the index builder. Resumable: it stops
 * before an incomplete record and continues when more bytes arrive.
 */
export class MemrayRecordParser implements StreamConsumer {
  header?: MemrayHeader;
  model?: MemrayIndexBuilder;
  stopped = false;
  records = 0;
  /** Decode records but skip the heap replay (the bench's decode-only pass). */
  decodeOnly = false;
  /** Replay only what `stats` reports (totals, peak, leaks; no time index or per-key journals). */
  totalsOnly = false;
  /**
   * The totals replay of v12/v13 in JavaScript instead of WebAssembly (tests and benches: the
   * differential tests run all three replays on every capture).
   */
  jsTotals = false;
  /** File size, to size the totals replay's tables up front. */
  fileBytes = 0;
  /** The v12/v13 totals replay's WebAssembly loop (see wasm/), once started. */
  private wasm?: TotalsExports;
  private wasmView = new Uint8Array(0);
  /** Stream offset of memory address 0 during a parse call (address + wasmBase = offset). */
  private wasmBase = 0;
  /** Input copied in when the window is not in the module's memory (tests' own buffers). */
  private wasmScratch = 0;
  private wasmScratchSize = 0;
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
  private readonly chan = new Float64Array(2);
  private ipChan = 0;
  private pyFrameId = 0;
  private pyLine = 0;
  private firstLineChan = 0;
  /** v12 pointer cache (docs/formats/memray-format.md §5.3): 15 addresses/8, newest at ringHead. */
  private readonly ring = new Float64Array(16);
  private ringHead = 0;
  private aggTraceIndex = 0;

  // per-thread Python stacks of tree nodes
  private readonly stacks: Int32Array<ArrayBuffer>[] = [];
  private readonly depths: number[] = [];
  private st = new Int32Array(64);
  private sd = 0;
  private haveThread = false;
  private pyHex = 0;
  /** (parent node, code id, offset/entry) → child node, 4096 direct-mapped entries. */
  private readonly pushCache = new Int32Array(4096 * 4).fill(-1);

  constructor(
    private readonly file: string | undefined,
    private readonly onHeader: (h: MemrayHeader) => void,
  ) {}

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    if (this.stopped) return end;
    if (!this.header) {
      let h: MemrayHeader | undefined;
      try {
        h = parseHeader(buf, pos, end, final, this.file);
      } catch (e) {
        if (e instanceof InputError && e.offset !== undefined) {
          throw new InputError(e.message.replace(/ \(at byte \d+\)$/, ''), this.file, base + e.offset);
        }
        throw e;
      }
      if (!h) return pos;
      this.header = h;
      this.pyHex = h.pythonVersionHex;
      // aggregated files hold no allocation history to replay: the full builder is as cheap
      this.model =
        this.totalsOnly && h.fileFormat !== 1
          ? new MemrayTotalsBuilder(h.nativeTraces, this.fileBytes)
          : new MemrayIndexBuilder(h.nativeTraces);
      this.model.aggregated = h.fileFormat === 1;
      pos += h.length;
      this.onHeader(h);
    }
    if (this.header.fileFormat === 1) return this.parseAggregated(buf, pos, end, final, base);
    if (this.header.version >= 12) {
      if (this.model instanceof MemrayTotalsBuilder && !this.decodeOnly && !this.jsTotals)
        return this.parseV12Wasm(buf, pos, end, final, base);
      return this.parseV12(buf, pos, end, final, base);
    }
    return this.parseV10(buf, pos, end, final, base);
  }

  /** An incomplete record: wait for more input, or (at the end) it is the truncation point. */
  private incomplete(start: number, final: boolean, base: number, what: string): number {
    if (!final) return start;
    this.stop(
      base + start,
      what === 'record' ? 'the data ends inside a record' : `the data ends inside a ${what} record`,
    );
    return start;
  }

  private stop(offset: number, reason: string): void {
    this.stopped = true;
    this.stopOffset = offset;
    this.stopReason = reason;
  }

  /** A value the capture cannot hold (an id past what was defined, a parent link forward). */
  private refuse(offset: number, message: string): never {
    throw new InputError(message, this.file, offset);
  }

  /**
   * NATIVE_TRACE_INDEX record k defines node k; its parent was defined before it (the tree is
   * append-only, docs/formats/memray-format.md §8), so a link to k or beyond would point forward or
   * into a loop.
   */
  private checkNativeParent(parent: number, at: number): void {
    const k = this.model!.natCount;
    if (!(parent < k))
      this.refuse(
        at,
        `NATIVE_TRACE_INDEX node ${k} names parent ${parent}: expected an earlier node (0 to ${k - 1})`,
      );
  }

  /** An allocation's native stack id names a node defined before it (docs/formats/memray-format.md §8). */
  private checkNativeId(nat: number, at: number, what: string): void {
    if (nat >= this.model!.natCount)
      this.refuse(
        at,
        `${what} names native stack ${nat}, but only ${this.model!.natCount - 1} NATIVE_TRACE_INDEX records came before it`,
      );
  }

  /** A Python frame id that names a defined frame. */
  private checkFrameId(frame: number, at: number, what: string): void {
    const n = this.model!.frameCount;
    if (!(frame < n))
      this.refuse(at, `${what} names Python frame ${frame}, but only ${n} frames are defined before it`);
  }

  /** A FRAME_INDEX / PYTHON_FRAME_INDEX id: a new one comes next in first-seen order. */
  private checkNewFrameId(id: number, at: number, what: string): void {
    const n = this.model!.frameCount;
    if (!(id < n + ID_SLACK))
      this.refuse(
        at,
        `${what} defines frame id ${id}: expected the next id (${n}), ids are handed out in order`,
      );
  }

  private switchThread(tid: number): void {
    const m = this.model!;
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

  private push(node: number): void {
    if (this.sd === this.st.length) {
      const g = new Int32Array(Math.max(64, this.st.length * 2));
      g.set(this.st);
      this.st = g;
    }
    this.st[this.sd++] = node;
  }

  private top(): number {
    return this.sd > 0 ? this.st[this.sd - 1] : 0;
  }

  /** CODE_OBJECT (v12+, both formats): false when the record is cut short. */
  private codeObject(c: Cursor, at: number): boolean {
    const m = this.model!;
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

  /** Records that are the same in both stream encodings (cold path, bounds-checked). */
  private commonRecord(type: number, c: Cursor, at: number): boolean {
    const m = this.model!;
    switch (type) {
      case 5: {
        // NATIVE_TRACE_INDEX
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
      case 6:
        m.mapStart();
        m.recordCounts[R.MEMORY_MAP_START]++;
        return true;
      case 7: {
        const file = c.cstring();
        const n = c.varint();
        const load = c.u64();
        const segs: number[] = [];
        for (let i = 0; i < n && !c.short; i++) {
          const t = c.u8();
          if (!c.short && t !== 8) throw new SegmentError();
          segs.push(c.u64(), c.varint());
        }
        if (c.short) return false;
        m.recordCounts[R.SEGMENT_HEADER]++;
        m.recordCounts[R.SEGMENT] += n;
        for (let i = 0; i < segs.length; i += 2) m.segment(file, load, segs[i], segs[i + 1]);
        return true;
      }
      case 10: {
        const name = c.cstring();
        if (c.short) return false;
        m.setThreadName(name);
        m.recordCounts[R.THREAD]++;
        return true;
      }
      case 12: {
        const tid = c.u64();
        if (c.short) return false;
        this.switchThread(tid);
        m.recordCounts[R.CONTEXT_SWITCH]++;
        return true;
      }
    }
    throw new Error(`not a common record ${type}`);
  }

  // ------------------------------------------------------------------ v12 / v13

  private parseV12(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const m = this.model!;
    const native = this.header!.nativeTraces;
    const ring = this.ring;
    const counts = m.recordCounts;
    const pc = this.pushCache;
    // Hot state lives in locals for the loop and is written back once, at the single exit.
    let head = this.ringHead;
    const chan = this.chan;
    let st = this.st;
    let sd = this.sd;
    let records = 0;
    let pushes = 0;
    let pops = 0;
    let objects = 0;
    let result = -1;
    let p = pos;
    loop: while (p < end) {
      const start = p;
      const t = buf[p++];
      if (t >= 0x80) {
        // ALLOCATION: hand-inlined varints, side effects only after the bounds check
        const idx = (t >> 3) & 15;
        let ptr = chan[0];
        // address / 8: the channel already holds it, and the cache stores it
        let a8: number;
        if (idx === 15) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          ptr = wrapU64(ptr + zigzag(z));
          a8 = ptr;
        } else {
          a8 = ring[(head + idx) & 15];
        }
        let a = t & 7;
        if (a === 0) a = buf[p++];
        if (a > 15 || a === 0) {
          if (p > end) result = this.incomplete(start, final, base, 'ALLOCATION');
          else {
            this.stop(base + start, `invalid allocator id ${a} in an ALLOCATION record`);
            result = start;
          }
          break;
        }
        const ca = V12_TO_CANONICAL[a];
        const kind = ALLOCATOR_KIND[ca];
        let nat = 0;
        let natChan = chan[1];
        let size = 0;
        if (kind !== 1) {
          if (native) {
            let b = buf[p++];
            let z = b & 0x7f;
            let s = 128;
            while (b & 0x80) {
              b = buf[p++];
              z += (b & 0x7f) * s;
              s *= 128;
            }
            natChan = wrapU64(natChan + zigzag(z));
            nat = natChan;
          }
          let b = buf[p++];
          size = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            size += (b & 0x7f) * s;
            s *= 128;
          }
        }
        if (p > end) {
          result = this.incomplete(start, final, base, 'ALLOCATION');
          break;
        }
        if (!this.haveThread) {
          this.stop(base + start, 'ALLOCATION record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        if (nat >= m.natCount) this.checkNativeId(nat, base + start, 'ALLOCATION record');
        if (idx === 15) {
          // pointer cache (docs/formats/memray-format.md §5.3): a miss goes to the front, hits keep
          // their place
          chan[0] = ptr;
          head = (head + 15) & 15;
          ring[head] = a8;
        }
        chan[1] = natChan;
        if (this.decodeOnly) m.allocationRecords++;
        else
          m.allocation(
            a8 | 0,
            (a8 / 4294967296) | 0,
            size,
            ca,
            kind === 1 ? 0 : sd > 0 ? st[sd - 1] : 0,
            nat,
          );
        records++;
        continue;
      }
      if (t >= 0x40) {
        // FRAME_PUSH
        let b = buf[p++];
        let code = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          code += (b & 0x7f) * s;
          s *= 128;
        }
        b = buf[p++];
        let z = b & 0x7f;
        s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        if (p > end) {
          result = this.incomplete(start, final, base, 'FRAME_PUSH');
          break;
        }
        if (!this.haveThread) {
          this.stop(base + start, 'FRAME_PUSH record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        const offset = zigzag(z);
        const entry = t & 1;
        const sub = (offset + 1) * 2 + entry;
        const parent = sd > 0 ? st[sd - 1] : 0;
        // Loops push the same (parent, code, offset) again and again: a direct-mapped cache of
        // the resulting tree node skips both hash lookups (frame interning, trie child).
        const ci =
          (Math.imul(parent ^ Math.imul(code, 0x9e3779b1) ^ Math.imul(sub, 0x85ebca6b), 0x27d4eb2f) >>> 20) *
          4;
        let node: number;
        if (pc[ci] === parent && pc[ci + 1] === code && pc[ci + 2] === sub) {
          node = pc[ci + 3];
        } else {
          let frame = m.frameIntern.get(code, sub);
          if (frame < 0) {
            frame = this.newFrameV12(code, offset, entry);
            m.frameIntern.set(code, sub, frame);
          }
          node = m.pyChild(parent, frame);
          pc[ci] = parent;
          pc[ci + 1] = code;
          pc[ci + 2] = sub;
          pc[ci + 3] = node;
        }
        if (sd === st.length) {
          const g = new Int32Array(Math.max(64, st.length * 2));
          g.set(st);
          st = g;
        }
        st[sd++] = node;
        pushes++;
        records++;
        continue;
      }
      if (t >= 0x20) {
        // OBJECT_RECORD
        const created = t & 1;
        const idx = (t >> 1) & 15;
        let ptr = chan[0];
        let a8 = 0;
        if (idx === 15) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          ptr = wrapU64(ptr + zigzag(z));
          a8 = ptr;
        } else a8 = ring[(head + idx) & 15];
        let natChan = chan[1];
        if (native && created) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          natChan = wrapU64(natChan + zigzag(z));
        }
        if (p > end) {
          result = this.incomplete(start, final, base, 'OBJECT_RECORD');
          break;
        }
        if (idx === 15) {
          chan[0] = ptr;
          head = (head + 15) & 15;
          ring[head] = a8;
        }
        chan[1] = natChan;
        if (created) m.objectsCreated++;
        else m.objectsDestroyed++;
        objects++;
        records++;
        continue;
      }
      if (t >= 0x10) {
        // FRAME_POP
        if (!this.haveThread) {
          this.stop(base + start, 'FRAME_POP record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        const n = (t & 0x0f) + 1;
        sd = sd > n ? sd - n : 0;
        pops++;
        records++;
        continue;
      }
      // plain record types (cold): they may switch threads, so the stack goes back to `this`
      this.st = st;
      this.sd = sd;
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (t) {
        case 1:
          counts[R.TRAILER]++;
          this.sawTrailer = true;
          this.stopped = true;
          records++;
          result = p;
          break loop;
        case 2: {
          const rss = c.varint();
          const ms = c.varint();
          if (c.short) ok = false;
          else {
            m.memoryRecord(rss, ms);
            counts[R.MEMORY_RECORD]++;
          }
          break;
        }
        case 14:
          ok = this.codeObject(c, base + start);
          break;
        case 5:
        case 6:
        case 7:
        case 10:
        case 12:
          try {
            ok = this.commonRecord(t, c, base + start);
          } catch (e) {
            if (!(e instanceof SegmentError)) throw e;
            this.stop(base + start, 'SEGMENT_HEADER not followed by its SEGMENT records');
            result = start;
            break loop;
          }
          break;
        default:
          this.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          result = start;
          break loop;
      }
      st = this.st;
      sd = this.sd;
      if (!ok) {
        result = this.incomplete(start, final, base, 'record');
        break;
      }
      p = c.p;
      records++;
    }
    this.ringHead = head;
    this.st = st;
    this.sd = sd;
    this.records += records;
    counts[R.FRAME_PUSH] += pushes;
    counts[R.FRAME_POP] += pops;
    counts[R.OBJECT_RECORD] += objects;
    return result >= 0 ? result : p;
  }

  // ------------------------------------------------------------------ v12 / v13, totals, WebAssembly

  /** The module's memory as bytes (a fresh view after the module grew its memory). */
  private wasmBytes(): Uint8Array {
    const buffer = this.wasm!.memory.buffer;
    if (this.wasmView.buffer !== buffer) this.wasmView = new Uint8Array(buffer);
    return this.wasmView;
  }

  /** The totals replay decodes into its WebAssembly memory (see stream.ts WindowMemory). */
  windowMemory(): WindowMemory | undefined {
    if (!this.totalsOnly || this.decodeOnly || this.jsTotals) return undefined;
    this.wasm ??= this.startWasm();
    return new WasmWindowMemory(this.wasm);
  }

  private startWasm(): TotalsExports {
    // created before the header is read (the window needs it); the model comes with the header
    const tm = () => this.model as MemrayTotalsBuilder;
    const w = instantiateTotals({
      pushNode: (parent, code, offset, entry) => {
        const m = tm();
        const sub = (offset + 1) * 2 + entry;
        let frame = m.frameIntern.get(code, sub);
        if (frame < 0) {
          frame = this.newFrameV12(code, offset, entry);
          m.frameIntern.set(code, sub, frame);
        }
        return m.pyChild(parent, frame);
      },
      coldRecord: (type, pos, end) => this.wasmColdRecord(type, pos, end),
      switchThread: (tid) => this.wasmSwitchThread(tid),
      memoryRecord: (rss, ms, heap) => {
        tm().timelinePoint(rss, ms, heap);
        tm().recordCounts[R.MEMORY_RECORD]++;
      },
      wideTake: (lo, hi) => tm().takeWide(lo, hi),
      wideSet: (lo, hi, size) => tm().setWide(lo, hi, size),
      rangeAdd: (address, size) => tm().addRange(address, size),
      rangeFree: (address, size) => tm().freeRange(address, size),
      largeSize: (size) => tm().addLargeSize(size),
      newAllocator: (allocator) => {
        tm().allocatorOrder.push(allocator);
      },
    });
    w.init(MemrayTotalsBuilder.tableBitsFor(this.fileBytes));
    return w;
  }

  private wasmSwitchThread(tid: number): void {
    const m = this.model!;
    const w = this.wasm!;
    if (this.haveThread) {
      const d = w.stackDepth();
      if (d > 0 || this.stacks[m.thread] !== undefined) {
        this.stacks[m.thread] = new Int32Array(this.wasmBytes().buffer, w.stackPtr(), d).slice();
        this.depths[m.thread] = d;
      }
    }
    m.setThread(tid);
    const st = this.stacks[m.thread];
    const d = this.depths[m.thread] ?? 0;
    w.ensureStack(d);
    if (st && d > 0) new Int32Array(this.wasmBytes().buffer, w.stackPtr(), d).set(st.subarray(0, d));
    w.setStack(d);
    this.haveThread = true;
    m.recordCounts[R.CONTEXT_SWITCH]++;
  }

  /**
   * A record the module hands back (type byte at pos-1; memory addresses): the address after
   * it, -1 if cut, -2 to stop.
   */
  private wasmColdRecord(type: number, pos: number, end: number): number {
    const m = this.model!;
    const c = new Cursor(this.wasmBytes(), pos, end);
    switch (type) {
      case 5: {
        // NATIVE_TRACE_INDEX: the native-id channel lives in the module
        const ip = wrapU64(this.ipChan + c.svarint());
        const parent = wrapU64(this.wasm!.getNativeId() + c.svarint());
        if (c.short) return -1;
        this.checkNativeParent(parent, this.wasmBase + pos - 1);
        this.ipChan = ip;
        this.wasm!.setNativeId(parent);
        m.nativeNode(ip, parent);
        m.recordCounts[R.NATIVE_FRAME_ID]++;
        return c.p;
      }
      case 14:
        return this.codeObject(c, this.wasmBase + pos - 1) ? c.p : -1;
      default:
        try {
          return this.commonRecord(type, c, this.wasmBase + pos - 1) ? c.p : -1;
        } catch (e) {
          if (!(e instanceof SegmentError)) throw e;
          this.stop(this.wasmBase + pos - 1, 'SEGMENT_HEADER not followed by its SEGMENT records');
          return -2;
        }
    }
  }

  private parseV12Wasm(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const w = (this.wasm ??= this.startWasm());
    const m = this.model as MemrayTotalsBuilder;
    if (!m.external) {
      w.setNative(this.header!.nativeTraces ? 1 : 0);
      m.external = () => this.adoptWasm(w, m);
    }
    const n = end - pos;
    if (n <= 0) return pos;
    // buf[i] is at address i + delta: the window itself when it lives in the module's memory
    let delta: number;
    if (buf.buffer === w.memory.buffer) delta = buf.byteOffset;
    else {
      if (this.wasmScratchSize < n) {
        if (this.wasmScratch) w.free(this.wasmScratch);
        this.wasmScratch = w.alloc(n + 16);
        this.wasmScratchSize = n;
      }
      this.wasmBytes().set(buf.subarray(pos, end), this.wasmScratch);
      delta = this.wasmScratch - pos;
    }
    this.wasmBase = base - delta;
    const at = w.parse(pos + delta, end + delta) - delta;
    this.records = w.getRecords();
    switch (w.getStatus()) {
      case STATUS.MORE:
        return at;
      case STATUS.INCOMPLETE: {
        const t = w.getWhat();
        const what =
          t === 0x80 ? 'ALLOCATION' : t === 0x40 ? 'FRAME_PUSH' : t === 0x20 ? 'OBJECT_RECORD' : 'record';
        return this.incomplete(at, final, base, what);
      }
      case STATUS.TRAILER:
        this.model!.recordCounts[R.TRAILER]++;
        this.sawTrailer = true;
        this.stopped = true;
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
        this.stop(base + at, reason);
        return at;
      }
    }
  }

  private adoptWasm(w: TotalsExports, m: MemrayTotalsBuilder): void {
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

  private newFrameV12(code: number, offset: number, entry: number): number {
    const m = this.model!;
    const known = code < m.codeName.length && m.codeName[code] !== undefined;
    const name = known ? m.codeName[code] : '';
    const file = known ? m.codeFile[code] : '';
    const line = known ? decodeLine(m.codeTable[code], offset, m.codeFirstLine[code], this.pyHex) : 0;
    return m.addFrame(m.internLocation(name, file, line), entry === 1);
  }

  // ------------------------------------------------------------------ v10 / v11

  private parseV10(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const m = this.model!;
    let p = pos;
    while (p < end) {
      const start = p;
      const t = buf[p++];
      const type = t & 0x0f;
      const flags = t >> 4;
      if (type === 1 || type === 2) {
        const alloc = flags;
        const kind = ALLOCATOR_KIND[alloc];
        if (alloc === 0) {
          this.stop(base + start, 'ALLOCATION record with allocator 0');
          return start;
        }
        let b = buf[p++];
        let z = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        const ptr = wrapU64(this.chan[0] + zigzag(z));
        let size = 0;
        if (type === 2 || kind !== 1) {
          b = buf[p++];
          size = b & 0x7f;
          s = 128;
          while (b & 0x80) {
            b = buf[p++];
            size += (b & 0x7f) * s;
            s *= 128;
          }
        }
        let natChan = this.chan[1];
        let nat = 0;
        if (type === 2) {
          b = buf[p++];
          z = b & 0x7f;
          s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          natChan = wrapU64(natChan + zigzag(z));
          nat = natChan;
        }
        if (p > end) return this.incomplete(start, final, base, 'ALLOCATION');
        if (!this.haveThread) {
          this.stop(base + start, 'ALLOCATION record before any CONTEXT_SWITCH');
          return start;
        }
        if (nat >= m.natCount) this.checkNativeId(nat, base + start, 'ALLOCATION_WITH_NATIVE record');
        this.chan[0] = ptr;
        this.chan[1] = natChan;
        if (type === 2) m.recordCounts[R.ALLOCATION_WITH_NATIVE]++;
        const a8 = Math.floor(ptr / 8);
        m.allocation(
          a8 | 0,
          (a8 / 4294967296) | 0,
          size,
          alloc,
          kind === 1 ? 0 : this.sd > 0 ? this.st[this.sd - 1] : 0,
          nat,
        );
        this.records++;
        continue;
      }
      if (type === 4) {
        let b = buf[p++];
        let z = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        if (p > end) return this.incomplete(start, final, base, 'FRAME_PUSH');
        if (!this.haveThread) {
          this.stop(base + start, 'FRAME_PUSH record before any CONTEXT_SWITCH');
          return start;
        }
        const frame = wrapU64(this.pyFrameId + zigzag(z));
        // FRAME_INDEX comes before the first push of its frame (docs/formats/memray-format.md §5.4)
        if (frame >= m.frameCount) this.checkFrameId(frame, base + start, 'FRAME_PUSH');
        this.pyFrameId = frame;
        this.push(m.pyChild(this.top(), frame));
        m.recordCounts[R.FRAME_PUSH]++;
        this.records++;
        continue;
      }
      if (type === 9) {
        const n = flags + 1;
        this.sd = this.sd > n ? this.sd - n : 0;
        m.recordCounts[R.FRAME_POP]++;
        this.records++;
        continue;
      }
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (type) {
        case 0:
          if (flags === 1) {
            m.recordCounts[R.TRAILER]++;
            this.sawTrailer = true;
            this.stopped = true;
            this.records++;
            return p;
          }
          this.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
        case 3: {
          const id = wrapU64(this.pyFrameId + c.svarint());
          const func = c.cstring();
          const file = c.cstring();
          const line = (this.pyLine + c.svarint()) | 0;
          if (c.short) ok = false;
          else {
            this.checkNewFrameId(id, base + start, 'FRAME_INDEX');
            this.pyFrameId = id;
            this.pyLine = line;
            m.defineFrame(id, func, file, line, (flags & 1) === 0);
            m.recordCounts[R.FRAME_ID]++;
          }
          break;
        }
        case 11: {
          const rss = c.varint();
          const ms = c.varint();
          if (c.short) ok = false;
          else {
            m.memoryRecord(rss, ms);
            m.recordCounts[R.MEMORY_RECORD]++;
          }
          break;
        }
        case 5:
        case 6:
        case 7:
        case 10:
        case 12:
          try {
            ok = this.commonRecord(type, c, base + start);
          } catch (e) {
            if (!(e instanceof SegmentError)) throw e;
            this.stop(base + start, 'SEGMENT_HEADER not followed by its SEGMENT records');
            return start;
          }
          break;
        default:
          this.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
      }
      if (!ok) return this.incomplete(start, final, base, 'record');
      p = c.p;
      this.records++;
    }
    return p;
  }

  // ------------------------------------------------------------------ aggregated

  private parseAggregated(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const m = this.model!;
    const v12 = this.header!.version >= 12;
    const native = this.header!.nativeTraces;
    let p = pos;
    while (p < end) {
      const start = p;
      const t = buf[p++];
      // v10/11 frame definitions come in hash-map order: they are checked once all are read
      if (t !== 4 && this.pendingFrames) this.definePendingFrames();
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (t) {
        case 1: {
          const time = c.u64();
          const rss = c.u64();
          const heap = c.u64();
          if (c.short) ok = false;
          else {
            m.memorySnapshot(time - this.header!.startTime, rss, heap);
            m.recordCounts[R.MEMORY_SNAPSHOT]++;
          }
          break;
        }
        case 2: {
          const tid = c.u64();
          const alloc = c.u8();
          c.bytes(7);
          const nat = c.u64();
          const py = c.u64();
          const gen = c.u64();
          const nHwm = c.u64();
          const nLeak = c.u64();
          const bHwm = c.u64();
          const bLeak = c.u64();
          if (c.short) ok = false;
          else {
            this.checkAggregatedKey(base + start, alloc, nat, py, gen);
            const ca = v12 ? V12_TO_CANONICAL[alloc] : alloc;
            m.aggregatedAllocation(tid, ca, nat, py, gen, nHwm, nLeak, bHwm, bLeak);
            m.recordCounts[R.AGGREGATED_ALLOCATION]++;
          }
          break;
        }
        case 3: {
          const frame = v12 ? c.varint() : c.u64();
          const parent = v12 ? c.varint() : c.u32();
          if (c.short) ok = false;
          else {
            const node = this.aggTraceIndex + 1;
            this.checkFrameId(frame, base + start, `PYTHON_TRACE_INDEX node ${node}`);
            // record k defines node k, written in node order: a parent comes before its children
            if (!(parent < node))
              this.refuse(
                base + start,
                `PYTHON_TRACE_INDEX node ${node} names parent ${parent}: expected an earlier node (0 to ${node - 1})`,
              );
            this.aggTraceIndex = node;
            m.setNode(node, frame, parent);
            m.recordCounts[R.PYTHON_TRACE_INDEX]++;
          }
          break;
        }
        case 4: {
          if (v12) {
            const id = c.varint();
            const code = c.varint();
            const offset = c.svarint();
            const entry = c.u8();
            if (c.short) ok = false;
            else {
              // memray refuses v12 frame ids that are not consecutive (docs/formats/memray-format.md §12)
              if (id !== m.frameCount)
                this.refuse(
                  base + start,
                  `PYTHON_FRAME_INDEX defines frame id ${id}: expected ${m.frameCount}, the ids count up from 0`,
                );
              const known = code < m.codeName.length && m.codeName[code] !== undefined;
              const line = known
                ? decodeLine(m.codeTable[code], offset, m.codeFirstLine[code], this.pyHex)
                : 0;
              m.defineFrame(
                id,
                known ? m.codeName[code] : '',
                known ? m.codeFile[code] : '',
                line,
                entry !== 0,
              );
            }
          } else {
            const id = c.u64();
            const func = c.cstring();
            const file = c.cstring();
            const line = c.i32();
            const entry = c.u8();
            if (c.short) ok = false;
            else this.holdFrame(base + start, id, func, file, line, entry !== 0);
          }
          if (ok && v12) m.recordCounts[R.PYTHON_FRAME_INDEX]++;
          break;
        }
        case 13: {
          c.varint();
          if (native) c.varint();
          if (c.short) ok = false;
          else m.recordCounts[R.SURVIVING_OBJECT]++;
          break;
        }
        case 14:
          ok = this.codeObject(c, base + start);
          break;
        case 15:
          if (this.pendingFrames) this.definePendingFrames();
          m.recordCounts[R.AGGREGATED_TRAILER]++;
          this.sawTrailer = true;
          this.stopped = true;
          this.records++;
          return p;
        case 5:
        case 6:
        case 7:
        case 10:
        case 12:
          try {
            ok = this.commonRecord(t, c, base + start);
          } catch (e) {
            if (!(e instanceof SegmentError)) throw e;
            this.stop(base + start, 'SEGMENT_HEADER not followed by its SEGMENT records');
            return start;
          }
          break;
        default:
          this.stop(base + start, `unknown aggregated record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
      }
      if (!ok) {
        if (final && this.pendingFrames) this.definePendingFrames();
        return this.incomplete(start, final, base, 'record');
      }
      p = c.p;
      this.records++;
    }
    if (final && this.pendingFrames) this.definePendingFrames();
    return p;
  }

  /** v10/11 aggregated PYTHON_FRAME_INDEX records not yet defined (any order, ids 0…n-1). */
  private pendingFrames?: {
    at: number[];
    id: number[];
    func: string[];
    file: string[];
    line: number[];
    entry: boolean[];
  };

  private holdFrame(at: number, id: number, func: string, file: string, line: number, entry: boolean): void {
    const f = (this.pendingFrames ??= { at: [], id: [], func: [], file: [], line: [], entry: [] });
    f.at.push(at);
    f.id.push(id);
    f.func.push(func);
    f.file.push(file);
    f.line.push(line);
    f.entry.push(entry);
  }

  /**
   * The section's ids are the frame registry's, 0…n-1 in hash-map order: each must fall inside
   * what the section holds (with ID_SLACK), so none sizes the frame arrays past the records.
   */
  private definePendingFrames(): void {
    const f = this.pendingFrames!;
    this.pendingFrames = undefined;
    const m = this.model!;
    const limit = m.frameCount + f.id.length + ID_SLACK;
    for (let i = 0; i < f.id.length; i++) {
      if (!(f.id[i] < limit))
        this.refuse(
          f.at[i],
          `PYTHON_FRAME_INDEX defines frame id ${f.id[i]}, but the capture holds ${f.id.length} frame records (ids 0 to ${f.id.length - 1})`,
        );
    }
    for (let i = 0; i < f.id.length; i++) {
      m.defineFrame(f.id[i], f.func[i], f.file[i], f.line[i], f.entry[i]);
      m.recordCounts[R.PYTHON_FRAME_INDEX]++;
    }
  }

  /**
   * An AGGREGATED_ALLOCATION's key: each part names something defined before it
   * (docs/formats/memray-format.md §12).
   */
  private checkAggregatedKey(at: number, alloc: number, nat: number, py: number, gen: number): void {
    const m = this.model!;
    if (!(alloc >= 1 && alloc <= 15))
      this.refuse(at, `AGGREGATED_ALLOCATION with allocator ${alloc}: expected an allocator id 1 to 15`);
    if (!(py < m.nodeCount))
      this.refuse(
        at,
        `AGGREGATED_ALLOCATION names Python stack ${py}, but only ${m.nodeCount - 1} PYTHON_TRACE_INDEX records came before it`,
      );
    if (nat > 0) this.checkNativeId(nat, at, 'AGGREGATED_ALLOCATION');
    if (!(gen <= m.generation))
      this.refuse(
        at,
        `AGGREGATED_ALLOCATION names memory-map generation ${gen}, but only ${m.generation} MEMORY_MAP_START records came before it`,
      );
  }
}

class SegmentError extends Error {}

/** The stack of a thread that has pushed nothing yet (shared; replaced on the first push). */
const NO_STACK = new Int32Array(0);
