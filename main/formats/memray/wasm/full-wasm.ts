/**
 * The WebAssembly half of the full index's v12/v13 loop (assembly/full.ts, compiled by
 * scripts/build-wasm.mjs into full.wasm.ts): its imports, its exports' types, instantiation.
 * The host is ../records-wasm-full.ts.
 */
import type { PagesWasm } from '../../../model/memray/layout/page-table';
import type { TemporaryWasm } from '../../../model/memray/temporary';
import { WASM_BASE64 } from './full.wasm';
import { instantiate, type LoopExports, type LoopHost } from './loop-wasm';

/** Callbacks the module makes (see assembly/full.ts imports); addresses arrive as int32 halves. */
export interface FullHost extends LoopHost {
  /** A new key (the next id): the host adds it; returns its family slot. */
  newKey(py: number, nat: number, thread: number, allocator: number, generation: number): number;
  memoryRecord(rss: number, ms: number, heap: number, intervalCount: number, intervalBytes: number): void;
  /** Throws: an ALLOCATION at memory address `at` names an undefined native stack. */
  badNative(nat: number, at: number): void;
  wideTake(lo: number, hi: number): number;
  wideSet(lo: number, hi: number, key: number, size: number, birth: number): void;
  rangeAdd(address: number, size: number, key: number, birth: number): void;
  rangeFree(address: number, size: number): number;
  largeSize(size: number): void;
  /** Chunk `c` of the peak-block log is full, at `ptr` (assembly/pages.ts). */
  peakLogChunk(c: number, ptr: number): void;
}

/** The loop's exports, with those of its components (assembly/pages.ts, assembly/temporary.ts). */
export interface FullExports extends LoopExports, PagesWasm, TemporaryWasm {
  setThread(slot: number): void;
  setGeneration(gen: number): void;
  setNatCount(n: number): void;
  setBucketShift(shift: number): void;
  setTaken(key: number, birth: number): void;
  rangeCut(key: number, birth: number, removed: number, freed: number): void;
  closeBucket(): number;
  outEntriesPtr(): number;
  outFreesPtr(): number;
  getFreeCount(): number;
  outStartHeapValue(): number;
  outPeakHeapValue(): number;
  outPeakFineValue(): number;
  getKeyCount(): number;
  totalsChunk(): number;
  keyTotals(from: number, n: number): number;
  liveEntries(): number;
  getTableSize(): number;
  smallSizesPtr(): number;
  famLiveAt(f: number): number;
  getCurrent(): number;
  getPeak(): number;
  getPeakIndex(): number;
  getLiveBytes(): number;
  getMaxLiveEntries(): number;
  getAllocationRecords(): number;
  getPeakFine(): number;
  getFineCount(): number;
  getIntervalCount(): number;
  getIntervalBytes(): number;
}

/** A fresh instance (its own memory) wired to `host`. */
export function instantiateFull(host: FullHost): FullExports {
  return instantiate<FullExports>('full', WASM_BASE64, host);
}
