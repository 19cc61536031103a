/**
 * Text sections of `heapscope stats` for a series of dumps and for the last seconds of a
 * capture, apart from run.ts so each reads on its own.
 */
import type { LastSeconds, SeriesInfo, Timeline } from '../../shared/api';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../shared/units';
import { formatLimit } from '../query/last-seconds';

const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, from the lowest (▁) to the highest (█) of the row. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map((v) => SPARKS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (SPARKS.length - 1)) : 0])
    .join('');
}

function where(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}

export function formatSeries(series: SeriesInfo, timeline: Timeline, top: number, units: UnitSystem): string {
  const lines: string[] = [];
  const s = timeline.series;
  lines.push(`Series of ${series.dumps.length} tracemalloc dumps. ${series.orderNote}`);
  lines.push('', 'Traced memory per dump (Σ trace sizes):');
  series.dumps.forEach((d, i) => {
    const at = d.timeMs !== undefined ? `  +${formatDuration(d.timeMs)}` : '';
    lines.push(
      `  ${String(i + 1).padStart(4)}  ${formatBytes(d.totalBytes, units).padStart(10)}  ${d.traceCount.toLocaleString('en-US').padStart(10)} traces  ${d.fileName}${at}`,
    );
  });
  lines.push(`        ${sparkline(series.dumps.map((d) => d.totalBytes))}`);
  if (s && s.growth.length > 0) {
    const per = s.axis === 'time' ? '/s' : '/dump';
    const shown = s.growth.slice(0, top);
    lines.push(
      '',
      `Top ${shown.length} of ${s.siteCount} sites by growth (least-squares slope over the dumps; share of steps it grew):`,
    );
    for (const g of shown) {
      const slope = `${g.slopeBytes >= 0 ? '+' : '-'}${formatBytes(Math.abs(g.slopeBytes), units)}${per}`;
      lines.push(
        `  ${slope.padStart(16)}  ${formatPercent(g.grewShare, 0).padStart(5)}  ${sparkline(g.bytes)}  ${formatBytes(g.firstBytes, units)} → ${formatBytes(g.lastBytes, units)}  ${where(g.file, g.line)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The section without its findings: `stats` prints them with the summary's. */
export function formatLastSeconds(last: LastSeconds, top: number, units: UnitSystem): string {
  const lines: string[] = [];
  const window = (last.toMs - last.fromMs) / 1000;
  lines.push(
    `Last seconds: ${formatDuration(last.fromMs)} – ${formatDuration(last.toMs)}, ${last.windowNote}${last.truncated ? '; the capture was cut short' : ''}`,
  );
  lines.push(
    `  heap:           ${formatBytes(last.heapAtStartBytes, units)} → ${formatBytes(last.heapAtEndBytes, units)} (${last.heapBytesPerSecond >= 0 ? '+' : '-'}${formatBytes(Math.abs(last.heapBytesPerSecond), units)}/s); start ${last.startLabel}`,
  );
  if (last.rssAtCutBytes !== undefined)
    lines.push(
      `  RSS at the cut: ${formatBytes(last.rssAtCutBytes, units)} at ${formatDuration(last.rssAtCutMs ?? 0)} (the last memory record)`,
    );
  if (last.limitBytes !== undefined) {
    const limit = formatLimit(last.limitBytes, units);
    lines.push(`  limit:          ${limit}`);
    if (last.peakRssBytes !== undefined && last.rssHeadroomBytes !== undefined)
      lines.push(
        `  headroom:       RSS ${signed(last.rssHeadroomBytes, units)} at its peak ${formatBytes(last.peakRssBytes, units)} (${formatPercent(last.peakRssBytes / last.limitBytes, 0)} of the limit)`,
      );
    if (last.heapHeadroomBytes !== undefined)
      lines.push(
        `                  heap ${signed(last.heapHeadroomBytes, units)} at its peak ${formatBytes(last.peakHeapBytes, units)} (${formatPercent(last.peakHeapBytes / last.limitBytes, 0)} of the limit)`,
      );
  }
  const grew = last.sites.filter((s) => s.sizeDiff > 0).slice(0, top);
  if (grew.length > 0) {
    lines.push(
      `  what grew in the last ${window.toFixed(window < 10 ? 2 : 1)} s (live bytes at the end − at the start):`,
    );
    for (const s of grew)
      lines.push(
        `    ${`+${formatBytes(s.sizeDiff, units)}`.padStart(11)}  ${`${formatBytes(s.bytesPerSecond, units)}/s`.padStart(12)}  ${`+${s.countDiff}`.padStart(7)} blocks  ${s.function ? `${s.function}  ` : ''}${where(s.file, s.line)}`,
      );
  } else lines.push('  nothing grew in the window');
  return `${lines.join('\n')}\n`;
}

function signed(bytes: number, units: UnitSystem): string {
  return bytes >= 0 ? `${formatBytes(bytes, units)} left` : `${formatBytes(-bytes, units)} OVER`;
}
