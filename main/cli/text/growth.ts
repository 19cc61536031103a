/**
 * Text of `heapscope growth` (leak suspects ranked by growth) and the temporary-allocation line
 * of `heapscope stats`.
 */
import type { GrowthResult, TemporaryTotals } from '../../../shared/api';
import { locationText } from '../../../shared/present';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../../shared/units';
import { sparkline } from './sparkline';

/** One line per site, best suspect first, with a sparkline of its live bytes over the run. */
export function formatGrowth(result: GrowthResult, top: number, units: UnitSystem): string {
  const sites = result.sites.slice(0, top);
  const lines = [
    `Leak suspects by growth: ${result.totalSites} sites over ${formatDuration(result.durationMs)} ` +
      `(${result.points} points; ranked by confidence × fitted growth, confidence = R² × share of intervals grown)`,
  ];
  if (sites.length === 0) lines.push('  no site held memory at any memory record');
  for (const s of sites) {
    const slope = `${s.slopeBytesPerMin >= 0 ? '+' : '-'}${formatBytes(Math.abs(s.slopeBytesPerMin), units)}/min`;
    lines.push(
      `  ${slope.padStart(14)}  ${formatPercent(s.growthShare, 0).padStart(4)} grew  R² ${s.rSquared.toFixed(2)}  ` +
        `${s.verdict.padEnd(11)}  end ${formatBytes(s.finalBytes, units).padStart(9)}  ${sparkline(s.sparkline)}  ` +
        `${s.function}  ${locationText(s)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `stats` line: how many allocations were temporary by memray's rule, and where most were. */
export function temporaryLine(t: TemporaryTotals, totalAllocations: number, units: UnitSystem): string {
  const share = totalAllocations > 0 ? ` (${formatPercent(t.count / totalAllocations, 1)} of all)` : '';
  const site = t.topSite ? `; most at ${t.topSite.function} ${locationText(t.topSite)}` : '';
  return (
    `  temporary:      ${t.count.toLocaleString('en-US')} allocations${share}, ${formatBytes(t.bytes, units)}: ` +
    `freed after ≤ ${t.threshold} other allocation${t.threshold === 1 ? '' : 's'} on their thread (memray's rule)${site}`
  );
}
