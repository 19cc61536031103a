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
  private readonly keyToRow = new Map<number, number>();
  private stack = new Int32Array(256);
  private thread = new Int32Array(256);
  private allocator = new Int32Array(256);
  private bytes = new Float64Array(256);
  private count = new Float64Array(256);
  private length = 0;

  add(stack: number, thread: number, allocator: number, bytes: number, count: number): void {
    // stack < 2^31, thread < 2^11, allocator < 2^8 in every format we read.
    const key = (stack * 2048 + thread) * 256 + allocator;
    let row = this.keyToRow.get(key);
    if (row === undefined) {
      row = this.length++;
      if (row === this.stack.length) this.grow();
      this.keyToRow.set(key, row);
      this.stack[row] = stack;
      this.thread[row] = thread;
      this.allocator[row] = allocator;
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

export function snapshotTotals(rows: SnapshotRows): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows.bytes[i];
    count += rows.count[i];
  }
  return { bytes, count };
}
