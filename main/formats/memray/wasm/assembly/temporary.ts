// AssemblyScript: memray's temporary allocations, the per-record half of
// main/model/memray/temporary.ts + temporary-buckets.ts for the WebAssembly full index (full.ts
// calls tempAllocated / tempFreed per record). The rule and its reasons are documented there:
// per thread a ring of the DEPTH newest allocations; a free finds the newest entry at its address
// (ranged: and size) at distance d, which is a temporary for every threshold N ≥ d, counted in
// class CLASS_OF[d]; per key its first class inline, other classes in a small hash. Per memory
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
// last found it; 0 never), i32 stampIdx (its entry in that bucket), u8 mainClass + 1 (0 none),
// u8 stampClass. Zero is the empty state: fresh memory needs no fill pass.
const K_COUNT: usize = 0;
const K_BYTES: usize = 8;
const K_STAMP: usize = 16;
const K_STAMP_IDX: usize = 20;
const K_MAIN: usize = 24;
const K_STAMP_CLASS: usize = 25;
const K_STRIDE: usize = 32;

// Entries (the open bucket's, the extra classes'): i32 key, i32 class, f64 count, f64 bytes.
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

/**
 * (key, class) → an entry: a growable entry array and an open-addressing index of 16-byte
 * slots [key·8 + class + 1, entry, generation, -]; a slot of another generation is empty, so
 * starting over (the open bucket at each close) is one increment, not a pass over the slots.
 * A table is a 24-byte header in memory (no GC objects, no runtime imports): the fields below.
 */
const X_ENTRIES: usize = 0;
const X_CAP: usize = 4;
const X_N: usize = 8;
const X_SLOTS: usize = 12;
const X_BITS: usize = 16;
const X_GEN: usize = 20;

let bucket: usize = 0;
let extra: usize = 0;

function newTable(cap: i32, bits: i32): usize {
  const x = heap.alloc(24);
  store<usize>(x, heap.alloc(<usize>cap * E_STRIDE), X_ENTRIES);
  store<i32>(x, cap, X_CAP);
  store<i32>(x, 0, X_N);
  store<usize>(x, zeroed(<usize>16 << bits), X_SLOTS);
  store<i32>(x, bits, X_BITS);
  store<u32>(x, 1, X_GEN);
  return x;
}

@inline
function entriesOf(x: usize): usize {
  return load<usize>(x, X_ENTRIES);
}

/** The entry of (key, c) in table `x`, added with zero counts when new. */
function indexOf(x: usize, key: i32, c: i32): i32 {
  const kc: u32 = ((<u32>key << 3) | <u32>c) + 1;
  const bits = load<i32>(x, X_BITS);
  const mask: u32 = (1 << bits) - 1;
  const gen = load<u32>(x, X_GEN);
  const slots = load<usize>(x, X_SLOTS);
  let i = slotOf(kc, bits);
  while (true) {
    const s = slots + (<usize>i << 4);
    if (load<u32>(s, 8) != gen) break;
    if (load<u32>(s) == kc) return load<i32>(s, 4);
    i = (i + 1) & mask;
  }
  const e = load<i32>(x, X_N);
  store<i32>(x, e + 1, X_N);
  if (e == load<i32>(x, X_CAP)) growEntries(x);
  const p = entriesOf(x) + <usize>e * E_STRIDE;
  store<i32>(p, key, E_KEY);
  store<i32>(p, c, E_CLASS);
  store<f64>(p, 0, E_COUNT);
  store<f64>(p, 0, E_BYTES);
  if (<u32>(e + 1) * 2 > (<u32>1 << bits)) rehash(x);
  else {
    const s = slots + (<usize>i << 4);
    store<u32>(s, kc);
    store<i32>(s, e, 4);
    store<u32>(s, gen, 8);
  }
  return e;
}

/** Forget every entry of `x` (their memory stays readable until the next indexOf). */
function clearTable(x: usize): void {
  store<i32>(x, 0, X_N);
  store<u32>(x, load<u32>(x, X_GEN) + 1, X_GEN);
}

function growEntries(x: usize): void {
  const cap = load<i32>(x, X_CAP);
  const next = heap.alloc(<usize>cap * 2 * E_STRIDE);
  memory.copy(next, entriesOf(x), <usize>cap * E_STRIDE);
  heap.free(entriesOf(x));
  store<usize>(x, next, X_ENTRIES);
  store<i32>(x, cap * 2, X_CAP);
}

/** Twice the slots, every entry indexed again. */
function rehash(x: usize): void {
  heap.free(load<usize>(x, X_SLOTS));
  const bits = load<i32>(x, X_BITS) + 1;
  const slots = zeroed(<usize>16 << bits);
  store<usize>(x, slots, X_SLOTS);
  store<i32>(x, bits, X_BITS);
  const mask: u32 = (1 << bits) - 1;
  const gen = load<u32>(x, X_GEN);
  const n = load<i32>(x, X_N);
  const entries = entriesOf(x);
  for (let e = 0; e < n; e++) {
    const p = entries + <usize>e * E_STRIDE;
    const kc: u32 = ((<u32>load<i32>(p, E_KEY) << 3) | <u32>load<i32>(p, E_CLASS)) + 1;
    let i = slotOf(kc, bits);
    while (load<u32>(slots + (<usize>i << 4), 8) == gen) i = (i + 1) & mask;
    const s = slots + (<usize>i << 4);
    store<u32>(s, kc);
    store<i32>(s, e, 4);
    store<u32>(s, gen, 8);
  }
}

// ---------------------------------------------------------------- set-up and results

export function tempInit(): void {
  open = zeroed(<usize>CLASSES << 3);
  openOut = zeroed(<usize>CLASSES << 3);
  growThreads(4);
  growKeys(1024);
  bucket = newTable(256, 9);
  extra = newTable(64, 7);
}

/** The open interval's counts per class (7 f64) copied out and zeroed; returns their address. */
export function tempTakeInterval(): usize {
  memory.copy(openOut, open, <usize>CLASSES << 3);
  memory.fill(open, 0, <usize>CLASSES << 3);
  return openOut;
}

/** The open bucket closes: its entry count; the entries stay at tempBucketPtr() until the next record. */
export function tempTakeBucket(): i32 {
  const n = load<i32>(bucket, X_N);
  clearTable(bucket);
  serial++;
  return n;
}

export function tempBucketPtr(): usize {
  return entriesOf(bucket);
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
  return load<i32>(extra, X_N);
}

export function tempExtraPtr(): usize {
  return entriesOf(extra);
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

@inline
function slotOf(kc: u32, bits: i32): u32 {
  return (kc * 0x9e3779b1) >>> (32 - bits);
}

/** The newest ring entry at the address (and size): a temporary at its distance. */
function scan(b: usize, lo: u32, hi: u32, size: i64): void {
  const n = load<i32>(b, T_FILL);
  let at = load<i32>(b, T_HEAD);
  for (let d = 0; d < n; d++) {
    at = at == 0 ? DEPTH - 1 : at - 1;
    const col = <usize>at << 2;
    if (load<u32>(b + col, T_LO) != lo || load<u32>(b + col, T_HI) != hi) continue;
    const s = load<u64>(b + (<usize>at << 3), T_SIZE);
    if (size >= 0 && s != <u64>size) continue;
    found(load<i32>(b + col, T_KEY), <f64>s, <i32>unchecked(CLASS_OF[d]));
    return;
  }
}

function found(key: i32, size: f64, c: i32): void {
  const o = open + (<usize>c << 3);
  store<f64>(o, load<f64>(o) + 1);
  if (key >= keyCap) growKeys(key + 1);
  const pk = load<usize>(keyChunks + (<usize>(<u32>key >>> KEY_CHUNK_BITS) << 2)) + <usize>(key & KEY_CHUNK_MASK) * K_STRIDE;
  // the open bucket's (key, class) entry: a key's frees in one bucket nearly always hit the
  // entry its last one did
  let i: i32;
  if (load<i32>(pk, K_STAMP) == serial + 1 && <i32>load<u8>(pk, K_STAMP_CLASS) == c) {
    i = load<i32>(pk, K_STAMP_IDX);
  } else {
    i = indexOf(bucket, key, c);
    store<i32>(pk, serial + 1, K_STAMP);
    store<u8>(pk, <u8>c, K_STAMP_CLASS);
    store<i32>(pk, i, K_STAMP_IDX);
  }
  const pe = entriesOf(bucket) + <usize>i * E_STRIDE;
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
  const xi = indexOf(extra, key, c);
  const xe = entriesOf(extra) + <usize>xi * E_STRIDE;
  store<f64>(xe, load<f64>(xe, E_COUNT) + 1, E_COUNT);
  store<f64>(xe, load<f64>(xe, E_BYTES) + size, E_BYTES);
}

// ---------------------------------------------------------------- growth

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
