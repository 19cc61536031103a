/**
 * Text of `heapscope growth` (leak suspects ranked by growth) and of the temporary-allocation
 * line of `heapscope stats`, apart from run.ts so each reads on its own.
 */
import type { GrowthResult, TemporaryTotals } from '../../shared/api';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../shared/units';
import { sparkline } from './sections';

function where(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}

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
        `${s.function}  ${where(s.file, s.line)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `stats` line: how many allocations were temporary by memray's rule, and where most were. */
export function temporaryLine(t: TemporaryTotals, totalAllocations: number, units: UnitSystem): string {
  const share = totalAllocations > 0 ? ` (${formatPercent(t.count / totalAllocations, 1)} of all)` : '';
  const site = t.topSite ? `; most at ${t.topSite.function} ${where(t.topSite.file, t.topSite.line)}` : '';
  return (
    `  temporary:      ${t.count.toLocaleString('en-US')} allocations${share}, ${formatBytes(t.bytes, units)}: ` +
    `freed after ≤ ${t.threshold} other allocation${t.threshold === 1 ? '' : 's'} on their thread (memray's rule)${site}`
  );
}

/**
 * `--temporary [N]`: the flag with an optional number. parseArgs wants a value for a string
 * option, so `--temporary` not followed by a number becomes `--temporary=1` (memray's
 * `--temporary-allocations`).
 */
export function normalizeTemporaryFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--temporary') {
      out.push(argv[i]);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      out.push(`--temporary=${next}`);
      i++;
    } else out.push('--temporary=1');
  }
  return out;
}
