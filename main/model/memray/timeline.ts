import { FAMILIES } from '../allocator-family';
import { F64List } from './tables';

/**
 * The heap line as the capture sampled it: one point per MEMORY_RECORD (MEMORY_SNAPSHOT in
 * aggregated files), with the RSS the record carries, the heap by memray's rules at that moment,
 * what was allocated in the interval it closes, and the live bytes per allocator family.
 * Point f is memory record f, so the time index's fine interval f ends at point f.
 */
export class HeapTimeline {
  readonly timeMs = new F64List(1024);
  readonly rssBytes = new F64List(1024);
  readonly heapBytes = new F64List(1024);
  /** Allocations in the interval ending at each point (full index only). */
  readonly allocationCount = new F64List(1024);
  readonly allocatedBytes = new F64List(1024);
  /** Live bytes per family (slot of FAMILIES) at each point (full index only). */
  readonly familyBytes: F64List[] = FAMILIES.map(() => new F64List(1024));
  /** Allocations since the last memory record. */
  intervalCount = 0;
  intervalBytes = 0;
  /** ms since start of the latest memory record (0 before the first). */
  lastTimeMs = 0;

  get length(): number {
    return this.timeMs.length;
  }

  /** A point with time, RSS and heap only (the totals replay keeps no more). */
  point(timeMs: number, rss: number, heap: number): void {
    this.lastTimeMs = timeMs;
    this.timeMs.push(timeMs);
    this.rssBytes.push(rss);
    this.heapBytes.push(heap);
  }

  /** A MEMORY_RECORD of the full index: the point, the interval's allocations, the families. */
  memoryRecord(timeMs: number, rss: number, heap: number, familyLive: Float64Array): void {
    this.point(timeMs, rss, heap);
    this.allocationCount.push(this.intervalCount);
    this.allocatedBytes.push(this.intervalBytes);
    for (let f = 0; f < FAMILIES.length; f++) this.familyBytes[f].push(familyLive[f]);
    this.intervalCount = 0;
    this.intervalBytes = 0;
  }

  /** Aggregated files: a MEMORY_SNAPSHOT carries its own heap value and no allocations. */
  memorySnapshot(timeMs: number, rss: number, heap: number): void {
    this.point(timeMs, rss, heap);
    this.allocationCount.push(0);
    this.allocatedBytes.push(0);
  }

  /** Time of memory record `f` (-1: the capture start; past the last one: the last one's). */
  timeOf(f: number): number {
    if (f < 0) return 0;
    return f < this.timeMs.length ? this.timeMs.get(f) : this.lastTimeMs;
  }

  /** The last memory record at or before `t` (ms from start); -1 when none. */
  recordAtOrBefore(t: number): number {
    const time = this.timeMs.view();
    let lo = 0;
    let hi = time.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (time[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
