// AssemblyScript: the v12/v13 record loop of the totals-only replay (`heapscope stats`), compiled
// to WebAssembly (see ../README.md). It mirrors records-v12.ts + model/memray/totals-builder.ts
// for the hot records (ALLOCATION, FRAME_PUSH, FRAME_POP, OBJECT_RECORD, MEMORY_RECORD) and hands
// every other record to JavaScript through the imports below. u64 varints and channels, and an
// 8-byte address → size table: two words a slot, [ (address/8) low 32 bits,
// ~((address/8) high 13 bits << 18 | size) ]; word 1 is 0 for an empty slot (fresh memory is
// zeroed: no fill pass) and 1 for a removed one. A 2 KiB address block maps to a 128-slot
// region, one slot per 16 bytes. 2.6 M live allocations fit in 2^22 slots = 32 MiB, about the
// last-level cache of this kind of machine. Sizes ≥ 2^18 and addresses ≥ 2^48 go to the host,
// which keeps them in model/memray/heap-replay.ts, the JS implementation of the same heap rules
// (the differential tests check the two agree on every fixture and on random captures).

// ---------------------------------------------------------------- imports (host callbacks)

/** A FRAME_PUSH the push cache did not know: the host interns the frame and returns the node. */
@external("host", "pushNode")
declare function hostPushNode(parent: i32, code: f64, offset: f64, entry: i32): i32;
/** A record type the loop does not parse; returns the position after it, -1 if incomplete. */
@external("host", "coldRecord")
declare function hostColdRecord(type: i32, pos: i32, end: i32): i32;
/** CONTEXT_SWITCH: the host swaps the stack in (stackPtr/depth) for thread `tid`. */
@external("host", "switchThread")
declare function hostSwitchThread(tid: f64): void;
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

// ---------------------------------------------------------------- constants

// memray's vocabulary, as main/model/memray/vocabulary.ts and ../../record-types.ts define it
// (AssemblyScript cannot import them; ../vocabulary.test.ts checks that these equal theirs).
// v12/v13 allocator id → canonical (v10) id, and canonical id → kind (0 simple allocator,
// 1 simple deallocator, 2 ranged allocator, 3 ranged deallocator)
const V12_TO_CANONICAL: StaticArray<u8> = [0, 15, 12, 13, 14, 2, 1, 4, 3, 5, 6, 7, 8, 9, 10, 11];
const ALLOCATOR_KIND: StaticArray<u8> = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 1];
const SIMPLE_ALLOCATOR: u8 = 0;
const SIMPLE_DEALLOCATOR: u8 = 1;
const RANGED_ALLOCATOR: u8 = 2;
// record type bytes (§5.1): the four flag records by their top bit, then whole-byte types
const T_ALLOCATION: u32 = 0x80;
const T_FRAME_PUSH: u32 = 0x40;
const T_OBJECT_RECORD: u32 = 0x20;
const T_FRAME_POP: u32 = 0x10;
const T_TRAILER: u32 = 1;
const T_MEMORY_RECORD: u32 = 2;
const T_NATIVE_TRACE_INDEX: u32 = 5;
const T_MEMORY_MAP_START: u32 = 6;
const T_SEGMENT_HEADER: u32 = 7;
const T_THREAD_RECORD: u32 = 10;
const T_CONTEXT_SWITCH: u32 = 12;
const T_CODE_OBJECT: u32 = 14;
const SIZE_MASK: u32 = (1 << 18) - 1;
const WIDE: u32 = SIZE_MASK;
const MAX_HI: u32 = 1 << 13;

// stop reasons (status)
export const STATUS_MORE: i32 = 0; // consumed everything that is complete; `pos` is the next record
export const STATUS_INCOMPLETE: i32 = 1; // the record at `pos` runs past the end (`what` = its type)
export const STATUS_ERROR: i32 = 2; // `error` says which, at `pos`
export const STATUS_TRAILER: i32 = 3; // TRAILER read; `pos` is after it
export const STATUS_COLD_STOP: i32 = 4; // the host stopped at a cold record (its own error)

export const ERR_BAD_ALLOCATOR: i32 = 1;
export const ERR_NO_THREAD_ALLOCATION: i32 = 2;
export const ERR_NO_THREAD_PUSH: i32 = 3;
export const ERR_NO_THREAD_POP: i32 = 4;
export const ERR_UNKNOWN_TYPE: i32 = 5;

// ---------------------------------------------------------------- state

let native = false;
let haveThread = false;
let dataPtr: u64 = 0;
let nativeId: u64 = 0;
let ringHead: i32 = 0;
const ring = new StaticArray<u64>(16);
let pushCache: usize = 0; // 4096 × (parent, code, sub, node) i32

let stack: usize = 0;
let stackCap: i32 = 0;
let depth: i32 = 0;

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
let records: i64 = 0;
let pushes: i64 = 0;
let pops: i64 = 0;
let objects: i64 = 0;
let objectsCreated: i64 = 0;
let objectsDestroyed: i64 = 0;

let status: i32 = 0;
let errorCode: i32 = 0;
let errorArg: i32 = 0;
let what: i32 = 0;


// ---------------------------------------------------------------- set-up and results

export function init(bits: i32): void {
  pushCache = heap.alloc(4096 * 16);
  memory.fill(pushCache, 0xff, 4096 * 16);
  stackCap = 256;
  stack = heap.alloc(<usize>stackCap << 2);
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

export function setNative(nativeTraces: bool): void {
  native = nativeTraces;
}
/**
 * Memory for the host: the decoded-stream window and the LZ4 block scratch. A region the
 * loop reads must have 16 bytes of slack after its end: a record cut at `end` may read a few
 * bytes past it before it is found incomplete (varint loops stop one byte past `end`).
 */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}
export function free(ptr: usize): void {
  heap.free(ptr);
}
export function stackPtr(): usize {
  return stack;
}
export function stackDepth(): i32 {
  return depth;
}
/** The host swapped a stack in: `d` entries at stackPtr() (after ensureStack(d)). */
export function setStack(d: i32): void {
  depth = d;
  haveThread = true;
}
export function ensureStack(n: i32): void {
  if (n > stackCap) growStack(n);
}
export function getStatus(): i32 {
  return status;
}
export function getError(): i32 {
  return errorCode;
}
export function getErrorArg(): i32 {
  return errorArg;
}
export function getWhat(): i32 {
  return what;
}
export function getNativeId(): f64 {
  return <f64>nativeId;
}
export function setNativeId(v: f64): void {
  nativeId = <u64>v;
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
export function getRecords(): f64 {
  return <f64>records;
}
export function getPushes(): f64 {
  return <f64>pushes;
}
export function getPops(): f64 {
  return <f64>pops;
}
export function getObjects(): f64 {
  return <f64>objects;
}
export function getObjectsCreated(): f64 {
  return <f64>objectsCreated;
}
export function getObjectsDestroyed(): f64 {
  return <f64>objectsDestroyed;
}
export function tableEntries(): i32 {
  return tableSize;
}

// ---------------------------------------------------------------- helpers

function growStack(n: i32): void {
  let cap = stackCap * 2;
  while (cap < n) cap *= 2;
  const next = heap.alloc(<usize>cap << 2);
  memory.copy(next, stack, <usize>depth << 2);
  heap.free(stack);
  stack = next;
  stackCap = cap;
}

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

@inline
function unzigzag(z: u64): u64 {
  return (z >>> 1) ^ (0 - (z & 1));
}

/**
 * Pointer cache miss (docs/formats/memray-format.md §5.3): the address goes to the front; hits keep
 * their place.
 */
@inline
function cachePushFront(a8: u64): void {
  ringHead = (ringHead + 15) & 15;
  unchecked((ring[ringHead] = a8));
}

/** The record at `start` runs past the end of the input. */
function cut(start: usize, type: i32): usize {
  status = STATUS_INCOMPLETE;
  what = type;
  return start;
}

/** The record at `start` cannot be read (`code`: one of ERR_*). */
function failed(start: usize, code: i32, arg: i32): usize {
  status = STATUS_ERROR;
  errorCode = code;
  errorArg = arg;
  return start;
}

/** Where the last varint() ended. */
let cursor: usize = 0;

/**
 * A LEB128 varint at p (up to 64 bits kept); the position after it goes to `cursor`. Reads at
 * most one byte past `end`, so a record cut at `end` is found incomplete (p > end).
 */
@inline
function varint(p: usize, end: usize): u64 {
  let b: u32 = load<u8>(p++);
  let z: u64 = b & 0x7f;
  let s: u64 = 7;
  while (b & 0x80) {
    b = load<u8>(p++);
    if (s < 64) z |= <u64>(b & 0x7f) << s;
    s += 7;
    if (p > end) break;
  }
  cursor = p;
  return z;
}

/**
 * Parses the records in memory [pos, end) (addresses). Returns where it stopped; getStatus()
 * says why. An incomplete record at the end is the host's to judge (more input, or the cut).
 */
export function parse(pos: usize, end: usize): usize {
  const buf: usize = 0;
  let p = pos;
  status = STATUS_MORE;
  while (p < end) {
    const start = p;
    const t: u32 = load<u8>(buf + p++);
    if (t >= T_ALLOCATION) {
      // ALLOCATION
      const idx = (t >> 3) & 15;
      let ptr = dataPtr;
      let a8: u64;
      if (idx == 15) {
        const z = varint(p, end);
        p = cursor;
        ptr += unzigzag(z);
        a8 = ptr;
      } else {
        a8 = unchecked(ring[(ringHead + <i32>idx) & 15]);
      }
      let a: u32 = t & 7;
      if (a == 0) a = load<u8>(buf + p++);
      if (a > 15 || a == 0) return p > end ? cut(start, T_ALLOCATION) : failed(start, ERR_BAD_ALLOCATOR, a);
      const ca: i32 = unchecked(V12_TO_CANONICAL[a]);
      const kind = unchecked(ALLOCATOR_KIND[ca]);
      let nat: u64 = 0;
      let natChan = nativeId;
      let size: u64 = 0;
      if (kind != SIMPLE_DEALLOCATOR) {
        if (native) {
          const z = varint(p, end);
          p = cursor;
          natChan += unzigzag(z);
          nat = natChan;
        }
        size = varint(p, end);
        p = cursor;
      }
      if (p > end) return cut(start, T_ALLOCATION);
      if (!haveThread) return failed(start, ERR_NO_THREAD_ALLOCATION, 0);
      if (idx == 15) {
        dataPtr = ptr;
        cachePushFront(a8);
      }
      nativeId = natChan;
      records++;
      allocationRecords++;
      const lo = <u32>a8;
      const hi = <u32>(a8 >>> 32);
      if (kind == SIMPLE_ALLOCATOR) {
        count(depth > 0 ? load<i32>(stack + (<usize>(depth - 1) << 2)) : 0, ca, size);
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
        count(depth > 0 ? load<i32>(stack + (<usize>(depth - 1) << 2)) : 0, ca, size);
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
      // FRAME_PUSH
      const code = varint(p, end);
      p = cursor;
      const z = varint(p, end);
      p = cursor;
      if (p > end) return cut(start, T_FRAME_PUSH);
      if (!haveThread) return failed(start, ERR_NO_THREAD_PUSH, 0);
      const offset = <i64>(unzigzag(z));
      const entry: i32 = t & 1;
      const parent: i32 = depth > 0 ? load<i32>(stack + (<usize>(depth - 1) << 2)) : 0;
      let node: i32;
      if (code < 0x80000000 && offset > -0x40000000 && offset < 0x40000000) {
        const c = <i32>code;
        const sub = (<i32>offset + 1) * 2 + entry;
        const ci = <usize>(((parent ^ (c * 0x9e3779b1) ^ (sub * 0x85ebca6b)) * 0x27d4eb2f) >>> 20) << 4;
        const pc = pushCache + ci;
        if (load<i32>(pc) == parent && load<i32>(pc, 4) == c && load<i32>(pc, 8) == sub) {
          node = load<i32>(pc, 12);
        } else {
          node = hostPushNode(parent, <f64>code, <f64>offset, entry);
          store<i32>(pc, parent);
          store<i32>(pc, c, 4);
          store<i32>(pc, sub, 8);
          store<i32>(pc, node, 12);
        }
      } else {
        node = hostPushNode(parent, <f64>code, <f64>offset, entry);
      }
      if (depth == stackCap) growStack(depth + 1);
      store<i32>(stack + (<usize>depth << 2), node);
      depth++;
      pushes++;
      records++;
      continue;
    }
    if (t >= T_OBJECT_RECORD) {
      // OBJECT_RECORD
      const created = t & 1;
      const idx = (t >> 1) & 15;
      let ptr = dataPtr;
      let a8: u64 = 0;
      if (idx == 15) {
        const z = varint(p, end);
        p = cursor;
        ptr += unzigzag(z);
        a8 = ptr;
      } else a8 = unchecked(ring[(ringHead + <i32>idx) & 15]);
      let natChan = nativeId;
      if (native && created) {
        const z = varint(p, end);
        p = cursor;
        natChan += unzigzag(z);
      }
      if (p > end) return cut(start, T_OBJECT_RECORD);
      if (idx == 15) {
        dataPtr = ptr;
        cachePushFront(a8);
      }
      nativeId = natChan;
      if (created) objectsCreated++;
      else objectsDestroyed++;
      objects++;
      records++;
      continue;
    }
    if (t >= T_FRAME_POP) {
      // FRAME_POP
      if (!haveThread) return failed(start, ERR_NO_THREAD_POP, 0);
      const n: i32 = (t & 0x0f) + 1;
      depth = depth > n ? depth - n : 0;
      pops++;
      records++;
      continue;
    }
    if (t == T_TRAILER) {
      records++;
      status = STATUS_TRAILER;
      return p;
    }
    if (t == T_MEMORY_RECORD) {
      // MEMORY_RECORD: rss, ms
      const rss = varint(p, end);
      p = cursor;
      const ms = varint(p, end);
      p = cursor;
      if (p > end) return cut(start, T_MEMORY_RECORD);
      hostMemoryRecord(<f64>rss, <f64>ms, <f64>current);
      fineCount++;
      records++;
      continue;
    }
    if (t == T_CONTEXT_SWITCH) {
      // CONTEXT_SWITCH: u64 tid
      if (p + 8 > end) return cut(start, T_CONTEXT_SWITCH);
      const tid = load<u64>(buf + p);
      p += 8;
      hostSwitchThread(<f64>tid);
      records++;
      continue;
    }
    if (
      t == T_NATIVE_TRACE_INDEX ||
      t == T_MEMORY_MAP_START ||
      t == T_SEGMENT_HEADER ||
      t == T_THREAD_RECORD ||
      t == T_CODE_OBJECT
    ) {
      const next = hostColdRecord(t, <i32>p, <i32>end);
      if (next == -1) return cut(start, t);
      if (next < 0) {
        status = STATUS_COLD_STOP;
        return start;
      }
      p = <usize>next;
      records++;
      continue;
    }
    return failed(start, ERR_UNKNOWN_TYPE, t);
  }
  return p;
}

// ---------------------------------------------------------------- LZ4

/**
 * Decodes one LZ4 block from [sp, send) to dp; matches may reach back before dp (linked blocks,
 * the window keeps 64 KiB of history). Returns the new output address, or 0 when malformed.
 * Same checks as lz4.ts decodeBlock.
 */
export function lz4Block(sp: usize, send: usize, dp: usize, dlimit: usize, dstart: usize): usize {
  while (true) {
    const token: u32 = load<u8>(sp++);
    let lit: usize = token >>> 4;
    if (lit == 15) {
      let b: u32;
      do {
        b = load<u8>(sp++);
        lit += b;
      } while (b == 255 && sp < send);
    }
    if (lit > 0) {
      if (sp + lit > send || dp + lit > dlimit) return 0;
      // 8 bytes at a time, up to 7 past the end on both sides (the regions have 16 bytes of
      // slack, and what lands past dp is overwritten or never read): short runs are the common
      // case, where a memory.copy call costs more than the copy
      if (lit <= 64) {
        for (let i: usize = 0; i < lit; i += 8) store<u64>(dp + i, load<u64>(sp + i));
      } else memory.copy(dp, sp, lit);
      sp += lit;
      dp += lit;
    }
    if (sp >= send) return sp == send ? dp : 0;
    const off: usize = <usize>load<u8>(sp) | (<usize>load<u8>(sp + 1) << 8);
    sp += 2;
    let ml: usize = token & 15;
    if (ml == 15) {
      let b: u32;
      do {
        b = load<u8>(sp++);
        ml += b;
      } while (b == 255 && sp < send);
    }
    ml += 4;
    if (off == 0 || off > dp - dstart || dp + ml > dlimit) return 0;
    const mp = dp - off;
    if (off >= 8) {
      // each 8-byte step reads only bytes before the one it writes: it repeats the pattern
      // exactly as the byte-wise definition does
      for (let i: usize = 0; i < ml; i += 8) store<u64>(dp + i, load<u64>(mp + i));
    } else {
      for (let i: usize = 0; i < ml; i++) store<u8>(dp + i, load<u8>(mp + i));
    }
    dp += ml;
  }
}
