/**
 * Test harness for the WebAssembly page table (main/formats/memray/wasm/assembly/pages.ts): a
 * small entry compiled with it, page-table operation sequences (recorded from the JS builder or
 * generated), replays of one sequence into the JS class and into the module, and a field-by-field
 * comparison of two PymallocPageTable objects. Used by page-table-wasm.test.ts and the per-op
 * cost measurement.
 */
import { readFileSync } from 'node:fs';
import { ASC_OPTIONS } from '../../../../../scripts/build-wasm.mjs';
import { PymallocPageTable, type PagesWasm } from '../page-table';

export const PAGES_SOURCE = new URL('../../../../formats/memray/wasm/assembly/pages.ts', import.meta.url);

/** What full.ts does per record, as a module: init, add/remove/atPeak one by one or in a batch. */
const ENTRY = `
import { pagesInit, pagesAdd, pagesRemove, pagesAtPeak, pagesSmall } from './pages';
export {
  pagesCheckpoint, pagesRowsPtr, pagesTotal, pagesChunks, pagesChunkCapacity, pagesChunkKeyPtr,
  pagesPagesPtr, pagesDirtyPtr, pagesDirtyCount, pagesPeakRowsPtr, pagesPeakRowsCount, pagesEpoch,
  pagesGridPtr, pagesPeakLogTail, pagesPeakLogTailCount, pagesPeakLogChunkEntries, pagesPeakLogCount, pagesTieEntries, pagesTieCount,
  pagesPeakBlocksFine, pagesPeakBlocksFlags,
} from './pages';
export function init(): void { pagesInit(); }
export function alloc(bytes: usize): usize { return heap.alloc(bytes); }
export function small(allocator: i32, size: f64): bool { return pagesSmall(allocator, <u64>size); }
/**
 * n operations at ptr, 32 bytes each: u32 op (0 add, 1 remove, 2 at peak), u32 lo, u32 hi,
 * u32 size, i32 key (add: 1 when a peak follows), i32 birth, i32 fine.
 */
export function run(ptr: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = ptr + (<usize>i << 5);
    const op = load<u32>(o);
    const fine = load<i32>(o, 24);
    if (op == 0) pagesAdd(load<u32>(o, 4), load<u32>(o, 8), load<u32>(o, 12), fine, load<i32>(o, 16) == 1);
    else if (op == 1)
      pagesRemove(load<u32>(o, 4), load<u32>(o, 8), load<u32>(o, 12), load<i32>(o, 16), load<i32>(o, 20), fine);
    else pagesAtPeak(fine);
  }
}
`;

export interface PagesTestExports extends PagesWasm {
  init(): void;
  alloc(bytes: number): number;
  small(allocator: number, size: number): number;
  run(ptr: number, n: number): void;
  pagesGridPtr(poolBytes: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compiles the test entry with pages.ts; returns a factory of fresh, initialised instances. */
export async function compilePages(sourcePath: URL | string = PAGES_SOURCE): Promise<() => PagesTestExports> {
  const { default: asc } = await import('assemblyscript/asc');
  const source = readFileSync(sourcePath, 'utf8');
  const { binary, stderr } = await asc.compileString({ 'entry.ts': ENTRY, 'pages.ts': source }, ASC_OPTIONS);
  if (!binary) throw new Error(`asc failed on pages.ts:\n${stderr.toString()}`);
  const module = new wasmApi.Module(binary);
  return () => {
    const instance = new wasmApi.Instance(module, {
      env: {
        abort(): never {
          throw new Error('abort in pages.ts');
        },
      },
      host: {
        peakLogChunk(c: number, ptr: number): void {
          replaying!.takeWasmLogChunk(c, ptr);
        },
      },
    });
    const w = instance.exports as PagesTestExports;
    w.init();
    return w;
  };
}

// ------------------------------------------------------------------ operation sequences

export const OP_ADD = 0;
export const OP_REMOVE = 1;
export const OP_PEAK = 2;
/** memoryRecord(fine, timeMs, heap, rss): lo = index into the memory-record columns. */
export const OP_MEMORY = 3;

/** A sequence of page-table calls, in columns. */
export class PageOps {
  n = 0;
  op = new Uint8Array(1024);
  lo = new Int32Array(1024);
  hi = new Int32Array(1024);
  size = new Int32Array(1024);
  key = new Int32Array(1024);
  birth = new Int32Array(1024);
  fine = new Int32Array(1024);
  memory: { fine: number; timeMs: number; heap: number; rss: number }[] = [];

  push(op: number, lo: number, hi: number, size: number, key = 0, birth = 0, fine = 0): void {
    if (this.n === this.op.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T, b: T): T => (b.set(a), b);
      const n = this.n * 2;
      this.op = grow(this.op, new Uint8Array(n));
      this.lo = grow(this.lo, new Int32Array(n));
      this.hi = grow(this.hi, new Int32Array(n));
      this.size = grow(this.size, new Int32Array(n));
      this.key = grow(this.key, new Int32Array(n));
      this.birth = grow(this.birth, new Int32Array(n));
      this.fine = grow(this.fine, new Int32Array(n));
    }
    const i = this.n++;
    this.op[i] = op;
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.size[i] = size;
    this.key[i] = key;
    this.birth[i] = birth;
    this.fine[i] = fine;
  }

  memoryRecord(fine: number, timeMs: number, heap: number, rss: number): void {
    this.push(OP_MEMORY, this.memory.length, 0, 0);
    this.memory.push({ fine, timeMs, heap, rss });
  }

  count(op: number): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (this.op[i] === op) c++;
    return c;
  }
}

/**
 * Runs `fn` with every PymallocPageTable's add/remove/atPeak/memoryRecord recorded (the calls
 * still happen): the operations a real replay makes, in order.
 */
export async function recordPageOps<T>(fn: () => Promise<T>): Promise<{ result: T; ops: PageOps }> {
  const proto = PymallocPageTable.prototype;
  const { add, remove, atPeak, memoryRecord } = proto;
  const ops = new PageOps();
  proto.add = function (lo, hi, size, fine, peakFollows) {
    ops.push(OP_ADD, lo, hi, size, peakFollows ? 1 : 0, 0, fine);
    add.call(this, lo, hi, size, fine, peakFollows);
  };
  proto.remove = function (lo, hi, size, key, birth, fine) {
    ops.push(OP_REMOVE, lo, hi, size, key, birth, fine);
    remove.call(this, lo, hi, size, key, birth, fine);
  };
  proto.atPeak = function (fine) {
    ops.push(OP_PEAK, 0, 0, 0, 0, 0, fine);
    atPeak.call(this, fine);
  };
  proto.memoryRecord = function (fine, timeMs, heap, rss) {
    ops.memoryRecord(fine, timeMs, heap, rss);
    memoryRecord.call(this, fine, timeMs, heap, rss);
  };
  try {
    return { result: await fn(), ops };
  } finally {
    Object.assign(proto, { add, remove, atPeak, memoryRecord });
  }
}

/** The operations into the JS class. */
export function replayJs(ops: PageOps, t: PymallocPageTable): void {
  for (let i = 0; i < ops.n; i++) {
    const op = ops.op[i];
    if (op === OP_ADD) t.add(ops.lo[i], ops.hi[i], ops.size[i], ops.fine[i], ops.key[i] === 1);
    else if (op === OP_REMOVE)
      t.remove(ops.lo[i], ops.hi[i], ops.size[i], ops.key[i], ops.birth[i], ops.fine[i]);
    else if (op === OP_PEAK) t.atPeak(ops.fine[i]);
    else {
      const m = ops.memory[ops.lo[i]];
      t.memoryRecord(m.fine, m.timeMs, m.heap, m.rss);
    }
  }
}

/**
 * The operations into the module, `t` attached to it (its checkpoints taken from the module at
 * the memory records), then adopted: `t` ends as the JS class would.
 */
export function replayWasm(ops: PageOps, w: PagesTestExports, t: PymallocPageTable): void {
  t.attachWasm(w);
  replaying = t;
  const batch = 65536;
  const ptr = w.alloc(batch * 32);
  // a call may grow the memory (a new buffer): the view is made again after each
  let view = new Uint32Array(w.memory.buffer, ptr, batch * 8);
  let k = 0;
  const flush = () => {
    if (k > 0) w.run(ptr, k);
    k = 0;
    view = new Uint32Array(w.memory.buffer, ptr, batch * 8);
  };
  for (let i = 0; i < ops.n; i++) {
    const op = ops.op[i];
    if (op === OP_MEMORY) {
      flush();
      const m = ops.memory[ops.lo[i]];
      t.memoryRecord(m.fine, m.timeMs, m.heap, m.rss);
      view = new Uint32Array(w.memory.buffer, ptr, batch * 8);
      continue;
    }
    if (k === batch) flush();
    view[k * 8] = op;
    view[k * 8 + 1] = ops.lo[i];
    view[k * 8 + 2] = ops.hi[i];
    view[k * 8 + 3] = ops.size[i];
    view[k * 8 + 4] = ops.key[i];
    view[k * 8 + 5] = ops.birth[i];
    view[k * 8 + 6] = ops.fine[i];
    k++;
  }
  flush();
  t.adoptWasm();
  replaying = undefined;
}

/** The table replayWasm fills: the module's host call hands it the peak log's full chunks. */
let replaying: PymallocPageTable | undefined;

// ------------------------------------------------------------------ comparison

type Column = ArrayLike<number>;

/** Every field of the table (private ones included), as named columns and values. */
function fields(t: PymallocPageTable): Record<string, Column | number | boolean> {
  const x = t as unknown as Record<string, unknown>;
  const cps = t.checkpoints;
  const rows = (name: string, r: typeof t.peakSaved): Record<string, Column | number> => ({
    [`${name}.n`]: r.n,
    [`${name}.page`]: r.page.subarray(0, r.n),
    [`${name}.blocks`]: r.blocks.subarray(0, r.n),
    [`${name}.bytes`]: r.bytes.subarray(0, r.n),
    [`${name}.block16`]: r.block16.subarray(0, r.n),
    [`${name}.off16`]: r.off16.subarray(0, r.n),
    [`${name}.off4`]: r.off4.subarray(0, r.n),
  });
  const dirtyN = x.dirtyN as number;
  return {
    chunks: t.chunks,
    chunkKey: t.chunkKey.subarray(0, t.chunks),
    chunkCapacity: t.chunkKey.length,
    hashKeys: x.keys as Int32Array,
    hashSlots: x.slots as Int32Array,
    hashMask: x.mask as number,
    blocks: t.blocks,
    bytes: t.bytes,
    block16: t.block16,
    off16: t.off16,
    off4: t.off4,
    savedAt: x.savedAt as Int32Array,
    dirty: x.dirty as Uint8Array,
    ever: x.ever as Uint8Array,
    dirtyN,
    dirtyList: (x.dirtyList as Int32Array).subarray(0, dirtyN),
    liveBlocks: t.liveBlocks,
    liveBytes: t.liveBytes,
    wideBlocks: t.wideBlocks,
    wideBytes: t.wideBytes,
    smallAllocations: t.smallAllocations,
    fit16: t.fit16,
    fit4: t.fit4,
    epoch: x.epoch as number,
    peakLiveBlocks: t.peakLiveBlocks,
    peakLiveBytes: t.peakLiveBytes,
    peakWideBlocks: t.peakWideBlocks,
    peakWideBytes: t.peakWideBytes,
    peakSeen: t.peakSeen,
    ...rows('peakSaved', t.peakSaved),
    'peakBlocks.log': t.peakBlocks.logWords(),
    'peakBlocks.tie': t.peakBlocks.tieEntries(),
    'peakBlocks.peakFine': t.peakBlocks.peakFine,
    'peakBlocks.seen': t.peakBlocks.seen,
    'peakBlocks.overflowed': t.peakBlocks.overflowed,
    'checkpoints.shift': cps.shift,
    'checkpoints.count': cps.count,
    'checkpoints.off': cps.off,
    'checkpoints.fine': cps.fine,
    'checkpoints.timeMs': cps.timeMs,
    'checkpoints.heap': cps.heap,
    'checkpoints.rss': cps.rss,
    'checkpoints.liveBlocks': cps.liveBlocks,
    'checkpoints.liveBytes': cps.liveBytes,
    ...rows('checkpoints.rows', cps.rows),
  };
}

/**
 * Where two tables differ: one line per field (its first differing element), [] when equal in
 * every field. Also compares what the queries read (current, peak, every checkpoint, everUsed).
 */
export function tableDifferences(a: PymallocPageTable, b: PymallocPageTable): string[] {
  const out: string[] = [];
  const fa = fields(a);
  const fb = fields(b);
  const compare = (name: string, x: unknown, y: unknown) => {
    if (typeof x !== 'object' || typeof y !== 'object') {
      if (x !== y) out.push(`${name}: ${String(x)} ≠ ${String(y)}`);
      return;
    }
    const cx = x as Column;
    const cy = y as Column;
    if (cx.length !== cy.length) {
      out.push(`${name}: length ${cx.length} ≠ ${cy.length}`);
      return;
    }
    for (let i = 0; i < cx.length; i++)
      if (cx[i] !== cy[i]) {
        out.push(`${name}[${i}]: ${cx[i]} ≠ ${cy[i]}`);
        return;
      }
  };
  for (const name of Object.keys(fa)) compare(name, fa[name], fb[name]);
  const states = (label: string, sa: ReturnType<PymallocPageTable['current']>, sb: typeof sa) => {
    compare(`${label}.n`, sa.n, sb.n);
    for (const col of ['address', 'blocks', 'bytes', 'blockBytes', 'off16', 'off4'] as const)
      compare(`${label}.${col}`, sa[col], sb[col]);
  };
  states('current()', a.current(), b.current());
  states('peak()', a.peak(), b.peak());
  // the checkpoints' rows are compared above; their states (derived from the rows) at a few
  const last = Math.max(a.checkpoints.count, b.checkpoints.count) - 1;
  for (const k of new Set([-1, 0, last >> 1, last]))
    states(`atCheckpoint(${k})`, a.atCheckpoint(k), b.atCheckpoint(k));
  compare('everUsed()', a.everUsed(), b.everUsed());
  return out;
}
