/**
 * Byte sizes for people and for command lines: the one formatter the app, the CLI, the HTML
 * report and the findings all use.
 *
 * Two unit systems, each with its own labels so a value never claims the wrong one:
 * - 'si' (the default, as memray ≥ 1.18 prints): kB, MB, GB… = 10^3, 10^6, 10^9… bytes;
 * - 'iec': KiB, MiB, GiB… = 2^10, 2^20, 2^30… bytes.
 */

export type UnitSystem = 'si' | 'iec';

export const UNIT_SYSTEMS: readonly UnitSystem[] = ['si', 'iec'];

export const DEFAULT_UNITS: UnitSystem = 'si';

export function isUnitSystem(value: unknown): value is UnitSystem {
  return value === 'si' || value === 'iec';
}

interface System {
  base: number;
  labels: readonly string[];
}

const SYSTEMS: Record<UnitSystem, System> = {
  si: { base: 1000, labels: ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] },
  iec: { base: 1024, labels: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] },
};

/**
 * 1536 → "1.5 kB" (si) or "1.5 KiB" (iec). Whole bytes below the first multiple. The unit is
 * chosen after rounding, so 999,950 B is "1.0 MB", never "1000.0 kB".
 */
export function formatBytes(bytes: number, units: UnitSystem = DEFAULT_UNITS, digits = 1): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  // A unit name from outside (an HTTP body, old settings) that is not one falls back to SI.
  const { base, labels } = SYSTEMS[units] ?? SYSTEMS[DEFAULT_UNITS];
  const sign = bytes < 0 ? '-' : '';
  const magnitude = Math.abs(bytes);
  let unit = 0;
  while (unit < labels.length - 1 && magnitude >= base ** (unit + 1)) unit += 1;
  let text = shown(magnitude / base ** unit, unit === 0 ? 0 : digits);
  // Rounding can carry into the next unit (999.96 kB → "1000.0"): show that as 1.0 of the next.
  if (Number(text) >= base && unit < labels.length - 1) {
    unit += 1;
    text = shown(magnitude / base ** unit, digits);
  }
  return `${Number(text) === 0 ? '' : sign}${text} ${labels[unit]}`;
}

function shown(value: number, digits: number): string {
  return digits === 0 ? String(Math.round(value)) : value.toFixed(digits);
}

const group = (n: number) => Math.round(n).toLocaleString('en-US');

/** Axis ticks: "2.5 MB", "10 MB": one decimal where it tells something, none where it is ".0". */
export function formatBytesTick(bytes: number, units: UnitSystem = DEFAULT_UNITS): string {
  return formatBytes(bytes, units, 1).replace(/\.0 /, ' ');
}

/**
 * 1234567 → "1,234,567", as toLocaleString('en-US') writes a whole number, without ICU (whose
 * first use costs ~70 ms in a fresh process: the CLI's `layout` path had no other use of it).
 */
export function formatCount(n: number): string {
  const whole = Math.round(n);
  if (!Number.isFinite(whole)) return String(n);
  return `${whole < 0 ? '-' : ''}${String(Math.abs(whole)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** 1 → "1 arena", 27 → "27 arenas" (formatCount, and the word's plural in s). */
export function formatCountOf(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** 24712697 → "24,712,697 B": the exact count, for titles and tooltips beside a rounded size. */
export function formatExactBytes(bytes: number): string {
  return `${group(bytes)} B`;
}

/** The label of the unit a system uses for megabyte-sized values, e.g. for a toggle: "MB" / "MiB". */
export function megaLabel(units: UnitSystem): string {
  return SYSTEMS[units].labels[2];
}

// number, optional space, then an optional prefix letter, an optional "i", an optional "B".
const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmgtpe])(i?)(b?)|(b?))\s*$/i;

const PREFIXES = 'kmgtpe';

/**
 * Parses a size the way its label says:
 * - a bare number, or one with "B", is bytes: "4096", "4096B";
 * - SI labels are decimal: "24kB" / "24KB" / "24MB" / "1.5GB" = 24,000 / 24,000,000 / 1.5 × 10^9;
 * - IEC labels are binary: "24KiB" / "24MiB" / "1.5GiB" (also "24Mi") = 24 × 2^10, 24 × 2^20, 1.5 × 2^30.
 * Letters are case-insensitive ("24mb" = 24MB). A bare prefix with neither "B" nor "i" ("24M",
 * "512K") is refused: GNU tools and Docker read it as binary, SI and Kubernetes as decimal.
 * The result is rounded to whole bytes.
 */
export function parseSize(text: string): number {
  const match = SIZE_PATTERN.exec(text);
  if (!match)
    throw new Error(
      `not a size: "${text}" (expected a number of bytes or one with a unit, e.g. 24MB = 24,000,000 bytes, 24MiB = 25,165,824 bytes)`,
    );
  const [, number, prefix, binary, byte] = match;
  const value = Number(number);
  if (prefix === undefined) return checked(text, Math.round(value));
  const power = PREFIXES.indexOf(prefix.toLowerCase()) + 1;
  if (!binary && !byte) {
    const si = `${number}${power === 1 ? 'k' : prefix.toUpperCase()}B`;
    const iec = `${number}${prefix.toUpperCase()}iB`;
    throw new Error(
      `ambiguous size: "${text}" (write ${si} for ${group(value * 1000 ** power)} bytes or ${iec} for ${group(value * 1024 ** power)})`,
    );
  }
  return checked(text, Math.round(value * (binary ? 1024 : 1000) ** power));
}

function checked(text: string, bytes: number): number {
  if (!Number.isSafeInteger(bytes)) throw new Error(`size too large: "${text}"`);
  return bytes;
}

/** Parses a `--units` value. */
export function parseUnitSystem(text: string): UnitSystem {
  const lower = text.trim().toLowerCase();
  if (isUnitSystem(lower)) return lower;
  throw new Error(`not a unit system: "${text}" (expected si for kB/MB/GB or iec for KiB/MiB/GiB)`);
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
