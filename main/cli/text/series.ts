/** The `stats` section of a series of tracemalloc dumps: traced bytes per dump, growth per site. */
import type { SeriesInfo, Timeline } from '../../../shared/api';
import { locationText } from '../../../shared/present';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../../shared/units';
import { sparkline } from './sparkline';

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
        `  ${slope.padStart(16)}  ${formatPercent(g.grewShare, 0).padStart(5)}  ${sparkline(g.bytes)}  ${formatBytes(g.firstBytes, units)} → ${formatBytes(g.lastBytes, units)}  ${locationText(g)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
