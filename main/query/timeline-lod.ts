import type { Timeline } from '../../shared/api';
import type { HeapLineSoFar } from '../model/capture-model';

/**
 * Level of detail for timelines. A chart column (bucket) can show many samples only as one
 * vertical stroke from their lowest to their highest value; keeping, per bucket, the first and
 * last samples and those holding each column's minimum and maximum (M4, Jugel et al., VLDB 2014)
 * draws exactly the same strokes as the whole series. Averaging, or keeping one sample per
 * bucket, lowers every peak and raises every trough.
 */

/** Columns whose extremes must survive; null entries (no value at that point) are skipped. */
export type LodColumn = ArrayLike<number | null>;

/**
 * Indices of the points to keep, ascending: per bucket of equal time width over
 * [timeMs[0], timeMs[n-1]], the first, the last, and for every column the first point holding its
 * minimum and the last point holding its maximum (the last, like memray's `>=` peak rule), plus
 * every index of `keep`. `timeMs` must be non-decreasing. With `buckets >= n` every point is kept.
 */
export function m4Indices(
  timeMs: ArrayLike<number>,
  columns: LodColumn[],
  buckets: number,
  keep: readonly number[] = [],
): number[] {
  const n = timeMs.length;
  if (n === 0) return [];
  const all = (): number[] => Array.from({ length: n }, (_, i) => i);
  if (buckets >= n) return all();
  const nb = Math.max(1, Math.floor(buckets));
  const t0 = timeMs[0];
  const span = timeMs[n - 1] - t0;
  const bucketOf = (i: number): number =>
    span > 0 ? Math.min(nb - 1, Math.floor(((timeMs[i] - t0) / span) * nb)) : 0;
  const kept = new Uint8Array(n);
  for (const k of keep) if (k >= 0 && k < n) kept[k] = 1;
  let start = 0;
  while (start < n) {
    const bucket = bucketOf(start);
    let end = start + 1;
    while (end < n && bucketOf(end) === bucket) end++;
    kept[start] = 1;
    kept[end - 1] = 1;
    for (const col of columns) {
      let lo = -1;
      let hi = -1;
      for (let i = start; i < end; i++) {
        const v = col[i];
        if (v === null || v === undefined) continue;
        if (lo < 0 || v < (col[lo] as number)) lo = i;
        if (hi < 0 || v >= (col[hi] as number)) hi = i;
      }
      if (lo >= 0) kept[lo] = 1;
      if (hi >= 0) kept[hi] = 1;
    }
    start = end;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (kept[i]) out.push(i);
  return out;
}

/** Points M4 may keep per bucket: first and last, then a minimum and a maximum per column. */
function pointsPerBucket(columns: number): number {
  return 2 + 2 * columns;
}

/** The points a reduction to `maxPoints` keeps (plus `keep`): as many M4 buckets as fit. */
function lodIndices(
  timeMs: ArrayLike<number>,
  columns: LodColumn[],
  maxPoints: number,
  keep: readonly number[],
): number[] {
  const budget = Math.max(1, maxPoints - keep.length);
  const buckets = Math.max(1, Math.floor(budget / pointsPerBucket(columns.length)));
  return m4Indices(timeMs, columns, buckets, keep);
}

/**
 * A full-resolution timeline reduced to at most `maxPoints` points (plus the `keep` indices,
 * e.g. the peak and the end, which always stay). The heap, the RSS and every process's heap keep
 * their per-bucket extremes (`m4Indices`); allocation volumes of dropped points move to the next
 * kept point, so each kept point still carries what was allocated in the interval ending at it
 * and the totals are unchanged.
 */
export function downsampleTimeline(
  full: Timeline,
  maxPoints: number,
  keep: readonly number[] = [],
): Timeline {
  const n = full.timeMs.length;
  if (n <= maxPoints) return full;
  const columns: LodColumn[] = [
    full.heapBytes,
    full.rssBytes,
    ...(full.processes ?? []).map((p) => p.heapBytes),
  ];
  const idx = lodIndices(full.timeMs, columns, maxPoints, keep);
  const pick = <T>(a: ArrayLike<T>): T[] => idx.map((i) => a[i]);
  const allocatedBytes: number[] = [];
  const allocationCount: number[] = [];
  const temporary = full.temporaryCount;
  const temporaryCount: number[] = [];
  let from = 0;
  for (const i of idx) {
    let bytes = 0;
    let count = 0;
    let tmp = 0;
    for (let j = from; j <= i; j++) {
      bytes += full.allocatedBytes[j];
      count += full.allocationCount[j];
      if (temporary) tmp += temporary[j];
    }
    allocatedBytes.push(bytes);
    allocationCount.push(count);
    temporaryCount.push(tmp);
    from = i + 1;
  }
  return {
    ...full,
    timeMs: pick(full.timeMs),
    heapBytes: pick(full.heapBytes),
    rssBytes: pick(full.rssBytes),
    allocatedBytes,
    allocationCount,
    ...(temporary && { temporaryCount }),
    ...(full.byFamily && {
      byFamily: full.byFamily.map((f) => ({ family: f.family, bytes: pick(f.bytes) })),
    }),
    ...(full.processes && {
      processes: full.processes.map((p) => ({ ...p, heapBytes: pick(p.heapBytes) })),
    }),
  };
}

/**
 * The points every reduction of `t` keeps: the one that shows its peak (`t.peak`; the last such
 * point, like memray's `>=` rule) and the last one, the end of tracking.
 */
export function landmarkIndices(t: Timeline): number[] {
  const last = t.timeMs.length - 1;
  let peak = -1;
  for (let i = last; i >= 0 && peak < 0; i--)
    if (t.timeMs[i] === t.peak.timeMs && t.heapBytes[i] === t.peak.bytes) peak = i;
  return peak >= 0 && peak !== last ? [peak, last] : [last];
}

/** A model's full-resolution timeline as a chart gets it: at most `maxPoints`, peak and end kept. */
export function displayTimeline(full: Timeline, maxPoints: number): Timeline {
  return downsampleTimeline(full, maxPoints, landmarkIndices(full));
}

/**
 * The heap line read so far as a preview chart gets it (shared/api.ts LoadPreview): the memory
 * records' heap and RSS reduced like `displayTimeline` reduces the finished timeline (the same
 * buckets, the highest point and the last one kept), so a preview and the chart that replaces it
 * draw the same strokes where both have points. It reads the loader's columns in place: copying
 * a million points first took 5× the reduction itself. The peak is the highest point so far;
 * allocation columns stay 0 (they are the index's); null with no point yet.
 */
export function timelineSoFar(line: HeapLineSoFar, durationMs: number, maxPoints: number): Timeline | null {
  const n = Math.min(line.timeMs.length, line.heapBytes.length, line.rssBytes.length);
  if (n === 0) return null;
  const heap = line.heapBytes;
  let top = 0;
  for (let i = 1; i < n; i++) if (heap[i] >= heap[top]) top = i;
  // displayTimeline's landmarks: the peak (the last point holding it) and the end
  const keep = top === n - 1 ? [n - 1] : [top, n - 1];
  const idx =
    n <= maxPoints
      ? Array.from({ length: n }, (_, i) => i)
      : lodIndices(line.timeMs, [heap, line.rssBytes], maxPoints, keep);
  const pick = (column: ArrayLike<number>): number[] => idx.map((i) => column[i]);
  return {
    timeMs: pick(line.timeMs),
    heapBytes: pick(heap),
    rssBytes: pick(line.rssBytes),
    allocatedBytes: idx.map(() => 0),
    allocationCount: idx.map(() => 0),
    peak: { timeMs: line.timeMs[top], bytes: heap[top] },
    durationMs: Math.max(durationMs, line.timeMs[n - 1]),
  };
}
