/**
 * The last seconds of a capture: what grew between the start of a final window and the end of
 * tracking (the two live sets compared like `compare_to`), how fast, and how close memory came
 * to a container's limit. A SIGKILL (exit status 137) cuts a memray capture short whether the
 * kernel's OOM killer sent it or anything else did; only RSS next to the limit supports "OOM".
 */
import type { DiffRow, Finding, LastSecondsSite } from '../../shared/api';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../shared/units';

/** The default window: 5 s, or 10 % of the run when that is shorter (a 2 s run: its last 0.2 s). */
export const DEFAULT_WINDOW_MS = 5000;
export const DEFAULT_WINDOW_SHARE = 0.1;

/** RSS at or above this share of the limit at the cut is consistent with an OOM kill. */
export const OOM_NEAR_SHARE = 0.9;
/** RSS below this share of the limit at the cut makes the OOM killer unlikely. */
export const OOM_FAR_SHARE = 0.6;

/** How a window is described: its real length, then why it was chosen. */
export function windowNote(fromMs: number, toMs: number, why: string): string {
  return `the last ${formatDuration(toMs - fromMs)} (${why})`;
}

export function lastWindow(
  endMs: number,
  requestedMs?: number,
): { fromMs: number; toMs: number; note: string; why: string } {
  const toMs = Math.max(0, endMs);
  if (requestedMs !== undefined) {
    const fromMs = Math.max(0, toMs - requestedMs);
    const why = `${formatDuration(requestedMs)} as asked`;
    return { fromMs, toMs, why, note: windowNote(fromMs, toMs, why) };
  }
  const share = toMs * DEFAULT_WINDOW_SHARE;
  const windowMs = Math.min(DEFAULT_WINDOW_MS, share);
  const fromMs = Math.max(0, toMs - windowMs);
  const why =
    windowMs < DEFAULT_WINDOW_MS
      ? `10 % of the ${formatDuration(toMs)} run, shorter than 5 s`
      : `5 s, shorter than 10 % of the ${formatDuration(toMs)} run`;
  return { fromMs, toMs, why, note: windowNote(fromMs, toMs, why) };
}

/** Growth rows of the window, largest growth first; rows that did not change are left out. */
export function growthInWindow(rows: readonly DiffRow[], windowMs: number): LastSecondsSite[] {
  const seconds = windowMs / 1000;
  return rows
    .filter((r) => r.sizeDiff !== 0 || r.countDiff !== 0)
    .map((r) => ({ ...r, bytesPerSecond: seconds > 0 ? r.sizeDiff / seconds : 0 }))
    .sort(
      (a, b) =>
        b.sizeDiff - a.sizeDiff || b.countDiff - a.countDiff || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
}

/** A limit is written as it was most likely given: binary units when it is a whole number of MiB. */
export function formatLimit(bytes: number, units: UnitSystem): string {
  const mib = 1024 * 1024;
  if (bytes > 0 && bytes % mib === 0) return formatBytes(bytes, 'iec').replace(/\.0 /, ' ');
  return formatBytes(bytes, units);
}

export interface LimitEvidence {
  limitBytes: number;
  truncated: boolean;
  /** RSS of the last memory record, and when it was measured (ms from start). */
  rssAtCutBytes?: number;
  rssAtCutMs?: number;
  /** When the capture ends (ms from start). */
  endMs: number;
  peakRssBytes?: number;
  peakHeapBytes: number;
  units?: UnitSystem;
}

/** What the memory limit and the capture's end support saying. */
export function limitFindings(e: LimitEvidence): Finding[] {
  const units = e.units ?? 'si';
  const limit = formatLimit(e.limitBytes, units);
  const out: Finding[] = [];
  if (e.truncated) {
    if (e.rssAtCutBytes === undefined) {
      out.push({
        severity: 'warning',
        code: 'kill-unknown',
        text: `The capture was cut short, but it has no RSS measurement to compare with the ${limit} limit: whether the OOM killer ended it cannot be told from it.`,
      });
    } else {
      const share = e.rssAtCutBytes / e.limitBytes;
      const gap = Math.max(0, e.endMs - (e.rssAtCutMs ?? e.endMs));
      // A killed capture's last timestamp is often its last memory record itself.
      const when =
        gap >= 1
          ? `${formatDuration(gap)} before the capture ends`
          : 'at the last measurement before the cut';
      const rss = `RSS was ${formatBytes(e.rssAtCutBytes, units)} of a ${limit} limit (${formatPercent(share, 0)}) ${when}`;
      if (share >= OOM_NEAR_SHARE)
        out.push({
          severity: 'critical',
          code: 'oom-consistent',
          text: `${rss}: consistent with an OOM kill.`,
        });
      else if (share < OOM_FAR_SHARE)
        out.push({
          severity: 'warning',
          code: 'kill-not-oom',
          text: `${rss}: RSS was far below the limit, so the kill was probably not the OOM killer (a SIGKILL from a supervisor, a timeout or a person ends a capture the same way).`,
        });
      else
        out.push({
          severity: 'warning',
          code: 'oom-inconclusive',
          text: `${rss}: below the limit but not far from it; an OOM kill is possible if memory rose after the last measurement.`,
        });
    }
  }
  if (e.peakRssBytes !== undefined) {
    const headroom = e.limitBytes - e.peakRssBytes;
    const share = e.peakRssBytes / e.limitBytes;
    out.push({
      severity: headroom < 0 ? 'critical' : share >= OOM_NEAR_SHARE ? 'warning' : 'info',
      code: 'limit-headroom',
      text:
        headroom < 0
          ? `Peak RSS ${formatBytes(e.peakRssBytes, units)} is over the ${limit} limit by ${formatBytes(-headroom, units)}.`
          : `Peak RSS ${formatBytes(e.peakRssBytes, units)} is ${formatPercent(share, 0)} of the ${limit} limit: ${formatBytes(headroom, units)} of headroom (tracked heap peak ${formatBytes(e.peakHeapBytes, units)}, ${formatBytes(e.limitBytes - e.peakHeapBytes, units)} below the limit).`,
    });
  } else {
    const headroom = e.limitBytes - e.peakHeapBytes;
    out.push({
      severity: headroom < 0 ? 'critical' : 'info',
      code: 'limit-headroom',
      text: `The tracked heap peaked at ${formatBytes(e.peakHeapBytes, units)}, ${headroom < 0 ? `over the ${limit} limit` : `${formatBytes(headroom, units)} below the ${limit} limit`} (no RSS was measured).`,
    });
  }
  return out;
}
