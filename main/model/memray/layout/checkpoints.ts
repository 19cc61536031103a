import { PageRows } from './page-rows';

/**
 * Layout checkpoints: every 2^shift memory records, the pages that changed since the previous
 * checkpoint with their new state. A moment's state is every checkpoint's rows up to it applied
 * in order, so the rows held are bounded by pages × checkpoints, not by records.
 *
 * At most MAX_CHECKPOINTS, and about ROW_BUDGET rows (like the time index's buckets): beyond
 * either, neighbours merge pairwise — checkpoint 2j folds into 2j+1, whose moment stays — and
 * the cadence doubles, so the checkpoints stay evenly spread over the capture.
 */
export const MAX_CHECKPOINTS = 64;
/** ~17 bytes a row: 2 M rows ≈ 34 MB at most. */
export const ROW_BUDGET = 2_000_000;

export class LayoutCheckpoints {
  /** A checkpoint every 2^shift memory records. */
  shift = 0;
  readonly rows = new PageRows();
  /** Row offsets: checkpoint k is rows off[k] … off[k+1]-1. */
  off: number[] = [0];
  /** Memory record count (1-based) at each checkpoint, its time (ms), heap, RSS, live small blocks/bytes. */
  fine: number[] = [];
  timeMs: number[] = [];
  heap: number[] = [];
  rss: number[] = [];
  liveBlocks: number[] = [];
  liveBytes: number[] = [];
  /** Lowered by tests to exercise merging. */
  maxCheckpoints = MAX_CHECKPOINTS;
  rowBudget = ROW_BUDGET;
  private stamp = new Int32Array(0);
  private at = new Int32Array(0);

  get count(): number {
    return this.fine.length;
  }

  due(fine: number): boolean {
    return (fine & ((1 << this.shift) - 1)) === 0;
  }

  begin(): PageRows {
    return this.rows;
  }

  end(fine: number, timeMs: number, heap: number, rss: number, blocks: number, bytes: number): void {
    this.off.push(this.rows.n);
    this.fine.push(fine);
    this.timeMs.push(timeMs);
    this.heap.push(heap);
    this.rss.push(rss);
    this.liveBlocks.push(blocks);
    this.liveBytes.push(bytes);
    while (
      this.count >= 2 &&
      this.count % 2 === 0 &&
      (this.count >= this.maxCheckpoints || this.rows.n > this.rowBudget)
    ) {
      const before = this.rows.n;
      this.mergePairs();
      if (this.count < this.maxCheckpoints && this.rows.n === before) break;
    }
  }

  /** Applies the rows of checkpoints 0 … k in order (later rows of a page win). */
  replayTo(k: number, apply: (rows: PageRows, i: number) => void): void {
    const end = this.off[Math.min(k, this.count - 1) + 1];
    for (let i = 0; i < end; i++) apply(this.rows, i);
  }

  /** Checkpoint 2j folds into 2j+1, in place (a merged checkpoint never has more rows than its two). */
  private mergePairs(): void {
    const r = this.rows;
    let pages = 0;
    for (let i = 0; i < r.n; i++) if (r.page[i] >= pages) pages = r.page[i] + 1;
    if (this.stamp.length < pages) {
      this.stamp = new Int32Array(pages * 2).fill(-1);
      this.at = new Int32Array(pages * 2);
    } else this.stamp.fill(-1);
    const half = this.count >> 1;
    let out = 0;
    const off = [0];
    for (let j = 0; j < half; j++) {
      const from = this.off[2 * j];
      const to = this.off[2 * j + 2];
      for (let i = from; i < to; i++) {
        const p = r.page[i];
        if (this.stamp[p] === j) r.copyRow(this.at[p], r, i);
        else {
          this.stamp[p] = j;
          this.at[p] = out;
          r.copyRow(out++, r, i);
        }
      }
      off.push(out);
    }
    r.n = out;
    this.off = off;
    const odd = <T>(a: T[]): T[] => a.filter((_, i) => i % 2 === 1);
    this.fine = odd(this.fine);
    this.timeMs = odd(this.timeMs);
    this.heap = odd(this.heap);
    this.rss = odd(this.rss);
    this.liveBlocks = odd(this.liveBlocks);
    this.liveBytes = odd(this.liveBytes);
    this.shift++;
  }

  approxBytes(): number {
    return this.rows.bytesHeld + this.stamp.length * 8;
  }
}
