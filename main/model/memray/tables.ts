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

export class I32List {
  data: Int32Array<ArrayBuffer>;
  length = 0;
  constructor(cap = 256) {
    this.data = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = growI32(this.data, this.length + 1);
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i];
  }
}

/**
 * Open-addressing map from a pair of non-negative ints (each < 2^31) to a non-negative int.
 * Used for trie children and frame interning, which run once per FRAME_PUSH record.
 */
export class PairMap {
  private ka: Int32Array;
  private kb: Int32Array;
  private vals: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(bits = 10) {
    const cap = 1 << bits;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - bits;
  }

  private slot(a: number, b: number): number {
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  get(a: number, b: number): number {
    const ka = this.ka;
    let i = this.slot(a, b);
    for (;;) {
      const x = ka[i];
      if (x === -1) return -1;
      if (x === a && this.kb[i] === b) return this.vals[i];
      i = (i + 1) & this.mask;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.ka.length) this.rehash();
    const ka = this.ka;
    let i = this.slot(a, b);
    for (;;) {
      const x = ka[i];
      if (x === -1) {
        ka[i] = a;
        this.kb[i] = b;
        this.vals[i] = v;
        this.size++;
        return;
      }
      if (x === a && this.kb[i] === b) {
        this.vals[i] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Empties the map, keeping its capacity (no new allocation). */
  clear(): void {
    this.ka.fill(-1);
    this.size = 0;
  }

  private rehash(): void {
    const oa = this.ka;
    const ob = this.kb;
    const ov = this.vals;
    const cap = oa.length * 2;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift--;
    this.size = 0;
    for (let i = 0; i < oa.length; i++) if (oa[i] !== -1) this.set(oa[i], ob[i], ov[i]);
  }
}
