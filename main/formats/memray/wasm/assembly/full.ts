// AssemblyScript: the v12/v13 record loop of the FULL index (what the app, export, report, diff
// and check read), compiled to WebAssembly (see ../README.md). It does per record what
// model/memray/builder.ts does with its JS parts, on the same rules, in the same order:
//
// - keys (key-table.ts): (Python node, native node, thread slot, allocator, generation) → key,
//   a hash with a last-key cache; a new key is the host's (newKey: the JS KeyTable adds its
//   identity columns and its family, in the same first-seen order, so ids agree);
// - per key the totals (all / live / peak, count and bytes, i64), the family's live bytes;
// - the heap (heap-replay.ts + live-table.ts): address/8 → (key, size, birth); sizes ≥ 2^32
//   and addresses ≥ 2^48 go to the host's wide map, mmap ranges to the host's RangeSet (whose
//   munmap cuts come back through rangeCut());
// - the histogram and the timeline's per-interval counts (timeline.ts);
// - the open bucket of the time index (time-index.ts TimeIndex): the per-key journal of the
//   capture's peak and of the bucket's peak, the keys touched, the frees per birth bucket;
//   at a bucket close (the host decides, at a memory record) closeBucket() hands the entries
//   over and the JS TimeBuckets stores and merges them;
// - memray's temporaries (temporary.ts) and pymalloc's pages (pages.ts), their components.
//
// At the end the host copies the per-key columns, the live entries and the scalars into the
// builder's JS parts (records-wasm-full.ts), so the model reads the same objects whichever
// loop filled them; test/node/full-wasm-differential.test.ts compares the two.

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
  recNative,
  recRss,
  recSize,
  records,
  status,
  switchedSlot,
  topNode,
} from './common';
import { pagesAdd, pagesAtPeak, pagesInit, pagesRemove, pagesSmall } from './pages';
import { tempAllocated, tempFreed, tempInit } from './temporary';
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
// what the JS parts read at memory records, bucket closes and the end (layout/page-table.ts
// PagesWasm, temporary.ts TemporaryWasm)
export {
  pagesCheckpoint,
  pagesRowsPtr,
  pagesTotal,
  pagesChunks,
  pagesChunkCapacity,
  pagesChunkKeyPtr,
  pagesPagesPtr,
  pagesDirtyPtr,
  pagesDirtyCount,
  pagesPeakRowsPtr,
  pagesPeakRowsCount,
  pagesEpoch,
  pagesPeakLogTail,
  pagesPeakLogTailCount,
  pagesPeakLogChunkEntries,
  pagesPeakLogCount,
  pagesTieEntries,
  pagesTieCount,
  pagesPeakBlocksFine,
  pagesPeakBlocksFlags,
} from './pages';
export {
  tempTakeInterval,
  tempTakeBucket,
  tempBucketPtr,
  tempKeyCapacity,
  tempKeyChunkBits,
  tempKeyChunkPtr,
  tempExtraCount,
  tempExtraPtr,
} from './temporary';

// ---------------------------------------------------------------- imports (host callbacks)

/** A key the hash did not know: the host adds it (next id) and returns its family slot. */
@external("host", "newKey")
declare function hostNewKey(py: i32, nat: i32, thread: i32, allocator: i32, generation: i32): i32;
/** MEMORY_RECORD (fineCount already counts it): the host's timeline, temporaries, bucket close. */
@external("host", "memoryRecord")
declare function hostMemoryRecord(rss: f64, ms: f64, heap: f64, intervalCount: f64, intervalBytes: f64): void;
/** An ALLOCATION names a native stack not defined yet: the host refuses the capture (throws). */
@external("host", "badNative")
declare function hostBadNative(nat: f64, at: i32): void;
/** The wide map (heap-replay.ts): take returns the size or -1 (and sets the taken key/birth). */
@external("host", "wideTake")
declare function hostWideTake(lo: u32, hi: u32): f64;
@external("host", "wideSet")
declare function hostWideSet(lo: u32, hi: u32, key: i32, size: f64, birth: i32): void;
/** mmap ranges (rare): add one; munmap returns the bytes it took (its cuts call rangeCut). */
@external("host", "rangeAdd")
declare function hostRangeAdd(address: f64, size: f64, key: i32, birth: i32): void;
@external("host", "rangeFree")
declare function hostRangeFree(address: f64, size: f64): f64;
/** Histogram sizes ≥ 65536 (rare). */
@external("host", "largeSize")
declare function hostLargeSize(size: f64): void;

// ---------------------------------------------------------------- constants

/** The largest high word (of address/8) the table holds: addresses below 2^48 (live-table.ts). */
const MAX_HI: u32 = 8191;
/**
 * The live table's region: 2^22 slots (64 MiB) of address space, whatever size the table starts
 * at; pages are touched only as entries land, so a table that never grows costs only its own.
 */
const TABLE_REGION_BITS: i32 = 22;
/** Births are kept modulo 2^19 (live-table.ts BIRTH_MASK). */
const BIRTH_MASK: i32 = 0x7ffff;
/** Families (model/allocator-family.ts FAMILIES) the live bytes are kept for; ≥ its length. */
const FAMILY_SLOTS: i32 = 16;

// per-key journal bits (time-index.ts)
const PEAK_DIRTY: u8 = 1;
const BUCKET_PEAK_DIRTY: u8 = 2;
const TOUCHED: u8 = 4;
const ALL_DIRTY: u8 = 7;

// One key's row, 128 bytes: everything the loop reads or writes for a key in one cache line
// pair. Counts and bytes are i64 (exact; handed to JS as doubles).
const K_ALL_C = 0;
const K_ALL_B = 8;
const K_LIVE_C = 16;
const K_LIVE_B = 24;
const K_PEAK_C = 32;
const K_PEAK_B = 40;
const K_START_C = 48; // live numbers at the open bucket's start
const K_START_B = 56;
const K_LP_C = 64; // change of the live numbers by the open bucket's peak
const K_LP_B = 72;
const K_START_ALL_C = 80; // all-allocated numbers at the key's first touch in the open bucket
const K_START_ALL_B = 88;
// The key's frees in the open bucket (valid while stamp == bucketSerial): its newest pending
// entry and that entry's birth bucket; the entries before it are chained (pendingNext), unless
// K_PK_HASHED says they are in pendingHash (see freed()).
const K_PK_STAMP = 96;
const K_PK_BIRTH = 100;
const K_PK_IDX = 104;
const K_FLAGS = 108;
const K_ALLOCATOR = 109;
const K_FAMILY = 110;
const K_PK_HASHED = 111;
const K_PY = 112; // identity, for the hash
const K_NAT = 116;
const K_THREAD = 120;
const K_GEN = 124;
const KEY_BYTES = 128;

// ---------------------------------------------------------------- state

// set by the host
let thread: i32 = 0;
let generation: i32 = 0;
let natCount: u64 = 1;
let bucketShift: i32 = 0;

// keys
// rows in chunks of 2^KEY_CHUNK_BITS keys (never moved); keyChunks: usize × keyChunkCap
const KEY_CHUNK_BITS: i32 = 13;
const KEY_CHUNK_MASK: i32 = (1 << KEY_CHUNK_BITS) - 1;
const KEY_CHUNK_BYTES: i32 = KEY_BYTES << KEY_CHUNK_BITS;
let keyChunks: usize = 0;
let keyChunkCap: i32 = 0;
let keyCap: i32 = 0; // rows allocated
let listCap: i32 = 0; // capacity of gList, lList, tList (≥ keyCap)
let keyCount: i32 = 0;
// i32 per slot: 0 empty, else (key + 1) | tag << 25, the tag being 7 low bits of the key's hash
// (the slot comes from its top bits). A probe compares the tag before it reads the key's row:
// with treebuilder-pymalloc.bin's 492 k keys (63 MB of rows) a row read is a cache miss, and
// lookup() was 336 ms of its 1.69 s open. key + 1 < 2^25: 2^25 rows of KEY_BYTES are more than
// a 32-bit memory holds.
let keyHash: usize = 0;
let keyHashMask: u32 = 0;
let keyHashShift: u32 = 20; // the hash's top bits pick the slot (32 - log2 slots)
let lastPy: i32 = -1;
let lastNat: i32 = -1;
let lastThread: i32 = -1;
let lastAllocator: i32 = -1;
let lastGen: i32 = -1;
let lastKey: i32 = -1;

// the live table: 16-byte slots [ lo, hi | birth << 13, key + 1 (0 empty, -1 removed), size ]
let table: usize = 0;
let tableBits: i32 = 0;
let tableMask: u32 = 0;
let tableSize: i32 = 0;
let tableTombs: i32 = 0;
let tableLimit: i32 = 0;
/**
 * log2 of the slots the table's region holds (its first 16 << tableBits bytes are the table):
 * the table doubles inside it, in place, so no old table is left behind (the stub runtime
 * frees only the last block) and only the pages entries land on are ever touched.
 */
let tableRegionBits: i32 = 0;
/** Entries a doubling in place could not put straight into the new half (tableDouble). */
let deferred: usize = 0;
let deferredCap: i32 = 0;
/** Entries in the host's wide map (heap-replay.ts `wide.size`): only this loop changes it. */
let wideCount: i32 = 0;
/** The entry the last take / remove / replace found. */
let takenKey: i32 = 0;
let takenSize: i64 = 0;
let takenBirth: i32 = 0;

// the heap (heap-replay.ts)
let current: i64 = 0;
let peak: i64 = 0;
let peakIndex: i64 = -1;
let liveBytes: i64 = 0;
let maxLiveEntries: i32 = 0;
let allocationRecords: i64 = 0;
let peakFine: i32 = 0;
const famLive = new StaticArray<i64>(FAMILY_SLOTS);

// histogram and timeline interval
let smallSizes: usize = 0; // u32 × 65536
let intervalCount: i64 = 0;
let intervalBytes: i64 = 0;

// time index: the open bucket
let fineCount: i32 = 0;
let gList: usize = 0; // keys changed since the last global-peak sync
let gN: i32 = 0;
let lList: usize = 0; // since the bucket-peak sync
let lN: i32 = 0;
let tList: usize = 0; // touched in the open bucket
let tN: i32 = 0;
let bucketSerial: i32 = 0;
let bucketStartHeap: i64 = 0;
let bucketStartFine: i32 = 0;
const NO_PEAK: i64 = i64.MIN_VALUE;
let localPeak: i64 = NO_PEAK;
let localPeakFine: i32 = 0;
// frees of the open bucket, per (key, birth bucket): pKey, pBirth i32, pC, pB i64
let pending: usize = 0; // 24 bytes an entry
let pendingNext: usize = 0; // i32 an entry: the same key's previous entry + 1 (0: none)
let pendingCap: i32 = 0;
let pN: i32 = 0;
/** A key's chain is walked this far before its entries move to pendingHash. */
const PENDING_WALK_MAX: i32 = 8;
// (key, birth) → pending index for the keys with many birth buckets in the open bucket; a slot is
// [key, birth, index, serial], valid when serial matches; pHashed entries are in it
let pendingHash: usize = 0;
let pendingHashMask: u32 = 0;
let pendingHashShift: u32 = 22;
let pHashed: i32 = 0;
// what closeBucket() hands over
let outEntries: usize = 0; // 7 f64 an entry
let outFrees: usize = 0; // 4 f64 a free
let outCap: i32 = 0;
let outFreeCap: i32 = 0;
let outFreeN: i32 = 0;
let outStartHeap: i64 = 0;
let outPeakHeap: i64 = 0;
let outPeakFine: i32 = 0;

// ---------------------------------------------------------------- set-up

function zeroed(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** `bits`: log2 of the live table's starting slots (sized from the file, like the totals loop). */
export function init(bits: i32): void {
  initDecoder();
  pagesInit();
  tempInit();
  // Fresh memory (init runs first, on a new instance) is zero already: no fill, so the live
  // table's pages are touched only where entries land.
  keyCap = 1 << KEY_CHUNK_BITS;
  keyChunkCap = 16;
  keyChunks = heap.alloc(<usize>keyChunkCap << 2);
  store<usize>(keyChunks, heap.alloc(<usize>KEY_CHUNK_BYTES));
  listCap = keyCap;
  keyHashMask = 4095;
  keyHash = heap.alloc(4096 << 2);
  gList = heap.alloc(<usize>keyCap << 2);
  lList = heap.alloc(<usize>keyCap << 2);
  tList = heap.alloc(<usize>keyCap << 2);
  smallSizes = heap.alloc(65536 << 2);
  tableRegionBits = bits > TABLE_REGION_BITS ? bits : TABLE_REGION_BITS;
  setTableBits(bits);
  table = heap.alloc(<usize>16 << tableRegionBits);
  deferredCap = 1024;
  deferred = heap.alloc(<usize>deferredCap << 4);
  pendingCap = 256;
  pending = heap.alloc(<usize>pendingCap * 24);
  pendingNext = heap.alloc(<usize>pendingCap << 2);
  pendingHashMask = 1023;
  pendingHash = heap.alloc(1024 << 4);
  memory.fill(pendingHash, 0xff, 1024 << 4);
  outCap = 1024;
  outEntries = heap.alloc(<usize>outCap * 56);
  outFreeCap = 256;
  outFrees = heap.alloc(<usize>outFreeCap * 32);
}

export function setThread(slot: i32): void {
  thread = slot;
}
export function setGeneration(gen: i32): void {
  generation = gen;
}
export function setNatCount(n: f64): void {
  natCount = <u64>n;
}
export function setBucketShift(shift: i32): void {
  bucketShift = shift;
}
/** The host's wide map gave up an entry (wideTake): its key and birth. */
export function setTaken(key: i32, birth: i32): void {
  takenKey = key;
  takenBirth = birth;
}

// ---------------------------------------------------------------- results (read at the end)

export function getKeyCount(): i32 {
  return keyCount;
}
/** Keys per keyTotals() call: the host reads the totals in chunks, not one keyCount × 48 B block. */
const TOTALS_CHUNK: i32 = 8192;
let totalsOut: usize = 0;
export function totalsChunk(): i32 {
  return TOTALS_CHUNK;
}
/**
 * The per-key totals of keys from … from + n - 1 (n ≤ totalsChunk()) as doubles, 6 per key (all
 * count/bytes, live count/bytes, peak count/bytes), at a reused block; the host copies them out.
 */
export function keyTotals(from: i32, n: i32): usize {
  if (totalsOut == 0) totalsOut = heap.alloc(<usize>TOTALS_CHUNK * 48);
  const out = totalsOut;
  for (let j: i32 = 0; j < n; j++) {
    const r = keyRow(from + j);
    const o = out + <usize>j * 48;
    store<f64>(o, <f64>load<i64>(r, K_ALL_C));
    store<f64>(o, <f64>load<i64>(r, K_ALL_B), 8);
    store<f64>(o, <f64>load<i64>(r, K_LIVE_C), 16);
    store<f64>(o, <f64>load<i64>(r, K_LIVE_B), 24);
    store<f64>(o, <f64>load<i64>(r, K_PEAK_C), 32);
    store<f64>(o, <f64>load<i64>(r, K_PEAK_B), 40);
  }
  return out;
}
/**
 * The live table's entries, 4 words each (lo, hi | birth << 13, key, size), packed at the table's start (in
 * place: entry n comes from slot j ≥ n, already read; no second block of tableSize × 16 B). The
 * table is no longer a table afterwards: called once, at the end.
 */
export function liveEntries(): usize {
  const out = table;
  let n: usize = 0;
  const slots: u32 = tableMask + 1;
  for (let j: u32 = 0; j < slots; j++) {
    const a = table + (<usize>j << 4);
    const k = load<i32>(a, 8);
    if (k <= 0) continue;
    const o = out + (n << 4);
    const lo = load<u32>(a);
    const hiBirth = load<u32>(a, 4);
    const size = load<u32>(a, 12);
    store<u32>(o, lo);
    store<u32>(o, hiBirth, 4);
    store<i32>(o, k - 1, 8);
    store<u32>(o, size, 12);
    n++;
  }
  return out;
}
export function getTableSize(): i32 {
  return tableSize;
}
export function smallSizesPtr(): usize {
  return smallSizes;
}
export function famLiveAt(f: i32): f64 {
  return <f64>famLive[f];
}
export function getCurrent(): f64 {
  return <f64>current;
}
export function getPeak(): f64 {
  return <f64>peak;
}
export function getPeakIndex(): f64 {
  return <f64>peakIndex;
}
export function getLiveBytes(): f64 {
  return <f64>liveBytes;
}
export function getMaxLiveEntries(): i32 {
  return maxLiveEntries;
}
export function getAllocationRecords(): f64 {
  return <f64>allocationRecords;
}
export function getPeakFine(): i32 {
  return peakFine;
}
export function getFineCount(): i32 {
  return fineCount;
}
export function getIntervalCount(): f64 {
  return <f64>intervalCount;
}
export function getIntervalBytes(): f64 {
  return <f64>intervalBytes;
}

// ---------------------------------------------------------------- keys

@inline
function keyRow(k: i32): usize {
  return (
    load<usize>(keyChunks + (<usize>(<u32>k >>> KEY_CHUNK_BITS) << 2)) + (<usize>(k & KEY_CHUNK_MASK) * KEY_BYTES)
  );
}

@inline
function hashKey(py: i32, nat: i32, thr: i32, alloc: i32, gen: i32): u32 {
  const h: u32 = (py * 0x9e3779b1) ^ ((nat + 1) * 0x85ebca6b) ^ ((thr + 7) * 0xc2b2ae35) ^ ((alloc * 31 + gen) * 0x27d4eb2f);
  return (h ^ (h >>> 15)) * 0x2c1b3c6d;
}

/** The key of one record, checking the previous record's key first (key-table.ts keyFor). */
@inline
function keyFor(py: i32, nat: i32, thr: i32, alloc: i32, gen: i32): i32 {
  if (py == lastPy && nat == lastNat && thr == lastThread && alloc == lastAllocator && gen == lastGen) return lastKey;
  const k = lookup(py, nat, thr, alloc, gen);
  lastPy = py;
  lastNat = nat;
  lastThread = thr;
  lastAllocator = alloc;
  lastGen = gen;
  lastKey = k;
  return k;
}

@inline
function keyTag(h: u32): u32 {
  return (h & 127) << 25;
}

function lookup(py: i32, nat: i32, thr: i32, alloc: i32, gen: i32): i32 {
  const h = hashKey(py, nat, thr, alloc, gen);
  const tag = keyTag(h);
  let i = h >>> keyHashShift;
  while (true) {
    const e = load<u32>(keyHash + (<usize>i << 2));
    if (e == 0) break;
    if ((e & 0xfe000000) == tag) {
      const k = <i32>(e & 0x1ffffff) - 1;
      const r = keyRow(k);
      if (
        load<i32>(r, K_PY) == py &&
        load<i32>(r, K_NAT) == nat &&
        load<i32>(r, K_THREAD) == thr &&
        load<u8>(r, K_ALLOCATOR) == <u8>alloc &&
        load<i32>(r, K_GEN) == gen
      )
        return k;
    }
    i = (i + 1) & keyHashMask;
  }
  const k = keyCount++;
  if (k >= keyCap) growKeys();
  const r = keyRow(k);
  store<i32>(r, py, K_PY);
  store<i32>(r, nat, K_NAT);
  store<i32>(r, thr, K_THREAD);
  store<u8>(r, <u8>alloc, K_ALLOCATOR);
  store<i32>(r, gen, K_GEN);
  store<i32>(r, -1, K_PK_STAMP);
  store<u32>(keyHash + (<usize>i << 2), <u32>(k + 1) | tag);
  if (<u32>keyCount * 2 > keyHashMask) rehashKeys();
  store<u8>(r, <u8>hostNewKey(py, nat, thr, alloc, gen), K_FAMILY);
  return k;
}

/**
 * One more chunk of rows. Rows are never moved: a doubling array would leave every old copy
 * behind (the stub runtime frees only the last block), 64 MB of copies on
 * treebuilder-pymalloc.bin's 492 k keys next to its 64 MB of rows.
 */
function growKeys(): void {
  const chunks = <usize>keyCap >>> KEY_CHUNK_BITS;
  if (chunks == keyChunkCap) {
    const dir = heap.alloc(<usize>keyChunkCap << 3);
    memory.copy(dir, keyChunks, <usize>keyChunkCap << 2);
    heap.free(keyChunks);
    keyChunks = dir;
    keyChunkCap *= 2;
  }
  store<usize>(keyChunks + (chunks << 2), zeroed(<usize>KEY_CHUNK_BYTES));
  keyCap += 1 << KEY_CHUNK_BITS;
  if (keyCap > listCap) {
    const cap = listCap * 2;
    gList = growList(gList, gN, cap);
    lList = growList(lList, lN, cap);
    tList = growList(tList, tN, cap);
    listCap = cap;
  }
}

function growList(list: usize, n: i32, cap: i32): usize {
  const next = heap.alloc(<usize>cap << 2);
  memory.copy(next, list, <usize>n << 2);
  heap.free(list);
  return next;
}

function rehashKeys(): void {
  const size: u32 = (keyHashMask + 1) * 2;
  keyHashMask = size - 1;
  keyHashShift--;
  heap.free(keyHash);
  keyHash = zeroed(<usize>size << 2);
  for (let k: i32 = 0; k < keyCount; k++) {
    const r = keyRow(k);
    const h = hashKey(load<i32>(r, K_PY), load<i32>(r, K_NAT), load<i32>(r, K_THREAD), load<u8>(r, K_ALLOCATOR), load<i32>(r, K_GEN));
    let i = h >>> keyHashShift;
    while (load<i32>(keyHash + (<usize>i << 2)) != 0) i = (i + 1) & keyHashMask;
    store<u32>(keyHash + (<usize>i << 2), <u32>(k + 1) | keyTag(h));
  }
}

// ---------------------------------------------------------------- the live table

/** home(): a 2 KiB address block → a 128-slot region, one slot per 16 bytes. */
@inline
function home(lo: u32, hi: u32): u32 {
  const h = ((lo >>> 8) ^ (hi * 0x85ebca6b)) * 0x9e3779b1;
  return ((h >>> (39 - tableBits)) << 7) | ((lo & 255) >>> 1);
}

/** Inserts or replaces; true when the address was live (the old entry in taken*). */
function tableInsert(lo: u32, hi: u32, key: i32, size: u32, birth: i32): bool {
  const w1 = hi | (<u32>birth << 13);
  let i = home(lo, hi);
  let reuse: i32 = -1;
  while (true) {
    const a = table + (<usize>i << 4);
    const k = load<i32>(a, 8);
    if (k == 0) break;
    if (k == -1) {
      if (reuse < 0) reuse = <i32>i;
    } else if (load<u32>(a) == lo && (load<u32>(a, 4) & MAX_HI) == hi) {
      takenKey = k - 1;
      takenSize = <i64>load<u32>(a, 12);
      takenBirth = <i32>(load<u32>(a, 4) >>> 13);
      store<u32>(a, w1, 4);
      store<i32>(a, key + 1, 8);
      store<u32>(a, size, 12);
      return true;
    }
    i = (i + 1) & tableMask;
  }
  if (reuse >= 0) {
    const a = table + (<usize>reuse << 4);
    store<u32>(a, lo);
    store<u32>(a, w1, 4);
    store<i32>(a, key + 1, 8);
    store<u32>(a, size, 12);
    tableTombs--;
    tableSize++;
    return false;
  }
  const a = table + (<usize>i << 4);
  store<u32>(a, lo);
  store<u32>(a, w1, 4);
  store<i32>(a, key + 1, 8);
  store<u32>(a, size, 12);
  tableSize++;
  if (tableSize + tableTombs > tableLimit) tableResize();
  return false;
}

/** Removes; true when the address was live (the entry in taken*). */
function tableRemove(lo: u32, hi: u32): bool {
  let i = home(lo, hi);
  while (true) {
    const a = table + (<usize>i << 4);
    const k = load<i32>(a, 8);
    if (k == 0) return false;
    if (k != -1 && load<u32>(a) == lo && (load<u32>(a, 4) & MAX_HI) == hi) {
      takenKey = k - 1;
      takenSize = <i64>load<u32>(a, 12);
      takenBirth = <i32>(load<u32>(a, 4) >>> 13);
      tableSize--;
      if (load<i32>(table + (<usize>((i + 1) & tableMask) << 4), 8) == 0) {
        store<i32>(a, 0, 8);
        let b = (i - 1) & tableMask;
        while (load<i32>(table + (<usize>b << 4), 8) == -1) {
          store<i32>(table + (<usize>b << 4), 0, 8);
          tableTombs--;
          b = (b - 1) & tableMask;
        }
      } else {
        store<i32>(a, -1, 8);
        tableTombs++;
      }
      return true;
    }
    i = (i + 1) & tableMask;
  }
}

function tableResize(): void {
  if (tableSize * 2 <= tableLimit) {
    tablePurge();
    return;
  }
  if (tableBits < tableRegionBits) {
    tableDouble();
    return;
  }
  // past its region (more than 3 M live entries): a table twice the size elsewhere
  const old = table;
  const oldSlots: u32 = tableMask + 1;
  tableRegionBits = tableBits + 1;
  setTableBits(tableBits + 1);
  table = zeroed(<usize>16 << tableBits);
  tableTombs = 0;
  for (let j: u32 = 0; j < oldSlots; j++) {
    const a = old + (<usize>j << 4);
    if (load<i32>(a, 8) <= 0) continue;
    const lo = load<u32>(a);
    let i = home(lo, load<u32>(a, 4) & MAX_HI);
    while (load<i32>(table + (<usize>i << 4), 8) != 0) i = (i + 1) & tableMask;
    memory.copy(table + (<usize>i << 4), a, 16);
  }
  heap.free(old);
}

/**
 * The table's size. It is resized when live entries and tombstones pass the limit: half the
 * slots while it can still double in its region (home() puts a 2 KiB address block's entries in
 * one 128-slot region, so a fuller table probes long runs where blocks share a region; the
 * pages a larger table touches are the ones its entries need anyway), three quarters at the
 * region's size.
 */
function setTableBits(bits: i32): void {
  tableBits = bits;
  tableMask = (1 << bits) - 1;
  tableLimit = bits < tableRegionBits ? 1 << (bits - 1) : ((1 << bits) * 3) >>> 2;
}

/** Writes an entry's four words to slot `i`. */
@inline
function tablePut(i: u32, lo: u32, w1: u32, k: i32, size: u32): void {
  const a = table + (<usize>i << 4);
  store<u32>(a, lo);
  store<u32>(a, w1, 4);
  store<i32>(a, k, 8);
  store<u32>(a, size, 12);
}

/** Puts an entry at the first free slot from its home (no tombstones in the table). */
@inline
function tablePlace(lo: u32, w1: u32, k: i32, size: u32): void {
  let i = home(lo, w1 & MAX_HI);
  while (load<i32>(table + (<usize>i << 4), 8) != 0) i = (i + 1) & tableMask;
  tablePut(i, lo, w1, k, size);
}

/**
 * Doubles the table in place (its region has room). home() takes the region from the top bits
 * of the hash, so with one more bit an entry of region r goes to region 2r or 2r + 1: at or
 * after its old slot, except in region 0 and after long probes. Slots are emptied from the top
 * down, and each entry goes straight to its new place when that lies above the slot being
 * emptied and needs no wrap past the end (only emptied or new slots are there, which no later
 * step empties again); the few others wait in `deferred` until every old slot is done.
 * Tombstones are dropped.
 */
function tableDouble(): void {
  const oldSlots: u32 = tableMask + 1;
  setTableBits(tableBits + 1);
  let waiting: i32 = 0;
  for (let s: i32 = <i32>oldSlots - 1; s >= 0; s--) {
    const a = table + (<usize>s << 4);
    const k = load<i32>(a, 8);
    if (k == 0) continue;
    store<i32>(a, 0, 8);
    if (k == -1) continue;
    const lo = load<u32>(a);
    const w1 = load<u32>(a, 4);
    const size = load<u32>(a, 12);
    const h = home(lo, w1 & MAX_HI);
    let placed = false;
    if (h > <u32>s)
      for (let i = h; i <= tableMask; i++)
        if (load<i32>(table + (<usize>i << 4), 8) == 0) {
          tablePut(i, lo, w1, k, size);
          placed = true;
          break;
        }
    if (placed) continue;
    if (waiting == deferredCap) {
      const next = heap.alloc(<usize>deferredCap << 5);
      memory.copy(next, deferred, <usize>deferredCap << 4);
      deferred = next;
      deferredCap *= 2;
    }
    const d = deferred + (<usize>waiting << 4);
    store<u32>(d, lo);
    store<u32>(d, w1, 4);
    store<i32>(d, k, 8);
    store<u32>(d, size, 12);
    waiting++;
  }
  tableTombs = 0;
  for (let j = 0; j < waiting; j++) {
    const d = deferred + (<usize>j << 4);
    tablePlace(load<u32>(d), load<u32>(d, 4), load<i32>(d, 8), load<u32>(d, 12));
  }
}

/**
 * Drops the tombstones in place (the table is mostly tombstones, not full): every tombstone
 * becomes free, then, starting after a free slot so that no run of used slots is cut, each entry
 * in turn leaves its slot and goes back to the first free slot from its home, which is its own
 * slot or one before it.
 */
function tablePurge(): void {
  const slots: u32 = tableMask + 1;
  let free: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    const a = table + (<usize>i << 4);
    const k = load<i32>(a, 8);
    if (k == -1) store<i32>(a, 0, 8);
    else if (k == 0) free = i;
  }
  tableTombs = 0;
  for (let j: u32 = 1; j <= slots; j++) {
    const i = (free + j) & tableMask;
    const a = table + (<usize>i << 4);
    const k = load<i32>(a, 8);
    if (k == 0) continue;
    store<i32>(a, 0, 8);
    tablePlace(load<u32>(a), load<u32>(a, 4), k, load<u32>(a, 12));
  }
}

/** The host's wide map: takes the entry at the address (into taken*), if any. */
@inline
function wideTake(lo: u32, hi: u32): bool {
  const s = hostWideTake(lo, hi);
  if (s < 0) return false;
  takenSize = <i64>s;
  wideCount--;
  return true;
}

// ---------------------------------------------------------------- the time index's open bucket

/** First change of a key in the open bucket: remember where it started. */
@inline
function touch(k: i32, r: usize): void {
  store<i32>(tList + (<usize>tN << 2), k);
  tN++;
  store<i64>(r, load<i64>(r, K_ALL_C), K_START_ALL_C);
  store<i64>(r, load<i64>(r, K_ALL_B), K_START_ALL_B);
}

/** Key `k` changed its live numbers: journal it for both peaks and the bucket. */
@inline
function changed(k: i32, r: usize): void {
  const f = load<u8>(r, K_FLAGS);
  if (f == ALL_DIRTY) return;
  if ((f & PEAK_DIRTY) == 0) {
    store<i32>(gList + (<usize>gN << 2), k);
    gN++;
  }
  if ((f & BUCKET_PEAK_DIRTY) == 0) {
    store<i32>(lList + (<usize>lN << 2), k);
    lN++;
  }
  if ((f & TOUCHED) == 0) touch(k, r);
  store<u8>(r, ALL_DIRTY, K_FLAGS);
}

/**
 * `count` allocations (`bytes`) of key `k` left the live set, born in the fine interval whose low
 * 19 bits are `birthLow`: added to the open bucket's pending entry of (k, birth bucket).
 *
 * A key's first free in a bucket starts its chain of entries, with no lookup; a later one finds
 * its entry at the chain's head, or by walking it, newest first. A hash of (key, birth) did all
 * of this before: on treebuilder-pymalloc.bin (492 k keys, most freeing once or twice a bucket)
 * its probes into a table of up to 16 MB were 0.33 s of a 3 s open. A key whose chain grows past
 * PENDING_WALK_MAX births (a cache freeing objects of every age) moves its entries to the hash
 * for the rest of the bucket, so no walk is long.
 */
function freed(k: i32, birthLow: i32, count: i64, bytes: i64): void {
  const birthFine = fineCount - ((fineCount - birthLow) & BIRTH_MASK);
  const birth = <i32>(<u32>birthFine >>> bucketShift);
  const r = keyRow(k);
  let i: i32;
  if (load<i32>(r, K_PK_STAMP) != bucketSerial) {
    i = pendingNew(k, birth, 0);
    store<i32>(r, bucketSerial, K_PK_STAMP);
    store<i32>(r, birth, K_PK_BIRTH);
    store<i32>(r, i, K_PK_IDX);
    store<u8>(r, 0, K_PK_HASHED);
  } else if (load<i32>(r, K_PK_BIRTH) == birth) {
    i = load<i32>(r, K_PK_IDX);
  } else if (load<u8>(r, K_PK_HASHED) != 0) {
    i = pendingFind(k, birth);
    store<i32>(r, birth, K_PK_BIRTH);
    store<i32>(r, i, K_PK_IDX);
  } else {
    const head = load<i32>(r, K_PK_IDX);
    i = -1;
    let j = load<i32>(pendingNext + (<usize>head << 2)) - 1;
    let steps: i32 = 0;
    while (j >= 0 && steps < PENDING_WALK_MAX) {
      if (load<i32>(pending + <usize>j * 24, 4) == birth) {
        i = j;
        break;
      }
      j = load<i32>(pendingNext + (<usize>j << 2)) - 1;
      steps++;
    }
    if (i < 0) {
      if (j >= 0) {
        pendingHashKey(head);
        store<u8>(r, 1, K_PK_HASHED);
        i = pendingFind(k, birth);
      } else i = pendingNew(k, birth, head + 1);
      store<i32>(r, birth, K_PK_BIRTH);
      store<i32>(r, i, K_PK_IDX);
    }
  }
  const p = pending + <usize>i * 24;
  store<i64>(p, load<i64>(p, 8) + count, 8);
  store<i64>(p, load<i64>(p, 16) + bytes, 16);
}

/** A new pending entry of (k, birth) with zero counts, chained to entry `next` - 1. */
function pendingNew(k: i32, birth: i32, next: i32): i32 {
  const n = pN++;
  if (n == pendingCap) {
    const grown = heap.alloc(<usize>pendingCap * 48);
    memory.copy(grown, pending, <usize>pendingCap * 24);
    heap.free(pending);
    pending = grown;
    const links = heap.alloc(<usize>pendingCap << 3);
    memory.copy(links, pendingNext, <usize>pendingCap << 2);
    heap.free(pendingNext);
    pendingNext = links;
    pendingCap *= 2;
  }
  const p = pending + <usize>n * 24;
  store<i32>(p, k);
  store<i32>(p, birth, 4);
  store<i64>(p, 0, 8);
  store<i64>(p, 0, 16);
  store<i32>(pendingNext + (<usize>n << 2), next);
  return n;
}

@inline
function pendingSlot(k: i32, birth: i32): u32 {
  return ((k ^ (birth * 0x85ebca6b)) * 0x9e3779b1) >>> pendingHashShift;
}

/** Room in pendingHash for `more` entries beyond the hashed ones (kept at most half full). */
function pendingRoom(more: i32): void {
  while (<u32>(pHashed + more) * 2 > pendingHashMask) rehashPending();
}

/** Entry n into pendingHash (not in it yet; pendingRoom made room). */
function pendingHashPut(n: i32): void {
  const p = pending + <usize>n * 24;
  const k = load<i32>(p);
  const birth = load<i32>(p, 4);
  let i = pendingSlot(k, birth);
  while (load<i32>(pendingHash + (<usize>i << 4), 12) == bucketSerial) i = (i + 1) & pendingHashMask;
  const s = pendingHash + (<usize>i << 4);
  store<i32>(s, k);
  store<i32>(s, birth, 4);
  store<i32>(s, n, 8);
  store<i32>(s, bucketSerial, 12);
  pHashed++;
}

/**
 * The chain from entry `head` (one key's entries) into pendingHash, with room for one more: the
 * room is made first, as a rehash indexes only the keys already marked hashed.
 */
function pendingHashKey(head: i32): void {
  let n: i32 = 0;
  for (let j = head; j >= 0; j = load<i32>(pendingNext + (<usize>j << 2)) - 1) n++;
  pendingRoom(n + 1);
  for (let j = head; j >= 0; j = load<i32>(pendingNext + (<usize>j << 2)) - 1) pendingHashPut(j);
}

/** The pending entry of (k, birth) in the open bucket, a key whose entries are in pendingHash; made when new. */
function pendingFind(k: i32, birth: i32): i32 {
  let i = pendingSlot(k, birth);
  while (true) {
    const s = pendingHash + (<usize>i << 4);
    if (load<i32>(s, 12) != bucketSerial) break;
    if (load<i32>(s) == k && load<i32>(s, 4) == birth) return load<i32>(s, 8);
    i = (i + 1) & pendingHashMask;
  }
  const n = pendingNew(k, birth, 0);
  pendingRoom(1);
  pendingHashPut(n);
  return n;
}

/** Twice the slots: the hashed entries (their key's row says so) indexed again. */
function rehashPending(): void {
  const size: u32 = (pendingHashMask + 1) * 2;
  pendingHashMask = size - 1;
  pendingHashShift--;
  heap.free(pendingHash);
  pendingHash = heap.alloc(<usize>size << 4);
  memory.fill(pendingHash, 0xff, <usize>size << 4);
  pHashed = 0;
  for (let n: i32 = 0; n < pN; n++) {
    const r = keyRow(load<i32>(pending + <usize>n * 24));
    if (load<u8>(r, K_PK_HASHED) != 0 && load<i32>(r, K_PK_STAMP) == bucketSerial) pendingHashPut(n);
  }
}

/**
 * Closes the open bucket (the host decided, at a memory record or the end): its entries go to
 * outEntriesPtr() (key, allocC, allocB, deltaC, deltaB, peakC, peakB as doubles; the count is
 * returned) and its frees to outFreesPtr() (key, birth, count, bytes; getFreeCount()); the
 * bucket's start heap, peak and peak interval to the getters below. Then the next bucket opens.
 */
export function closeBucket(): i32 {
  const startHeap = bucketStartHeap;
  const usePeak = localPeak >= startHeap;
  outStartHeap = startHeap;
  outPeakHeap = usePeak ? localPeak : startHeap;
  outPeakFine = usePeak ? localPeakFine : -bucketStartFine - 1;
  const n = tN;
  if (n > outCap) {
    while (outCap < n) outCap *= 2;
    heap.free(outEntries);
    outEntries = heap.alloc(<usize>outCap * 56);
  }
  for (let i: i32 = 0; i < n; i++) {
    const k = load<i32>(tList + (<usize>i << 2));
    const r = keyRow(k);
    const o = outEntries + <usize>i * 56;
    const liveC = load<i64>(r, K_LIVE_C);
    const liveB = load<i64>(r, K_LIVE_B);
    store<f64>(o, <f64>k);
    store<f64>(o, <f64>(load<i64>(r, K_ALL_C) - load<i64>(r, K_START_ALL_C)), 8);
    store<f64>(o, <f64>(load<i64>(r, K_ALL_B) - load<i64>(r, K_START_ALL_B)), 16);
    store<f64>(o, <f64>(liveC - load<i64>(r, K_START_C)), 24);
    store<f64>(o, <f64>(liveB - load<i64>(r, K_START_B)), 32);
    store<f64>(o, usePeak ? <f64>load<i64>(r, K_LP_C) : 0, 40);
    store<f64>(o, usePeak ? <f64>load<i64>(r, K_LP_B) : 0, 48);
    store<i64>(r, liveC, K_START_C);
    store<i64>(r, liveB, K_START_B);
    store<i64>(r, 0, K_LP_C);
    store<i64>(r, 0, K_LP_B);
    store<u8>(r, load<u8>(r, K_FLAGS) & PEAK_DIRTY, K_FLAGS);
  }
  tN = 0;
  lN = 0;
  if (pN > outFreeCap) {
    while (outFreeCap < pN) outFreeCap *= 2;
    heap.free(outFrees);
    outFrees = heap.alloc(<usize>outFreeCap * 32);
  }
  for (let i: i32 = 0; i < pN; i++) {
    const p = pending + <usize>i * 24;
    const o = outFrees + <usize>i * 32;
    store<f64>(o, <f64>load<i32>(p));
    store<f64>(o, <f64>load<i32>(p, 4), 8);
    store<f64>(o, <f64>load<i64>(p, 8), 16);
    store<f64>(o, <f64>load<i64>(p, 16), 24);
  }
  outFreeN = pN;
  pN = 0;
  pHashed = 0;
  bucketSerial++;
  bucketStartHeap = current;
  bucketStartFine = fineCount;
  localPeak = NO_PEAK;
  return n;
}
export function outEntriesPtr(): usize {
  return outEntries;
}
export function outFreesPtr(): usize {
  return outFrees;
}
export function getFreeCount(): i32 {
  return outFreeN;
}
export function outStartHeapValue(): f64 {
  return <f64>outStartHeap;
}
export function outPeakHeapValue(): f64 {
  return <f64>outPeakHeap;
}
export function outPeakFineValue(): f64 {
  return <f64>outPeakFine;
}

// ---------------------------------------------------------------- builder.ts, per record

/** Key `k` is about to count an allocation (builder.countAllocation). */
@inline
function countAllocation(k: i32, r: usize, size: u64): void {
  const f = load<u8>(r, K_FLAGS);
  if ((f & TOUCHED) == 0) {
    touch(k, r);
    store<u8>(r, f | TOUCHED, K_FLAGS);
  }
  const isize = <i64>size;
  store<i64>(r, load<i64>(r, K_ALL_C) + 1, K_ALL_C);
  store<i64>(r, load<i64>(r, K_ALL_B) + isize, K_ALL_B);
  intervalCount++;
  intervalBytes += isize;
  if (size < 65536) {
    const ps = smallSizes + (<usize>size << 2);
    store<u32>(ps, load<u32>(ps) + 1);
  } else hostLargeSize(<f64>size);
}

/** An allocation of key `k` became live (builder.entered). */
@inline
function entered(k: i32, r: usize, size: i64): void {
  store<i64>(r, load<i64>(r, K_LIVE_C) + 1, K_LIVE_C);
  store<i64>(r, load<i64>(r, K_LIVE_B) + size, K_LIVE_B);
  const f = load<u8>(r, K_FAMILY);
  unchecked((famLive[f] = unchecked(famLive[f]) + size));
  changed(k, r);
}

/** The taken allocation (key, birth, size) left the live set (builder.left). */
function left(k: i32, birth: i32, size: i64): void {
  const r = keyRow(k);
  store<i64>(r, load<i64>(r, K_LIVE_C) - 1, K_LIVE_C);
  store<i64>(r, load<i64>(r, K_LIVE_B) - size, K_LIVE_B);
  const f = load<u8>(r, K_FAMILY);
  unchecked((famLive[f] = unchecked(famLive[f]) - size));
  changed(k, r);
  freed(k, birth, 1, size);
}

/** The taken entry just left the live set: out of its page if a small pymalloc block. */
@inline
function leftPages(lo: u32, hi: u32): void {
  const a = load<u8>(keyRow(takenKey), K_ALLOCATOR);
  if (pagesSmall(a, <u64>takenSize))
    pagesRemove(lo, hi, <u32>takenSize, takenKey, takenBirth, fineCount);
}

/** A munmap cut a live range of key `k` (heap-replay.ts RangeCutListener; builder.onRangeCut). */
export function rangeCut(k: i32, birth: i32, removed: f64, freedCount: i32): void {
  const r = keyRow(k);
  const bytes = <i64>removed;
  store<i64>(r, load<i64>(r, K_LIVE_C) - freedCount, K_LIVE_C);
  store<i64>(r, load<i64>(r, K_LIVE_B) - bytes, K_LIVE_B);
  const f = load<u8>(r, K_FAMILY);
  unchecked((famLive[f] = unchecked(famLive[f]) - bytes));
  changed(k, r);
  freed(k, birth, freedCount, bytes);
}

/** memray's `>=` peak rule, and the live sets that follow the peaks (builder.afterRecord). */
@inline
function afterRecord(): void {
  if (current >= peak) {
    peak = current;
    peakIndex = allocationRecords - 1;
    peakFine = fineCount;
    pagesAtPeak(fineCount);
    for (let i: i32 = 0; i < gN; i++) {
      const r = keyRow(load<i32>(gList + (<usize>i << 2)));
      store<i64>(r, load<i64>(r, K_LIVE_C), K_PEAK_C);
      store<i64>(r, load<i64>(r, K_LIVE_B), K_PEAK_B);
      store<u8>(r, load<u8>(r, K_FLAGS) & ~PEAK_DIRTY, K_FLAGS);
    }
    gN = 0;
  }
  if (current < localPeak) return;
  localPeak = current;
  localPeakFine = fineCount;
  for (let i: i32 = 0; i < lN; i++) {
    const r = keyRow(load<i32>(lList + (<usize>i << 2)));
    store<i64>(r, load<i64>(r, K_LIVE_C) - load<i64>(r, K_START_C), K_LP_C);
    store<i64>(r, load<i64>(r, K_LIVE_B) - load<i64>(r, K_START_B), K_LP_B);
    store<u8>(r, load<u8>(r, K_FLAGS) & ~BUCKET_PEAK_DIRTY, K_FLAGS);
  }
  lN = 0;
}

/**
 * A range's address in bytes as builder.ts computes it from the int32 halves (hi as a signed
 * word: the same double for the addresses a damaged channel wraps past 2^63).
 */
@inline
function rangeAddress(lo: u32, hi: u32): f64 {
  return (<f64><i32>hi * 4294967296 + <f64>lo) * 8;
}

/** One ALLOCATION record (builder.allocation). */
@inline
function allocation(): void {
  allocationRecords++;
  const a8 = recA8;
  const ca = recAllocator;
  const kind = recKind;
  const size = recSize;
  const lo = <u32>a8;
  const hi = <u32>(a8 >>> 32);
  const birth = fineCount & BIRTH_MASK;
  if (kind == SIMPLE_ALLOCATOR) {
    const k = keyFor(topNode(), <i32>recNative, thread, ca, generation);
    const r = keyRow(k);
    countAllocation(k, r, size);
    tempAllocated(thread, lo, hi, size, k);
    const isize = <i64>size;
    current += isize;
    liveBytes += isize;
    let replaced = false;
    if (hi > MAX_HI || size > 0xffffffff) {
      replaced = hi <= MAX_HI && tableRemove(lo, hi);
      if (wideCount > 0 && wideTake(lo, hi)) replaced = true;
      hostWideSet(lo, hi, k, <f64>size, birth);
      wideCount++;
    } else {
      replaced = tableInsert(lo, hi, k, <u32>size, birth);
      if (!replaced && tableSize > maxLiveEntries) maxLiveEntries = tableSize;
      if (wideCount > 0 && wideTake(lo, hi)) replaced = true;
    }
    if (replaced) {
      liveBytes -= takenSize;
      left(takenKey, takenBirth, takenSize);
      leftPages(lo, hi);
    }
    entered(k, r, isize);
    if (pagesSmall(ca, size)) pagesAdd(lo, hi, <u32>size, fineCount, current >= peak);
  } else if (kind == SIMPLE_DEALLOCATOR) {
    tempFreed(thread, lo, hi, -1);
    const found = (hi <= MAX_HI && tableRemove(lo, hi)) || (wideCount > 0 && wideTake(lo, hi));
    if (found) {
      current -= takenSize;
      liveBytes -= takenSize;
      left(takenKey, takenBirth, takenSize);
      leftPages(lo, hi);
    }
  } else if (kind == RANGED_ALLOCATOR) {
    const k = keyFor(topNode(), <i32>recNative, thread, ca, generation);
    const r = keyRow(k);
    countAllocation(k, r, size);
    tempAllocated(thread, lo, hi, size, k);
    if (size > 0) {
      hostRangeAdd(rangeAddress(lo, hi), <f64>size, k, birth);
      current += <i64>size;
      liveBytes += <i64>size;
      entered(k, r, <i64>size);
    }
  } else {
    tempFreed(thread, lo, hi, <i64>size);
    const removed = <i64>hostRangeFree(rangeAddress(lo, hi), <f64>size);
    current -= removed;
    liveBytes -= removed;
  }
  afterRecord();
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
      if (recNative >= natCount) hostBadNative(<f64>recNative, <i32>start);
      allocation();
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
      const ic = intervalCount;
      const ib = intervalBytes;
      intervalCount = 0;
      intervalBytes = 0;
      fineCount++;
      hostMemoryRecord(<f64>recRss, <f64>recMs, <f64>current, <f64>ic, <f64>ib);
      records++;
      continue;
    }
    if (t == T_CONTEXT_SWITCH) {
      p = contextSwitch(p, end);
      if (p == 0) return start;
      thread = switchedSlot;
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
