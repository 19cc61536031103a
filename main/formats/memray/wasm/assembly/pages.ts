// AssemblyScript: pymalloc's small blocks per 4 KiB page while the heap replays, for the
// WebAssembly full index (full.ts calls it per record). The mirror of
// main/model/memray/layout/page-table.ts, which explains the model (pages, the block grid, the
// peak's saved states, the checkpoints); this file keeps the same state in linear memory and
// PymallocPageTable.adoptWasm() copies it into the JS object at the end, so every layout query
// reads what the JS loop would have left. Checkpoints stay JavaScript's (LayoutCheckpoints):
// at a due memory record PymallocPageTable.memoryRecord takes the dirty pages' rows from
// pagesCheckpoint(). main/model/memray/layout/page-table-wasm.test.ts drives both with the same
// operations and compares every array.
//
// A page's state is one 16-byte record instead of JS's seven arrays, so a block touches one
// cache line: u16 blocks @0, u16 off16 @2, u16 off4 @4, u8 block16 @6, u8 flags @7 (bit 0 ever
// held a block, bit 1 dirty since the last checkpoint), i32 bytes @8, i32 savedAt + 1 @12
// (0 = never saved, so fresh zeroed memory needs no fill). A row (checkpoint, peak-saved) is
// the same record with flags 0 and the page index in place of savedAt.

// ---------------------------------------------------------------- imports (host callbacks)

/** Chunk `c` of the peak log (LOG_CHUNK entries at `ptr`) is full: JavaScript keeps it (peak-blocks.ts). */
@external("host", "peakLogChunk")
declare function hostPeakLogChunk(c: i32, ptr: usize): void;

// ---------------------------------------------------------------- constants

// As page-table.ts and main/model/memray/vocabulary.ts define them (AssemblyScript cannot import
// TypeScript; page-table-wasm.test.ts checks that these equal theirs).
const PAGES_PER_CHUNK: i32 = 256;
const PAGE_BYTES: i32 = 4096;
const POOL_OVERHEAD: i32 = 48;
const SMALL_REQUEST_MAX: u32 = 512;
/** Canonical allocator id → 1 for PYMALLOC_MALLOC, _CALLOC, _REALLOC. */
const IS_PYMALLOC_ALLOCATION: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0];
/** hi (= address >> 35) above this: an address ≥ 2^48, counted apart, not placed. */
const MAX_PLACED_HI: u32 = 8191;
const ROW: i32 = 16;
const FLAG_EVER: u8 = 1;
const FLAG_DIRTY: u8 = 2;
/** live-table.ts's BIRTH_MASK: births are kept modulo 2^19. */
const BIRTH_MASK: i32 = 524287; // 2^19 - 1
/** peak-blocks.ts's TIE_MAX. */
const TIE_MAX: i32 = 1048576; // 2^20
const TIE_EMPTY: i32 = -1;

// ---------------------------------------------------------------- state

// chunks: (address >> 20) → slot, open addressing; pages of slot s are s*256 … s*256+255
let hashKeys: usize = 0; // i32 per entry, -1 empty
let hashSlots: usize = 0; // i32 per entry
let hashBits: i32 = 0;
let chunkKey: usize = 0; // i32 per slot
let chunkCap: i32 = 0;
let chunks: i32 = 0;
// A direct-mapped cache of 256 chunks in front of the hash, (key, first page) by key & 255:
// on pymalloc's own records (treebuilder-pymalloc.bin) the chunk differs from the previous
// record's on 28% of them, which a one-entry cache as in page-table.ts sends to the hash.
let chunkCache: usize = 0;

let pages: usize = 0; // ROW bytes per page, chunkCap * 256 pages
let dirtyList: usize = 0; // i32 page ids
let dirtyCap: i32 = 0;
let dirtyN: i32 = 0;
let peakRows: usize = 0; // rows: the pages' states as of the latest peak, for pages changed since
let peakCap: i32 = 0;
let peakN: i32 = 0;
let cpRows: usize = 0; // rows of the checkpoint being taken (pagesCheckpoint)
let cpCap: i32 = 0;
let grid16: usize = 0;
let grid4: usize = 0;

/** page-table.ts's epoch + 1 (savedAt is stored + 1 too). */
let epoch1: i32 = 1;

let liveBlocks: i64 = 0;
let liveBytes: i64 = 0;
let wideBlocks: i64 = 0;
let wideBytes: i64 = 0;
let smallAllocations: i64 = 0;
let fit16: i64 = 0;
let fit4: i64 = 0;
let peakLiveBlocks: i64 = 0;
let peakLiveBytes: i64 = 0;
let peakWideBlocks: i64 = 0;
let peakWideBytes: i64 = 0;
let peakSeen: bool = false;

// the blocks live at the latest peak (peak-blocks.ts): the log of those that left since
// (3 words each: lo, hi | size << 13, key), written to one chunk here; a full chunk goes to
// JavaScript (hostPeakLogChunk), which keeps the log, so this memory does not hold a second
// copy of it (large.bin: 31 MB, peak RSS 199 → 169 MB; CPU within the noise); and the
// tie set (lo, hi pairs; hi = TIE_EMPTY when free, with the list of used slots so a peak clears
// it in O(used))
const LOG_CHUNK_BITS: i32 = 16;
const LOG_CHUNK: i32 = 1 << LOG_CHUNK_BITS;
let logChunk: usize = 0; // LOG_CHUNK entries
let pbLogN: i32 = 0; // entries since the latest peak
let logFlushed: i32 = 0; // of which went to JavaScript
// where the next entry goes, and the chunk's end (equal: logFlush first): an inlined push
// instead of a call with a chunk lookup, which was 66 ms in the profile of a 1.14 s large.bin
// open (4.2 M entries).
let logCursor: usize = 0;
let logEnd: usize = 0;
let pbPeakFine: i32 = 0;
let pbSeen: bool = false;
let pbOverflowed: bool = false;
let tie: usize = 0;
let tieMask: u32 = 0;
let tieUsed: usize = 0;
let tieUsedCap: i32 = 0;
let tieN: i32 = 0;

// ---------------------------------------------------------------- set-up

function zeroed(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** The block-grid table of page-table.ts's gridTable(poolBytes): 33 × poolBytes/8 bytes. */
function gridTable(poolBytes: i32): usize {
  const slots = poolBytes / 8;
  const t = zeroed(<usize>(33 * slots));
  for (let b16 = 1; b16 <= 32; b16++)
    for (let i = 0; i < slots; i++) {
      const offset = i * 8;
      if (offset >= POOL_OVERHEAD && (offset - POOL_OVERHEAD) % (b16 * 16) == 0)
        store<u8>(t + <usize>(b16 * slots + i), 1);
    }
  return t;
}

/** Once, before any record (full.ts's init). */
export function pagesInit(): void {
  hashBits = 10;
  hashKeys = heap.alloc(<usize>4 << hashBits);
  memory.fill(hashKeys, 0xff, <usize>4 << hashBits);
  hashSlots = zeroed(<usize>4 << hashBits);
  chunkCache = heap.alloc(256 * 8);
  memory.fill(chunkCache, 0xff, 256 * 8);
  chunkCap = 64;
  chunkKey = zeroed(<usize>chunkCap << 2);
  pages = zeroed(<usize>(chunkCap * PAGES_PER_CHUNK * ROW));
  dirtyCap = 1024;
  dirtyList = heap.alloc(<usize>dirtyCap << 2);
  peakCap = 256;
  peakRows = heap.alloc(<usize>(peakCap * ROW));
  cpCap = 256;
  cpRows = heap.alloc(<usize>(cpCap * ROW));
  grid16 = gridTable(16384);
  grid4 = gridTable(4096);
  logChunk = heap.alloc(<usize>LOG_CHUNK * 12);
  logCursor = logChunk;
  logEnd = logChunk + <usize>LOG_CHUNK * 12;
  tieMask = 1023;
  tie = heap.alloc(<usize>(tieMask + 1) << 3);
  memory.fill(tie, 0xff, <usize>(tieMask + 1) << 3);
  tieUsedCap = 256;
  tieUsed = heap.alloc(<usize>tieUsedCap << 2);
}

// ---------------------------------------------------------------- per record (full.ts)

/** page-table.ts's isSmallPymallocBlock: a pymalloc request of 1–512 bytes (canonical id). */
@inline
export function pagesSmall(allocator: i32, size: u64): bool {
  return (
    <u32>allocator < 16 &&
    unchecked(IS_PYMALLOC_ALLOCATION[allocator]) == 1 &&
    size >= 1 &&
    size <= <u64>SMALL_REQUEST_MAX
  );
}

/**
 * A live small PYMALLOC block: address/8 = hi·2^32 + lo, allocated in fine interval `fine`.
 * `peakFollows`: the record ends at the heap's peak (page-table.ts add()), so the page's state
 * before it is not saved and the block is not a tie.
 */
@inline
export function pagesAdd(lo: u32, hi: u32, size: u32, fine: i32, peakFollows: bool): void {
  if (hi > MAX_PLACED_HI) {
    wideBlocks++;
    wideBytes += size;
    return;
  }
  const p = pageOf(lo, hi, true);
  const a = pages + (<usize>p << 4);
  if (peakFollows) markDirty(p, a, FLAG_EVER);
  else {
    touch(p, a, FLAG_EVER);
    if (fine == pbPeakFine && pbSeen) tieInsert(lo, hi);
  }
  const b16 = (size + 15) >> 4;
  const on16: u32 = load<u8>(grid16 + <usize>((b16 << 11) | (lo & 2047)));
  const on4: u32 = load<u8>(grid4 + <usize>((b16 << 9) | (lo & 511)));
  const blocks: u32 = load<u16>(a);
  if (blocks == 0 || b16 > <u32>load<u8>(a, 6)) store<u8>(a, <u8>b16, 6);
  store<u16>(a, <u16>(blocks + 1));
  store<i32>(a, load<i32>(a, 8) + <i32>size, 8);
  store<u16>(a, <u16>(<u32>load<u16>(a, 2) + 1 - on16), 2);
  store<u16>(a, <u16>(<u32>load<u16>(a, 4) + 1 - on4), 4);
  liveBlocks++;
  liveBytes += size;
  smallAllocations++;
  fit16 += on16;
  fit4 += on4;
}

/**
 * A live small PYMALLOC block of key `key`, born in fine interval `birthLow` (mod 2^19), left the
 * live set (freed, or replaced at its address) in fine interval `fine`.
 */
@inline
export function pagesRemove(lo: u32, hi: u32, size: u32, key: i32, birthLow: i32, fine: i32): void {
  if (hi > MAX_PLACED_HI) {
    wideBlocks--;
    wideBytes -= size;
    return;
  }
  const p = pageOf(lo, hi, false);
  if (p < 0) return;
  const a = pages + (<usize>p << 4);
  const blocks: u32 = load<u16>(a);
  if (blocks == 0) return;
  touch(p, a, 0);
  const b16 = (size + 15) >> 4;
  const on16: u32 = load<u8>(grid16 + <usize>((b16 << 11) | (lo & 2047)));
  const on4: u32 = load<u8>(grid4 + <usize>((b16 << 9) | (lo & 511)));
  store<u16>(a, <u16>(<u32>load<u16>(a, 2) - (1 - on16)), 2);
  store<u16>(a, <u16>(<u32>load<u16>(a, 4) - (1 - on4)), 4);
  store<u16>(a, <u16>(blocks - 1));
  store<i32>(a, load<i32>(a, 8) - <i32>size, 8);
  if (blocks == 1) store<u8>(a, 0, 6);
  liveBlocks--;
  liveBytes -= size;
  if (pbSeen && liveAtPeak(lo, hi, birthLow, fine)) logPush(lo, hi, size, key);
}

/**
 * The heap reached (again) its peak after this record, read in fine interval `fine`: the
 * current state is the peak's.
 */
@inline
export function pagesAtPeak(fine: i32): void {
  epoch1++;
  peakN = 0;
  pbLogN = 0;
  logFlushed = 0;
  logCursor = logChunk;
  if (tieN > 0) tieClear();
  pbOverflowed = false;
  pbPeakFine = fine;
  pbSeen = true;
  peakLiveBlocks = liveBlocks;
  peakLiveBytes = liveBytes;
  peakWideBlocks = wideBlocks;
  peakWideBytes = wideBytes;
  peakSeen = true;
}

// ---------------------------------------------------------------- the blocks live at the peak

/** peak-blocks.ts liveAtPeak: born before the peak's interval, or in it and not after the peak. */
@inline
function liveAtPeak(lo: u32, hi: u32, birthLow: i32, fine: i32): bool {
  const birth = fine - ((fine - birthLow) & BIRTH_MASK);
  return birth < pbPeakFine || (birth == pbPeakFine && !tieHas(lo, hi));
}

@inline
function logPush(lo: u32, hi: u32, size: u32, key: i32): void {
  if (logCursor == logEnd) logFlush();
  const o = logCursor;
  store<u32>(o, lo);
  store<u32>(o, hi | (size << 13), 4);
  store<i32>(o, key, 8);
  logCursor = o + 12;
  pbLogN++;
}

/** The chunk is full: its entries go to JavaScript as chunk logFlushed / LOG_CHUNK of the log. */
function logFlush(): void {
  hostPeakLogChunk(logFlushed >> LOG_CHUNK_BITS, logChunk);
  logFlushed += LOG_CHUNK;
  logCursor = logChunk;
}

@inline
function tieSlot(lo: u32, hi: u32): u32 {
  return ((lo ^ (hi * 0x85ebca6b)) * 0x9e3779b1) >>> 8;
}

function tieClear(): void {
  for (let i = 0; i < tieN; i++) {
    const s = load<u32>(tieUsed + (<usize>i << 2));
    store<i32>(tie + (<usize>s << 3), TIE_EMPTY, 4);
  }
  tieN = 0;
}

function tieInsert(lo: u32, hi: u32): void {
  if (tieN >= TIE_MAX) {
    pbOverflowed = true;
    return;
  }
  let i = tieSlot(lo, hi) & tieMask;
  while (true) {
    const e = tie + (<usize>i << 3);
    const h = load<i32>(e, 4);
    if (h == TIE_EMPTY) break;
    if (<u32>h == hi && load<u32>(e) == lo) return;
    i = (i + 1) & tieMask;
  }
  const e = tie + (<usize>i << 3);
  store<u32>(e, lo);
  store<u32>(e, hi, 4);
  if (tieN == tieUsedCap) {
    tieUsed = grown(tieUsed, <usize>tieUsedCap << 2, <usize>tieUsedCap << 3);
    tieUsedCap *= 2;
  }
  store<u32>(tieUsed + (<usize>tieN << 2), i);
  tieN++;
  if (<u32>tieN * 2 > tieMask + 1) tieGrow();
}

function tieHas(lo: u32, hi: u32): bool {
  if (tieN == 0) return false;
  let i = tieSlot(lo, hi) & tieMask;
  while (true) {
    const e = tie + (<usize>i << 3);
    const h = load<i32>(e, 4);
    if (h == TIE_EMPTY) return false;
    if (<u32>h == hi && load<u32>(e) == lo) return true;
    i = (i + 1) & tieMask;
  }
  return false;
}

/**
 * Doubles the tie set, reinserting in insertion order (as peak-blocks.ts does): slot i of the
 * used list is read before the reinsertion writes entry ≤ i.
 */
function tieGrow(): void {
  const n = tieN;
  const old = tie;
  const size: usize = <usize>(tieMask + 1) << 1;
  tie = heap.alloc(size << 3);
  memory.fill(tie, 0xff, size << 3);
  tieMask = <u32>size - 1;
  tieN = 0;
  for (let i = 0; i < n; i++) {
    const e = old + (<usize>load<u32>(tieUsed + (<usize>i << 2)) << 3);
    tieInsert(load<u32>(e), load<u32>(e, 4));
  }
}

// ---------------------------------------------------------------- helpers

/**
 * Page record at `a` as a row for page `p` (flags 0). Field by field, each load as wide as the
 * stores that wrote it, so a page changed by the record before forwards from the store buffer.
 */
@inline
function writeRow(r: usize, a: usize, p: i32): void {
  store<u16>(r, load<u16>(a));
  store<u16>(r, load<u16>(a, 2), 2);
  store<u16>(r, load<u16>(a, 4), 4);
  store<u16>(r, <u16>load<u8>(a, 6), 6);
  store<i32>(r, load<i32>(a, 8), 8);
  store<i32>(r, p, 12);
}

/**
 * First change of a page since the latest peak / checkpoint: save what it was then. Sets the
 * dirty mark and `flag` (FLAG_EVER for an add).
 */
@inline
function touch(p: i32, a: usize, flag: u8): void {
  if (load<i32>(a, 12) != epoch1) savePeak(p, a);
  markDirty(p, a, flag);
}

/** The dirty mark and `flag` of touch(), without the peak's save. */
@inline
function markDirty(p: i32, a: usize, flag: u8): void {
  const f = load<u8>(a, 7);
  if ((f & (FLAG_DIRTY | flag)) != (FLAG_DIRTY | flag)) mark(p, a, f | FLAG_DIRTY | flag);
}

function savePeak(p: i32, a: usize): void {
  store<i32>(a, epoch1, 12);
  if (peakN == peakCap) {
    peakRows = grown(peakRows, <usize>(peakCap * ROW), <usize>(peakCap * 2 * ROW));
    peakCap *= 2;
  }
  writeRow(peakRows + <usize>(peakN * ROW), a, p);
  peakN++;
}

function mark(p: i32, a: usize, flags: u8): void {
  if (!(load<u8>(a, 7) & FLAG_DIRTY)) {
    if (dirtyN == dirtyCap) {
      dirtyList = grown(dirtyList, <usize>dirtyCap << 2, <usize>dirtyCap << 3);
      dirtyCap *= 2;
    }
    store<i32>(dirtyList + (<usize>dirtyN << 2), p);
    dirtyN++;
  }
  store<u8>(a, flags, 7);
}

/** A copy of `bytes` at `old` in a new region of `size` bytes (the rest zeroed). */
function grown(old: usize, bytes: usize, size: usize): usize {
  const next = zeroed(size);
  memory.copy(next, old, bytes);
  heap.free(old);
  return next;
}

@inline
function hashHome(key: i32): u32 {
  return (<u32>key * 0x9e3779b1) >>> (32 - hashBits);
}

@inline
function pageOf(lo: u32, hi: u32, create: bool): i32 {
  // address >> 20 = (address/8) >> 17; < 2^28 for addresses below 2^48
  const key = <i32>(hi * 32768 + (lo >>> 17));
  const page = <i32>((lo >>> 9) & 255);
  const e = chunkCache + (<usize>(key & 255) << 3);
  if (load<i32>(e) == key) return load<i32>(e, 4) + page;
  return chunkOf(key, create) + page;
}

/** First page of chunk `key` (a miss of the chunk cache, which it fills); a large negative when absent. */
function chunkOf(key: i32, create: bool): i32 {
  const mask: u32 = (1 << hashBits) - 1;
  let i = hashHome(key);
  let slot: i32 = 0;
  while (true) {
    const k = load<i32>(hashKeys + (<usize>i << 2));
    if (k == key) {
      slot = load<i32>(hashSlots + (<usize>i << 2));
      break;
    }
    if (k == -1) {
      if (!create) return -(1 << 30);
      slot = newChunk(i, key);
      break;
    }
    i = (i + 1) & mask;
  }
  const base = slot * PAGES_PER_CHUNK;
  const e = chunkCache + (<usize>(key & 255) << 3);
  store<i32>(e, key);
  store<i32>(e, base, 4);
  return base;
}

function newChunk(at: u32, key: i32): i32 {
  const slot = chunks++;
  if (slot == chunkCap) {
    chunkKey = grown(chunkKey, <usize>chunkCap << 2, <usize>chunkCap << 3);
    pages = grown(
      pages,
      <usize>(chunkCap * PAGES_PER_CHUNK * ROW),
      <usize>(chunkCap * 2 * PAGES_PER_CHUNK * ROW),
    );
    chunkCap *= 2;
  }
  store<i32>(chunkKey + (<usize>slot << 2), key);
  store<i32>(hashKeys + (<usize>at << 2), key);
  store<i32>(hashSlots + (<usize>at << 2), slot);
  if (chunks * 2 > 1 << hashBits) rehash();
  return slot;
}

function rehash(): void {
  heap.free(hashKeys);
  heap.free(hashSlots);
  hashBits++;
  const size: usize = <usize>4 << hashBits;
  hashKeys = heap.alloc(size);
  memory.fill(hashKeys, 0xff, size);
  hashSlots = zeroed(size);
  const mask: u32 = (1 << hashBits) - 1;
  for (let s = 0; s < chunks; s++) {
    const key = load<i32>(chunkKey + (<usize>s << 2));
    let i = hashHome(key);
    while (load<i32>(hashKeys + (<usize>i << 2)) != -1) i = (i + 1) & mask;
    store<i32>(hashKeys + (<usize>i << 2), key);
    store<i32>(hashSlots + (<usize>i << 2), s);
  }
}

// ---------------------------------------------------------------- exports for JavaScript

/**
 * A checkpoint is due (LayoutCheckpoints.due, decided in JS): the dirty pages' rows, in the order
 * they were first changed, go to pagesRowsPtr(); their dirty marks are cleared. Returns the rows.
 */
export function pagesCheckpoint(): i32 {
  const n = dirtyN;
  if (n > cpCap) {
    heap.free(cpRows);
    while (cpCap < n) cpCap *= 2;
    cpRows = heap.alloc(<usize>(cpCap * ROW));
  }
  for (let i = 0; i < n; i++) {
    const p = load<i32>(dirtyList + (<usize>i << 2));
    const a = pages + (<usize>p << 4);
    writeRow(cpRows + <usize>(i * ROW), a, p);
    store<u8>(a, load<u8>(a, 7) & ~FLAG_DIRTY, 7);
  }
  dirtyN = 0;
  return n;
}

export function pagesRowsPtr(): usize {
  return cpRows;
}

/**
 * The totals, by index: 0 liveBlocks, 1 liveBytes, 2 wideBlocks, 3 wideBytes, 4 smallAllocations,
 * 5 fit16, 6 fit4, 7 peakLiveBlocks, 8 peakLiveBytes, 9 peakWideBlocks, 10 peakWideBytes,
 * 11 peakSeen (0/1).
 */
export function pagesTotal(i: i32): f64 {
  switch (i) {
    case 0:
      return <f64>liveBlocks;
    case 1:
      return <f64>liveBytes;
    case 2:
      return <f64>wideBlocks;
    case 3:
      return <f64>wideBytes;
    case 4:
      return <f64>smallAllocations;
    case 5:
      return <f64>fit16;
    case 6:
      return <f64>fit4;
    case 7:
      return <f64>peakLiveBlocks;
    case 8:
      return <f64>peakLiveBytes;
    case 9:
      return <f64>peakWideBlocks;
    case 10:
      return <f64>peakWideBytes;
    case 11:
      return peakSeen ? 1 : 0;
  }
  return -1;
}

export function pagesChunks(): i32 {
  return chunks;
}
export function pagesChunkKeyPtr(): usize {
  return chunkKey;
}
/** chunkCap * 256 page records (ROW bytes each). */
export function pagesPagesPtr(): usize {
  return pages;
}
export function pagesChunkCapacity(): i32 {
  return chunkCap;
}
export function pagesDirtyPtr(): usize {
  return dirtyList;
}
export function pagesDirtyCount(): i32 {
  return dirtyN;
}
export function pagesPeakRowsPtr(): usize {
  return peakRows;
}
export function pagesPeakRowsCount(): i32 {
  return peakN;
}
/** page-table.ts's epoch (savedAt in the page records is stored + 1). */
export function pagesEpoch(): i32 {
  return epoch1 - 1;
}
/** The peak log's entries not handed to JavaScript yet (pagesPeakLogTailCount of them, 12 bytes each). */
export function pagesPeakLogTail(): usize {
  return logChunk;
}
export function pagesPeakLogTailCount(): i32 {
  return pbLogN - logFlushed;
}
/** Entries of the peak log. */
export function pagesPeakLogCount(): i32 {
  return pbLogN;
}
/** Entries per chunk handed over (peak-blocks.ts's PEAK_LOG_CHUNK_BITS). */
export function pagesPeakLogChunkEntries(): i32 {
  return LOG_CHUNK;
}
/** The tie set's addresses in insertion order, 8 bytes each (lo, hi), in a new block (pagesTieCount). */
export function pagesTieEntries(): usize {
  const out = heap.alloc(<usize>(tieN > 0 ? tieN : 1) << 3);
  for (let i = 0; i < tieN; i++) {
    const e = tie + (<usize>load<u32>(tieUsed + (<usize>i << 2)) << 3);
    const o = out + (<usize>i << 3);
    store<u32>(o, load<u32>(e));
    store<u32>(o, load<u32>(e, 4), 4);
  }
  return out;
}
export function pagesTieCount(): i32 {
  return tieN;
}
/** peak-blocks.ts's peakFine, seen (bit 0 of pagesPeakBlocksFlags) and overflowed (bit 1). */
export function pagesPeakBlocksFine(): i32 {
  return pbPeakFine;
}
export function pagesPeakBlocksFlags(): i32 {
  return (pbSeen ? 1 : 0) | (pbOverflowed ? 2 : 0);
}
/** The grid tables (for the component test: gridTable(16384), gridTable(4096)). */
export function pagesGridPtr(poolBytes: i32): usize {
  return poolBytes == 16384 ? grid16 : grid4;
}
