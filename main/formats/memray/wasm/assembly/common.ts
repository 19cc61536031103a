// AssemblyScript: what both v12/v13 record loops share (totals.ts, the `stats` replay; full.ts,
// the full index): memray's vocabulary, the record decoders with their delta channels, pointer
// cache and per-thread Python stack, the stop reasons, and the LZ4 block decoder. One copy of
// the format: a loop is a dispatch on the type byte that calls these and then does its own
// accounting (see ../README.md).

// ---------------------------------------------------------------- imports (host callbacks)

/** A FRAME_PUSH the push cache did not know: the host interns the frame and returns the node. */
@external("host", "pushNode")
declare function hostPushNode(parent: i32, code: f64, offset: f64, entry: i32): i32;
/** A record type the loop does not parse; returns the position after it, -1 if incomplete. */
@external("host", "coldRecord")
declare function hostColdRecord(type: i32, pos: i32, end: i32): i32;
/**
 * CONTEXT_SWITCH: the host swaps the stack in (stackPtr/depth) for thread `tid`; returns the
 * thread's slot.
 */
@external("host", "switchThread")
declare function hostSwitchThread(tid: f64): i32;

// ---------------------------------------------------------------- constants

// memray's vocabulary, as main/model/memray/vocabulary.ts and ../../record-types.ts define it
// (AssemblyScript cannot import them; ../vocabulary.test.ts checks that these equal theirs).
// v12/v13 allocator id → canonical (v10) id, and canonical id → kind (0 simple allocator,
// 1 simple deallocator, 2 ranged allocator, 3 ranged deallocator)
export const V12_TO_CANONICAL: StaticArray<u8> = [0, 15, 12, 13, 14, 2, 1, 4, 3, 5, 6, 7, 8, 9, 10, 11];
export const ALLOCATOR_KIND: StaticArray<u8> = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 1];
export const SIMPLE_ALLOCATOR: u8 = 0;
export const SIMPLE_DEALLOCATOR: u8 = 1;
export const RANGED_ALLOCATOR: u8 = 2;
// record type bytes (§5.1): the four flag records by their top bit, then whole-byte types
export const T_ALLOCATION: u32 = 0x80;
export const T_FRAME_PUSH: u32 = 0x40;
export const T_OBJECT_RECORD: u32 = 0x20;
export const T_FRAME_POP: u32 = 0x10;
export const T_TRAILER: u32 = 1;
export const T_MEMORY_RECORD: u32 = 2;
export const T_NATIVE_TRACE_INDEX: u32 = 5;
export const T_MEMORY_MAP_START: u32 = 6;
export const T_SEGMENT_HEADER: u32 = 7;
export const T_THREAD_RECORD: u32 = 10;
export const T_CONTEXT_SWITCH: u32 = 12;
export const T_CODE_OBJECT: u32 = 14;

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

// ---------------------------------------------------------------- decoder state

let native = false;
let haveThread = false;
let dataPtr: u64 = 0;
let nativeId: u64 = 0;
let ringHead: i32 = 0;
const ring = new StaticArray<u64>(16);
let pushCache: usize = 0; // 4096 × (parent, code, sub, node) i32

let stack: usize = 0;
let stackCap: i32 = 0;
export let depth: i32 = 0;

export let status: i32 = 0;
let errorCode: i32 = 0;
let errorArg: i32 = 0;
let what: i32 = 0;

export let records: i64 = 0;
let pushes: i64 = 0;
let pops: i64 = 0;
let objects: i64 = 0;
let objectsCreated: i64 = 0;
let objectsDestroyed: i64 = 0;

/** The fields of the ALLOCATION record decodeAllocation() just read. */
export let recA8: u64 = 0;
export let recAllocator: i32 = 0;
export let recKind: u8 = 0;
export let recNative: u64 = 0;
export let recSize: u64 = 0;
/** The fields of the MEMORY_RECORD decodeMemoryRecord() just read. */
export let recRss: u64 = 0;
export let recMs: u64 = 0;

/** The decoder's tables (the pointer cache's push-cache and the stack); run once, first. */
export function initDecoder(): void {
  pushCache = heap.alloc(4096 * 16);
  memory.fill(pushCache, 0xff, 4096 * 16);
  stackCap = 256;
  stack = heap.alloc(<usize>stackCap << 2);
}

// ---------------------------------------------------------------- exports (both modules)

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

/** The Python stack node of the current thread's innermost frame (0: none). */
@inline
export function topNode(): i32 {
  return depth > 0 ? load<i32>(stack + (<usize>(depth - 1) << 2)) : 0;
}

@inline
export function unzigzag(z: u64): u64 {
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

/** The record at the current one's start runs past the end of the input: 0 (stop). */
function cut(type: i32): usize {
  status = STATUS_INCOMPLETE;
  what = type;
  return 0;
}

/** The record cannot be read (`code`: one of ERR_*): 0 (stop). */
export function failed(code: i32, arg: i32): usize {
  status = STATUS_ERROR;
  errorCode = code;
  errorArg = arg;
  return 0;
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

// ---------------------------------------------------------------- the record decoders
// Each reads one record whose type byte `t` was at p - 1 and returns the position after it,
// or 0 when the loop must stop there (status says why). Side effects only once it is complete.

/** ALLOCATION: its fields go to rec*; the channels and the pointer cache move. */
@inline
export function decodeAllocation(t: u32, p: usize, end: usize): usize {
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
  if (a == 0) a = load<u8>(p++);
  if (a > 15 || a == 0) return p > end ? cut(T_ALLOCATION) : failed(ERR_BAD_ALLOCATOR, a);
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
  if (p > end) return cut(T_ALLOCATION);
  if (!haveThread) return failed(ERR_NO_THREAD_ALLOCATION, 0);
  if (idx == 15) {
    dataPtr = ptr;
    cachePushFront(a8);
  }
  nativeId = natChan;
  records++;
  recA8 = a8;
  recAllocator = ca;
  recKind = kind;
  recNative = nat;
  recSize = size;
  return p;
}

/** FRAME_PUSH: the frame's node (push cache, else the host) goes on the stack. */
@inline
export function framePush(t: u32, p: usize, end: usize): usize {
  const code = varint(p, end);
  p = cursor;
  const z = varint(p, end);
  p = cursor;
  if (p > end) return cut(T_FRAME_PUSH);
  if (!haveThread) return failed(ERR_NO_THREAD_PUSH, 0);
  const offset = <i64>unzigzag(z);
  const entry: i32 = t & 1;
  const parent: i32 = topNode();
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
  return p;
}

/** OBJECT_RECORD: counted; the channels and the pointer cache move. */
@inline
export function objectRecord(t: u32, p: usize, end: usize): usize {
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
  if (p > end) return cut(T_OBJECT_RECORD);
  if (idx == 15) {
    dataPtr = ptr;
    cachePushFront(a8);
  }
  nativeId = natChan;
  if (created) objectsCreated++;
  else objectsDestroyed++;
  objects++;
  records++;
  return p;
}

/** FRAME_POP. */
@inline
export function framePop(t: u32, p: usize): usize {
  if (!haveThread) return failed(ERR_NO_THREAD_POP, 0);
  const n: i32 = (t & 0x0f) + 1;
  depth = depth > n ? depth - n : 0;
  pops++;
  records++;
  return p;
}

/** MEMORY_RECORD: rss and ms go to recRss / recMs (the caller counts it once it is handled). */
@inline
export function decodeMemoryRecord(p: usize, end: usize): usize {
  const rss = varint(p, end);
  p = cursor;
  const ms = varint(p, end);
  p = cursor;
  if (p > end) return cut(T_MEMORY_RECORD);
  recRss = rss;
  recMs = ms;
  return p;
}

/** CONTEXT_SWITCH: u64 tid; returns the position after it and the thread's slot in `switchedSlot`. */
export let switchedSlot: i32 = 0;
@inline
export function contextSwitch(p: usize, end: usize): usize {
  if (p + 8 > end) return cut(T_CONTEXT_SWITCH);
  const tid = load<u64>(p);
  p += 8;
  switchedSlot = hostSwitchThread(<f64>tid);
  records++;
  return p;
}

/** The record types the host reads (cold: a few per capture, or per thread / code object). */
@inline
export function isCold(t: u32): bool {
  return (
    t == T_NATIVE_TRACE_INDEX ||
    t == T_MEMORY_MAP_START ||
    t == T_SEGMENT_HEADER ||
    t == T_THREAD_RECORD ||
    t == T_CODE_OBJECT
  );
}

/** A cold record, read by the host. */
@inline
export function coldRecord(t: u32, p: usize, end: usize): usize {
  const next = hostColdRecord(t, <i32>p, <i32>end);
  if (next == -1) return cut(t);
  if (next < 0) {
    status = STATUS_COLD_STOP;
    return 0;
  }
  records++;
  return <usize>next;
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
