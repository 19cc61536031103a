/** Small growable typed-array helpers and an (int, int) → int hash map that allocates nothing per lookup. */

export function growF64(a: Float64Array<ArrayBuffer>, min: number, factor = 2): Float64Array<ArrayBuffer> {
  if (min <= a.length) return a;
  const b = new Float64Array(Math.max(min, Math.ceil(a.length * factor)));
  b.set(a);
  return b;
}

export function growI32(a: Int32Array<ArrayBuffer>, min: number, factor = 2): Int32Array<ArrayBuffer> {
  if (min <= a.length) return a;
  const b = new Int32Array(Math.max(min, Math.ceil(a.length * factor)));
  b.set(a);
  return b;
}

export function growU8(a: Uint8Array<ArrayBuffer>, min: number): Uint8Array<ArrayBuffer> {
  if (min <= a.length) return a;
  const b = new Uint8Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/** A growable column of doubles. */
export class F64List {
  data: Float64Array<ArrayBuffer>;
  length = 0;
  constructor(cap = 256) {
    this.data = new Float64Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = growF64(this.data, this.length + 1);
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i];
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Open-addressing map from a pair of non-negative ints (each < 2^31) to a non-negative int.
 * Used for frame interning, the stack tree's busiest nodes and the time index's per-bucket
 * tables. A slot is 4 words [~a, b, value, -] in one array, so a probe touches one cache line:
 * with three parallel arrays the deep-stack treebuilder capture (490 k trie nodes) spent 3 cache
 * misses per FRAME_PUSH. A slot holds ~a (never 0 for a ≥ 0), so an empty slot is 0: a new
 * table is the zeroed memory the allocator gives, and clearing it is one fill, where writing -1
 * into every slot was 9 % of the map's time on the treebuilder capture, whose time index
 * builds ~900 of these tables while they grow.
 */
export class PairMap {
  private t: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(bits = 10) {
    this.t = new Int32Array(4 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  get(a: number, b: number): number {
    const t = this.t;
    const key = ~a;
    let i = slotOf(a, b, this.shift);
    for (;;) {
      const j = i << 2;
      const x = t[j];
      if (x === key && t[j + 1] === b) return t[j + 2];
      if (x === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash();
    const t = this.t;
    const key = ~a;
    let i = slotOf(a, b, this.shift);
    for (;;) {
      const j = i << 2;
      const x = t[j];
      if (x === 0) {
        t[j] = key;
        t[j + 1] = b;
        t[j + 2] = v;
        this.size++;
        return;
      }
      if (x === key && t[j + 1] === b) {
        t[j + 2] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Empties the map, keeping its capacity (no new allocation). */
  clear(): void {
    this.t.fill(0);
    this.size = 0;
  }

  /** Twice the slots; every entry moves (no duplicates, so no comparisons). */
  private rehash(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    const t = new Int32Array(cap * 4);
    const mask = cap - 1;
    const shift = this.shift - 1;
    for (let j = 0; j < old.length; j += 4) {
      const key = old[j];
      if (key === 0) continue;
      const b = old[j + 1];
      let i = slotOf(~key, b, shift);
      while (t[i << 2] !== 0) i = (i + 1) & mask;
      const k = i << 2;
      t[k] = key;
      t[k + 1] = b;
      t[k + 2] = old[j + 2];
    }
    this.t = t;
    this.mask = mask;
    this.shift = shift;
  }
}

function slotOf(a: number, b: number, shift: number): number {
  return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> shift;
}
