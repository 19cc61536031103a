import type { Progress } from '@shared/api';

// Sizes come from the one formatter of every side (shared/units); views pass settings.units.
export { formatBytes, formatDuration, formatExactBytes, formatPercent } from '@shared/units';

/** 12345678 → "12,345,678": record and allocation counts are read digit by digit. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export interface ProgressStats {
  fraction: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
  /** null until there is enough to extrapolate from. */
  etaMs: number | null;
}

/**
 * Derived numbers for the progress bar. The ETA is linear in bytes because bytes are what the
 * reader walks through; records per byte vary too much between captures to predict from.
 */
export function progressStats(p: Progress): ProgressStats {
  const seconds = p.elapsedMs / 1000;
  const fraction = p.bytesTotal > 0 ? Math.min(1, Math.max(0, p.bytesDone / p.bytesTotal)) : 0;
  const recordsPerSecond = seconds > 0 ? p.records / seconds : 0;
  const bytesPerSecond = seconds > 0 ? p.bytesDone / seconds : 0;
  const etaMs =
    fraction > 0.01 && fraction < 1 && p.elapsedMs > 200
      ? (p.elapsedMs * (1 - fraction)) / fraction
      : fraction >= 1
        ? 0
        : null;
  return { fraction, recordsPerSecond, bytesPerSecond, etaMs };
}

export function formatRate(perSecond: number, unit: string): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} M ${unit}/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k ${unit}/s`;
  return `${Math.round(perSecond)} ${unit}/s`;
}

/** "/srv/app/x.py" → "x.py"; table and tooltips show the base name and keep the path in a title. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
