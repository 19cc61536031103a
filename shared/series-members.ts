import type { CaptureInfo, SnapshotSpec } from './api';

/**
 * The members of an open series (tracemalloc dumps, or memray captures of one program) and the
 * snapshot that names each one, for the Diff view's picker and `heapscope series --from/--to`.
 */

export interface SeriesMember {
  /** "3: dump-0003.pickle" — its place in the series and its file. */
  label: string;
  fileName: string;
}

/** In series order; empty for a capture that is not a series. */
export function seriesMembers(info: CaptureInfo | undefined | null): SeriesMember[] {
  const files = info?.series?.dumps ?? info?.captureSeries?.captures ?? [];
  return files.map((f, i) => ({ label: `${i + 1}: ${f.fileName}`, fileName: f.fileName }));
}

/** Which of a member's sets a side compares: a memray capture holds several, a dump one. */
export type MemberKind = 'peak' | 'leaks' | 'all' | 'temporary';

/**
 * The snapshot of member `i`. A dump is the live set at its place on the series' axis (its time
 * with timestamped names, else its index: TracemallocSeriesModel picks the last dump at or before
 * a moment); `kind` does not apply. A memray capture is its whole span on the series' axis,
 * which MemraySeriesModel answers with that capture's own peak, leaks, allocations or
 * temporaries (threshold N).
 */
export function seriesMemberSnapshot(
  info: CaptureInfo,
  i: number,
  kind: MemberKind = 'peak',
  threshold?: number,
): SnapshotSpec {
  const dumps = info.series?.dumps;
  if (dumps) {
    const timed = info.series?.order === 'name-timestamp';
    return { kind: 'at', timeMs: timed ? (dumps[i].timeMs ?? 0) : i };
  }
  const c = info.captureSeries?.captures[i];
  if (!c) throw new RangeError(`${info.facts.fileName} has no series member ${i + 1}`);
  const span = { fromMs: c.fromMs, toMs: c.toMs };
  if (kind === 'temporary') return { kind, ...(threshold !== undefined && { threshold }), ...span };
  const measure = kind === 'peak' ? 'peak' : kind === 'leaks' ? 'live-at-end' : 'allocated';
  return { kind: 'range', ...span, measure };
}
