/**
 * The full model's live-allocation table in WebAssembly (assembly/live.ts). It replaced a
 * typed-array table (extendible hash of open-addressing segments) whose probes were half of a
 * full load's time on large.bin (0.69 s of 1.44 s, profiled); a full load now takes 1.19 s
 * instead of 1.42 s CPU. The table lives in the module's own memory.
 */
import { instantiate } from './instantiate';
import { WASM_BASE64 } from './live.wasm';

interface LiveExports {
  init(bits: number): void;
  insert(lo: number, hi: number, payload: number, birthBits: number): number;
  remove(lo: number, hi: number): number;
  size(): number;
  lastBirthWord(): number;
  tableBytes(): number;
}

/** What insert() and remove() return for an address that was not live. */
export const EMPTY_SLOT = -1;

export class WasmLiveTable {
  private readonly x: LiveExports;

  /** `bits`: log2 of the starting slots (the table grows past 3/4 full). */
  constructor(bits: number) {
    this.x = instantiate<LiveExports>('live', WASM_BASE64);
    this.x.init(bits);
  }

  /** Inserts or replaces (payload ≥ 0); the previous payload when the address was live, else -1. */
  insert(lo: number, hi: number, payload: number, birthBits: number): number {
    return this.x.insert(lo, hi, payload, birthBits);
  }

  /** Removes the address; its payload (birth in lastBirthWord), or -1. */
  remove(lo: number, hi: number): number {
    return this.x.remove(lo, hi);
  }

  get size(): number {
    return this.x.size();
  }

  /** Birth word of the entry found by the last insert (when replacing) or remove. */
  get lastBirthWord(): number {
    return this.x.lastBirthWord();
  }

  get bytes(): number {
    return this.x.tableBytes();
  }
}
