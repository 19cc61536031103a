import type { CaptureInfo, Finding, GrowthResult, SiteRow, Summary, TemporaryTotals } from '../../shared/api';
import { largestFlat } from './growth';
import { siteLabel } from '../../shared/present';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../shared/units';
import type { Snapshot } from '../model/snapshot';

/** Everything the findings look at; every field but `info` is optional. */
export interface FindingsInput {
  info: CaptureInfo;
  peakBytes?: number;
  leakedBytes?: number;
  leakedCount?: number;
  /**
   * Tracked heap and RSS at one moment (`atEndTimeMs`, the last memory record): both measured
   * together, and for a multi-process capture both summed over the same processes.
   */
  heapAtEndBytes?: number;
  rssAtEndBytes?: number;
  atEndTimeMs?: number;
  /**
   * The peak snapshot's total when it is not `peakBytes`: a multi-process capture's peak snapshot
   * holds each process at its own peak (their sum), its peak the highest sum at one moment.
   */
  peakSnapshotBytes?: number;
  /** Top sites of the peak snapshot, function or line grouping (SiteRow.share relative to it). */
  topSites?: SiteRow[];
  /** Top sites of the leaks snapshot. */
  topLeakSites?: SiteRow[];
  /** tracemalloc: tracebacks whose depth reached the `tracebackLimit` (see `countStacksAtDepth`). */
  stacksAtLimit?: { atLimit: number; total: number };
  /** How sizes are written in the text (default 'si'). */
  units?: UnitSystem;
  /** Every allocation made (for the share of temporary ones). */
  totalAllocations?: number;
  /** memray's temporary allocations (summary.temporary). */
  temporary?: TemporaryTotals;
  /** Sites ranked by growth (main/query/growth.ts). */
  growth?: GrowthResult;
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
  /** Temporary allocations at least this share of all allocations (and this many) are churn. */
  churnShare: number;
  churnCount: number;
  /** A site growing with at least this confidence (R² × share of intervals grown) is a suspect. */
  growthConfidence: number;
}

export const DEFAULT_THRESHOLDS: FindingThresholds = {
  rssGapBytes: 64 * 1024 * 1024,
  rssGapShare: 0.25,
  dominantShare: 0.5,
  leakBytes: 1024 * 1024,
  leakShare: 0.05,
  churnShare: 0.25,
  churnCount: 10_000,
  growthConfidence: 0.6,
};

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
        ? 'This capture ended without a trailer: the process was probably killed (SIGKILL, e.g. exit status 137, ' +
          'which by itself does not show an OOM kill; give the memory limit to compare RSS with it). ' +
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
      const processes = info.processes ?? 1;
      const when = input.atEndTimeMs !== undefined ? ` (${formatDuration(input.atEndTimeMs)})` : '';
      out.push({
        severity: 'warning',
        code: 'rss-exceeds-heap',
        text:
          `RSS exceeded the tracked heap by ${formatBytes(gap, input.units)} at the end${when}: memory not seen by the tracker ` +
          '(native code without --native hooks, interpreter overhead, memory-mapped files), or fragmentation.' +
          // Summed RSS counts the pages a fork child still shares with its parent once per process.
          (processes > 1
            ? ` Both are summed over the ${processes} processes running then; pages a fork child shares with its parent count in each process's RSS.`
            : ''),
      });
    }
  }

  const peak = input.peakBytes ?? 0;
  // A site's bytes are a share of the snapshot they were counted in.
  const snapshotPeak = input.peakSnapshotBytes ?? peak;
  const top = input.topSites && [...input.topSites].sort((a, b) => b.ownBytes - a.ownBytes)[0];
  if (top && snapshotPeak > 0 && top.ownBytes / snapshotPeak >= t.dominantShare) {
    out.push({
      severity: 'info',
      code: 'single-site-dominates',
      // Rounded down: "100%" would claim the site holds everything.
      text: `${Math.floor((top.ownBytes / snapshotPeak) * 100)}% of the peak${input.peakSnapshotBytes !== undefined ? ' snapshot (each process at its own peak)' : ''} comes from one call site (${siteLabel(top)}).`,
    });
  }

  // Only a capture that knows what was freed has leaks (a dump or a CSV is one live set, its
  // Summary's leakedBytes null).
  const leaked = input.leakedBytes;
  if (leaked !== undefined && leaked >= t.leakBytes && (peak === 0 || leaked >= t.leakShare * peak)) {
    const leakTop = input.topLeakSites && [...input.topLeakSites].sort((a, b) => b.ownBytes - a.ownBytes)[0];
    const count = input.leakedCount ? ` in ${input.leakedCount.toLocaleString('en-US')} allocations` : '';
    out.push({
      severity: 'warning',
      code: 'large-leaks',
      text:
        `${formatBytes(leaked, input.units)}${count} were still allocated when tracking stopped` +
        (peak > 0 ? ` (${formatPercent(leaked / peak, 0)} of the peak)` : '') +
        (leakTop ? `; the largest part comes from ${siteLabel(leakTop)}.` : '.'),
    });
  }

  out.push(...growthFindings(input, t), ...churnFindings(input, t));

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
      // A number the capture did not measure (null) is no input.
      leakedBytes: summary.leakedBytes ?? undefined,
      leakedCount: summary.leakedCount ?? undefined,
      heapAtEndBytes: summary.heapAtEndBytes,
      rssAtEndBytes: summary.rssAtEndBytes,
      atEndTimeMs: summary.atEndTimeMs,
      peakSnapshotBytes: summary.sumOfProcessPeaksBytes,
      topSites: summary.topSites,
      totalAllocations: summary.totalAllocations ?? undefined,
      ...(summary.temporary && { temporary: summary.temporary }),
      ...extra,
    },
    thresholds,
  );
}

/**
 * Leak suspects by growth: the best-ranked site when it grew steadily by at least `leakBytes`
 * over the run, and the largest site that held as much but stayed flat (not a leak: a cache, a
 * working set), so the two are told apart.
 */
function growthFindings(input: FindingsInput, t: FindingThresholds): Finding[] {
  const g = input.growth;
  if (!g || g.points < 3) return [];
  const out: Finding[] = [];
  const top = g.sites[0];
  const minutes = g.durationMs / 60_000;
  if (
    top &&
    top.verdict === 'growing' &&
    top.confidence >= t.growthConfidence &&
    top.slopeBytesPerMin * minutes >= t.leakBytes
  ) {
    out.push({
      severity: 'warning',
      code: 'steady-growth',
      text:
        `${siteLabel(top)} grows by ${formatBytes(top.slopeBytesPerMin, input.units)}/min, growing in ` +
        `${formatPercent(top.growthShare, 0)} of the run's intervals (R² ${top.rSquared.toFixed(2)}): a leak suspect; ` +
        `it holds ${formatBytes(top.finalBytes, input.units)} at the end.`,
    });
  }
  const flat = largestFlat(g);
  if (flat && flat.maxBytes >= t.leakBytes) {
    out.push({
      severity: 'info',
      code: 'large-but-flat',
      text:
        `${siteLabel(flat)} holds up to ${formatBytes(flat.maxBytes, input.units)} but stays flat over the run: ` +
        'a cache or working set, not a growing leak.',
    });
  }
  return out;
}

/** Heavy churn: many allocations freed right after they were made (memray's temporary rule). */
function churnFindings(input: FindingsInput, t: FindingThresholds): Finding[] {
  const tmp = input.temporary;
  const total = input.totalAllocations ?? 0;
  if (!tmp || total <= 0 || tmp.count < t.churnCount || tmp.count < t.churnShare * total) return [];
  const site = tmp.topSite;
  return [
    {
      severity: 'info',
      code: 'allocation-churn',
      text:
        `${formatPercent(tmp.count / total, 0)} of all allocations (${tmp.count.toLocaleString('en-US')}, ` +
        `${formatBytes(tmp.bytes, input.units)}) were temporary: freed on their thread after at most ${tmp.threshold} ` +
        `other allocation${tmp.threshold === 1 ? '' : 's'} (memray's rule)` +
        (site
          ? `; the most come from ${siteLabel(site)} (${site.count.toLocaleString('en-US')}). Reusing a buffer there saves allocator work.`
          : '.'),
    },
  ];
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
