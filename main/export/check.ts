import type { DiffRow, SiteRow } from '../../shared/api';
import { formatBytes, formatPercent, type UnitSystem } from '../../shared/units';
import { siteLabel } from '../../shared/present';

/** `heapscope check` limits; sizes in bytes (parse "1.5GB" or "512MiB" with shared/units parseSize). */
export interface CheckLimits {
  maxPeakBytes?: number;
  maxLeakedBytes?: number;
  /** Allowed peak growth over the baseline, in percent (10 = +10%). Needs `baseline`. */
  maxGrowthPercent?: number;
  /** The most the allocators may hold beyond live blocks at any layout moment (estimate). */
  maxHeldBytes?: number;
}

export interface CheckInput {
  /** e.g. the capture's file name. */
  label: string;
  peakBytes: number;
  /** Absent when the capture has no leaked total (a snapshot, Scalene): max-leaked cannot be checked. */
  leakedBytes?: number;
  /** Peak / leak sites, largest first (own bytes are used to name offenders). */
  topPeakSites?: SiteRow[];
  topLeakSites?: SiteRow[];
  baseline?: { label: string; peakBytes: number };
  /** Diff rows base → this capture (peak snapshots), to name what grew. */
  growthRows?: DiffRow[];
  /**
   * The most the allocators held beyond live blocks (memory layout, an estimate), the moment it
   * was and what held it (the layout's finding there).
   */
  held?: { bytes: number; moment: string; why?: string };
}

export type CheckName = 'max-peak' | 'max-leaked' | 'max-growth' | 'max-held';

export interface CheckOutcome {
  name: CheckName;
  ok: boolean;
  actual: number;
  allowed: number;
  /** One sentence: what was measured against what. */
  text: string;
}

export interface CheckResult {
  ok: boolean;
  /** One paragraph naming the broken limits and the top offending sites; '' when ok. */
  reasons: string;
  checks: CheckOutcome[];
}

const TOP = 3;

/** Two sizes that round to the same text get their exact byte counts too. */
function sizes(actual: number, allowed: number, units: UnitSystem): [string, string] {
  const a = formatBytes(actual, units);
  const b = formatBytes(allowed, units);
  if (a !== b) return [a, b];
  const exact = (n: number) => `${n.toLocaleString('en-US')} bytes`;
  return [`${a} (${exact(actual)})`, `${b} (${exact(allowed)})`];
}

function offenders(sites: SiteRow[] | undefined, total: number, units: UnitSystem): string {
  if (!sites || sites.length === 0) return '';
  const top = [...sites]
    .sort((a, b) => b.ownBytes - a.ownBytes)
    .filter((s) => s.ownBytes > 0)
    .slice(0, TOP);
  if (top.length === 0) return '';
  const parts = top.map(
    (s) =>
      `${siteLabel(s)} (${formatBytes(s.ownBytes, units)}${total > 0 ? `, ${formatPercent(s.ownBytes / total, 0)}` : ''})`,
  );
  return ` Top sites: ${parts.join('; ')}.`;
}

function growers(rows: DiffRow[] | undefined, units: UnitSystem): string {
  if (!rows || rows.length === 0) return '';
  const top = [...rows]
    .filter((r) => r.sizeDiff > 0)
    .sort((a, b) => b.sizeDiff - a.sizeDiff)
    .slice(0, TOP);
  if (top.length === 0) return '';
  return ` Grew most: ${top.map((r) => `${siteLabel(r)} (+${formatBytes(r.sizeDiff, units)}${r.status === 'new' ? ', new' : ''})`).join('; ')}.`;
}

/** The pytest-memray-style gate: every given limit is checked; `ok` only if all pass. */
export function checkLimits(input: CheckInput, limits: CheckLimits, units: UnitSystem = 'si'): CheckResult {
  const checks: CheckOutcome[] = [];
  const failures: string[] = [];
  if (limits.maxPeakBytes !== undefined) {
    const ok = input.peakBytes <= limits.maxPeakBytes;
    const [actual, allowed] = sizes(input.peakBytes, limits.maxPeakBytes, units);
    const text = `peak memory ${actual} ${ok ? 'is within' : 'exceeds'} the limit of ${allowed}`;
    checks.push({ name: 'max-peak', ok, actual: input.peakBytes, allowed: limits.maxPeakBytes, text });
    if (!ok)
      failures.push(`${input.label}: ${text}.${offenders(input.topPeakSites, input.peakBytes, units)}`);
  }
  if (limits.maxLeakedBytes !== undefined) {
    const leaked = input.leakedBytes;
    if (leaked === undefined) throw new Error(`max-leaked: ${input.label} has no leaked total`);
    const ok = leaked <= limits.maxLeakedBytes;
    const [actual, allowed] = sizes(leaked, limits.maxLeakedBytes, units);
    const text = `leaked memory ${actual} ${ok ? 'is within' : 'exceeds'} the limit of ${allowed}`;
    checks.push({ name: 'max-leaked', ok, actual: leaked, allowed: limits.maxLeakedBytes, text });
    if (!ok) failures.push(`${input.label}: ${text}.${offenders(input.topLeakSites, leaked, units)}`);
  }
  if (limits.maxGrowthPercent !== undefined) {
    if (!input.baseline) throw new Error('max-growth needs a baseline capture (--baseline)');
    const base = input.baseline.peakBytes;
    const growth = base > 0 ? ((input.peakBytes - base) / base) * 100 : input.peakBytes > 0 ? Infinity : 0;
    const ok = growth <= limits.maxGrowthPercent;
    const shown = Number.isFinite(growth) ? `${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%` : 'from nothing';
    const text =
      `peak memory grew ${shown} over ${input.baseline.label} (${formatBytes(base, units)} → ${formatBytes(input.peakBytes, units)}), ` +
      `${ok ? 'within' : 'above'} the allowed ${limits.maxGrowthPercent}%`;
    checks.push({ name: 'max-growth', ok, actual: growth, allowed: limits.maxGrowthPercent, text });
    if (!ok) failures.push(`${input.label}: ${text}.${growers(input.growthRows, units)}`);
  }
  if (limits.maxHeldBytes !== undefined) {
    if (!input.held) throw new Error('max-held needs the capture’s memory layout');
    const ok = input.held.bytes <= limits.maxHeldBytes;
    const [actual, allowed] = sizes(input.held.bytes, limits.maxHeldBytes, units);
    const text = `memory held by allocators beyond live blocks (estimate) was at most ${actual}, at ${input.held.moment}, ${ok ? 'within' : 'above'} the limit of ${allowed}`;
    checks.push({ name: 'max-held', ok, actual: input.held.bytes, allowed: limits.maxHeldBytes, text });
    if (!ok) failures.push(`${input.label}: ${text}.${input.held.why ? ` ${input.held.why}` : ''}`);
  }
  return { ok: failures.length === 0, reasons: failures.join(' '), checks };
}

/** XML text/attribute escape; characters XML 1.0 cannot carry at all (NUL…) become U+FFFD. */
function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\t\n\r\u0020-\ud7ff\ud800-\udfff\ue000-\ufffd]/g, '\ufffd');
}

/** JUnit XML for CI systems: one testcase per checked limit. */
export function toJunit(
  result: CheckResult,
  options: { suite?: string; label?: string; timeSeconds?: number } = {},
): string {
  const suite = options.suite ?? 'heapscope check';
  const failures = result.checks.filter((c) => !c.ok).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suite)}" tests="${result.checks.length}" failures="${failures}">`,
    `  <testsuite name="${xml(options.label ?? suite)}" tests="${result.checks.length}" failures="${failures}" errors="0" skipped="0" time="${(options.timeSeconds ?? 0).toFixed(3)}">`,
  ];
  for (const c of result.checks) {
    const head = `    <testcase classname="heapscope.check" name="${xml(c.name)}" time="0">`;
    if (c.ok) {
      lines.push(`${head}<system-out>${xml(c.text)}</system-out></testcase>`);
    } else {
      lines.push(head);
      lines.push(
        `      <failure type="${xml(c.name)}" message="${xml(c.text)}">${xml(result.reasons)}</failure>`,
      );
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
