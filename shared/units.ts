/** Byte sizes for people and for command lines. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (binary multiples, as memray prints them). */
export function formatBytes(bytes: number, digits = 1): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toFixed(digits);
  return `${sign}${text} ${UNITS[unit]}`;
}

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)\s*$/i;

/**
 * Parses "1.5GB", "512MiB", "10kb", "4096". A plain number is bytes. Units are binary whether
 * or not they carry the "i" (1MB = 1MiB = 1,048,576 bytes), as pytest-memray's limits and memray's
 * reports use them, so a limit typed as "100MB" is printed back as "100.0 MB".
 */
export function parseSize(text: string): number {
  const match = SIZE_PATTERN.exec(text);
  if (!match) throw new Error(`not a size: "${text}" (expected e.g. 1.5GB, 512MiB or a number of bytes)`);
  const [, number, prefix] = match;
  const power = ' kmgtp'.indexOf(prefix.toLowerCase() || ' ');
  return Math.round(Number(number) * 1024 ** power);
}

export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${((ms % 60_000) / 1000).toFixed(0)} s`;
}
