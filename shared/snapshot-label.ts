import type { CaptureFormat, SnapshotSpec } from './api';
import { formatDuration } from './units';

/**
 * Formats whose capture is one traced set at one moment (a `tracemalloc.Snapshot.dump`): peak,
 * leaks and "all" are that same set, so naming it "peak" or "leaked" would claim a history the
 * file does not have.
 */
const SNAPSHOT_FORMATS: ReadonlySet<CaptureFormat> = new Set(['tracemalloc']);

export const TRACED_AT_SNAPSHOT = 'traced at snapshot';

/** True when every snapshot kind of this format is the one traced set (see SNAPSHOT_FORMATS). */
export function isSingleSnapshot(format: CaptureFormat | undefined): boolean {
  return !!format && SNAPSHOT_FORMATS.has(format);
}

/** How a snapshot is named on screen and in exported reports. */
export function describeSnapshot(spec: SnapshotSpec, format?: CaptureFormat): string {
  if (isSingleSnapshot(format) && (spec.kind === 'peak' || spec.kind === 'leaks' || spec.kind === 'all'))
    return TRACED_AT_SNAPSHOT;
  switch (spec.kind) {
    case 'peak':
      return 'peak';
    case 'leaks':
      return 'leaks (alive at the end)';
    case 'all':
      return 'all allocations';
    case 'at':
      return `live at ${formatDuration(spec.timeMs)}`;
    case 'range':
      return `range ${formatDuration(spec.fromMs)} – ${formatDuration(spec.toMs)} (${spec.measure})`;
    case 'temporary':
      return spec.fromMs !== undefined && spec.toMs !== undefined
        ? `${temporaryLabel(spec.threshold ?? 1)}, found ${formatDuration(spec.fromMs)} – ${formatDuration(spec.toMs)}`
        : temporaryLabel(spec.threshold ?? 1);
  }
}

/** memray's temporary allocations at threshold N, with the rule spelled out. */
export function temporaryLabel(threshold: number): string {
  return `temporary allocations (freed after ≤ ${threshold} other allocation${threshold === 1 ? '' : 's'} on their thread, memray's rule)`;
}
