/** The `stats` section of a series of memray captures: each capture, then growth across them. */
import type { GrowthResult, MemraySeriesInfo } from '../../../shared/api';
import { formatBytes, formatDuration, type UnitSystem } from '../../../shared/units';
import { formatGrowth } from './growth';
import { sparkline } from './sparkline';

export function formatCaptureSeries(
  series: MemraySeriesInfo,
  growth: GrowthResult | undefined,
  top: number,
  units: UnitSystem,
): string {
  const n = series.captures.length;
  const lines = [`Series of ${n} memray captures of "${series.program}". ${series.orderNote}`, ''];
  lines.push('Captures (peak, alive when tracking stopped, length; header start time):');
  series.captures.forEach((c, i) => {
    const start = c.startTimeMs !== undefined ? `  ${new Date(c.startTimeMs).toISOString()}` : '';
    lines.push(
      `  ${String(i + 1).padStart(4)}  ${formatBytes(c.peakBytes, units).padStart(10)}  ${formatBytes(c.leakedBytes, units).padStart(10)}  ${formatDuration(c.toMs - c.fromMs).padStart(8)}  ${c.fileName}${c.truncated ? ' (cut short)' : ''}${start}`,
    );
  });
  lines.push(`        ${sparkline(series.captures.map((c) => c.peakBytes))}  peaks`);
  if (growth) lines.push('', `${formatGrowth(growth, top, units).trimEnd()}`);
  return `${lines.join('\n')}\n`;
}
