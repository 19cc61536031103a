/** Column storage of page states, shared by the page table, its peak copy and the checkpoints. */

/** The page columns of one moment, non-empty pages only, lowest address first (what the query reads). */
export interface PageStates {
  n: number;
  /** Address of the page's first byte. */
  address: Float64Array;
  blocks: Uint16Array;
  bytes: Int32Array;
  /** Largest block size of the page (bytes, a multiple of 16). */
  blockBytes: Uint16Array;
  off16: Uint16Array;
  off4: Uint16Array;
}

/** One page's columns, as saved for the peak and in checkpoints. */
export class PageRows {
  n = 0;
  page = new Int32Array(256);
  blocks = new Uint16Array(256);
  bytes = new Int32Array(256);
  block16 = new Uint8Array(256);
  off16 = new Uint16Array(256);
  off4 = new Uint16Array(256);

  push(page: number, blocks: number, bytes: number, block16: number, off16: number, off4: number): void {
    const i = this.n++;
    if (i === this.page.length) this.grow(i + 1);
    this.page[i] = page;
    this.blocks[i] = blocks;
    this.bytes[i] = bytes;
    this.block16[i] = block16;
    this.off16[i] = off16;
    this.off4[i] = off4;
  }

  /** Row `i` of `from` into row `j` of this (j ≤ i when both are the same object). */
  copyRow(j: number, from: PageRows, i: number): void {
    this.page[j] = from.page[i];
    this.blocks[j] = from.blocks[i];
    this.bytes[j] = from.bytes[i];
    this.block16[j] = from.block16[i];
    this.off16[j] = from.off16[i];
    this.off4[j] = from.off4[i];
  }

  grow(min: number): void {
    const n = Math.max(min, this.page.length * 2);
    const grow = <T extends Int32Array | Uint16Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.page = grow(this.page, (k) => new Int32Array(k));
    this.blocks = grow(this.blocks, (k) => new Uint16Array(k));
    this.bytes = grow(this.bytes, (k) => new Int32Array(k));
    this.block16 = grow(this.block16, (k) => new Uint8Array(k));
    this.off16 = grow(this.off16, (k) => new Uint16Array(k));
    this.off4 = grow(this.off4, (k) => new Uint16Array(k));
  }

  get bytesHeld(): number {
    return this.page.length * 17;
  }
}
