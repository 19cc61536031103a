/**
 * The WebAssembly half of the totals-only replay (assembly/totals.ts, compiled by
 * scripts/build-wasm.mjs into totals.wasm.ts). Why WebAssembly here: on large.bin the JS loop
 * spent its time in 53-bit-double varints and bounds-checked table probes; the same loop on
 * u64s and raw memory is ~2× faster (bench/memray-stats.bench.mjs measures both).
 */
import { instantiate, type LoopExports, type LoopHost } from './loop-wasm';
import { WASM_BASE64 } from './totals.wasm';

export { ERR, STATUS, WasmWindowMemory } from './loop-wasm';

/** Callbacks the module makes for rare records and values (see assembly/totals.ts imports). */
export interface TotalsHost extends LoopHost {
  memoryRecord(rss: number, ms: number, heap: number): void;
  wideTake(lo: number, hi: number): number;
  wideSet(lo: number, hi: number, size: number): void;
  rangeAdd(address: number, size: number): void;
  rangeFree(address: number, size: number): number;
  largeSize(size: number): void;
  newAllocator(allocator: number): void;
}

export interface TotalsExports extends LoopExports {
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
}

/** A fresh instance (its own memory) wired to `host`. */
export function instantiateTotals(host: TotalsHost): TotalsExports {
  return instantiate<TotalsExports>('totals', WASM_BASE64, host);
}
