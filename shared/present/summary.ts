/**
 * How a Summary is shown: the same cards in the app's Summary view and the HTML report, the same
 * words in `heapscope stats`. A number the capture did not measure is `null` in the Summary (a
 * snapshot-only capture has no peak time, no allocation total, no leaks; see
 * SNAPSHOT_ONLY_SUMMARY in main/model/capture-model.ts): it is shown as "—" with the reason from
 * `absentReason`, never as a zero.
 */
import type { CaptureFormat, CaptureInfo, SeriesInfo, Summary } from '../api';
import { isSingleSnapshot } from '../snapshot-label';
import { formatBytes, formatDuration, type UnitSystem } from '../units';

/** The capture facts every presentation below looks at. */
export type SummaryCapture = Pick<CaptureInfo, 'facts' | 'capabilities' | 'durationMs' | 'records'> &
  Partial<Pick<CaptureInfo, 'series' | 'processes' | 'captureSeries'>>;

/**
 * What the peak number is: memray's high-water mark (`peak`), the one traced set of a
 * tracemalloc dump (`snapshot`), or Scalene's largest footprint sample (`footprint`).
 */
export type PeakKind = 'peak' | 'snapshot' | 'footprint';

export function peakKind(info: Pick<SummaryCapture, 'facts' | 'series'>): PeakKind {
  if (isSingleSnapshot(info.facts.format) && !info.series) return 'snapshot';
  if (info.facts.format === 'scalene') return 'footprint';
  return 'peak';
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A moment of a series: its dump (on a dump axis the moment is the dump's index). */
export function seriesMoment(series: SeriesInfo, timeMs: number): string {
  const timed = series.order === 'name-timestamp';
  let index = 0;
  series.dumps.forEach((d, i) => {
    if ((timed ? (d.timeMs ?? 0) : i) <= timeMs) index = i;
  });
  const d = series.dumps[index];
  return `dump ${index + 1} of ${series.dumps.length} (${d.fileName}${timed ? `, +${formatDuration(d.timeMs ?? 0)}` : ''})`;
}

/**
 * When the peak was reached: "at 1.20 s", or "in dump 3 of 10 (…)" for a series; null when the
 * capture has no time axis (its peak is the one set it holds).
 */
export function peakMoment(summary: Pick<Summary, 'peakTimeMs'> & { info: SummaryCapture }): string | null {
  if (summary.peakTimeMs === null) return null;
  // memray captures laid end to end: which capture, and when in it
  const captures = summary.info.captureSeries?.captures;
  if (captures && captures.length > 0) {
    const t = summary.peakTimeMs;
    const i = Math.max(
      0,
      captures.findIndex((c) => t <= c.toMs),
    );
    const c = captures[i];
    return `in capture ${i + 1} of ${captures.length} (${c.fileName}) at ${formatDuration(t - c.fromMs)}`;
  }
  const series = summary.info.series;
  return series
    ? `in ${seriesMoment(series, summary.peakTimeMs)}`
    : `at ${formatDuration(summary.peakTimeMs)}`;
}

/** The numbers a capture may lack (null in its Summary). */
export type OptionalMeasure = 'peakTime' | 'allocations' | 'leaks';

/** Why a capture has no such number: said where the number would be. */
export function absentReason(info: SummaryCapture, measure: OptionalMeasure): string {
  const f = info.facts;
  if (measure === 'peakTime') return 'a snapshot has no time axis';
  if (f.format === 'scalene')
    return measure === 'leaks'
      ? 'Scalene measures no leaked set; its leak hints are in the findings'
      : 'this profile has no memory samples';
  if (f.fileFormat === 'aggregated') return 'not recorded in an aggregated capture';
  if (measure === 'allocations') return 'a snapshot holds only live blocks';
  if (info.series) return 'each dump holds what was alive then, not what was freed';
  return 'a snapshot does not say what was freed';
}

/** A line under a card's number. `id` and `value` are the stable hooks tests read. */
export interface CardNote {
  text: string;
  id?: string;
  value?: number;
}

export type SummaryCardId = 'peak' | 'total-allocated' | 'leaked' | 'rss-end';

export interface SummaryCard {
  /** Stable name (`summary-${id}` in the app and the report). */
  id: SummaryCardId;
  title: string;
  /** The number behind `text` (bytes, or a count when `unit` is 'count'); null when not measured. */
  value: number | null;
  unit: 'bytes' | 'count';
  /** `value` as shown; "—" when not measured, null while the summary is loading. */
  text: string | null;
  notes: CardNote[];
}

export interface SummaryCardOptions {
  /** The numbers are for a brushed range. */
  inRange?: boolean;
  units?: UnitSystem;
}

const ABSENT = '—';

/**
 * The Summary's four cards: peak, total allocated, leaked, end of tracking. `summary` null means
 * still loading: titles are known from the capture, numbers not yet.
 */
export function summaryCards(
  info: SummaryCapture,
  summary: Omit<Summary, 'info' | 'topSites' | 'findings'> | null,
  options: SummaryCardOptions = {},
): SummaryCard[] {
  return [
    peakCard(info, summary, options),
    allocatedCard(info, summary, options),
    leakedCard(info, summary, options),
    endCard(info, summary, options),
  ];
}

type Numbers = Omit<Summary, 'info' | 'topSites' | 'findings'> | null;

const PEAK_TITLES: Record<PeakKind, string> = {
  peak: 'Peak memory',
  snapshot: 'Traced at snapshot',
  footprint: 'Peak footprint',
};

function bytesText(bytes: number | null | undefined, units: UnitSystem | undefined): string {
  return bytes == null ? ABSENT : formatBytes(bytes, units);
}

function peakCard(info: SummaryCapture, s: Numbers, o: SummaryCardOptions): SummaryCard {
  const notes: CardNote[] = [];
  if (s) {
    notes.push({ text: peakMoment({ info, peakTimeMs: s.peakTimeMs }) ?? 'in the snapshot' });
    // Fork children: the card is the highest sum at one moment; the processes' own peaks,
    // reached at different moments, add up to more and are named as such.
    if (s.sumOfProcessPeaksBytes != null)
      notes.push({
        text: `the ${info.processes ?? ''} processes' heaps summed at one moment; their own peaks add up to ${formatBytes(s.sumOfProcessPeaksBytes, o.units)}`,
        id: 'summary-sum-of-peaks',
        value: s.sumOfProcessPeaksBytes,
      });
  }
  return {
    id: 'peak',
    title: PEAK_TITLES[peakKind(info)],
    value: s?.peakBytes ?? null,
    unit: 'bytes',
    text: s ? formatBytes(s.peakBytes, o.units) : null,
    notes,
  };
}

function allocatedCard(info: SummaryCapture, s: Numbers, o: SummaryCardOptions): SummaryCard {
  const measured = s && s.totalBytesAllocated !== null && s.totalAllocations !== null;
  return {
    id: 'total-allocated',
    title: 'Total allocated',
    value: measured ? s.totalBytesAllocated : null,
    unit: 'bytes',
    text: s ? bytesText(s.totalBytesAllocated, o.units) : null,
    notes: !s
      ? []
      : measured
        ? [
            {
              text: `${formatCount(s.totalAllocations!)} allocations`,
              id: 'summary-total-allocations',
              value: s.totalAllocations!,
            },
          ]
        : [{ text: absentReason(info, 'allocations') }],
  };
}

function leakedCard(info: SummaryCapture, s: Numbers, o: SummaryCardOptions): SummaryCard {
  // A dump is one traced set: its blocks are what it holds, neither a peak nor leaks.
  if (peakKind(info) === 'snapshot')
    return {
      id: 'leaked',
      title: 'Traced blocks',
      value: info.records,
      unit: 'count',
      text: formatCount(info.records),
      notes: [{ text: 'memory blocks in the snapshot, one trace each' }],
    };
  const measured = s && s.leakedBytes !== null && s.leakedCount !== null;
  return {
    id: 'leaked',
    title: o.inRange ? 'Alive at end of range' : 'Leaked (alive at end)',
    value: measured ? s.leakedBytes : null,
    unit: 'bytes',
    text: s ? bytesText(s.leakedBytes, o.units) : null,
    notes: !s
      ? []
      : measured
        ? [{ text: `${formatCount(s.leakedCount!)} allocations${o.inRange ? ' made in the range' : ''}` }]
        : [{ text: absentReason(info, 'leaks') }],
  };
}

/** Which memory record the end card's moment is (RSS and heap are measured only at those). */
function endMomentNote(info: SummaryCapture, inRange: boolean): string {
  const many = (info.processes ?? 1) > 1;
  if (inRange)
    return many
      ? "each process's last memory record by the range's end"
      : 'the memory record ending the range';
  return many ? "each running process's last memory record" : 'the last memory record';
}

function endCard(info: SummaryCapture, s: Numbers, o: SummaryCardOptions): SummaryCard {
  const notes: CardNote[] = [];
  if (s) {
    const rss = s.rssAtEndBytes;
    const heap = s.heapAtEndBytes;
    // RSS and heap of one memory record: a heap taken later than the RSS beside it could exceed it.
    notes.push({
      text: `${rss != null ? 'RSS' : 'no RSS in this capture'}${heap != null ? ` · heap ${formatBytes(heap, o.units)}` : ''}`,
      id: 'summary-heap-end',
      ...(heap != null && { value: heap }),
    });
    if (s.atEndTimeMs != null)
      notes.push({
        text: `${heap != null && rss != null ? 'both ' : ''}at ${formatDuration(s.atEndTimeMs)}, ${endMomentNote(info, !!o.inRange)}`,
        id: 'summary-end-time',
        value: s.atEndTimeMs,
      });
    // Measured together and still apart: say why rather than let it look like a mix-up.
    if (rss != null && heap != null && heap > rss)
      notes.push({
        text: 'the heap is above RSS: allocated pages not yet written to are not resident',
        id: 'summary-heap-above-rss',
      });
  }
  return {
    id: 'rss-end',
    title: o.inRange ? 'At the end of the range' : 'At the end',
    value: s?.rssAtEndBytes ?? null,
    unit: 'bytes',
    text: s ? bytesText(s.rssAtEndBytes, o.units) : null,
    notes,
  };
}

/**
 * The capture's warnings a summary lists: not the truncation (the summary says that itself), and
 * not one the findings already say.
 */
export function summaryWarnings(
  info: Pick<CaptureInfo, 'truncated' | 'truncationReason' | 'warnings'>,
  findings: readonly { text: string }[],
): string[] {
  const reason = info.truncated ? info.truncationReason : undefined;
  const said = new Set(findings.map((f) => f.text));
  return info.warnings.filter((w) => !(reason && w.includes(reason)) && !said.has(w));
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
      // Null only for a profile without memory data, whose sites have no bytes to share either.
      totalBytes: summary.totalBytesAllocated ?? 0,
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
