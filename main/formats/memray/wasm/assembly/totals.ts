// AssemblyScript: the v12/v13 record loop of the totals-only replay (`heapscope stats`), compiled
// to WebAssembly (see ../README.md). It mirrors records-v12.ts + model/memray/totals-builder.ts
// for the hot records (ALLOCATION, FRAME_PUSH, FRAME_POP, OBJECT_RECORD, MEMORY_RECORD), decoded
// by common.ts (shared with full.ts), and hands every other record to JavaScript. u64 varints and channels, and an
// 8-byte address → size table: two words a slot, [ (address/8) low 32 bits,
// ~((address/8) high 13 bits << 18 | size) ]; word 1 is 0 for an empty slot (fresh memory is
// zeroed: no fill pass) and 1 for a removed one. A 2 KiB address block maps to a 128-slot
// region, one slot per 16 bytes. 2.6 M live allocations fit in 2^22 slots = 32 MiB, about the
// last-level cache of this kind of machine. Sizes ≥ 2^18 and addresses ≥ 2^48 go to the host,
// which keeps them in model/memray/heap-replay.ts, the JS implementation of the same heap rules
// (the differential tests check the two agree on every fixture and on random captures).

// ---------------------------------------------------------------- imports (host callbacks)

@external("host", "memoryRecord")
declare function hostMemoryRecord(rss: f64, ms: f64, heap: f64): void;
/** Sizes ≥ WIDE: the host keeps them by address. Returns the size taken, or -1. */
@external("host", "wideTake")
declare function hostWideTake(lo: u32, hi: u32): f64;
@external("host", "wideSet")
declare function hostWideSet(lo: u32, hi: u32, size: f64): void;
/** mmap ranges (rare): add one; munmap returns the bytes it took off live ranges. */
@external("host", "rangeAdd")
declare function hostRangeAdd(address: f64, size: f64): void;
@external("host", "rangeFree")
declare function hostRangeFree(address: f64, size: f64): f64;
/** Histogram sizes ≥ 65536 (rare). */
@external("host", "largeSize")
declare function hostLargeSize(size: f64): void;
/** First record of an allocator (memray's distribution ties follow first sight). */
@external("host", "newAllocator")
declare function hostNewAllocator(allocator: i32): void;

import {
  RANGED_ALLOCATOR,
  SIMPLE_ALLOCATOR,
  SIMPLE_DEALLOCATOR,
  STATUS_MORE,
  STATUS_TRAILER,
  T_ALLOCATION,
  T_CONTEXT_SWITCH,
  T_FRAME_POP,
  T_FRAME_PUSH,
  T_MEMORY_RECORD,
  T_OBJECT_RECORD,
  T_TRAILER,
  ERR_UNKNOWN_TYPE,
  coldRecord,
  contextSwitch,
  decodeAllocation,
  decodeMemoryRecord,
  failed,
  framePop,
  framePush,
  initDecoder,
  isCold,
  objectRecord,
  recA8,
  recAllocator,
  recKind,
  recMs,
  recRss,
  recSize,
  records,
  status,
  topNode,
} from './common';
// the decoder's exports (both modules have them; the hosts share their types)
export {
  STATUS_MORE,
  STATUS_INCOMPLETE,
  STATUS_ERROR,
  STATUS_TRAILER,
  STATUS_COLD_STOP,
  ERR_BAD_ALLOCATOR,
  ERR_NO_THREAD_ALLOCATION,
  ERR_NO_THREAD_PUSH,
  ERR_NO_THREAD_POP,
  ERR_UNKNOWN_TYPE,
  setNative,
  alloc,
  free,
  stackPtr,
  stackDepth,
  setStack,
  ensureStack,
  getStatus,
  getError,
  getErrorArg,
  getWhat,
  getNativeId,
  setNativeId,
  getRecords,
  getPushes,
  getPops,
  getObjects,
  getObjectsCreated,
  getObjectsDestroyed,
  lz4Block,
} from './common';

// ---------------------------------------------------------------- constants

const SIZE_MASK: u32 = (1 << 18) - 1;
const WIDE: u32 = SIZE_MASK;
const MAX_HI: u32 = 1 << 13;

// ---------------------------------------------------------------- state

let table: usize = 0;
let tableBits: i32 = 0;
let tableMask: u32 = 0;
let tableSize: i32 = 0;
let tableTombs: i32 = 0;
let tableLimit: i32 = 0;

// Counts and byte sums are i64: exact, and an integer add is one cycle where a double add
// chains four through the loop. The getters hand them to JavaScript as doubles (exact < 2^53).
let nodeStats: usize = 0; // per Python stack node: allocations (i64), bytes (i64), side by side
let nodeCap: i32 = 0;
let smallSizes: usize = 0; // u32 × 65536 (counts per size; a u32 holds 4 G records of one size)
const allocatorCount = new StaticArray<i64>(16);
const allocatorBytes = new StaticArray<i64>(16);

let current: i64 = 0;
let peak: i64 = 0;
let liveTotal: i64 = 0;
let allocationRecords: i64 = 0;
let peakIndex: i64 = -1;
let fineCount: i32 = 0;
let peakFine: i32 = 0;

// ---------------------------------------------------------------- set-up and results

export function init(bits: i32): void {
  initDecoder();
  nodeCap = 4096;
  // Fresh memory (init runs first, on a new instance) is zero already: no fill, so the table's
  // pages are touched only where entries land.
  nodeStats = heap.alloc(<usize>nodeCap << 4);
  smallSizes = heap.alloc(65536 << 2);
  tableBits = bits;
  tableMask = (1 << bits) - 1;
  tableLimit = ((1 << bits) * 3) >>> 2;
  table = heap.alloc(<usize>8 << bits);
}

function zeroed(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

export function nodeStatsPtr(): usize {
  return nodeStats;
}
export function nodeCapacity(): i32 {
  return nodeCap;
}
export function smallSizesPtr(): usize {
  return smallSizes;
}
export function allocatorCountAt(a: i32): f64 {
  return <f64>allocatorCount[a];
}
export function allocatorBytesAt(a: i32): f64 {
  return <f64>allocatorBytes[a];
}
export function getCurrent(): f64 {
  return <f64>current;
}
export function getPeak(): f64 {
  return <f64>peak;
}
export function getLiveTotal(): f64 {
  return <f64>liveTotal;
}
export function getAllocationRecords(): f64 {
  return <f64>allocationRecords;
}
export function getPeakIndex(): f64 {
  return <f64>peakIndex;
}
export function getPeakFine(): i32 {
  return peakFine;
}
export function getFineCount(): i32 {
  return fineCount;
}
export function tableEntries(): i32 {
  return tableSize;
}

// ---------------------------------------------------------------- helpers

function growNodes(py: i32): void {
  let cap = nodeCap * 2;
  while (cap <= py) cap *= 2;
  const next = zeroed(<usize>cap << 4);
  memory.copy(next, nodeStats, <usize>nodeCap << 4);
  heap.free(nodeStats);
  nodeStats = next;
  nodeCap = cap;
}

@inline
function count(py: i32, allocator: i32, size: u64): void {
  if (py >= nodeCap) growNodes(py);
  const isize = <i64>size;
  const pn = nodeStats + (<usize>py << 4);
  store<i64>(pn, load<i64>(pn) + 1);
  store<i64>(pn, load<i64>(pn, 8) + isize, 8);
  const ac = unchecked(allocatorCount[allocator]);
  if (ac == 0) hostNewAllocator(allocator);
  unchecked((allocatorCount[allocator] = ac + 1));
  unchecked((allocatorBytes[allocator] = unchecked(allocatorBytes[allocator]) + isize));
  if (size < 65536) {
    const ps = smallSizes + (<usize>size << 2);
    store<u32>(ps, load<u32>(ps) + 1);
  } else hostLargeSize(<f64>size);
}

/** home(): a 2 KiB address block → a 128-slot region, one slot per 16 bytes. */
@inline
function home(lo: u32, hi: u32): u32 {
  const h = ((lo >>> 8) ^ (hi * 0x85ebca6b)) * 0x9e3779b1;
  return ((h >>> (39 - tableBits)) << 7) | ((lo & 255) >>> 1);
}

/** Inserts or replaces; returns the old size, or -1.  */
function tableInsert(lo: u32, hi: u32, size: u32): i32 {
  const w1: i32 = ~((hi << 18) | size);
  let i = home(lo, hi);
  let reuse: i32 = -1;
  while (true) {
    const a = table + (<usize>i << 3);
    const w = load<i32>(a, 4);
    if (w == 0) break;
    if (w == 1) {
      if (reuse < 0) reuse = <i32>i;
    } else if (load<u32>(a) == lo && <u32>~w >>> 18 == hi) {
      store<i32>(a, w1, 4);
      return ~w & <i32>SIZE_MASK;
    }
    i = (i + 1) & tableMask;
  }
  if (reuse >= 0) {
    const a = table + (<usize>reuse << 3);
    store<u32>(a, lo);
    store<i32>(a, w1, 4);
    tableTombs--;
    tableSize++;
    return -1;
  }
  const a = table + (<usize>i << 3);
  store<u32>(a, lo);
  store<i32>(a, w1, 4);
  tableSize++;
  if (tableSize + tableTombs > tableLimit) tableResize();
  return -1;
}

/** Removes; returns the size, or -1.  */
function tableRemove(lo: u32, hi: u32): i32 {
  let i = home(lo, hi);
  while (true) {
    const a = table + (<usize>i << 3);
    const w = load<i32>(a, 4);
    if (w == 0) return -1;
    if (w != 1 && load<u32>(a) == lo && <u32>~w >>> 18 == hi) {
      tableSize--;
      if (load<i32>(table + (<usize>((i + 1) & tableMask) << 3), 4) == 0) {
        store<i32>(a, 0, 4);
        let b = (i - 1) & tableMask;
        while (load<i32>(table + (<usize>b << 3), 4) == 1) {
          store<i32>(table + (<usize>b << 3), 0, 4);
          tableTombs--;
          b = (b - 1) & tableMask;
        }
      } else {
        store<i32>(a, 1, 4);
        tableTombs++;
      }
      return ~w & <i32>SIZE_MASK;
    }
    i = (i + 1) & tableMask;
  }
}

function tableResize(): void {
  const old = table;
  const oldSlots: u32 = tableMask + 1;
  if (tableSize * 2 > tableLimit) {
    tableBits++;
    tableMask = (1 << tableBits) - 1;
    tableLimit = ((1 << tableBits) * 3) >>> 2;
  }
  table = zeroed(<usize>8 << tableBits);
  tableTombs = 0;
  for (let j: u32 = 0; j < oldSlots; j++) {
    const a = old + (<usize>j << 3);
    const w = load<i32>(a, 4);
    if (w >= 0) continue;
    const lo = load<u32>(a);
    let i = home(lo, <u32>~w >>> 18);
    while (load<i32>(table + (<usize>i << 3), 4) != 0) i = (i + 1) & tableMask;
    store<u32>(table + (<usize>i << 3), lo);
    store<i32>(table + (<usize>i << 3), w, 4);
  }
  heap.free(old);
}

@inline
function afterAllocation(): void {
  if (current >= peak) {
    peak = current;
    peakIndex = allocationRecords - 1;
    peakFine = fineCount;
  }
}

// ---------------------------------------------------------------- the loop

/**
 * Parses the records in memory [pos, end) (addresses). Returns where it stopped; getStatus()
 * says why. An incomplete record at the end is the host's to judge (more input, or the cut).
 */
export function parse(pos: usize, end: usize): usize {
  let p = pos;
  status = STATUS_MORE;
  while (p < end) {
    const start = p;
    const t: u32 = load<u8>(p++);
    if (t >= T_ALLOCATION) {
      p = decodeAllocation(t, p, end);
      if (p == 0) return start;
      allocationRecords++;
      const a8 = recA8;
      const ca = recAllocator;
      const kind = recKind;
      const size = recSize;
      const lo = <u32>a8;
      const hi = <u32>(a8 >>> 32);
      if (kind == SIMPLE_ALLOCATOR) {
        count(topNode(), ca, size);
        let old: i64;
        if (hi < MAX_HI) {
          const o = tableInsert(lo, hi, size < <u64>WIDE ? <u32>size : WIDE);
          old = o == <i32>WIDE ? <i64>hostWideTake(lo, hi) : <i64>o;
          if (size >= <u64>WIDE) hostWideSet(lo, hi, <f64>size);
        } else {
          old = <i64>hostWideTake(lo, hi);
          hostWideSet(lo, hi, <f64>size);
        }
        // memray overwrites a live address without taking it off the heap
        if (old >= 0) liveTotal -= old;
        liveTotal += <i64>size;
        current += <i64>size;
      } else if (kind == SIMPLE_DEALLOCATOR) {
        let s: i64 = -1;
        if (hi < MAX_HI) {
          const o = tableRemove(lo, hi);
          s = o == <i32>WIDE ? <i64>hostWideTake(lo, hi) : <i64>o;
        } else s = <i64>hostWideTake(lo, hi);
        if (s >= 0) {
          current -= s;
          liveTotal -= s;
        }
      } else if (kind == RANGED_ALLOCATOR) {
        count(topNode(), ca, size);
        if (size > 0) {
          hostRangeAdd(<f64>a8 * 8, <f64>size);
          current += <i64>size;
          liveTotal += <i64>size;
        }
      } else {
        const freed = <i64>hostRangeFree(<f64>a8 * 8, <f64>size);
        current -= freed;
        liveTotal -= freed;
      }
      afterAllocation();
      continue;
    }
    if (t >= T_FRAME_PUSH) {
      p = framePush(t, p, end);
      if (p == 0) return start;
      continue;
    }
    if (t >= T_OBJECT_RECORD) {
      p = objectRecord(t, p, end);
      if (p == 0) return start;
      continue;
    }
    if (t >= T_FRAME_POP) {
      p = framePop(t, p);
      if (p == 0) return start;
      continue;
    }
    if (t == T_TRAILER) {
      records++;
      status = STATUS_TRAILER;
      return p;
    }
    if (t == T_MEMORY_RECORD) {
      p = decodeMemoryRecord(p, end);
      if (p == 0) return start;
      hostMemoryRecord(<f64>recRss, <f64>recMs, <f64>current);
      fineCount++;
      records++;
      continue;
    }
    if (t == T_CONTEXT_SWITCH) {
      p = contextSwitch(p, end);
      if (p == 0) return start;
      continue;
    }
    if (isCold(t)) {
      p = coldRecord(t, p, end);
      if (p == 0) return start;
      continue;
    }
    failed(ERR_UNKNOWN_TYPE, t);
    return start;
  }
  return p;
}
