import { PairMap, growF64, growI32 } from './tables';

/**
 * The two stack trees of a memray capture and the memory maps that name native frames
 * (docs/formats/memray-format.md §6–§8). Both trees are append-only, node 0 is the empty stack,
 * and a node's parent is defined before it, so every walk towards the root ends; the walks below
 * still bound their steps, so a tree built some other way cannot make them loop.
 */

/** memray's Python stack tree: node k = (frame id, parent node), memray's frame_index nodes. */
export class PythonStackTree {
  parent = new Int32Array(4096);
  frame = new Int32Array(4096);
  count = 1;
  private readonly children = new PairMap(12);

  constructor() {
    this.parent[0] = -1;
    this.frame[0] = -1;
  }

  /** The node for `frame` called from `parent`, made on first use (v10–v13 FRAME_PUSH). */
  child(parent: number, frame: number): number {
    let node = this.children.get(parent, frame);
    if (node >= 0) return node;
    node = this.count++;
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    this.children.set(parent, frame, node);
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

  private grow(min: number): void {
    this.parent = growI32(this.parent, min);
    this.frame = growI32(this.frame, min);
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
