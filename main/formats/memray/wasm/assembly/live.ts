// AssemblyScript: the full model's live-allocation table (address → packed key/size payload and
// birth word; ../live-wasm.ts is its JS face) in WebAssembly memory, compiled by
// scripts/build-wasm.mjs. One flat open-addressing table,
// sized from the file up front, 12 bytes a slot: [ (address/8) low 32 bits,
// (address/8) high 13 bits | birth << 13, ~payload ]: word 2 is negative for an entry (payloads
// are ≥ 0), 0 for an empty slot, 1 for a removed one, so a new table is zeroed memory as it comes.
// Same home as size-table.ts: a 2 KiB address block → a 128-slot region, one slot per 16 bytes.

const EMPTY: i32 = 0;
const TOMB: i32 = 1;
const NOT_FOUND: i32 = -1;

let table: usize = 0;
let bits: i32 = 0;
let mask: u32 = 0;
let limit: i32 = 0;
let entries: i32 = 0;
let tombs: i32 = 0;
let birthWord: i32 = 0;

export function init(startBits: i32): void {
  bits = startBits;
  table = fresh(bits);
}

/**
 * A table of 2^b empty slots: new memory at the top of the heap, which is zero (this module
 * never frees the top block: a resize allocates the new table before it frees the old one), so
 * its pages are touched only where entries land.
 */
function fresh(b: i32): usize {
  mask = (1 << b) - 1;
  limit = ((1 << b) * 3) >>> 2;
  return heap.alloc(<usize>12 << b);
}

/** Live entries. */
export function size(): i32 {
  return entries;
}

/** Bytes of the table. */
export function tableBytes(): f64 {
  return <f64>(<usize>12 << bits);
}

/** Birth word of the entry found by the last insert (when replacing) or remove. */
export function lastBirthWord(): i32 {
  return birthWord;
}

@inline
function home(lo: u32, hi: u32): u32 {
  const h = ((lo >>> 8) ^ (hi * 0x85ebca6b)) * 0x9e3779b1;
  return ((h >>> (39 - bits)) << 7) | ((lo & 255) >>> 1);
}

/** Inserts or replaces (payload ≥ 0); returns the previous payload when the address was live, else -1. */
export function insert(lo: u32, hi: u32, payload: i32, birthBits: i32): i32 {
  let i = home(lo, hi);
  let reuse: usize = 0;
  while (true) {
    const a = table + <usize>i * 12;
    const w = load<i32>(a, 8);
    if (w == EMPTY) break;
    if (w == TOMB) {
      if (!reuse) reuse = a;
    } else if (load<u32>(a) == lo && (load<u32>(a, 4) & 8191) == hi) {
      birthWord = load<i32>(a, 4);
      store<u32>(a, hi | birthBits, 4);
      store<i32>(a, ~payload, 8);
      return ~w;
    }
    i = (i + 1) & mask;
  }
  const a = reuse ? reuse : table + <usize>i * 12;
  store<u32>(a, lo);
  store<u32>(a, hi | birthBits, 4);
  store<i32>(a, ~payload, 8);
  if (reuse) tombs--;
  entries++;
  if (entries + tombs > limit) resize();
  return NOT_FOUND;
}

/** Removes the address; returns its payload (birth in lastBirthWord()) or -1. */
export function remove(lo: u32, hi: u32): i32 {
  let i = home(lo, hi);
  while (true) {
    const a = table + <usize>i * 12;
    const w = load<i32>(a, 8);
    if (w == EMPTY) return NOT_FOUND;
    if (w != TOMB && load<u32>(a) == lo && (load<u32>(a, 4) & 8191) == hi) {
      birthWord = load<i32>(a, 4);
      entries--;
      if (load<i32>(table + <usize>((i + 1) & mask) * 12, 8) == EMPTY) {
        // end of a chain: no tombstone needed, and the tombstones just before it go too
        store<i32>(a, EMPTY, 8);
        let b = (i - 1) & mask;
        while (load<i32>(table + <usize>b * 12, 8) == TOMB) {
          store<i32>(table + <usize>b * 12, EMPTY, 8);
          tombs--;
          b = (b - 1) & mask;
        }
      } else {
        store<i32>(a, TOMB, 8);
        tombs++;
      }
      return ~w;
    }
    i = (i + 1) & mask;
  }
}

/** Grows (or, when mostly tombstones, rebuilds at the same size). */
function resize(): void {
  const old = table;
  const oldSlots: u32 = mask + 1;
  if (entries * 2 > limit) bits++;
  table = fresh(bits);
  tombs = 0;
  for (let j: u32 = 0; j < oldSlots; j++) {
    const a = old + <usize>j * 12;
    const w = load<i32>(a, 8);
    if (w >= 0) continue;
    const lo = load<u32>(a);
    const w1 = load<u32>(a, 4);
    let i = home(lo, w1 & 8191);
    while (load<i32>(table + <usize>i * 12, 8) != EMPTY) i = (i + 1) & mask;
    const d = table + <usize>i * 12;
    store<u32>(d, lo);
    store<u32>(d, w1, 4);
    store<i32>(d, w, 8);
  }
  heap.free(old);
}
