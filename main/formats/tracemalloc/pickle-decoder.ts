/**
 * A streaming decoder for the pickle subset `tracemalloc.Snapshot.dump` (and a user's own
 * `pickle.dump(snapshot, f, protocol=2..5)`) writes. It is not a general unpickler: it knows the
 * object graph Snapshot → _Traces → list[(domain, size, traceback, total_nframe)] and folds each
 * trace into per-(traceback, domain) aggregates the moment its tuple closes, so memory grows with
 * distinct tracebacks, not with traces.
 *
 * Safety: nothing in the file is ever imported, called or evaluated. The only globals accepted are
 * `tracemalloc.Snapshot` and `tracemalloc._Traces`; REDUCE and the other callable opcodes are
 * refused. Every length field is compared with the bytes the file still has before anything is
 * allocated, and buffers only ever grow by data actually read.
 */
import { InputError, type CaptureModel } from '../../model/capture-model';
import { FrameTable } from '../../model/frame-table';
import { StackTrie } from '../../model/stack-trie';
import { DomainAggregate, type DecodedSnapshot } from '../../model/tracemalloc/domains';
import { decodeWtf8 } from './wtf8';
import { TraceLoop } from './trace-loop';
import { quoteInput } from '../../../shared/quote';

// Value tags on the decoder's stack and in its memo.
const T_OTHER = 0;
const T_INT = 1;
const T_STR = 2;
const T_FRAME = 3;
const T_TB = 4;
const T_TRACE = 5;
const T_EMPTY_TUPLE = 6;
const T_CLASS = 7;
const T_OBJ = 8;
const T_DICT = 9;
const T_LIST = 10;
const T_NONE = 11;
const T_UNSET = 255;

const CLASS_SNAPSHOT = 0;
const CLASS_TRACES = 1;

/** Longest string/bytes accepted from a gzip stream, whose true length is unknown up front. */
const STREAM_ITEM_MAX = 64 * 1024 * 1024;

const OPCODE_NAMES: Record<number, string> = {
  0x52: 'REDUCE',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x92: 'NEWOBJ_EX',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x7d: 'EMPTY_DICT',
  0x5d: 'EMPTY_LIST',
  0x29: 'EMPTY_TUPLE',
};

// Fast-path decoding tables for a frame's line number, indexed by opcode: operand width in bytes
// (0 = not this kind of opcode) and the multipliers of operand bytes 2..4, so BININT1/BININT2/
// BININT decode with one expression instead of a branch per opcode.
const INT_WIDTH = new Uint8Array(256);
const INT_M1 = new Float64Array(256);
const INT_M2 = new Float64Array(256);
const INT_M3 = new Float64Array(256);
const INT_NEG = new Uint8Array(256);
INT_WIDTH[0x4b] = 1; // BININT1
INT_WIDTH[0x4d] = 2; // BININT2
INT_M1[0x4d] = 256;
INT_WIDTH[0x4a] = 4; // BININT (a negative one leaves the fast path)
INT_M1[0x4a] = 256;
INT_M2[0x4a] = 65536;
INT_M3[0x4a] = 16777216;
INT_NEG[0x4a] = 0x80; // sign bit of BININT's last byte

/** Domains are ≥ 0, so these never match a trace. */
const NO_DOMAIN = new DomainAggregate(-1, false);
const NO_DOMAIN_2 = new DomainAggregate(-2, false);

/**
 * A dump that ends early. `decoded` holds the traces read up to the cut, so callers can offer
 * them clearly labelled as partial (Python itself refuses such a file).
 */
export class TruncatedDumpError extends InputError {
  /** Set by the loader: the traces read before the cut, as a capture marked truncated. */
  partial?: CaptureModel;

  constructor(
    message: string,
    file: string | undefined,
    offset: number,
    readonly decoded: DecodedSnapshot,
  ) {
    super(message, file, offset);
    this.name = 'InputError';
  }
}

/** Longer frames or strings than this in a dump are damaged lengths (pickle frames are ~64 KiB). */
const PLAUSIBLE_LENGTH = 16 << 20;

/** A length field past the end of the file that no real dump would hold: refused, not opened. */
class CorruptLengthError extends InputError {
  constructor(message: string, file: string | undefined, offset: number, _decoded: DecodedSnapshot) {
    super(message, file, offset);
    this.name = 'InputError';
  }
}

interface ObjRecord {
  cls: number;
  state: number;
}

export class TracemallocPickleDecoder {
  readonly frames = new FrameTable();
  readonly stacks = new StackTrie();

  // Value stack: parallel typed arrays, so pushing an int or a memo hit allocates nothing.
  private tags = new Uint8Array(4096);
  private vals = new Float64Array(4096);
  private sp = 0;
  private marks = new Int32Array(256);
  private mp = 0;

  private memoTags = new Uint8Array(1024);
  private memoVals = new Float64Array(1024);
  private memoLen = 0;

  private readonly strings: string[] = [];
  /** string id → lineno → frame id; frame tuples are not shared in the file, locations are. */
  private readonly frameIndex: (Map<number, number> | undefined)[] = [];
  private readonly dicts: Map<string, [number, number]>[] = [];
  private readonly lists: { traces: number; others: number }[] = [];
  private readonly objs: ObjRecord[] = [];

  private readonly domainMap = new Map<number, DomainAggregate>();
  /** The trace list's usual bytes, folded in WebAssembly (see `fast`). */
  private readonly loop = new TraceLoop();
  private merged = false;
  /** Frame ids of the traceback the loop read inline (`inlineTraceback`). */
  private inlineFrames = new Int32Array(64);
  /** Frames in the traceback ending at each node (to count truncated traces without a call). */
  private nodeDepth = new Int32Array(1024);
  /** The aggregate of the previous trace's domain (a sentinel at first, so the field never changes type). */
  private lastAgg: DomainAggregate = NO_DOMAIN;

  traceCount = 0;
  /** Tracebacks whose frames the WebAssembly loop read (the tests check the path is taken). */
  tracebacksInLoop = 0;
  totalSize = 0;
  truncatedTraces = 0;
  maxTotalNframe = 0;
  traceTupleLen = 0;
  protocol = -1;
  private sawSnapshotClass = false;
  private stopped = false;
  private result = -1;

  /** Bytes consumed so far (offset of `pending[0]` in the decoded stream). */
  private base = 0;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  private need = 1;
  /** What the decoder waits for when input ends early (for the error message). */
  private waiting: { what: string; length: number; at: number } | undefined;
  private frameOverrun: { at: number; length: number; left: number } | undefined;

  /**
   * @param limit total bytes of the decoded stream when known (plain files), else Infinity
   * (gzip); length fields are checked against it before any allocation.
   */
  constructor(
    private readonly limit: number,
    private readonly file?: string,
    private readonly onHeader?: () => void,
    /** false: every trace through the general switch (the differential tests' reference). */
    private readonly webAssembly = true,
  ) {
    // Real dumps memoize about one entry per 14 bytes; sizing from the file (never beyond it)
    // avoids regrowing a multi-megabyte memo, and a gzip stream just grows as it goes.
    if (Number.isFinite(limit) && limit > 16384) {
      const cap = Math.min(1 << 24, Math.ceil(limit / 12));
      this.memoTags = new Uint8Array(cap);
      this.memoVals = new Float64Array(cap);
    }
    // V8 treats a field written only once as a constant and bakes it into optimised code; the
    // first regrowth would then throw that code away. Writing the growable arrays a second time
    // here marks them as ordinary fields from the start, so the hot loop is compiled once.
    this.tags = new Uint8Array(this.tags.length);
    this.vals = new Float64Array(this.vals.length);
    this.marks = new Int32Array(this.marks.length);
    this.nodeDepth = new Int32Array(this.nodeDepth.length);
    if (this.memoTags.length === 1024) {
      this.memoTags = new Uint8Array(1024);
      this.memoVals = new Float64Array(1024);
    }
    this.lastAgg = NO_DOMAIN_2;
    this.lastAgg = NO_DOMAIN;
    // Sums of sizes become doubles; starting them as doubles spares the mid-read change of the
    // object's shape that deoptimised every function compiled against the old one.
    this.totalSize = 0.5;
    this.totalSize = 0;
  }

  get done(): boolean {
    return this.stopped;
  }

  get bytesDecoded(): number {
    return this.base;
  }

  /** Decodes what `chunk` completes. The caller may reuse `chunk` afterwards: nothing keeps it. */
  feed(chunk: Uint8Array): void {
    if (this.stopped || chunk.length === 0) return;
    if (this.pendingLength + chunk.length < this.need) {
      // Wait for the rest of a long item without re-copying what we hold.
      this.pending.push(new Uint8Array(chunk));
      this.pendingLength += chunk.length;
      return;
    }
    if (this.pendingLength === 0) {
      this.consume(chunk);
      return;
    }
    // Finish the item cut by the previous chunk on a small joined head, so a boundary costs a
    // few kilobytes of copying rather than a copy of the whole new chunk.
    const held = this.pendingLength;
    const headLength = Math.min(chunk.length, Math.max(this.need - held, 65536));
    this.pending.push(chunk.subarray(0, headLength));
    const head = Buffer.concat(this.pending, held + headLength);
    this.pending = [];
    this.pendingLength = 0;
    const used = this.run(head);
    this.base += used;
    if (this.stopped) return;
    if (used < held + headLength && headLength === chunk.length) {
      this.pending.push(new Uint8Array(head.subarray(used)));
      this.pendingLength = held + headLength - used;
      return;
    }
    if (used < held) {
      // Still inside the held bytes (an item longer than the head): keep everything.
      this.pending.push(new Uint8Array(head.subarray(used)), new Uint8Array(chunk.subarray(headLength)));
      this.pendingLength = held + chunk.length - used;
      return;
    }
    this.consume(chunk.subarray(used - held));
  }

  private consume(buf: Uint8Array): void {
    const used = this.run(buf);
    this.base += used;
    if (used < buf.length && !this.stopped) {
      this.pending.push(new Uint8Array(buf.subarray(used)));
      this.pendingLength = buf.length - used;
    }
  }

  finish(): DecodedSnapshot {
    if (!this.stopped) {
      const end = this.base + this.pendingLength;
      if (end === 0) throw new InputError('empty file', this.file, 0);
      const f = this.frameOverrun;
      if (f) {
        // pickle's frames hold about 64 KiB; a claim far beyond is a damaged length, not a cut
        const Err = f.length > PLAUSIBLE_LENGTH ? CorruptLengthError : TruncatedDumpError;
        throw new Err(
          `truncated at byte ${end}: frame length ${f.length} at byte ${f.at} exceeds file (${f.left} bytes left); ${this.traceCount} traces read`,
          this.file,
          end,
          this.assemble(),
        );
      }
      const w = this.waiting;
      if (w && w.length >= 0 && w.at + w.length > end) {
        // tracemalloc's strings are file names: a length in the gigabytes is damage, not a cut
        const Err = w.length > PLAUSIBLE_LENGTH ? CorruptLengthError : TruncatedDumpError;
        throw new Err(
          `${w.what} length ${w.length} exceeds file (${Math.max(0, end - w.at)} bytes left): truncated at byte ${end}`,
          this.file,
          w.at,
          this.assemble(),
        );
      }
      throw new TruncatedDumpError(
        `truncated at byte ${end}: the dump ends before its STOP opcode; ${this.traceCount} traces read`,
        this.file,
        end,
        this.assemble(),
      );
    }
    return this.assemble();
  }

  private fail(message: string, at: number): never {
    throw new InputError(message, this.file, at);
  }

  private push(tag: number, val: number): void {
    if (this.sp === this.tags.length) {
      const tags = new Uint8Array(this.tags.length * 2);
      tags.set(this.tags);
      const vals = new Float64Array(this.vals.length * 2);
      vals.set(this.vals);
      this.tags = tags;
      this.vals = vals;
    }
    this.tags[this.sp] = tag;
    this.vals[this.sp] = val;
    this.sp++;
  }

  private memoSet(index: number, at: number): void {
    if (this.sp === 0) this.fail('malformed pickle: memoize with an empty stack', at);
    if (index >= this.memoTags.length) {
      // A memo index can never exceed the number of bytes read so far (each PUT costs a byte).
      if (index > at) this.fail(`memo index ${index} exceeds file`, at);
      let size = this.memoTags.length * 2;
      while (size <= index) size *= 2;
      const tags = new Uint8Array(size).fill(T_UNSET);
      tags.set(this.memoTags.subarray(0, this.memoLen));
      const vals = new Float64Array(size);
      vals.set(this.memoVals.subarray(0, this.memoLen));
      this.memoTags = tags;
      this.memoVals = vals;
    }
    if (index >= this.memoLen) {
      for (let i = this.memoLen; i < index; i++) {
        this.memoTags[i] = T_UNSET;
        this.loop.setMemo(i, 0);
      }
      this.memoLen = index + 1;
    }
    const tag = this.tags[this.sp - 1];
    this.memoTags[index] = tag;
    this.memoVals[index] = this.vals[this.sp - 1];
    this.loop.setMemo(index, loopMemoCode(tag, this.vals[this.sp - 1]));
  }

  private memoGet(index: number, at: number): void {
    if (index >= this.memoLen || this.memoTags[index] === T_UNSET)
      this.fail(`malformed pickle: memo key ${index} missing`, at);
    const tag = this.memoTags[index];
    if (tag === T_TRACE) this.fail('a trace tuple is referenced twice; this is not a tracemalloc dump', at);
    this.push(tag, this.memoVals[index]);
  }

  private popMark(at: number): number {
    if (this.mp === 0) this.fail('malformed pickle: no MARK on the stack', at);
    return this.marks[--this.mp];
  }

  private pushMark(): void {
    if (this.mp === this.marks.length) {
      const marks = new Int32Array(this.marks.length * 2);
      marks.set(this.marks);
      this.marks = marks;
    }
    this.marks[this.mp++] = this.sp;
  }

  private pushString(s: string): void {
    this.strings.push(s);
    this.push(T_STR, this.strings.length - 1);
  }

  private global(module: string, name: string, at: number): void {
    if (module === 'tracemalloc' && (name === 'Snapshot' || name === '_Traces')) {
      if (!this.sawSnapshotClass && name !== 'Snapshot')
        this.fail('pickle is not a tracemalloc.Snapshot (it starts with tracemalloc._Traces)', at);
      if (!this.sawSnapshotClass) {
        this.sawSnapshotClass = true;
        this.onHeader?.();
      }
      this.push(T_CLASS, name === 'Snapshot' ? CLASS_SNAPSHOT : CLASS_TRACES);
      return;
    }
    this.fail(
      `unexpected global ${quoteInput(`${module}.${name}`)}: refusing to load it (tracemalloc dumps only name tracemalloc.Snapshot and tracemalloc._Traces)`,
      at,
    );
  }

  private notSnapshot(op: number, at: number): never {
    const name = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
    this.fail(`pickle is not a tracemalloc.Snapshot (its first object starts with opcode ${name})`, at);
  }

  /** Closes a tuple of `n` stack items starting at `k`. */
  private tuple(k: number, n: number, at: number): void {
    const tags = this.tags;
    const vals = this.vals;
    let tag = T_OTHER;
    let val = 0;
    if (n === 0) tag = T_EMPTY_TUPLE;
    else if (
      (n === 4 || n === 3) &&
      tags[k] === T_INT &&
      tags[k + 1] === T_INT &&
      (tags[k + 2] === T_TB || tags[k + 2] === T_EMPTY_TUPLE) &&
      (n === 3 || tags[k + 3] === T_INT)
    ) {
      this.fold(
        vals[k],
        vals[k + 1],
        tags[k + 2] === T_TB ? vals[k + 2] : 0,
        n === 4 ? vals[k + 3] : -1,
        n,
        at,
      );
      tag = T_TRACE;
      val = 1;
    } else if (n === 2 && tags[k] === T_STR && tags[k + 1] === T_INT) {
      tag = T_FRAME;
      val = this.frame(vals[k], vals[k + 1], at);
    } else {
      let allFrames = true;
      for (let i = k; i < k + n; i++) {
        if (tags[i] !== T_FRAME) {
          allFrames = false;
          break;
        }
      }
      if (allFrames) {
        tag = T_TB;
        val = this.tracebackNode(vals, k, k + n);
      }
    }
    this.sp = k;
    this.push(tag, val);
  }

  /** The trie node of the traceback whose frames are `frames[from..to)`, most recent first. */
  private tracebackNode(frames: Float64Array | Int32Array, from: number, to: number): number {
    // The file lists the most recent frame first; the trie stores oldest first.
    let node = 0;
    for (let i = to - 1; i >= from; i--) node = this.stacks.child(node, frames[i]);
    if (node >= this.nodeDepth.length) {
      const grown = new Int32Array(Math.max(node + 1, this.nodeDepth.length * 2));
      grown.set(this.nodeDepth);
      this.nodeDepth = grown;
    }
    this.nodeDepth[node] = to - from;
    this.loop.setDepth(node, to - from);
    return node;
  }

  /**
   * If memo entry `idx` is a string and `buf[q..]` is `<int> TUPLE2 MEMOIZE`, pushes and memoizes
   * that frame and returns the position after it; else -1 (nothing consumed).
   */
  private frameAt(buf: Uint8Array, q: number, idx: number): number {
    if (idx >= this.memoLen || this.memoTags[idx] !== T_STR || this.memoLen >= this.memoTags.length)
      return -1;
    const b = buf[q];
    const w = INT_WIDTH[b];
    if (w === 0 || (INT_NEG[b] & buf[q + 4]) !== 0) return -1;
    const lineno = buf[q + 1] + buf[q + 2] * INT_M1[b] + buf[q + 3] * INT_M2[b] + buf[q + 4] * INT_M3[b];
    const e = q + 1 + w;
    if (buf[e] !== 0x86 || buf[e + 1] !== 0x94) return -1;
    const frame = this.frame(this.memoVals[idx], lineno, 0);
    this.push(T_FRAME, frame);
    this.memoTags[this.memoLen] = T_FRAME;
    this.memoVals[this.memoLen] = frame;
    this.loop.setMemo(this.memoLen, 0);
    this.memoLen++;
    return e + 2;
  }

  private frame(stringId: number, lineno: number, at: number): number {
    if (!(lineno >= 0 && lineno < 4294967296 && lineno % 1 === 0))
      this.fail(`invalid line number ${lineno}`, at);
    let byLine = this.frameIndex[stringId];
    if (byLine === undefined) {
      byLine = new Map();
      this.frameIndex[stringId] = byLine;
    }
    let id = byLine.get(lineno);
    if (id === undefined) {
      id = this.frames.intern('', this.strings[stringId], lineno, 'python');
      byLine.set(lineno, id);
    }
    return id;
  }

  private domainAggregate(domain: number): DomainAggregate {
    let agg = this.domainMap.get(domain);
    if (agg === undefined) {
      agg = new DomainAggregate(domain, domain === 0);
      this.domainMap.set(domain, agg);
    }
    this.lastAgg = agg;
    return agg;
  }

  private fold(
    domain: number,
    size: number,
    node: number,
    totalNframe: number,
    tupleLen: number,
    at: number,
  ): void {
    if (!(domain >= 0) || !(size >= 0) || domain % 1 !== 0 || size % 1 !== 0)
      this.fail(`invalid trace (domain ${domain}, size ${size})`, at);
    let agg = this.lastAgg;
    if (agg.domain !== domain) agg = this.domainAggregate(domain);
    agg.add(node, size);
    this.traceCount++;
    this.totalSize += size;
    if (tupleLen !== this.traceTupleLen)
      this.traceTupleLen = this.traceTupleLen === 0 ? tupleLen : Math.min(this.traceTupleLen, tupleLen);
    if (totalNframe >= 0) {
      if (totalNframe > this.maxTotalNframe) this.maxTotalNframe = totalNframe;
      if (totalNframe > (node === 0 ? 0 : this.stacks.depth(node))) this.truncatedTraces++;
    }
  }

  /**
   * Fast path: whole traces as _pickle.c writes them, `MARK <int> <int> <BINGET traceback> <int>
   * TUPLE MEMOIZE`, matched on the bytes and folded in WebAssembly (trace-loop.ts), which keeps
   * the per-node sums until `assemble`. Returns at the first byte that is not such a trace (the
   * general switch in `run` takes it from there). Why WebAssembly: a one-shot open spent most
   * of its time before V8 had optimised the JavaScript loop (interpreted, about 1 µs a trace)
   * and compiling it, twice (on-stack and whole). Measured on the large dump (15 MB, 1.08 M
   * traces), decoding alone: 1.46 G instructions in JavaScript, 0.88 G with this loop (under
   * cachegrind); first-decode CPU on the shared machine 224 → 180 ms (best of 8; warm: 58 → 38).
   * The first trace of each traceback, which writes the traceback inline, stops the loop with the
   * frames read; `inlineTraceback` makes the node and the loop goes on with it. Before, those
   * bytes went through the general switch, whose JavaScript V8 then compiled (190 ms of TurboFan
   * jobs per open of the large dump, 66 ms after): `heapscope stats` CPU median 316 → 276 ms.
   */
  private fast(p: number): number {
    const agg = this.lastAgg;
    // Only the dense domain (0) folds there; another domain or a new node leaves the loop.
    if (!agg.dense || !this.webAssembly) return p;
    let inlineAt = -1;
    let inlineNode = 0;
    let inlineEnd = 0;
    for (;;) {
      this.reserveLoop(0);
      const sp = this.sp;
      const memoLen = this.memoLen;
      const end = this.loop.scan(
        p,
        agg.domain,
        memoLen,
        this.maxTotalNframe,
        inlineAt,
        inlineNode,
        inlineEnd,
      );
      const t = this.loop.totals;
      const traces = t.traces;
      // The trace of an inline traceback was checked whole by the scan that stopped at it.
      if (inlineAt >= 0 && end <= inlineAt)
        throw new Error('the trace loop did not take its inline traceback');
      if (traces > 0) {
        // On the value stack, a run of traces is one entry holding their number (APPENDS adds it).
        if (sp > 0 && this.tags[sp - 1] === T_TRACE) this.vals[sp - 1] += traces;
        else this.push(T_TRACE, traces);
        // A trace's memo value is never read (a reference to a trace is refused): only its tag.
        this.memoTags.fill(T_TRACE, memoLen, memoLen + traces);
        this.memoLen = memoLen + traces;
        agg.size += t.bytes;
        agg.count += traces;
        agg.smallSize += t.smallBytes;
        agg.smallCount += t.smallCount;
        this.traceCount += traces;
        this.totalSize += t.bytes;
        this.maxTotalNframe = t.maxNframe;
        this.truncatedTraces += t.truncated;
        if (this.traceTupleLen !== 4)
          this.traceTupleLen = this.traceTupleLen === 0 ? 4 : Math.min(this.traceTupleLen, 4);
      }
      if (t.inlineFrames === 0) return end;
      inlineAt = end;
      inlineEnd = t.inlineEnd;
      inlineNode = this.inlineTraceback(this.loop.inlineFrameList());
      p = end;
    }
  }

  /**
   * Makes the frames, the trie node and the memo entries of a traceback the loop read inline
   * (`frameList`: string id and line number of each frame, most recent first), as the general
   * switch does for `MARK (filename lineno TUPLE2 MEMOIZE)… TUPLE MEMOIZE`. Returns the node.
   */
  private inlineTraceback(frameList: Int32Array): number {
    const n = frameList.length >> 1;
    if (this.inlineFrames.length < n)
      this.inlineFrames = new Int32Array(Math.max(n, 2 * this.inlineFrames.length));
    const frames = this.inlineFrames;
    const m = this.memoLen;
    for (let i = 0; i < n; i++) {
      const frame = this.frame(frameList[2 * i], frameList[2 * i + 1], 0);
      frames[i] = frame;
      this.memoTags[m + i] = T_FRAME;
      this.memoVals[m + i] = frame;
      this.loop.setMemo(m + i, 0);
    }
    const node = this.tracebackNode(frames, 0, n);
    this.memoTags[m + n] = T_TB;
    this.memoVals[m + n] = node;
    this.loop.setMemo(m + n, node + 1);
    this.memoLen = m + n + 1;
    this.tracebacksInLoop++;
    return node;
  }

  /** Room in the loop's memory for the memo, the nodes so far and `inputBytes` of input. */
  private reserveLoop(inputBytes: number): void {
    // Asked before every scan: cheap when nothing grows (the closures below cost an allocation).
    if (this.loop.fits(this.memoTags.length, this.nodeDepth.length, inputBytes)) return;
    this.loop.reserve(
      this.memoTags.length,
      this.nodeDepth.length,
      inputBytes,
      (tb, from, to) => {
        for (let i = from; i < Math.min(to, this.memoLen); i++)
          tb[i] = loopMemoCode(this.memoTags[i], this.memoVals[i]);
      },
      (depth, from, to) => depth.set(this.nodeDepth.subarray(from, to), from),
    );
  }

  /** Decodes whole opcodes from `buf`; returns how many bytes were consumed. */
  private run(bytes: Uint8Array): number {
    // The WebAssembly loop reads its own copy of the bytes; so does everything else here.
    this.reserveLoop(bytes.length);
    let buf = this.loop.input(bytes);
    const n = buf.length;
    const base = this.base;
    let p = 0;
    this.waiting = undefined;
    this.need = 1;
    loop: while (p < n) {
      if (buf[p] === 0x28) {
        p = this.fast(p);
        // Growing the module's memory replaced the buffer under the old view.
        buf = this.loop.inputCopy;
        if (p >= n) break;
      }
      const op = buf[p];
      switch (op) {
        case 0x4b: // BININT1
          if (p + 2 > n) break loop;
          this.push(T_INT, buf[p + 1]);
          p += 2;
          continue;
        case 0x94: // MEMOIZE
          this.memoSet(this.memoLen, base + p);
          p += 1;
          continue;
        case 0x28: // MARK
          this.pushMark();
          p += 1;
          continue;
        case 0x74: {
          // TUPLE
          const k = this.popMark(base + p);
          this.tuple(k, this.sp - k, base + p);
          p += 1;
          continue;
        }
        case 0x6a: // LONG_BINGET
        case 0x68: {
          // BINGET. Usually a known filename starting a frame, `<filename> <int> TUPLE2 MEMOIZE`:
          // that whole frame is taken at once.
          const width = op === 0x6a ? 5 : 2;
          if (p + width > n) break loop;
          const idx = op === 0x6a ? u32(buf, p + 1) : buf[p + 1];
          const end = p + width + 16 <= n ? this.frameAt(buf, p + width, idx) : -1;
          if (end >= 0) {
            p = end;
            continue;
          }
          this.memoGet(idx, base + p);
          p += width;
          continue;
        }
        case 0x86: // TUPLE2
          if (this.sp < 2) this.fail('malformed pickle: stack underflow', base + p);
          this.tuple(this.sp - 2, 2, base + p);
          p += 1;
          continue;
        case 0x65: {
          // APPENDS
          const k = this.popMark(base + p);
          this.append(k, base + p);
          p += 1;
          continue;
        }
        default: {
          const next = this.rare(buf, p, n, base);
          if (next < 0) break loop;
          p = next;
          if (this.stopped) return p;
          continue;
        }
      }
    }
    if (p < n && this.need < n - p + 1) this.need = n - p + 1;
    if (this.need < 1) this.need = 1;
    return p;
  }

  /**
   * One opcode that the loop in `run` does not handle inline (everything outside the trace list's
   * usual opcodes). Returns the next position, or -1 when the opcode is not complete in `buf`.
   * Kept out of `run` so the hot loop stays small for the JIT, with the opcodes a dump uses a few
   * times, possibly only after V8 optimised `run` (TUPLE1/3, BININT2/4, SHORT_BINUNICODE): in
   * `run`, the first of each cost a deoptimisation and a recompile of the whole switch (on the
   * large dump `run` was compiled four times, about 60 ms of compiler CPU each).
   */
  private rare(buf: Uint8Array, p: number, n: number, base: number): number {
    const op = buf[p];
    switch (op) {
      case 0x85: // TUPLE1
        if (this.sp < 1) this.fail('malformed pickle: stack underflow', base + p);
        this.tuple(this.sp - 1, 1, base + p);
        return p + 1;
      case 0x87: // TUPLE3
        if (this.sp < 3) this.fail('malformed pickle: stack underflow', base + p);
        this.tuple(this.sp - 3, 3, base + p);
        return p + 1;
      case 0x4d: // BININT2
        if (p + 3 > n) return -1;
        this.push(T_INT, buf[p + 1] | (buf[p + 2] << 8));
        return p + 3;
      case 0x4a: // BININT (signed)
        if (p + 5 > n) return -1;
        this.push(T_INT, buf[p + 1] | (buf[p + 2] << 8) | (buf[p + 3] << 16) | (buf[p + 4] << 24));
        return p + 5;
      case 0x8c: {
        // SHORT_BINUNICODE
        if (p + 2 > n) return -1;
        const len = buf[p + 1];
        if (base + p + 2 + len > this.limit)
          this.fail(
            `string length ${len} exceeds file (${this.limit - (base + p + 2)} bytes left)`,
            base + p,
          );
        if (p + 2 + len > n) {
          this.need = 2 + len;
          this.waiting = { what: 'string', length: len, at: base + p + 2 };
          return -1;
        }
        this.string(buf, p + 2, p + 2 + len, base + p);
        return p + 2 + len;
      }
      case 0x8a: {
        // LONG1
        if (p + 2 > n) return -1;
        const len = buf[p + 1];
        if (p + 2 + len > n) {
          this.need = 2 + len;
          return -1;
        }
        this.push(T_INT, readLong(buf, p + 2, len));
        p += 2 + len;
        return p;
      }
      case 0x8b: {
        // LONG4: never written for tracemalloc numbers, but harmless if small.
        if (p + 5 > n) return -1;
        const len = u32(buf, p + 1);
        if (len > 8) this.fail(`integer of ${len} bytes is out of range for a tracemalloc dump`, base + p);
        if (p + 5 + len > n) {
          this.need = 5 + len;
          return -1;
        }
        this.push(T_INT, readLong(buf, p + 5, len));
        p += 5 + len;
        return p;
      }
      case 0x61: // APPEND
        if (this.sp < 2) this.fail('malformed pickle: stack underflow', base + p);
        this.append(this.sp - 1, base + p);
        p += 1;
        return p;
      case 0x95: {
        // FRAME: a framing hint only; its length must still fit in the file.
        if (p + 9 > n) return -1;
        const len = u32(buf, p + 1) + u32(buf, p + 5) * 4294967296;
        // Nothing is allocated for a frame, so an overlong one is only remembered: a cut dump
        // is then reported where its data really ends, after the traces that are there.
        if (base + p + 9 + len > this.limit && !this.frameOverrun) {
          this.frameOverrun = { at: base + p, length: len, left: this.limit - (base + p + 9) };
        }
        p += 9;
        return p;
      }
      case 0x58: // BINUNICODE
      case 0x8d: {
        // BINUNICODE8
        const head = op === 0x58 ? 5 : 9;
        if (p + head > n) return -1;
        const len = op === 0x58 ? u32(buf, p + 1) : u32(buf, p + 1) + u32(buf, p + 5) * 4294967296;
        if (base + p + head + len > this.limit)
          this.fail(
            `string length ${len} exceeds file (${this.limit - (base + p + head)} bytes left)`,
            base + p,
          );
        // A gzip stream's end is unknown: cap what could be buffered (filenames are short).
        if (len > STREAM_ITEM_MAX && !Number.isFinite(this.limit))
          this.fail(
            `string length ${len} exceeds what a compressed dump may declare (${STREAM_ITEM_MAX} bytes)`,
            base + p,
          );
        if (p + head + len > n) {
          this.need = head + len;
          this.waiting = { what: 'string', length: len, at: base + p + head };
          return -1;
        }
        this.string(buf, p + head, p + head + len, base + p);
        p += head + len;
        return p;
      }
      case 0x43: // SHORT_BINBYTES
      case 0x42: // BINBYTES
      case 0x8e: {
        // BINBYTES8: only possible outside the Snapshot graph; skipped, never kept.
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        const head = op === 0x43 ? 2 : op === 0x42 ? 5 : 9;
        if (p + head > n) return -1;
        const len =
          op === 0x43
            ? buf[p + 1]
            : op === 0x42
              ? u32(buf, p + 1)
              : u32(buf, p + 1) + u32(buf, p + 5) * 4294967296;
        if (base + p + head + len > this.limit)
          this.fail(
            `bytes length ${len} exceeds file (${this.limit - (base + p + head)} bytes left)`,
            base + p,
          );
        // A gzip stream's end is unknown: cap what could be buffered (filenames are short).
        if (len > STREAM_ITEM_MAX && !Number.isFinite(this.limit))
          this.fail(
            `bytes length ${len} exceeds what a compressed dump may declare (${STREAM_ITEM_MAX} bytes)`,
            base + p,
          );
        if (p + head + len > n) {
          this.need = head + len;
          this.waiting = { what: 'bytes', length: len, at: base + p + head };
          return -1;
        }
        this.push(T_OTHER, 0);
        p += head + len;
        return p;
      }
      case 0x71: // BINPUT
        if (p + 2 > n) return -1;
        this.memoSet(buf[p + 1], base + p);
        p += 2;
        return p;
      case 0x72: // LONG_BINPUT
        if (p + 5 > n) return -1;
        this.memoSet(u32(buf, p + 1), base + p);
        p += 5;
        return p;
      case 0x93: {
        // STACK_GLOBAL
        if (this.sp < 2 || this.tags[this.sp - 1] !== T_STR || this.tags[this.sp - 2] !== T_STR) {
          this.fail('malformed pickle: STACK_GLOBAL needs two strings', base + p);
        }
        const name = this.strings[this.vals[this.sp - 1]];
        const module = this.strings[this.vals[this.sp - 2]];
        this.sp -= 2;
        this.global(module, name, base + p);
        p += 1;
        return p;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const nl1 = indexOfNewline(buf, p + 1, n);
        const nl2 = nl1 < 0 ? -1 : indexOfNewline(buf, nl1 + 1, n);
        if (nl2 < 0) {
          if (n - p > 1024) this.fail('malformed pickle: GLOBAL name too long', base + p);
          return -1;
        }
        const module = Buffer.from(buf.buffer, buf.byteOffset + p + 1, nl1 - p - 1).toString('latin1');
        const name = Buffer.from(buf.buffer, buf.byteOffset + nl1 + 1, nl2 - nl1 - 1).toString('latin1');
        this.global(module, name, base + p);
        p = nl2 + 1;
        return p;
      }
      case 0x80: {
        // PROTO
        if (p + 2 > n) return -1;
        const protocol = buf[p + 1];
        if (protocol > 5)
          this.fail(`unsupported pickle protocol ${protocol} (this reader knows protocols 2 to 5)`, base + p);
        if (protocol < 2)
          this.fail(
            `pickle protocol ${protocol} is not supported (re-save with Snapshot.dump() or pickle protocol 2 to 5)`,
            base + p,
          );
        if (this.protocol < 0) this.protocol = protocol;
        p += 2;
        return p;
      }
      case 0x29: // EMPTY_TUPLE
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        this.push(T_EMPTY_TUPLE, 0);
        p += 1;
        return p;
      case 0x81: {
        // NEWOBJ cls args
        if (this.sp < 2) this.fail('malformed pickle: stack underflow', base + p);
        if (this.tags[this.sp - 2] !== T_CLASS)
          this.fail('malformed pickle: NEWOBJ of something that is not a class', base + p);
        if (this.tags[this.sp - 1] !== T_EMPTY_TUPLE)
          this.fail('unexpected constructor arguments for a tracemalloc class', base + p);
        const cls = this.vals[this.sp - 2];
        this.sp -= 2;
        this.objs.push({ cls, state: -1 });
        this.push(T_OBJ, this.objs.length - 1);
        p += 1;
        return p;
      }
      case 0x7d: // EMPTY_DICT
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        this.dicts.push(new Map());
        this.push(T_DICT, this.dicts.length - 1);
        p += 1;
        return p;
      case 0x5d: // EMPTY_LIST
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        this.lists.push({ traces: 0, others: 0 });
        this.push(T_LIST, this.lists.length - 1);
        p += 1;
        return p;
      case 0x73: {
        // SETITEM
        if (this.sp < 3) this.fail('malformed pickle: stack underflow', base + p);
        this.setItems(this.sp - 2, base + p);
        p += 1;
        return p;
      }
      case 0x75: {
        // SETITEMS
        const k = this.popMark(base + p);
        this.setItems(k, base + p);
        p += 1;
        return p;
      }
      case 0x62: {
        // BUILD
        if (this.sp < 2) this.fail('malformed pickle: stack underflow', base + p);
        if (this.tags[this.sp - 2] !== T_OBJ || this.tags[this.sp - 1] !== T_DICT)
          this.fail('malformed pickle: unexpected BUILD', base + p);
        const obj = this.objs[this.vals[this.sp - 2]];
        if (obj.state >= 0) this.fail('malformed pickle: object state set twice', base + p);
        obj.state = this.vals[this.sp - 1];
        this.sp -= 1;
        p += 1;
        return p;
      }
      case 0x2e: // STOP
        if (this.sp !== 1) {
          if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
          this.fail('malformed pickle: STOP with an unbalanced stack', base + p);
        }
        if (this.frameOverrun) {
          const f = this.frameOverrun;
          this.fail(`frame length ${f.length} at byte ${f.at} exceeds file (${f.left} bytes left)`, f.at);
        }
        this.result = this.sp - 1;
        this.stopped = true;
        this.checkStop(base + p);
        return p + 1;
      case 0x4e: // NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        this.push(op === 0x4e ? T_NONE : T_OTHER, 0);
        p += 1;
        return p;
      case 0x47: // BINFLOAT
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        if (p + 9 > n) return -1;
        this.push(T_OTHER, 0);
        p += 9;
        return p;
      case 0x30: // POP
        if (this.sp < 1) this.fail('malformed pickle: stack underflow', base + p);
        if (this.tags[this.sp - 1] === T_TRACE)
          this.fail('malformed pickle: a trace tuple is discarded', base + p);
        this.sp--;
        p += 1;
        return p;
      case 0x32: // DUP
        if (this.sp < 1) this.fail('malformed pickle: stack underflow', base + p);
        if (this.tags[this.sp - 1] === T_TRACE)
          this.fail('a trace tuple is referenced twice; this is not a tracemalloc dump', base + p);
        this.push(this.tags[this.sp - 1], this.vals[this.sp - 1]);
        p += 1;
        return p;
      default: {
        if (!this.sawSnapshotClass) this.notSnapshot(op, base + p);
        const name = OPCODE_NAMES[op];
        if (name)
          this.fail(
            `refusing pickle opcode ${name} (0x${op.toString(16)}): tracemalloc dumps never use it`,
            base + p,
          );
        this.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`, base + p);
      }
    }
  }

  private string(buf: Uint8Array, start: number, end: number, at: number): void {
    const s = decodeWtf8(buf, start, end);
    if (s === undefined) this.fail('invalid UTF-8 in string', at);
    this.pushString(s);
  }

  private append(k: number, at: number): void {
    if (k < 1 || this.tags[k - 1] !== T_LIST) this.fail('malformed pickle: APPENDS without a list', at);
    const list = this.lists[this.vals[k - 1]];
    for (let i = k; i < this.sp; i++) {
      if (this.tags[i] === T_TRACE) list.traces += this.vals[i];
      else list.others++;
    }
    this.sp = k;
  }

  private setItems(k: number, at: number): void {
    if (k < 1 || this.tags[k - 1] !== T_DICT || (this.sp - k) % 2 !== 0)
      this.fail('malformed pickle: SETITEMS without a dict', at);
    const dict = this.dicts[this.vals[k - 1]];
    for (let i = k; i < this.sp; i += 2) {
      if (this.tags[i] !== T_STR) this.fail('malformed pickle: non-string attribute name', at);
      if (this.tags[i + 1] === T_TRACE)
        this.fail('malformed pickle: a trace tuple outside the traces list', at);
      dict.set(this.strings[this.vals[i]], [this.tags[i + 1], this.vals[i + 1]]);
    }
    this.sp = k;
  }

  private tracebackLimit = 0;

  private checkStop(at: number): void {
    const notSnapshot = (why: string): never =>
      this.fail(`pickle is not a tracemalloc.Snapshot (${why})`, at);
    if (this.tags[this.result] !== T_OBJ) notSnapshot('its top object is not an object');
    const snap = this.objs[this.vals[this.result]];
    if (snap.cls !== CLASS_SNAPSHOT || snap.state < 0)
      notSnapshot('its top object is not a Snapshot with state');
    const state = this.dicts[snap.state];
    const traces = state.get('traces');
    if (!traces || traces[0] !== T_OBJ) return notSnapshot('no traces attribute');
    const tracesObj = this.objs[traces[1]];
    if (tracesObj.cls !== CLASS_TRACES || tracesObj.state < 0)
      notSnapshot('traces is not a tracemalloc._Traces');
    const list = this.dicts[tracesObj.state].get('_traces');
    if (!list || (list[0] !== T_LIST && list[0] !== T_EMPTY_TUPLE))
      return notSnapshot('_Traces has no _traces list');
    const limit = state.get('traceback_limit');
    if (limit && limit[0] === T_INT) this.tracebackLimit = limit[1];
    let listed = 0;
    if (list[0] === T_LIST) {
      const record = this.lists[list[1]];
      if (record.others > 0)
        this.fail(`the traces list holds ${record.others} items that are not traces`, at);
      listed = record.traces;
    }
    if (listed !== this.traceCount)
      this.fail(`${this.traceCount - listed} trace tuples are outside the traces list`, at);
  }

  private assemble(): DecodedSnapshot {
    const dense = this.domainMap.get(0);
    if (dense && !this.merged) this.loop.mergeInto(dense);
    this.merged = true;
    if (!this.stopped && this.tracebackLimit === 0) {
      // A cut dump may still hold the Snapshot's state (traceback_limit follows the traces).
      for (const dict of this.dicts) {
        const limit = dict.get('traceback_limit');
        if (limit && limit[0] === T_INT) this.tracebackLimit = limit[1];
      }
    }
    return {
      frames: this.frames,
      stacks: this.stacks,
      domains: [...this.domainMap.values()].sort((a, b) => a.domain - b.domain),
      traceCount: this.traceCount,
      totalSize: this.totalSize,
      tracebackLimit: this.tracebackLimit,
      traceTupleLen: this.traceTupleLen || 4,
      truncatedTraces: this.truncatedTraces,
      maxTotalNframe: this.maxTotalNframe,
      protocol: this.protocol,
    };
  }
}

/** A memo entry as the trace loop's mirror holds it: a traceback's node + 1, a string's -(id + 1), else 0. */
function loopMemoCode(tag: number, val: number): number {
  return tag === T_TB ? val + 1 : tag === T_STR ? -1 - val : 0;
}

function u32(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 16777216;
}

/** Little-endian two's complement, as LONG1/LONG4 store it. Exact up to 2^53. */
function readLong(buf: Uint8Array, p: number, len: number): number {
  if (len === 0) return 0;
  let value = 0;
  for (let i = len - 1; i >= 0; i--) value = value * 256 + buf[p + i];
  if (buf[p + len - 1] & 0x80) value -= 2 ** (8 * len);
  return value;
}

function indexOfNewline(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 0x0a) return i;
  return -1;
}
