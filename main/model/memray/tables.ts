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
 * Used for trie children and frame interning, which run once per FRAME_PUSH record.
 * A slot is 4 words [a, b, value, -] in one array, so a probe touches one cache line: with
 * three parallel arrays the deep-stack treebuilder capture (490 k trie nodes) spent 3 cache
 * misses per FRAME_PUSH.
 */
export class PairMap {
  private t: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(bits = 10) {
    this.t = PairMap.empty(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  private static empty(cap: number): Int32Array {
    const t = new Int32Array(cap * 4);
    for (let i = 0; i < t.length; i += 4) t[i] = -1;
    return t;
  }

  private slot(a: number, b: number): number {
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  get(a: number, b: number): number {
    const t = this.t;
    let i = this.slot(a, b);
    for (;;) {
      const j = i << 2;
      const x = t[j];
      if (x === -1) return -1;
      if (x === a && t[j + 1] === b) return t[j + 2];
      i = (i + 1) & this.mask;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash();
    const t = this.t;
    let i = this.slot(a, b);
    for (;;) {
      const j = i << 2;
      const x = t[j];
      if (x === -1) {
        t[j] = a;
        t[j + 1] = b;
        t[j + 2] = v;
        this.size++;
        return;
      }
      if (x === a && t[j + 1] === b) {
        t[j + 2] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Empties the map, keeping its capacity (no new allocation). */
  clear(): void {
    const t = this.t;
    for (let i = 0; i < t.length; i += 4) t[i] = -1;
    this.size = 0;
  }

  private rehash(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    this.t = PairMap.empty(cap);
    this.mask = cap - 1;
    this.shift--;
    this.size = 0;
    for (let j = 0; j < old.length; j += 4) if (old[j] !== -1) this.set(old[j], old[j + 1], old[j + 2]);
  }
}
