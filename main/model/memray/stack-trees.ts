import { PairMap, growF64, growI32 } from './tables';

/**
 * The two stack trees of a memray capture and the memory maps that name native frames
 * (docs/formats/memray-format.md §6–§8). Both trees are append-only, node 0 is the empty stack,
 * and a node's parent is defined before it, so every walk towards the root ends; the walks below
 * still bound their steps, so a tree built some other way cannot make them loop.
 */

/**
 * Children a node keeps in its sibling list before they move to the hash map: a walk of up to
 * this many siblings is cheaper than one hash probe that misses the cache.
 */
const LIST_CHILDREN = 8;
/** `firstChild` of a node whose children are in `hubChildren` (node 0 is never a child, so 0 is "none"). */
const HUB = -1;

/** memray's Python stack tree: node k = (frame id, parent node), memray's frame_index nodes. */
export class PythonStackTree {
  parent = new Int32Array(4096);
  frame = new Int32Array(4096);
  count = 1;
  /**
   * Per node k: links[2k] its first child, links[2k + 1] its next sibling (0: none). Children
   * are found by walking the parent's list, not by hashing (parent, frame): nodes are made in
   * call order, so a child lies next to its parent and a walk over a deep stack reads memory in
   * order, where a hash probe per FRAME_PUSH missed the cache (the treebuilder capture's 1.15 M
   * pushes reach 490 k nodes, almost never twice in a row: 224 of 430 ms of its record loop were
   * that one load).
   */
  private links = new Int32Array(4096 * 2);
  /** (parent, frame) → child, for the few nodes with more than LIST_CHILDREN children. */
  private readonly hubChildren = new PairMap(8);

  constructor() {
    this.parent[0] = -1;
    this.frame[0] = -1;
  }

  /** The node for `frame` called from `parent`, made on first use (v10–v13 FRAME_PUSH). */
  child(parent: number, frame: number): number {
    const links = this.links;
    let c = links[parent * 2];
    if (c === HUB) return this.hubChild(parent, frame);
    let last = 0;
    let n = 0;
    while (c > 0) {
      if (this.frame[c] === frame) return c;
      last = c;
      c = links[c * 2 + 1];
      n++;
    }
    const node = this.add(parent, frame);
    // appended, so a walk meets siblings in the order they were first called
    this.links[last === 0 ? parent * 2 : last * 2 + 1] = node;
    if (n >= LIST_CHILDREN) this.makeHub(parent);
    return node;
  }

  /** Aggregated files give the tree explicitly: node = (frame, parent). */
  set(node: number, frame: number, parent: number): void {
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    if (node >= this.count) this.count = node + 1;
  }

  /** The frames of `node`, innermost first. */
  framesOf(node: number): number[] {
    const out: number[] = [];
    for (let n = node, steps = 0; n > 0 && n < this.count && steps < this.count; n = this.parent[n], steps++)
      out.push(this.frame[n]);
    return out;
  }

  private add(parent: number, frame: number): number {
    const node = this.count++;
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    return node;
  }

  private hubChild(parent: number, frame: number): number {
    let node = this.hubChildren.get(parent, frame);
    if (node < 0) {
      node = this.add(parent, frame);
      this.hubChildren.set(parent, frame, node);
    }
    return node;
  }

  /** `parent` passed LIST_CHILDREN children: they move to the hash map. */
  private makeHub(parent: number): void {
    const links = this.links;
    for (let c = links[parent * 2]; c > 0; c = links[c * 2 + 1])
      this.hubChildren.set(parent, this.frame[c], c);
    links[parent * 2] = HUB;
  }

  private grow(min: number): void {
    this.parent = growI32(this.parent, min);
    this.frame = growI32(this.frame, min);
    this.links = growI32(this.links, this.parent.length * 2);
  }
}

/** memray's native trace tree: node k = (instruction pointer, parent node). */
export class NativeStackTree {
  ip = new Float64Array(1024);
  parent = new Int32Array(1024);
  count = 1;

  /** NATIVE_TRACE_INDEX: the next node. */
  add(ip: number, parent: number): void {
    const k = this.count++;
    if (k >= this.ip.length) {
      this.ip = growF64(this.ip, k + 1);
      this.parent = growI32(this.parent, k + 1);
    }
    this.ip[k] = ip;
    this.parent[k] = parent;
  }

  /** The instruction pointers of native stack `node`, innermost first (at most `limit`). */
  ipsOf(node: number, limit = 4096): number[] {
    const out: number[] = [];
    for (let n = node, steps = 0; n > 0 && n < this.count && steps < limit; n = this.parent[n], steps++)
      out.push(this.ip[n]);
    return out;
  }
}

/** One loaded segment of a shared object: [start, end) in the process's address space. */
export interface Segment {
  file: string;
  loadAddr: number;
  start: number;
  end: number;
}

/**
 * The process's memory maps: generation g is what the g-th MEMORY_MAP_START and the segments
 * after it describe (generation 0 has none), so an allocation's native frames are named with
 * the maps of its own generation.
 */
export class MemoryMaps {
  readonly generations: Segment[][] = [[]];
  generation = 0;

  /** MEMORY_MAP_START: a new generation begins. */
  start(): void {
    this.generation++;
    this.generations[this.generation] = [];
  }

  /** SEGMENT of `file` loaded at `loadAddr`: `memsz` bytes from `loadAddr + vaddr`. */
  segment(file: string, loadAddr: number, vaddr: number, memsz: number): void {
    const start = loadAddr + vaddr;
    (this.generations[this.generation] ??= []).push({ file, loadAddr, start, end: start + memsz });
  }

  segmentsOf(gen: number): readonly Segment[] {
    return this.generations[gen] ?? [];
  }

  /** The segment of generation `gen` that holds `ip`. */
  segmentAt(gen: number, ip: number): Segment | undefined {
    for (const s of this.segmentsOf(gen)) if (ip >= s.start && ip < s.end) return s;
    return undefined;
  }

  /** The file of the object mapped at `ip` in generation `gen`. */
  libraryOf(gen: number, ip: number): string | undefined {
    return this.segmentAt(gen, ip)?.file;
  }
}
