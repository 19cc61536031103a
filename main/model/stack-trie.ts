/**
 * A prefix tree of call stacks. Node 0 is the root; a node's path from the root lists frames
 * outermost first. Nodes live in growable typed arrays and children are found through an
 * open-addressing hash table on (parent, frame), so millions of lookups allocate nothing
 * (a Map keyed by parent·2^26+frame leaves V8's small-integer range and was ~1.6 s per
 * 1.7 M nodes).
 */
export class StackTrie {
  private parents = new Int32Array(4096);
  private frames = new Int32Array(4096);
  private depths = new Int32Array(4096);
  private count = 1;
  /** Slots hold node ids (0 = empty: the root is never a child). */
  private slots = new Int32Array(8192);
  private mask = 8191;

  constructor() {
    this.parents[0] = -1;
    this.frames[0] = -1;
  }

  get size(): number {
    return this.count;
  }

  /** The child of `parent` for `frame`, created on first use. */
  child(parent: number, frame: number): number {
    let slot = hash(parent, frame) & this.mask;
    for (;;) {
      const node = this.slots[slot];
      if (node === 0) break;
      if (this.parents[node] === parent && this.frames[node] === frame) return node;
      slot = (slot + 1) & this.mask;
    }
    if (this.count === this.parents.length) this.growNodes();
    const node = this.count++;
    this.parents[node] = parent;
    this.frames[node] = frame;
    this.depths[node] = parent === 0 ? 1 : this.depths[parent] + 1;
    this.slots[slot] = node;
    // Keep the load factor under one half so probe chains stay short.
    if (this.count * 2 > this.slots.length) this.rehash();
    return node;
  }

  parent(node: number): number {
    return this.parents[node];
  }

  frame(node: number): number {
    return this.frames[node];
  }

  depth(node: number): number {
    return this.depths[node];
  }

  /** Frames of `node`, outermost first. */
  path(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = this.parents[n]) out.push(this.frames[n]);
    return out.reverse();
  }

  /** Interns a whole path (outermost first) and returns its leaf. */
  intern(framesOutermostFirst: readonly number[]): number {
    let node = 0;
    for (const frame of framesOutermostFirst) node = this.child(node, frame);
    return node;
  }

  private growNodes(): void {
    const size = this.parents.length * 2;
    const parents = new Int32Array(size);
    parents.set(this.parents);
    const frames = new Int32Array(size);
    frames.set(this.frames);
    const depths = new Int32Array(size);
    depths.set(this.depths);
    this.parents = parents;
    this.frames = frames;
    this.depths = depths;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let node = 1; node < this.count; node++) {
      let slot = hash(this.parents[node], this.frames[node]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = node;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hash(parent: number, frame: number): number {
  let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}
