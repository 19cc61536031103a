/**
 * The order of a series of tracemalloc dumps. A dump holds no time of its own (the pickle is
 * `traces` and `traceback_limit`, docs/formats/tracemalloc-format.md), and a file's mtime is
 * when it was last written or copied, not when `Snapshot.dump()` ran, so neither is used. What
 * is left is the name the service gave each dump: a timestamp in every name gives both the order
 * and the time axis; else a number in every name (`dump.2` before `dump.10`); else name order.
 */
import type { SeriesOrder } from '../../../shared/api';

export interface OrderedName {
  name: string;
  /** ms since the earliest dump (timestamp order only). */
  timeMs?: number;
}

export interface NameOrder {
  order: SeriesOrder;
  note: string;
  /** The indices of the given names, in series order. */
  indices: number[];
  /** Per ordered entry: ms since the first dump, for `name-timestamp` order. */
  timesMs?: number[];
}

const EXTENSION = /(\.(pickle|pkl|snap|snapshot|dump|dat|bin|tracemalloc))?(\.gz)?$/i;

/** The name without its dump extensions, so `x.pickle.gz` reads as `x`. */
function stem(name: string): string {
  return name.replace(EXTENSION, '');
}

const YEAR_MIN = 1990;
const YEAR_MAX = 2200;

/**
 * A date and time written in the name, as epoch ms (read as UTC: only differences are used).
 * Accepted: 20240501T120000, 20240501-120000, 20240501_120000 (optionally .fff and Z),
 * 2024-05-01T12:00:00, 2024-05-01_12-00-00, 2024-05-01 12.00.00, and 10-digit epoch seconds
 * or 13-digit epoch ms.
 */
export function timestampInName(name: string): number | undefined {
  const s = stem(name);
  const dated =
    /(\d{4})-?(\d{2})-?(\d{2})[T_ -](\d{2})[:.-]?(\d{2})[:.-]?(\d{2})(?:[.,](\d{1,6}))?Z?(?!\d)/.exec(s);
  if (dated) {
    const [, y, mo, d, h, mi, se, frac] = dated;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    if (year < YEAR_MIN || year > YEAR_MAX || month < 1 || month > 12 || day < 1 || day > 31)
      return undefined;
    if (Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return undefined;
    const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
    return Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(se), ms);
  }
  const epoch = /(?<!\d)(\d{13}|\d{10})(?!\d)/.exec(s);
  if (epoch) {
    const value = epoch[1].length === 13 ? Number(epoch[1]) : Number(epoch[1]) * 1000;
    const year = new Date(value).getUTCFullYear();
    if (year >= 2000 && year <= YEAR_MAX) return value;
  }
  return undefined;
}

/** The last run of digits in the name (without its extensions). */
export function numberInName(name: string): number | undefined {
  const runs = stem(name).match(/\d+/g);
  return runs ? Number(runs[runs.length - 1]) : undefined;
}

/** Code-point order, the same on every machine (no locale). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Puts dump file names in series order and says which rule decided it. */
export function orderDumpNames(names: readonly string[]): NameOrder {
  const idx = names.map((_, i) => i);
  const stamps = names.map(timestampInName);
  if (names.length > 0 && stamps.every((t) => t !== undefined)) {
    const indices = idx.sort((a, b) => stamps[a]! - stamps[b]! || byName(names[a], names[b]));
    const t0 = stamps[indices[0]]!;
    return {
      order: 'name-timestamp',
      note: 'Ordered by the timestamp in each file name (a tracemalloc dump holds no time of its own; file modification times are not used).',
      indices,
      timesMs: indices.map((i) => stamps[i]! - t0),
    };
  }
  const numbers = names.map(numberInName);
  if (names.length > 0 && numbers.every((n) => n !== undefined)) {
    return {
      order: 'name-number',
      note: 'Ordered by the number in each file name (a tracemalloc dump holds no time of its own; file modification times are not used), so the axis counts dumps, not seconds.',
      indices: idx.sort((a, b) => numbers[a]! - numbers[b]! || byName(names[a], names[b])),
    };
  }
  return {
    order: 'name',
    note: 'Ordered by file name: not every name holds a number or a timestamp, and a tracemalloc dump holds no time of its own (file modification times are not used). The axis counts dumps, not seconds.',
    indices: idx.sort((a, b) => byName(names[a], names[b])),
  };
}
