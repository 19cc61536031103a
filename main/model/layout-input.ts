import type { AllocatorFamily, LayoutMoment, LayoutMomentInfo } from '../../shared/api';
import type { Snapshot } from './snapshot';
import type { PageStates } from './memray/layout/page-rows';

export type { PageStates };

/**
 * What a model hands the layout query (main/query/layout) for one moment: raw addresses and
 * counts, no rules. Stays in the worker (never crosses a transport), so it may hold callbacks.
 */
export interface LayoutInput {
  moment: LayoutMomentInfo & { requestedMs?: number };
  moments: LayoutMomentInfo[];
  facts: {
    pythonVersion?: string;
    pythonAllocator?: string;
    tracePythonAllocators?: boolean;
    nativeTraces?: boolean;
    headerVersion?: number;
    /** libc malloc-family records (MALLOC, CALLOC, REALLOC, …) in the whole capture. */
    libcAllocations?: number;
    /** Loaded libraries that can replace malloc (libjemalloc…, libmimalloc…), by file name. */
    mallocLibraries?: string[];
  };
  heapBytes: number;
  rssBytes?: number;
  /** Non-empty 4 KiB pages of live small (1–512 B) PYMALLOC_* blocks at the moment. */
  pages: PageStates;
  /** Addresses of the pages that held such a block at any moment of the capture, lowest first. */
  everPages: Float64Array;
  /** Live small PYMALLOC_* blocks at the moment (all of them, placed or not) and those not placed (address ≥ 2^48). */
  small: { blocks: number; bytes: number; wideBlocks: number; wideBytes: number };
  /** Small allocations ever and how many sat on each pool grid (geometry inference). */
  fit: { small: number; fit16: number; fit4: number };
  /** Live mmap bytes (and range counts when known) per family at the moment. */
  mappings: { family: AllocatorFamily; ranges?: number; bytes: number }[];
  /** Every live allocation one by one: known at the end of tracking. */
  live?: LiveAllocations;
  /** The small PYMALLOC blocks live at the moment, one by one: known at the peak. */
  poolBlocks?: PoolBlocks;
  /** Why the peak's blocks are not known one by one, when they were asked for and are not. */
  liveMissing?: string;
}

/** Every live allocation at the moment, one by one (simple allocations; mmap ranges apart). */
export interface LiveAllocations {
  n: number;
  address: Float64Array;
  size: Float64Array;
  key: Int32Array;
  /** Canonical memray allocator id of each key (vocabulary.ts). */
  allocatorOfKey: (key: number) => number;
  allocatorName: (id: number) => string;
  /** The site (innermost Python frame) a key is attributed to. */
  siteOfKey: (key: number) => { function: string; file: string; line: number };
  /** Live mmap ranges: begin, end, key. */
  ranges: { begin: number; end: number; key: number; family: AllocatorFamily }[];
  /** Every key is below this. */
  keyCount: number;
}

/**
 * The small (1–512 B) PYMALLOC blocks live at a moment (the peak), visited where the replay keeps
 * them (its live table, the peak's log: peak-blocks.ts) instead of copied into columns: on this
 * machine a first-touched page costs about 3 µs, and columns of large.bin's 2.6 M peak blocks
 * (address, size, key, pool row, kind: 66 MB) were 150 of the 210 ms of its layout at the peak.
 */
export interface PoolBlocks {
  /** Visits every block: address in bytes, size, key. */
  forEach(fn: (address: number, size: number, key: number) => void): void;
  /** Every key is below this. */
  keyCount: number;
  siteOfKey: (key: number) => { function: string; file: string; line: number };
  /** A limit of how exactly they are known, for people. */
  caveat?: string;
}

/** What a model with allocator layouts offers the engine's layout handlers. */
export interface LayoutProvider {
  input(at: LayoutMoment, withLive: boolean): LayoutInput;
  forEachCheckpoint(
    fn: (k: number, pages: PageStates, heap: number, rss: number, timeMs: number) => void,
  ): void;
  /** A snapshot of per-key counts and bytes (for the stacks of a region's blocks). */
  snapshotOfKeys(count: Float64Array, bytes: Float64Array, label: string): Snapshot;
  keyCount: number;
}
