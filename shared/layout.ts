/**
 * Where the RSS went (issue 14): the allocators' own layout at one moment of a memray capture —
 * pymalloc's arenas, pools and blocks, the malloc heap, allocator-owned mappings — and the bytes
 * they hold beyond the live blocks. Every number past "live bytes" is an estimate from addresses
 * and is shipped with the rule that produced it (`rules`). Display-sized: pools come per arena as
 * column arrays, at most `LayoutQuery.maxArenas` arenas; nothing here is a raw record.
 */
import type { AllocatorFamily, Finding, SiteRow } from './api';
import type { UnitSystem } from './units';

/**
 * A moment a layout is shown for: the peak (exact), the end of tracking (exact), or a time in ms
 * from the start, answered by the nearest layout checkpoint at or before it (`MemoryLayout.moment`
 * says which one answered).
 */
export type LayoutMoment = { kind: 'peak' } | { kind: 'end' } | { kind: 'at'; timeMs: number };

export interface LayoutQuery {
  captureId: string;
  /** Default: the peak. */
  at?: LayoutMoment;
  /** Arenas listed pool by pool, lowest address first (default 4096); the rest are only counted. */
  maxArenas?: number;
  /** How sizes in findings are written (default 'si'). */
  units?: UnitSystem;
}

export interface LayoutMomentInfo {
  kind: 'peak' | 'end' | 'at';
  /** ms from the capture start. */
  timeMs: number;
  /** For people, e.g. "peak (at 1.23 s)", "checkpoint at 2.5 s (memory record 250)". */
  label: string;
}

export interface MemoryLayout {
  /** The moment shown; `requestedMs` is the time asked for when a checkpoint answered it. */
  moment: LayoutMomentInfo & { requestedMs?: number };
  /** Every moment this capture has a layout for: checkpoints in time order, then peak and end. */
  moments: LayoutMomentInfo[];
  /** The tracked heap at the moment (memray's rules, as the timeline shows it). */
  heapBytes: number;
  /** RSS of the memory record at or before the moment, when the capture has one. */
  rssBytes?: number;
  /** Estimated bytes the allocators hold beyond live blocks: pymalloc + malloc heap parts shown. */
  heldBytes: number;
  pymalloc: PymallocLayout;
  mallocHeap: MallocHeapLayout;
  mappings: AllocatorMappings;
  /** Whether `layoutSites` (the stacks of the live blocks in a region) answers for this moment. */
  sitesAvailable: boolean;
  /** Plain-language findings with evidence and remedies (suggestions with their trade-offs). */
  findings: Finding[];
  /** Parts this capture (or moment) cannot support, and how to record one that does. */
  limits: LayoutLimit[];
}

export interface LayoutLimit {
  part: 'pymalloc' | 'malloc-heap' | 'mappings' | 'sites' | 'layout';
  reason: string;
  howToRecord?: string;
}

/** pymalloc's fixed sizes for the capture's interpreter (CPython Objects/obmalloc.c). */
export interface PymallocGeometry {
  poolBytes: number;
  arenaBytes: number;
  /** Pool header rounded up to the alignment: blocks start this far into a pool. */
  poolOverheadBytes: number;
  /** Size classes are this far apart. */
  alignmentBytes: number;
  /** Requests of 1 to this many bytes use pools; larger ones go to malloc. */
  smallRequestMaxBytes: number;
  /** Where the numbers come from: the header's Python version, or inferred from the addresses. */
  source: string;
}

export interface PymallocLayout {
  /** false: not modelled for this capture (the reason is in MemoryLayout.limits). */
  modelled: boolean;
  geometry?: PymallocGeometry;
  /** Requested bytes of the live small PYMALLOC_* blocks in pools (memray's sizes). */
  liveBytes: number;
  liveBlocks: number;
  /** The same blocks at their size class (what they occupy in their pools). */
  blockBytes: number;
  /** Pools in use (holding at least one live block) and their bytes. */
  pools: number;
  poolBytes: number;
  /** Arenas in use, inferred (see rules), and their bytes. */
  arenas: number;
  arenaBytes: number;
  /** arenaBytes − liveBytes: what pymalloc holds beyond live blocks (an upper bound on resident). */
  heldBytes: number;
  /** poolBytes − liveBytes: pool headers, size-class rounding and free blocks of pools in use. */
  inPoolFreeBytes: number;
  /** arenaBytes − poolBytes: free (or never used) pools inside arenas in use. */
  freePoolBytes: number;
  /** Arenas at most `sparseShare` used (live block bytes / arena bytes): a few blocks keep them. */
  sparseArenas: number;
  sparseShare: number;
  /** Per size class (block size), largest block first. */
  sizeClasses: PymallocSizeClass[];
  /** Arenas, lowest address first, with their pools in use. */
  arenaList: PymallocArena[];
  /** Arenas in use beyond `LayoutQuery.maxArenas` (counted above, not listed). */
  arenasOmitted: number;
  /**
   * Small PYMALLOC_* blocks that do not sit in a pymalloc pool (see `rule`): memray records the
   * raw domain (PyMem_RawMalloc, which is malloc) under the same names. Not in the numbers above.
   */
  outside: { blocks: number; bytes: number; windows: number; rule: string };
  /**
   * The code that keeps sparse arenas resident: sites (innermost Python frame) of the live blocks
   * in sparse arenas, by `keptBytes`. Only when `MemoryLayout.sitesAvailable`, else empty.
   */
  pinning: PinningSite[];
  /** Every rule behind the estimates above, for people. */
  rules: string[];
}

export interface PymallocSizeClass {
  blockBytes: number;
  pools: number;
  blocks: number;
  /** Blocks the pools can hold (pools × blocks per pool). */
  capacity: number;
  liveBytes: number;
}

/** One arena (inferred span of `geometry.arenaBytes`) and its pools in use. */
export interface PymallocArena {
  /** Address of its first pool in use; pool `i` of `poolIndex` starts at address + i × poolBytes. */
  address: number;
  pools: number;
  blocks: number;
  /** Blocks its pools in use can hold. */
  capacity: number;
  liveBytes: number;
  /** Pools in use, in address order (parallel arrays). */
  poolIndex: number[];
  poolBlockBytes: number[];
  poolBlocks: number[];
  poolCapacity: number[];
  poolLiveBytes: number[];
}

/** A site whose live blocks keep sparse arenas from going back to the OS. */
export interface PinningSite {
  /** A table/flamegraph site key (line grouping, `line:["name","file",line]`). */
  key: string;
  function: string;
  file: string;
  line: number;
  /** Its live blocks in sparse arenas, and their bytes. */
  blocks: number;
  bytes: number;
  /** Sparse arenas it has at least one live block in. */
  arenas: number;
  /** Its share (by blocks) of those arenas' held bytes: what freeing its blocks could return. */
  keptBytes: number;
}

/** glibc malloc's heap, from the addresses of the live malloc-family allocations. */
export interface MallocHeapLayout {
  modelled: boolean;
  /**
   * Whether the free-space numbers (brk free below the top, thread heaps' free bytes) count as
   * held: false when memray saw no libc malloc call in the capture, so untracked allocations may
   * fill that space (the numbers are then upper bounds, left out of `heldBytes` and findings).
   */
  heldEstimated: boolean;
  /** The main (brk) heap: from its lowest seen address to the end of its highest live block. */
  brk?: BrkHeap;
  /** Heaps of glibc thread arenas (HEAP_MAX_SIZE-aligned), lowest address first. */
  threadHeaps: ThreadHeap[];
  /** Held by the thread arenas' heaps beyond live blocks (Σ of `threadHeaps[].freeBytes`). */
  threadHeldBytes: number;
  /** Allocations with a mapping of their own (above the mmap threshold). */
  ownMmap: { count: number; bytes: number };
  /** Live malloc-family allocations classified, and their bytes. */
  liveCount: number;
  liveBytes: number;
  rules: string[];
}

export interface BrkHeap {
  fromAddress: number;
  /** End of the highest live allocation: glibc cannot shrink the heap below it. */
  topAddress: number;
  liveBytes: number;
  liveCount: number;
  /** Span − live bytes below the top: freed but held (what malloc_trim could return, roughly). */
  freeBelowTopBytes: number;
  /** The live allocation with the highest address: it holds the top of the heap. */
  pin?: HeapPin;
}

export interface HeapPin {
  address: number;
  size: number;
  allocator: string;
  key: string;
  function: string;
  file: string;
  line: number;
}

export interface ThreadHeap {
  address: number;
  /** From the heap's start to the end of its highest live allocation. */
  spanBytes: number;
  liveBytes: number;
  liveCount: number;
  freeBytes: number;
}

/** Live mmap ranges by who made them (the libraries on their native stacks). */
export interface AllocatorMappings {
  byFamily: {
    family: AllocatorFamily;
    /** Live ranges, where they are known one by one (the end); absent elsewhere. */
    ranges?: number;
    /** Mapped (reserved) bytes of the live ranges. */
    reservedBytes: number;
    /**
     * Live malloc-family bytes inside those ranges (a preloaded jemalloc/mimalloc serving malloc):
     * used vs reserved. Only where the live allocations are known one by one (the end).
     */
    usedBytes?: number;
  }[];
  rules: string[];
}

/** A region of a layout whose live blocks' stacks are asked for (a selected pool, arena, heap strip). */
export type LayoutRegion =
  | { kind: 'arena'; address: number }
  | { kind: 'pool'; address: number }
  /** Every sparse arena (the pinning sites' blocks). */
  | { kind: 'sparse-arenas' }
  /** Live malloc-family allocations starting in [fromAddress, toAddress) (a heap strip segment). */
  | { kind: 'heap-range'; fromAddress: number; toAddress: number };

export interface LayoutSitesQuery {
  captureId: string;
  /** Default: the end. The peak's small pymalloc blocks are known one by one too (see sitesAvailable). */
  at?: LayoutMoment;
  region: LayoutRegion;
  /** Rows returned, largest first (default 50). */
  limit?: number;
}

export interface LayoutSites {
  moment: LayoutMomentInfo;
  region: LayoutRegion;
  totalBytes: number;
  totalCount: number;
  /** Sites by innermost Python frame (line grouping; `key` focuses the flamegraph), largest first. */
  rows: SiteRow[];
}

export interface LayoutBandsQuery {
  captureId: string;
}

/**
 * RSS split into bands at the layout checkpoints (and the peak and end): the live tracked heap,
 * what the allocators hold beyond it (estimated), and the rest of RSS.
 */
export interface LayoutBands {
  timeMs: number[];
  /** Which moment each point is: a checkpoint ('at'), the peak, the end (the last point). */
  kind: LayoutMomentInfo['kind'][];
  /** null where no memory record carries RSS at that moment. */
  rssBytes: (number | null)[];
  heapBytes: number[];
  heldBytes: number[];
  /** max(0, RSS − heap − held): interpreter, code, file mappings, untracked native memory. */
  restBytes: (number | null)[];
  /** How `heldBytes` was estimated at each point. */
  rule: string;
}
