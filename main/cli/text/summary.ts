/** The readable summary of `heapscope stats FILE`: the numbers, the top sites, the findings. */
import type { Summary } from '../../../shared/api';
import {
  locationText,
  ownShare,
  peakKind,
  peakMoment,
  summaryWarnings,
  topSitesBasis,
} from '../../../shared/present';
import { formatBytes, formatDuration, formatPercent, type UnitSystem } from '../../../shared/units';
import { temporaryLine } from './growth';

export function formatSummary(
  summary: Summary,
  top: number,
  range?: { fromMs: number; toMs: number },
  units: UnitSystem = 'si',
): string {
  const { info } = summary;
  const f = info.facts;
  const lines: string[] = [];
  lines.push(
    `${f.fileName}  (${f.format}${f.headerVersion !== undefined ? ` v${f.headerVersion}` : ''}${f.fileFormat === 'aggregated' ? ', aggregated' : ''}, ${formatBytes(f.sizeBytes, units)})`,
  );
  if (f.commandLine) lines.push(`  command:        ${f.commandLine}`);
  if (f.pythonVersion)
    lines.push(`  python:         ${f.pythonVersion}${f.pythonAllocator ? ` (${f.pythonAllocator})` : ''}`);
  if (range) lines.push(`  range:          ${range.fromMs}–${range.toMs} ms`);
  if (info.durationMs > 0) lines.push(`  duration:       ${formatDuration(info.durationMs)}`);
  const moment = peakMoment(summary);
  lines.push(
    `  ${peakKind(info) === 'snapshot' ? 'traced:       ' : 'peak memory:  '}  ${formatBytes(summary.peakBytes, units)}${moment ? ` ${moment}` : ''}`,
  );
  // Numbers the capture did not measure are null (shared/api.ts Summary): their lines are left out.
  if (summary.totalAllocations !== null && summary.totalBytesAllocated !== null)
    lines.push(
      `  allocations:    ${summary.totalAllocations.toLocaleString('en-US')} (${formatBytes(summary.totalBytesAllocated, units)} allocated)`,
    );
  if (summary.leakedBytes !== null && summary.leakedCount !== null)
    lines.push(
      `  ${range ? 'alive at end:  ' : 'leaked:        '} ${formatBytes(summary.leakedBytes, units)} in ${summary.leakedCount.toLocaleString('en-US')} allocations${range ? ' made in the range' : ''}`,
    );
  if (summary.rssAtEndBytes !== undefined)
    lines.push(`  RSS at end:     ${formatBytes(summary.rssAtEndBytes, units)}`);
  if (summary.temporary && !range)
    lines.push(temporaryLine(summary.temporary, summary.totalAllocations ?? 0, units));
  if (info.truncated)
    lines.push(
      `  TRUNCATED:      ${info.truncationReason ?? 'the capture ends early'}${info.truncatedAtByte !== undefined ? ` (at ${f.compressed ? 'decoded ' : ''}byte ${info.truncatedAtByte}; every record before it is used)` : ''}`,
    );
  for (const w of summaryWarnings(info, summary.findings)) lines.push(`  warning:        ${w}`);
  const sites = summary.topSites.slice(0, top);
  if (sites.length > 0) {
    // Scalene's sites are bytes allocated over the run, not a share of the peak (topSitesBasis).
    const basis = topSitesBasis(summary, !!range);
    lines.push(
      '',
      `${basis.heading.replace(/^Top /, `Top ${sites.length} `)} (own bytes, share ${basis.shareOf}):`,
    );
    for (const s of sites) {
      const share = ownShare(s, basis);
      lines.push(
        `  ${formatBytes(s.ownBytes, units).padStart(10)}  ${formatPercent(share).padStart(6)}  ${s.function}  ${locationText(s)}`,
      );
    }
  }
  if (summary.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const finding of summary.findings) lines.push(`  [${finding.severity}] ${finding.text}`);
  }
  return `${lines.join('\n')}\n`;
}
