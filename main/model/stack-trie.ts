/**
 * A prefix tree of call stacks. Node 0 is the root; a node's path from the root lists frames
 * outermost first. Nodes live in growable typed arrays and children are found through one
 * numeric-keyed map, so millions of lookups allocate nothing.
 */
export class StackTrie {
  private parents = new Int32Array(4096);
  private frames = new Int32Array(4096);
  private depths = new Int32Array(4096);
  private count = 1;
  private readonly children = new Map<number, number>();

  constructor() {
    this.parents[0] = -1;
    this.frames[0] = -1;
  }

  get size(): number {
    return this.count;
  }

  /** The child of `parent` for `frame`, created on first use. */
  child(parent: number, frame: number): number {
    // Frame ids and node ids both stay far below 2^26 in practice; the product key is exact.
    const key = parent * 67_108_864 + frame;
    const existing = this.children.get(key);
    if (existing !== undefined) return existing;
    if (this.count === this.parents.length) this.grow();
    const node = this.count++;
    this.parents[node] = parent;
    this.frames[node] = frame;
    this.depths[node] = parent === 0 ? 1 : this.depths[parent] + 1;
    this.children.set(key, node);
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

  private grow(): void {
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
}
