import type { CaptureInfo, Finding, SiteRow, Summary } from '../../shared/api';
import { formatBytes, formatPercent } from '../../shared/units';
import type { Snapshot } from '../model/snapshot';

/** Everything the findings look at; every field but `info` is optional. */
export interface FindingsInput {
  info: CaptureInfo;
  peakBytes?: number;
  leakedBytes?: number;
  leakedCount?: number;
  /** Tracked heap and RSS at the end of the timeline. */
  heapAtEndBytes?: number;
  rssAtEndBytes?: number;
  /** Top sites of the peak snapshot, function or line grouping (SiteRow.share relative to it). */
  topSites?: SiteRow[];
  /** Top sites of the leaks snapshot. */
  topLeakSites?: SiteRow[];
  /** tracemalloc: tracebacks whose depth reached the `tracebackLimit` (see `countStacksAtDepth`). */
  stacksAtLimit?: { atLimit: number; total: number };
}

export interface FindingThresholds {
  /** RSS − heap above this (and above `rssGapShare` of RSS) is reported. */
  rssGapBytes: number;
  rssGapShare: number;
  /** A single site holding at least this share of the peak is reported. */
  dominantShare: number;
  /** Leaks at least this large (and `leakShare` of the peak) are reported. */
  leakBytes: number;
  leakShare: number;
}

export const DEFAULT_THRESHOLDS: FindingThresholds = {
  rssGapBytes: 64 * 1024 * 1024,
  rssGapShare: 0.25,
  dominantShare: 0.5,
  leakBytes: 1024 * 1024,
  leakShare: 0.05,
};

export function siteLabel(site: Pick<SiteRow, 'function' | 'file' | 'line' | 'module'>): string {
  const where = site.line > 0 ? `${site.file}:${site.line}` : site.file || site.module || '';
  if (!site.function) return where || '(unknown)';
  return where ? `${site.function} at ${where}` : site.function;
}

const ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** Plain-language findings, most severe first. */
export function buildFindings(input: FindingsInput, thresholds: Partial<FindingThresholds> = {}): Finding[] {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const { info } = input;
  const facts = info.facts;
  const out: Finding[] = [];

  if (info.truncated) {
    const killed = facts.format === 'memray';
    out.push({
      severity: 'critical',
      code: 'truncated',
      text: killed
        ? 'This capture ended without a trailer: the process was probably killed (OOM / exit 137). ' +
          'Everything up to the cut is shown; peak and leaks describe the moment it stopped.'
        : `This capture is incomplete${info.truncationReason ? ` (${info.truncationReason})` : ''}; everything up to the cut is shown.`,
    });
  }

  const allocator = facts.pythonAllocator?.toLowerCase() ?? '';
  if (facts.format === 'memray' && facts.tracePythonAllocators === false) {
    if (allocator.startsWith('pymalloc')) {
      out.push({
        severity: 'warning',
        code: 'pymalloc-not-traced',
        text:
          'pymalloc allocations are not traced in this capture; leaks of small objects may be hidden. ' +
          'Record with --trace-python-allocators or PYTHONMALLOC=malloc for a complete leak report.',
      });
    } else if (allocator.startsWith('mimalloc')) {
      out.push({
        severity: 'critical',
        code: 'mimalloc-not-traced',
        text:
          'The interpreter used its built-in mimalloc and Python allocators were not traced, so the tracker ' +
          'saw almost nothing: Python objects do not go through malloc. Record again with --trace-python-allocators.',
      });
    }
  }

  if (input.rssAtEndBytes !== undefined && input.heapAtEndBytes !== undefined) {
    const gap = input.rssAtEndBytes - input.heapAtEndBytes;
    if (gap > t.rssGapBytes && gap > t.rssGapShare * input.rssAtEndBytes) {
      out.push({
        severity: 'warning',
        code: 'rss-exceeds-heap',
        text:
          `RSS exceeded the tracked heap by ${formatBytes(gap)} at the end: memory not seen by the tracker ` +
          '(native code without --native hooks, interpreter overhead, memory-mapped files), or fragmentation.',
      });
    }
  }

  const peak = input.peakBytes ?? 0;
  const top = input.topSites && [...input.topSites].sort((a, b) => b.ownBytes - a.ownBytes)[0];
  if (top && peak > 0 && top.ownBytes / peak >= t.dominantShare) {
    out.push({
      severity: 'info',
      code: 'single-site-dominates',
      // Rounded down: "100%" would claim the site holds everything.
      text: `${Math.floor((top.ownBytes / peak) * 100)}% of the peak comes from one call site (${siteLabel(top)}).`,
    });
  }

  const leaked = input.leakedBytes ?? 0;
  // A snapshot-only capture (tracemalloc dump, memray CSV) is one live set: "leaked" would just
  // restate its size, so only captures with a history of allocations and frees get this finding.
  const hasHistory = info.capabilities.timeline && info.capabilities.leaks;
  if (hasHistory && leaked >= t.leakBytes && (peak === 0 || leaked >= t.leakShare * peak)) {
    const leakTop = input.topLeakSites && [...input.topLeakSites].sort((a, b) => b.ownBytes - a.ownBytes)[0];
    const count = input.leakedCount ? ` in ${input.leakedCount.toLocaleString('en-US')} allocations` : '';
    out.push({
      severity: 'warning',
      code: 'large-leaks',
      text:
        `${formatBytes(leaked)}${count} were still allocated when tracking stopped` +
        (peak > 0 ? ` (${formatPercent(leaked / peak, 0)} of the peak)` : '') +
        (leakTop ? `; the largest part comes from ${siteLabel(leakTop)}.` : '.'),
    });
  }

  const limit = facts.tracebackLimit;
  if (limit !== undefined && input.stacksAtLimit && input.stacksAtLimit.atLimit > 0) {
    const { atLimit, total } = input.stacksAtLimit;
    out.push({
      severity: limit <= 1 ? 'warning' : 'info',
      code: 'tracebacks-truncated',
      text:
        `tracemalloc kept at most ${limit} frame${limit === 1 ? '' : 's'} per traceback and ${atLimit} of ${total} ` +
        `tracebacks reached that limit, so their outer callers are missing. Start tracing with a higher ` +
        `limit, e.g. tracemalloc.start(${suggestedLimit(limit)}) (or PYTHONTRACEMALLOC=${suggestedLimit(limit)}), to see full stacks.`,
    });
  }

  if (peak === 0 && !info.truncated) {
    out.push({ severity: 'info', code: 'empty', text: 'The tracker recorded no live memory at the peak.' });
  }

  return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}

/** Findings from an engine Summary (whose topSites are the peak's). */
export function findingsFromSummary(
  summary: Omit<Summary, 'findings'>,
  extra: Partial<FindingsInput> = {},
  thresholds?: Partial<FindingThresholds>,
): Finding[] {
  return buildFindings(
    {
      info: summary.info,
      peakBytes: summary.peakBytes,
      leakedBytes: summary.leakedBytes,
      leakedCount: summary.leakedCount,
      heapAtEndBytes: summary.heapAtEndBytes,
      rssAtEndBytes: summary.rssAtEndBytes,
      topSites: summary.topSites,
      ...extra,
    },
    thresholds,
  );
}

/** Distinct stacks (rows with bytes) whose depth is at least `limit`, for `stacksAtLimit`. */
export function countStacksAtDepth(snapshot: Snapshot, limit: number): { atLimit: number; total: number } {
  const seen = new Set<number>();
  let atLimit = 0;
  for (let r = 0; r < snapshot.rows.length; r++) {
    const leaf = snapshot.rows.stack[r];
    if (seen.has(leaf)) continue;
    seen.add(leaf);
    if (leaf > 0 && snapshot.stacks.depth(leaf) >= limit) atLimit++;
  }
  return { atLimit, total: seen.size };
}

/** A traceback limit worth suggesting: clearly above the one that truncated stacks. */
function suggestedLimit(limit: number): number {
  return Math.max(25, limit * 2);
}
