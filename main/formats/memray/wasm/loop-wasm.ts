/**
 * What the two WebAssembly record loops share on the JavaScript side (assembly/common.ts is
 * their shared decoder): the decoder's exports, its status and error codes, instantiation, and
 * the decoded-stream window inside a module's memory. totals-wasm.ts and full-wasm.ts add each
 * module's own imports and exports.
 */
import type { WindowMemory } from '../stream';

/** The decoder's exports (assembly/common.ts), in both modules. */
export interface LoopExports {
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
  getRecords(): number;
  getPushes(): number;
  getPops(): number;
  getObjects(): number;
  getObjectsCreated(): number;
  getObjectsDestroyed(): number;
}

/** The decoder's imports (assembly/common.ts), in both modules. */
export interface LoopHost {
  pushNode(parent: number, code: number, offset: number, entry: number): number;
  coldRecord(type: number, pos: number, end: number): number;
  /** Returns the thread's slot. */
  switchThread(tid: number): number;
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
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<string, object>();

/**
 * A fresh instance (its own memory) of the module in `base64` (`name` for messages), wired to
 * `host`'s methods: each import is bound once, so a callback is a plain call.
 */
export function instantiate<E>(name: string, base64: string, host: object): E {
  let module = compiled.get(name);
  if (!module) {
    module = new wasmApi.Module(Buffer.from(base64, 'base64'));
    compiled.set(name, module);
  }
  const bound: Record<string, unknown> = {};
  for (const { module: from, name: key } of wasmApi.Module.imports(module)) {
    if (from !== 'host') continue;
    const f = (host as Record<string, unknown>)[key];
    if (typeof f !== 'function')
      throw new Error(`the memray ${name} module imports host.${key}: not provided`);
    bound[key] = (f as (...a: unknown[]) => unknown).bind(host);
  }
  const instance = new wasmApi.Instance(module, {
    host: bound,
    env: {
      abort(): never {
        throw new Error(`internal error in the memray ${name} module (abort)`);
      },
    },
  });
  return instance.exports as E;
}

/** The decoded-stream window inside the module's memory, with the module's LZ4 block decoder. */
export class WasmWindowMemory implements WindowMemory {
  private ptr = 0;
  private size = 0;
  private view = new Uint8Array(0);
  private scratch = 0;
  private scratchSize = 0;

  constructor(private readonly w: LoopExports) {}

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
