/**
 * The WebAssembly half of the pickle decoder's trace loop (wasm/assembly/traces.ts, compiled by
 * scripts/build-wasm.mjs into wasm/traces.wasm.ts): the bytes of the traces list, folded into
 * per-node sums without a JavaScript step per trace.
 *
 * The module's memory holds the input (each chunk is copied in once), a mirror of the memo
 * (memo index → traceback node + 1, 0 for any other entry), each node's frame count, and the
 * sums of the dense domain (bytes and blocks per node, the size bins), added to its
 * DomainAggregate when the dump ends. Regions are laid out one after another and moved to the
 * end when they grow; growing the memory detaches every view of it, so it only grows in
 * `reserve`, which the decoder calls where no view of the input is held (trace-loop.test.ts
 * checks the whole against the decoder's general switch).
 */
import type { DomainAggregate } from '../../model/tracemalloc/domains';
import { HIST_BINS } from '../../model/tracemalloc/domains';
import { WASM_BASE64 } from './wasm/traces.wasm';

interface TraceExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  scan(
    buf: number,
    p: number,
    n: number,
    domain: number,
    tb: number,
    memoLen: number,
    memoCap: number,
    depth: number,
    sums: number,
    counts: number,
    nodeCap: number,
    hist: number,
    maxNframe: number,
    scratch: number,
    scratchCap: number,
    inlineAt: number,
    inlineNode: number,
    inlineEnd: number,
  ): number;
  traces(): number;
  bytes(): number;
  smallBytes(): number;
  smallCount(): number;
  maxNframe(): number;
  truncated(): number;
  inlineFrames(): number;
  inlineEnd(): number;
}

/** The slice of the WebAssembly JS API used here (this project's Node typings omit it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | undefined;

const PAGE = 65536;
const HIST_BYTES = 2 * HIST_BINS * 8;
/** Frames of a traceback the loop reads inline (a longer one goes through the general switch). */
const SCRATCH_FRAMES = 4096;

/** What one scan folded (the per-node sums stay in the module until `mergeInto`). */
export interface ScanTotals {
  traces: number;
  bytes: number;
  smallBytes: number;
  smallCount: number;
  maxNframe: number;
  truncated: number;
  /** Frames of the traceback written inside the trace where the scan stopped, else 0. */
  inlineFrames: number;
  /** Where that traceback ends (after its MEMOIZE). */
  inlineEnd: number;
}

export class TraceLoop {
  private readonly x: TraceExports;
  private end: number;
  private histAt = 0;
  private scratchAt = 0;
  private inputAt = 0;
  private inputCap = 0;
  private tbAt = 0;
  private tbCap = 0;
  private depthAt = 0;
  private sumsAt = 0;
  private countsAt = 0;
  private nodeCap = 0;
  private inputLength = 0;
  private inputView = new Uint8Array(0);
  /** Memo mirror: a memo entry's traceback node + 1, 0 for anything else. */
  private tb = new Int32Array(0);
  private depth = new Int32Array(0);
  readonly totals: ScanTotals = {
    traces: 0,
    bytes: 0,
    smallBytes: 0,
    smallCount: 0,
    maxNframe: 0,
    truncated: 0,
    inlineFrames: 0,
    inlineEnd: 0,
  };

  constructor() {
    compiled ??= new wasmApi.Module(Buffer.from(WASM_BASE64, 'base64'));
    this.x = new wasmApi.Instance(compiled, {}).exports as TraceExports;
    this.end = align(this.x.heapBase());
    this.histAt = this.take(HIST_BYTES);
    this.scratchAt = this.take(SCRATCH_FRAMES * 8);
    this.refresh();
  }

  /** Whether `reserve` would have nothing to do (the decoder asks before each scan). */
  fits(memoCap: number, nodeCap: number, inputBytes: number): boolean {
    return memoCap <= this.tbCap && nodeCap <= this.nodeCap && inputBytes <= this.inputCap;
  }

  /**
   * Room for `memoCap` memo entries, `nodeCap` nodes and `inputBytes` of input. Grows the
   * module's memory, which invalidates every view of it: call only between two scans of an
   * input. New mirror entries are filled by `fillMemo(from, to)` / `fillDepth(from, to)`.
   */
  reserve(
    memoCap: number,
    nodeCap: number,
    inputBytes: number,
    fillMemo: (tb: Int32Array, from: number, to: number) => void,
    fillDepth: (depth: Int32Array, from: number, to: number) => void,
  ): void {
    if (inputBytes > this.inputCap) {
      this.inputCap = Math.max(inputBytes, this.inputCap * 2, PAGE);
      this.inputAt = this.take(this.inputCap);
    }
    if (memoCap > this.tbCap) {
      const from = this.tbCap;
      const at = this.take(memoCap * 4);
      this.move(this.tbAt, at, from * 4);
      this.tbAt = at;
      this.tbCap = memoCap;
      this.refresh();
      fillMemo(this.tb, from, memoCap);
    }
    if (nodeCap > this.nodeCap) {
      const from = this.nodeCap;
      const depthAt = this.take(nodeCap * 4);
      const sumsAt = this.take(nodeCap * 8);
      const countsAt = this.take(nodeCap * 8);
      this.move(this.depthAt, depthAt, from * 4);
      this.move(this.sumsAt, sumsAt, from * 8);
      this.move(this.countsAt, countsAt, from * 8);
      this.depthAt = depthAt;
      this.sumsAt = sumsAt;
      this.countsAt = countsAt;
      this.nodeCap = nodeCap;
      this.refresh();
      fillDepth(this.depth, from, nodeCap);
    }
    // Any growth above detached the views.
    if (this.tb.buffer !== this.x.memory.buffer) this.refresh();
  }

  /** Copies `bytes` into the module's input (room reserved before); returns the copy. */
  input(bytes: Uint8Array): Uint8Array {
    this.inputLength = bytes.length;
    this.inputView = new Uint8Array(this.x.memory.buffer, this.inputAt, bytes.length);
    this.inputView.set(bytes);
    return this.inputView;
  }

  /** The input copied last, as a view of the memory as it is now (`reserve` may have grown it). */
  get inputCopy(): Uint8Array {
    return this.inputView;
  }

  /**
   * Memo entry `index` now holds `code`: a traceback's node + 1, a string's -(id + 1), 0 for
   * anything else.
   */
  setMemo(index: number, code: number): void {
    if (index < this.tbCap) this.tb[index] = code;
  }

  setDepth(node: number, frames: number): void {
    if (node < this.nodeCap) this.depth[node] = frames;
  }

  /**
   * Folds the traces of `domain` from position `p` of the input; returns where it stopped. With
   * `inlineAt` ≥ 0, the trace there (where the previous scan stopped for its inline traceback)
   * is folded with `inlineNode`, its traceback's bytes ending at `inlineEnd`.
   */
  scan(
    p: number,
    domain: number,
    memoLen: number,
    maxNframe: number,
    inlineAt = -1,
    inlineNode = 0,
    inlineEnd = 0,
  ): number {
    const x = this.x;
    const end = x.scan(
      this.inputAt,
      p,
      this.inputLength,
      domain,
      this.tbAt,
      memoLen,
      this.tbCap,
      this.depthAt,
      this.sumsAt,
      this.countsAt,
      this.nodeCap,
      this.histAt,
      maxNframe,
      this.scratchAt,
      SCRATCH_FRAMES,
      inlineAt,
      inlineNode,
      inlineEnd,
    );
    const t = this.totals;
    t.traces = x.traces();
    if (t.traces > 0) {
      t.bytes = x.bytes();
      t.smallBytes = x.smallBytes();
      t.smallCount = x.smallCount();
      t.maxNframe = x.maxNframe();
      t.truncated = x.truncated();
    }
    t.inlineFrames = x.inlineFrames();
    if (t.inlineFrames > 0) t.inlineEnd = x.inlineEnd();
    return end;
  }

  /** The inline traceback's frames where the last scan stopped: string id, line number pairs. */
  inlineFrameList(): Int32Array {
    return new Int32Array(this.x.memory.buffer, this.scratchAt, 2 * this.totals.inlineFrames);
  }

  /** Adds the per-node and per-bin sums scanned so far into `agg` (dense), then clears them. */
  mergeInto(agg: DomainAggregate): void {
    const buffer = this.x.memory.buffer;
    const sums = new Float64Array(buffer, this.sumsAt, this.nodeCap);
    const counts = new Float64Array(buffer, this.countsAt, this.nodeCap);
    let last = this.nodeCap - 1;
    while (last >= 0 && counts[last] === 0) last--;
    if (last >= agg.bytes.length) agg.growDense(last);
    for (let i = 0; i <= last; i++) {
      if (counts[i] === 0) continue;
      agg.bytes[i] += sums[i];
      agg.counts[i] += counts[i];
    }
    const hist = new Float64Array(buffer, this.histAt, 2 * HIST_BINS);
    for (let b = 0; b < HIST_BINS; b++) {
      agg.histCount[b] += hist[b];
      agg.histSize[b] += hist[HIST_BINS + b];
    }
    sums.fill(0);
    counts.fill(0);
    hist.fill(0);
  }

  /** Bytes at the end of the used memory, growing it (views must be refreshed after). */
  private take(bytes: number): number {
    const at = this.end;
    this.end = align(at + bytes);
    const have = this.x.memory.buffer.byteLength;
    if (this.end > have) this.x.memory.grow(Math.ceil((this.end - have) / PAGE));
    return at;
  }

  private move(from: number, to: number, bytes: number): void {
    if (bytes > 0) new Uint8Array(this.x.memory.buffer).copyWithin(to, from, from + bytes);
  }

  private refresh(): void {
    const buffer = this.x.memory.buffer;
    this.inputView = new Uint8Array(buffer, this.inputAt, this.inputLength);
    this.tb = new Int32Array(buffer, this.tbAt, this.tbCap);
    this.depth = new Int32Array(buffer, this.depthAt, this.nodeCap);
  }
}

function align(n: number): number {
  return Math.ceil(n / 16) * 16;
}
