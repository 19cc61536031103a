/** The `stats` section on the last seconds of a capture (cut short, or checked against a limit). */
import type { LastSeconds } from '../../../shared/api';
import { locationText } from '../../../shared/present';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../../shared/units';
import { formatLimit } from '../../query/last-seconds';

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
        `    ${`+${formatBytes(s.sizeDiff, units)}`.padStart(11)}  ${`${formatBytes(s.bytesPerSecond, units)}/s`.padStart(12)}  ${`+${s.countDiff}`.padStart(7)} blocks  ${s.function ? `${s.function}  ` : ''}${locationText(s)}`,
      );
  } else lines.push('  nothing grew in the window');
  return `${lines.join('\n')}\n`;
}

function signed(bytes: number, units: UnitSystem): string {
  return bytes >= 0 ? `${formatBytes(bytes, units)} left` : `${formatBytes(-bytes, units)} OVER`;
}
