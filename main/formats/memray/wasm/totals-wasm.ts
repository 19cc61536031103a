/**
 * The WebAssembly half of the totals-only replay (assembly/totals.ts, compiled by
 * scripts/build-wasm.mjs into totals.wasm.ts). Why WebAssembly here: on large.bin the JS loop
 * spent its time in 53-bit-double varints and bounds-checked table probes; the same loop on
 * u64s and raw memory is ~2× faster (bench/memray-stats.bench.mjs measures both).
 */
import type { WindowMemory } from '../stream';
import { WASM_BASE64 } from './totals.wasm';

/** Callbacks the module makes for rare records and values (see assembly/totals.ts imports). */
export interface TotalsHost {
  pushNode(parent: number, code: number, offset: number, entry: number): number;
  coldRecord(type: number, pos: number, end: number): number;
  switchThread(tid: number): void;
  memoryRecord(rss: number, ms: number, heap: number): void;
  wideTake(lo: number, hi: number): number;
  wideSet(lo: number, hi: number, size: number): void;
  rangeAdd(address: number, size: number): void;
  rangeFree(address: number, size: number): number;
  largeSize(size: number): void;
  newAllocator(allocator: number): void;
}

export interface TotalsExports {
  memory: { buffer: ArrayBuffer };
  init(bits: number): void;
  setNative(nativeTraces: number): void;
  alloc(bytes: number): number;
  free(ptr: number): void;
  parse(pos: number, end: number): number;
  lz4Block(sp: number, send: number, dp: number, dlimit: number, dstart: number): number;
  getStatus(): number;
  getError(): number;
  getErrorArg(): number;
  getWhat(): number;
  getNativeId(): number;
  setNativeId(v: number): void;
  stackPtr(): number;
  stackDepth(): number;
  setStack(depth: number): void;
  ensureStack(n: number): void;
  nodeStatsPtr(): number;
  nodeCapacity(): number;
  smallSizesPtr(): number;
  allocatorCountAt(a: number): number;
  allocatorBytesAt(a: number): number;
  getCurrent(): number;
  getPeak(): number;
  getLiveTotal(): number;
  getAllocationRecords(): number;
  getPeakIndex(): number;
  getPeakFine(): number;
  getFineCount(): number;
  getRecords(): number;
  getPushes(): number;
  getPops(): number;
  getObjects(): number;
  getObjectsCreated(): number;
  getObjectsDestroyed(): number;
}

export const STATUS = { MORE: 0, INCOMPLETE: 1, ERROR: 2, TRAILER: 3, COLD_STOP: 4 } as const;
export const ERR = {
  BAD_ALLOCATOR: 1,
  NO_THREAD_ALLOCATION: 2,
  NO_THREAD_PUSH: 3,
  NO_THREAD_POP: 4,
  UNKNOWN_TYPE: 5,
} as const;

/** The slice of the WebAssembly JS API used here (this project's Node typings omit it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/** A fresh instance (its own memory) wired to `host`. */
export function instantiateTotals(host: TotalsHost): TotalsExports {
  compiled ??= new wasmApi.Module(Buffer.from(WASM_BASE64, 'base64'));
  const instance = new wasmApi.Instance(compiled, {
    host: { ...bind(host) },
    env: {
      abort(): never {
        throw new Error('internal error in the memray totals module (abort)');
      },
    },
  });
  return instance.exports as unknown as TotalsExports;
}

function bind(host: TotalsHost): Record<keyof TotalsHost, (...args: number[]) => number | void> {
  return {
    pushNode: (a, b, c, d) => host.pushNode(a, b, c, d),
    coldRecord: (a, b, c) => host.coldRecord(a, b, c),
    switchThread: (a) => host.switchThread(a),
    memoryRecord: (a, b, c) => host.memoryRecord(a, b, c),
    wideTake: (a, b) => host.wideTake(a, b),
    wideSet: (a, b, c) => host.wideSet(a, b, c),
    rangeAdd: (a, b) => host.rangeAdd(a, b),
    rangeFree: (a, b) => host.rangeFree(a, b),
    largeSize: (a) => host.largeSize(a),
    newAllocator: (a) => host.newAllocator(a),
  };
}

/** The decoded-stream window inside the module's memory, with the module's LZ4 block decoder. */
export class WasmWindowMemory implements WindowMemory {
  private ptr = 0;
  private size = 0;
  private view = new Uint8Array(0);
  private scratch = 0;
  private scratchSize = 0;

  constructor(private readonly w: TotalsExports) {}

  bytes(): Uint8Array {
    const buffer = this.w.memory.buffer;
    if (this.view.buffer !== buffer) this.view = new Uint8Array(buffer, this.ptr, this.size);
    return this.view;
  }

  grow(size: number, keep: number): void {
    // 16 bytes of slack after the window: the record loop may read a little past a cut record
    const next = this.w.alloc(size + 16);
    if (keep > 0) new Uint8Array(this.w.memory.buffer).copyWithin(next, this.ptr, this.ptr + keep);
    if (this.ptr) this.w.free(this.ptr);
    this.ptr = next;
    this.size = size;
    this.view = new Uint8Array(0);
  }

  decodeBlock(src: Uint8Array, start: number, end: number, wpos: number, limit: number): number {
    const n = end - start;
    if (this.scratchSize < n) {
      if (this.scratch) this.w.free(this.scratch);
      this.scratch = this.w.alloc(n + 16); // slack: the decoder reads in 8-byte steps
      this.scratchSize = n;
    }
    new Uint8Array(this.w.memory.buffer, this.scratch, n).set(src.subarray(start, end));
    const at = this.w.lz4Block(this.scratch, this.scratch + n, this.ptr + wpos, this.ptr + limit, this.ptr);
    return at === 0 ? -1 : at - this.ptr;
  }
}
