import type { CaptureFormat, SnapshotSpec, Summary } from './api';
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
      return temporaryLabel(spec.threshold ?? 1);
  }
}

/** memray's temporary allocations at threshold N, with the rule spelled out. */
export function temporaryLabel(threshold: number): string {
  return `temporary allocations (freed after ≤ ${threshold} other allocation${threshold === 1 ? '' : 's'} on their thread, memray's rule)`;
}

/** What a summary's top sites measure: their heading, and the total their shares are of. */
export interface TopSitesBasis {
  heading: string;
  /** Own bytes ÷ this is a site's share. */
  totalBytes: number;
  /** "of the peak", "of all bytes allocated" … */
  shareOf: string;
}

/**
 * The top sites rank own bytes of the summary's snapshot, so their shares are of that snapshot's
 * total: the peak for memray (or the range's peak), the traced set for a dump. Scalene's sites are
 * bytes allocated over the whole run, many times the peak footprint, so theirs are shares of
 * everything allocated.
 */
export function topSitesBasis(
  summary: Pick<Summary, 'peakBytes' | 'totalBytesAllocated'> & {
    info: { facts: { format: CaptureFormat } };
  },
  inRange = false,
): TopSitesBasis {
  const format = summary.info.facts.format;
  if (format === 'scalene')
    return {
      heading: 'Top lines by bytes allocated over the run',
      totalBytes: summary.totalBytesAllocated,
      shareOf: 'of all bytes allocated',
    };
  if (inRange)
    return {
      heading: 'Top allocation sites in the range',
      totalBytes: summary.peakBytes,
      shareOf: 'of the range’s peak',
    };
  if (format === 'memray')
    return {
      heading: 'Top allocation sites at the peak',
      totalBytes: summary.peakBytes,
      shareOf: 'of the peak',
    };
  return {
    heading: 'Top allocation sites in the snapshot',
    totalBytes: summary.peakBytes,
    shareOf: 'of the snapshot',
  };
}

/** A site's own bytes as a share of the basis (0 when there is nothing to share). */
export function ownShare(site: { ownBytes: number }, basis: Pick<TopSitesBasis, 'totalBytes'>): number {
  return basis.totalBytes > 0 ? site.ownBytes / basis.totalBytes : 0;
}
