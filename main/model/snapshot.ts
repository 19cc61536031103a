import type { ThreadInfo } from '../../shared/api';
import type { FrameTable } from './frame-table';
import type { StackTrie } from './stack-trie';

/**
 * Aggregated rows of one live set (or allocation set): one row per distinct
 * (stack, thread, allocator). This is the common currency of every format: flamegraphs,
 * tables, allocator breakdowns and diffs are all computed from snapshots.
 */
export interface SnapshotRows {
  length: number;
  /** Leaf node in `Snapshot.stacks` (0 = no stack known). */
  stack: Int32Array;
  /** Thread id (see `Snapshot.threads`), 0 when the format has no threads. */
  thread: Int32Array;
  /** Index into `Snapshot.allocators`. */
  allocator: Int32Array;
  bytes: Float64Array;
  count: Float64Array;
}

export interface Snapshot {
  frames: FrameTable;
  stacks: StackTrie;
  threads: ThreadInfo[];
  /** Allocator names as the profiler names them (memray: MALLOC, PYMALLOC_MALLOC, MMAP …). */
  allocators: string[];
  rows: SnapshotRows;
  /** Human label, e.g. "peak at 1.23 s" or "inventory-before.pickle". */
  label: string;
}

/** Collects rows keyed by (stack, thread, allocator), summing duplicates. */
export class SnapshotBuilder {
  private stack = new Int32Array(256);
  private thread = new Int32Array(256);
  private allocator = new Int32Array(256);
  private bytes = new Float64Array(256);
  private count = new Float64Array(256);
  private length = 0;
  /** Open-addressing table of row index + 1 (0 = empty); typed, so adding allocates nothing. */
  private slots = new Int32Array(1024);
  private mask = 1023;

  add(stack: number, thread: number, allocator: number, bytes: number, count: number): void {
    let slot = rowHash(stack, thread, allocator) & this.mask;
    let row = -1;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      const r = entry - 1;
      if (this.stack[r] === stack && this.thread[r] === thread && this.allocator[r] === allocator) {
        row = r;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    if (row < 0) {
      row = this.length++;
      if (row === this.stack.length) this.grow();
      this.stack[row] = stack;
      this.thread[row] = thread;
      this.allocator[row] = allocator;
      this.slots[slot] = row + 1;
      if (this.length * 2 > this.slots.length) this.rehash();
    }
    this.bytes[row] += bytes;
    this.count[row] += count;
  }

  build(): SnapshotRows {
    const n = this.length;
    return {
      length: n,
      stack: this.stack.slice(0, n),
      thread: this.thread.slice(0, n),
      allocator: this.allocator.slice(0, n),
      bytes: this.bytes.slice(0, n),
      count: this.count.slice(0, n),
    };
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let r = 0; r < this.length; r++) {
      let slot = rowHash(this.stack[r], this.thread[r], this.allocator[r]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = r + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  private grow(): void {
    const size = this.stack.length * 2;
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.stack = grow32(this.stack);
    this.thread = grow32(this.thread);
    this.allocator = grow32(this.allocator);
    this.bytes = grow64(this.bytes);
    this.count = grow64(this.count);
  }
}

function rowHash(stack: number, thread: number, allocator: number): number {
  let h =
    Math.imul(stack, 0x9e3779b1) ^
    Math.imul(thread + 0x632be5ab, 0x85ebca6b) ^
    Math.imul(allocator + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb352d) >>> 0;
}

export function snapshotTotals(rows: SnapshotRows): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows.bytes[i];
    count += rows.count[i];
  }
  return { bytes, count };
}
