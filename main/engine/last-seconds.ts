/**
 * The worker side of `lastSeconds`: the live set at the start of the final window against the
 * one when tracking stopped, grouped and compared like any diff, with the RSS and limit
 * evidence beside it. Only captures with a time axis and range queries (memray) answer.
 */
import type { LastSeconds, LastSecondsQuery, Timeline } from '../../shared/api';
import { UnsupportedQuery, type CaptureModel } from '../model/capture-model';
import { snapshotTotals } from '../model/snapshot';
import { compareGroups } from '../query/diff';
import { groupSnapshot } from '../model/groups';
import { growthInWindow, lastWindow, limitFindings, windowNote } from '../query/last-seconds';
import { displayTimeline } from '../query/timeline-lod';

const TIMELINE_POINTS = 4000;
const DEFAULT_SITES = 20;

/** The highest RSS of the timeline (its level of detail keeps every column's maximum). */
export function peakRss(timeline: Timeline): number | undefined {
  let best: number | undefined;
  for (const r of timeline.rssBytes) if (r !== null && (best === undefined || r > best)) best = r;
  return best;
}

/** The timeline at the chart's level of detail: the window starts on one of its points, as shown. */
function displayedTimeline(model: CaptureModel): Timeline | undefined {
  const full = model.timeline();
  return full && displayTimeline(full, TIMELINE_POINTS);
}

export function lastSecondsOf(model: CaptureModel, args: Omit<LastSecondsQuery, 'captureId'>): LastSeconds {
  const info = model.info();
  const timeline = info.capabilities.ranges ? displayedTimeline(model) : undefined;
  if (!timeline || info.series)
    throw new UnsupportedQuery(
      `${info.facts.fileName}: the last seconds need a capture with a time axis and per-allocation times (a memray capture)`,
    );
  if (args.windowMs !== undefined && !(args.windowMs > 0))
    throw new UnsupportedQuery('lastSeconds: windowMs must be a positive number of milliseconds');
  const endMs = Math.max(timeline.end?.timeMs ?? 0, timeline.durationMs, timeline.timeMs.at(-1) ?? 0);
  const asked = lastWindow(endMs, args.windowMs);
  // The window starts at a memory record (the first at or after the asked start), so the live
  // set there is measured, not interpolated, and rates divide by the window really compared.
  const record = timeline.timeMs.findIndex((t, i) => t >= asked.fromMs && timeline.rssBytes[i] !== null);
  const fromMs = record >= 0 && timeline.timeMs[record] < asked.toMs ? timeline.timeMs[record] : asked.fromMs;
  const window = {
    ...asked,
    fromMs,
    note:
      fromMs === asked.fromMs
        ? asked.note
        : windowNote(fromMs, asked.toMs, `${asked.why}, from the first memory record in it`),
  };
  const start = model.snapshot({ kind: 'at', timeMs: window.fromMs });
  const end = model.snapshot({ kind: 'leaks' });
  const groupBy = args.groupBy === 'function' ? 'function' : 'lineno';
  const rows = compareGroups(groupSnapshot(start, { groupBy }), groupSnapshot(end, { groupBy }));
  const sites = growthInWindow(rows, window.toMs - window.fromMs);
  const summary = model.summary(undefined, args.units);
  const heapAtStartBytes = snapshotTotals(start.rows).bytes;
  const heapAtEndBytes = snapshotTotals(end.rows).bytes;
  const seconds = (window.toMs - window.fromMs) / 1000;
  const rssPeak = peakRss(timeline);
  const limit = args.limitBytes;
  const result: LastSeconds = {
    fromMs: window.fromMs,
    toMs: window.toMs,
    windowNote: window.note,
    startLabel: start.label,
    heapAtStartBytes,
    heapAtEndBytes,
    heapBytesPerSecond: seconds > 0 ? (heapAtEndBytes - heapAtStartBytes) / seconds : 0,
    ...(summary.rssAtEndBytes !== undefined && { rssAtCutBytes: summary.rssAtEndBytes }),
    ...(summary.atEndTimeMs !== undefined && { rssAtCutMs: summary.atEndTimeMs }),
    ...(rssPeak !== undefined && { peakRssBytes: rssPeak }),
    peakHeapBytes: summary.peakBytes,
    truncated: info.truncated,
    groupCount: sites.length,
    sites: sites.slice(0, args.limit ?? DEFAULT_SITES),
    findings: [],
  };
  if (limit !== undefined) {
    result.limitBytes = limit;
    if (rssPeak !== undefined) result.rssHeadroomBytes = limit - rssPeak;
    result.heapHeadroomBytes = limit - summary.peakBytes;
    result.findings = limitFindings({
      limitBytes: limit,
      truncated: info.truncated,
      ...(summary.rssAtEndBytes !== undefined && { rssAtCutBytes: summary.rssAtEndBytes }),
      ...(summary.atEndTimeMs !== undefined && { rssAtCutMs: summary.atEndTimeMs }),
      endMs,
      ...(rssPeak !== undefined && { peakRssBytes: rssPeak }),
      peakHeapBytes: summary.peakBytes,
      ...(args.units && { units: args.units }),
    });
  }
  return result;
}

/** The limit findings a summary adds when the memory limit is given. */
export function summaryLimitFindings(
  model: CaptureModel,
  limitBytes: number,
  units: LastSecondsQuery['units'],
): LastSeconds['findings'] {
  const info = model.info();
  const timeline = info.capabilities.timeline && !info.series ? displayedTimeline(model) : undefined;
  const summary = model.summary(undefined, units);
  const rssPeak = timeline && peakRss(timeline);
  const endMs = timeline
    ? Math.max(timeline.end?.timeMs ?? 0, timeline.durationMs, timeline.timeMs.at(-1) ?? 0)
    : info.durationMs;
  return limitFindings({
    limitBytes,
    truncated: info.truncated && info.facts.format === 'memray',
    ...(summary.rssAtEndBytes !== undefined && { rssAtCutBytes: summary.rssAtEndBytes }),
    ...(summary.atEndTimeMs !== undefined && { rssAtCutMs: summary.atEndTimeMs }),
    endMs,
    ...(rssPeak !== undefined && { peakRssBytes: rssPeak }),
    peakHeapBytes: summary.peakBytes,
    ...(units && { units }),
  });
}
