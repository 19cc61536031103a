// AssemblyScript: memray's temporary allocations, the per-record half of
// main/model/memray/temporary.ts + temporary-buckets.ts for the WebAssembly full index (full.ts
// calls tempAllocated / tempFreed per record). The rule and its reasons are documented there:
// per thread a ring of the DEPTH newest allocations; a free finds the newest entry at its address
// (ranged: and size) at distance d, which is a temporary for every threshold N ≥ d, counted in
// class CLASS_OF[d]; per key its first class inline, other classes in a block of its own. Per memory
// record interval the counts per class, and per open time bucket one entry per (key, class).
// JavaScript takes the interval at each memory record (tempTakeInterval), the bucket at each
// bucket close (tempTakeBucket) and the per-key arrays at the end (TemporaryAllocations.
// attachWasm / adoptWasm), so everything after the replay is the one JS implementation.
//
// Counts and bytes are f64, as the JS class keeps them: the sums are bit-equal to its own, the
// adds are per-temporary read-modify-writes (no carried chain), and JS adopts them unconverted.
// Ring sizes are u64: a ranged free matches the exact size.

// ---------------------------------------------------------------- constants

// as model/memray/temporary.ts defines them (../temporary.test.ts checks these against it)
const TEMPORARY_THRESHOLDS: StaticArray<u8> = [0, 1, 2, 4, 8, 16, 32];
const CLASSES: i32 = 7;
const DEPTH: i32 = 33;
/** Distance in the ring → threshold class (class c: T[c-1] < d ≤ T[c]). */
const CLASS_OF: StaticArray<u8> = [0, 1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6];
const FILTER_BITS: i32 = 8;

// Per thread one block: head and fill, a counting filter over the ring's addresses (a free of
// an address not in the ring — most frees — costs one load), then the ring as columns (a scan
// reads the 132-byte lo column, not 33 × 24-byte rows).
const T_HEAD: usize = 0;
const T_FILL: usize = 4;
const T_FILTER: usize = 16;
const T_LO: usize = T_FILTER + (1 << FILTER_BITS); // 272
const T_HI: usize = T_LO + 136;
const T_KEY: usize = T_HI + 136;
const T_SIZE: usize = T_KEY + 136; // 680, 8-aligned
const T_STRIDE: usize = 960; // T_SIZE + 33 × 8 = 944, rounded to cache lines

// Per key 32 bytes: f64 mainCount, f64 mainBytes, i32 stamp (serial + 1 of the bucket that
// last found it; 0 never), i32 its class block in that bucket, u8 mainClass + 1 (0 none), i32
// its extra block + 1 (0 none). Zero is the empty state: fresh memory needs no fill pass.
// (TemporaryAllocations.adoptWasm reads count, bytes and mainClass at these offsets.)
const K_COUNT: usize = 0;
const K_BYTES: usize = 8;
const K_STAMP: usize = 16;
const K_BUCKET_BLOCK: usize = 20;
const K_MAIN: usize = 24;
const K_EXTRA_BLOCK: usize = 28;
const K_STRIDE: usize = 32;

// Entries (the open bucket's, the extra classes' as tempExtraPtr packs them): i32 key, i32
// class, f64 count, f64 bytes.
const E_KEY: usize = 0;
const E_CLASS: usize = 4;
const E_COUNT: usize = 8;
const E_BYTES: usize = 16;
const E_STRIDE: usize = 24;

// ---------------------------------------------------------------- state

let threads: i32 = 0;
let threadBlocks: usize = 0;

// per-key rows in chunks of 2^KEY_CHUNK_BITS keys, never moved (a growing array would leave its
// old copies behind: the stub runtime frees only the last block; 45 MB of copies on
// treebuilder-pymalloc.bin's 492 k keys); keyChunks: usize × keyChunkCap
const KEY_CHUNK_BITS: i32 = 13;
const KEY_CHUNK_MASK: i32 = (1 << KEY_CHUNK_BITS) - 1;
let keyCap: i32 = 0;
let keyChunks: usize = 0;
let keyChunkCap: i32 = 0;

/** Temporaries found since the last memory record, per class; and where tempTakeInterval copies them. */
let open: usize = 0;
let openOut: usize = 0;
/** Bucket closes so far (stamps hold serial + 1). */
let serial: i32 = 0;

// (key, class) → its entry, without a hash. A hash of (key, class) did this before: on the
// 20 M-record synthetic capture 10 M of its 7.4 M temporaries' lookups missed the per-key cache
// (a key's temporaries fall in several classes), 0.3 s of a 5.3 s open in its probes.
//
// The open bucket: its entries in order of first appearance (exported as they are), and per
// key found in it a block of CLASSES entry indices + 1 (0: none yet), from a pool that starts
// over at each close; the key's row says which block, for which bucket (its stamp).
const BLOCK_STRIDE: usize = 32; // CLASSES i32s, rounded up
let bucketEntries: usize = 0;
let bucketCap: i32 = 0;
let bucketN: i32 = 0;
let blocks: usize = 0;
let blockCap: i32 = 0;
let blockN: i32 = 0;

// The other classes of a key (its first is inline in its row): per key that has one, a block of
// CLASSES (count, bytes) pairs, in chunks that never move; and the order in which each (key,
// class) first appeared (key << 3 | class), the order tempExtraPtr packs them in.
const EXTRA_STRIDE: usize = 112; // CLASSES × (f64 count, f64 bytes)
const EXTRA_CHUNK_BITS: i32 = 10;
const EXTRA_CHUNK_MASK: i32 = (1 << EXTRA_CHUNK_BITS) - 1;
let extraChunks: usize = 0;
let extraChunkCap: i32 = 0;
let extraBlocks: i32 = 0;
let extraOrder: usize = 0;
let extraOrderCap: i32 = 0;
let extraN: i32 = 0;

/** A copy of `bytes` at `old` in a new region of `size` bytes. */
function grownTo(old: usize, bytes: usize, size: usize): usize {
  const next = heap.alloc(size);
  memory.copy(next, old, bytes);
  heap.free(old);
  return next;
}

/** The open bucket's entry of (key, c) for the key whose row is at `pk`, added with zero counts when new. */
@inline
function bucketEntry(pk: usize, key: i32, c: i32): usize {
  let blk: usize;
  if (load<i32>(pk, K_STAMP) == serial + 1) blk = blocks + <usize>load<i32>(pk, K_BUCKET_BLOCK) * BLOCK_STRIDE;
  else {
    if (blockN == blockCap) {
      blocks = grownTo(blocks, <usize>blockCap * BLOCK_STRIDE, <usize>blockCap * 2 * BLOCK_STRIDE);
      blockCap *= 2;
    }
    blk = blocks + <usize>blockN * BLOCK_STRIDE;
    store<u64>(blk, 0);
    store<u64>(blk, 0, 8);
    store<u64>(blk, 0, 16);
    store<u64>(blk, 0, 24);
    store<i32>(pk, serial + 1, K_STAMP);
    store<i32>(pk, blockN, K_BUCKET_BLOCK);
    blockN++;
  }
  const slot = blk + (<usize>c << 2);
  const i = load<i32>(slot) - 1;
  if (i >= 0) return bucketEntries + <usize>i * E_STRIDE;
  const e = bucketN++;
  if (e == bucketCap) {
    bucketEntries = grownTo(bucketEntries, <usize>bucketCap * E_STRIDE, <usize>bucketCap * 2 * E_STRIDE);
    bucketCap *= 2;
  }
  store<i32>(slot, e + 1);
  const p = bucketEntries + <usize>e * E_STRIDE;
  store<i32>(p, key, E_KEY);
  store<i32>(p, c, E_CLASS);
  store<f64>(p, 0, E_COUNT);
  store<f64>(p, 0, E_BYTES);
  return p;
}

/** The (count, bytes) pair of class `c` in extra block `b`. */
@inline
function extraPairAt(b: i32, c: i32): usize {
  return (
    load<usize>(extraChunks + (<usize>(<u32>b >>> EXTRA_CHUNK_BITS) << 2)) +
    <usize>(b & EXTRA_CHUNK_MASK) * EXTRA_STRIDE +
    (<usize>c << 4)
  );
}

/** The (count, bytes) pair of class `c` in the extra block of the key whose row is at `pk`. */
@inline
function extraPair(pk: usize, key: i32, c: i32): usize {
  let b = load<i32>(pk, K_EXTRA_BLOCK) - 1;
  if (b < 0) {
    b = extraBlocks++;
    const chunk = b >>> EXTRA_CHUNK_BITS;
    if (chunk == extraChunkCap) {
      extraChunks = grownTo(extraChunks, <usize>extraChunkCap << 2, <usize>extraChunkCap << 3);
      extraChunkCap *= 2;
    }
    if ((b & EXTRA_CHUNK_MASK) == 0)
      store<usize>(extraChunks + (<usize>chunk << 2), zeroed(EXTRA_STRIDE << EXTRA_CHUNK_BITS));
    store<i32>(pk, b + 1, K_EXTRA_BLOCK);
  }
  const pair = extraPairAt(b, c);
  if (load<f64>(pair) == 0) {
    if (extraN == extraOrderCap) {
      extraOrder = grownTo(extraOrder, <usize>extraOrderCap << 2, <usize>extraOrderCap << 3);
      extraOrderCap *= 2;
    }
    store<i32>(extraOrder + (<usize>extraN << 2), (key << 3) | c);
    extraN++;
  }
  return pair;
}

// ---------------------------------------------------------------- set-up and results

export function tempInit(): void {
  open = zeroed(<usize>CLASSES << 3);
  openOut = zeroed(<usize>CLASSES << 3);
  growThreads(4);
  growKeys(1024);
  bucketCap = 256;
  bucketEntries = heap.alloc(<usize>bucketCap * E_STRIDE);
  blockCap = 256;
  blocks = heap.alloc(<usize>blockCap * BLOCK_STRIDE);
  extraChunkCap = 16;
  extraChunks = heap.alloc(<usize>extraChunkCap << 2);
  extraOrderCap = 64;
  extraOrder = heap.alloc(<usize>extraOrderCap << 2);
}

/** The open interval's counts per class (7 f64) copied out and zeroed; returns their address. */
export function tempTakeInterval(): usize {
  memory.copy(openOut, open, <usize>CLASSES << 3);
  memory.fill(open, 0, <usize>CLASSES << 3);
  return openOut;
}

/** The open bucket closes: its entry count; the entries stay at tempBucketPtr() until the next record. */
export function tempTakeBucket(): i32 {
  const n = bucketN;
  bucketN = 0;
  blockN = 0;
  serial++;
  return n;
}

export function tempBucketPtr(): usize {
  return bucketEntries;
}

export function tempKeyCapacity(): i32 {
  return keyCap;
}

/** log2 of the keys a row chunk holds (tempKeyChunkPtr). */
export function tempKeyChunkBits(): i32 {
  return KEY_CHUNK_BITS;
}
/** Chunk `i`'s rows (keys i << tempKeyChunkBits() …), K_STRIDE bytes a key. */
export function tempKeyChunkPtr(i: i32): usize {
  return load<usize>(keyChunks + (<usize>i << 2));
}

export function tempExtraCount(): i32 {
  return extraN;
}

/** Every (key, class) of the extra blocks as entries, in the order they first appeared (at the end). */
export function tempExtraPtr(): usize {
  const out = heap.alloc(<usize>extraN * E_STRIDE);
  for (let i = 0; i < extraN; i++) {
    const kc = load<i32>(extraOrder + (<usize>i << 2));
    const key = kc >>> 3;
    const c = kc & 7;
    const pair = extraPairAt(load<i32>(keyRow(key), K_EXTRA_BLOCK) - 1, c);
    const p = out + <usize>i * E_STRIDE;
    store<i32>(p, key, E_KEY);
    store<i32>(p, c, E_CLASS);
    store<f64>(p, load<f64>(pair), E_COUNT);
    store<f64>(p, load<f64>(pair, 8), E_BYTES);
  }
  return out;
}

// ---------------------------------------------------------------- per record

/** An allocation (simple or ranged) of key `key`, address/8 = hi·2^32 + lo, on thread slot `t`. */
@inline
export function tempAllocated(t: i32, lo: u32, hi: u32, size: u64, key: i32): void {
  if (t >= threads) growThreads(t + 1);
  const b = threadBlocks + <usize>t * T_STRIDE;
  const at = load<i32>(b, T_HEAD);
  const fill = load<i32>(b, T_FILL);
  const col = <usize>at << 2;
  if (fill == DEPTH) {
    const f = b + T_FILTER + filterSlot(load<u32>(b + col, T_LO), load<u32>(b + col, T_HI));
    store<u8>(f, load<u8>(f) - 1);
  } else store<i32>(b, fill + 1, T_FILL);
  store<u32>(b + col, lo, T_LO);
  store<u32>(b + col, hi, T_HI);
  store<i32>(b + col, key, T_KEY);
  store<u64>(b + (<usize>at << 3), size, T_SIZE);
  const f = b + T_FILTER + filterSlot(lo, hi);
  store<u8>(f, load<u8>(f) + 1);
  store<i32>(b, at + 1 == DEPTH ? 0 : at + 1, T_HEAD);
}

/**
 * A deallocation on thread slot `t`; `size` < 0 for a simple one (address only), else a ranged
 * one (munmap: address and size must match).
 */
@inline
export function tempFreed(t: i32, lo: u32, hi: u32, size: i64): void {
  if (t >= threads) return;
  const b = threadBlocks + <usize>t * T_STRIDE;
  if (load<u8>(b + T_FILTER + filterSlot(lo, hi)) == 0) return;
  scan(b, lo, hi, size);
}

@inline
function filterSlot(lo: u32, hi: u32): usize {
  return <usize>((lo ^ (hi * 0x85ebca6b)) * 0x9e3779b1) >>> (32 - FILTER_BITS);
}

/**
 * The newest ring entry at the address (and size): a temporary at its distance. The lo column is
 * compared 4 lanes at a time into a mask of the matching slots, and the newest match is its
 * highest bit below the head (else the highest at or above it): no loop over the distances,
 * whose exit branch the CPU cannot predict. On the 20 M-record synthetic capture the loop was
 * 0.46 s of a 5.3 s open (7.4 M temporaries, 4.6 slots deep on average).
 */
function scan(b: usize, lo: u32, hi: u32, size: i64): void {
  const n = load<i32>(b, T_FILL);
  const head = load<i32>(b, T_HEAD);
  const want = i32x4.splat(lo);
  // slots 0 … 35: 33 of the ring, then the column's padding and the hi column's first two
  // (masked off with the unfilled slots)
  let m: u64 = 0;
  for (let j: usize = 0; j < 9; j++)
    m |= <u64>i32x4.bitmask(i32x4.eq(v128.load(b + T_LO + (j << 4)), want)) << (j << 2);
  m &= (<u64>1 << <u64>n) - 1;
  const below: u64 = (<u64>1 << <u64>head) - 1;
  while (m != 0) {
    const newer = m & below;
    const at = <i32>(63 - clz(newer != 0 ? newer : m));
    if (load<u32>(b + (<usize>at << 2), T_HI) == hi) {
      const s = load<u64>(b + (<usize>at << 3), T_SIZE);
      if (size < 0 || s == <u64>size) {
        const d = at < head ? head - 1 - at : head - 1 - at + DEPTH;
        found(load<i32>(b + (<usize>at << 2), T_KEY), <f64>s, <i32>unchecked(CLASS_OF[d]));
        return;
      }
    }
    m &= ~(<u64>1 << <u64>at);
  }
}

function found(key: i32, size: f64, c: i32): void {
  const o = open + (<usize>c << 3);
  store<f64>(o, load<f64>(o) + 1);
  if (key >= keyCap) growKeys(key + 1);
  const pk = keyRow(key);
  const pe = bucketEntry(pk, key, c);
  store<f64>(pe, load<f64>(pe, E_COUNT) + 1, E_COUNT);
  store<f64>(pe, load<f64>(pe, E_BYTES) + size, E_BYTES);
  // per key: the first class inline, any other in the extra table
  const main = <i32>load<u8>(pk, K_MAIN);
  if (main == c + 1 || main == 0) {
    store<u8>(pk, <u8>(c + 1), K_MAIN);
    store<f64>(pk, load<f64>(pk, K_COUNT) + 1, K_COUNT);
    store<f64>(pk, load<f64>(pk, K_BYTES) + size, K_BYTES);
    return;
  }
  const xe = extraPair(pk, key, c);
  store<f64>(xe, load<f64>(xe) + 1);
  store<f64>(xe, load<f64>(xe, 8) + size, 8);
}

// ---------------------------------------------------------------- growth

@inline
function keyRow(key: i32): usize {
  return load<usize>(keyChunks + (<usize>(<u32>key >>> KEY_CHUNK_BITS) << 2)) + <usize>(key & KEY_CHUNK_MASK) * K_STRIDE;
}

function zeroed(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

function growThreads(min: i32): void {
  let n = threads * 2;
  if (n < min) n = min;
  const next = zeroed(<usize>n * T_STRIDE);
  if (threads > 0) {
    memory.copy(next, threadBlocks, <usize>threads * T_STRIDE);
    heap.free(threadBlocks);
  }
  threadBlocks = next;
  threads = n;
}

function growKeys(min: i32): void {
  while (keyCap < min) {
    const chunks = keyCap >>> KEY_CHUNK_BITS;
    if (chunks == keyChunkCap) {
      const n = keyChunkCap > 0 ? keyChunkCap * 2 : 16;
      const dir = heap.alloc(<usize>n << 2);
      if (keyChunkCap > 0) {
        memory.copy(dir, keyChunks, <usize>keyChunkCap << 2);
        heap.free(keyChunks);
      }
      keyChunks = dir;
      keyChunkCap = n;
    }
    store<usize>(keyChunks + (<usize>chunks << 2), zeroed(<usize>K_STRIDE << KEY_CHUNK_BITS));
    keyCap += 1 << KEY_CHUNK_BITS;
  }
}
