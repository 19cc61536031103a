/**
 * `tracemalloc.Snapshot.compare_to(old, key_type, cumulative)` over groups of any two snapshots
 * (two tracemalloc dumps, two memray captures, or a CSV against a capture).
 *
 * Semantics: for each new group, size_diff = size - old.size and count_diff = count - old.count
 * (an absent old group counts as zero); a group only in old gets size 0, size_diff -old.size,
 * count 0, count_diff -old.count. Order: `sorted(reverse=True,
 * key=(|size_diff|, size, |count_diff|, count, traceback))`, strings by code point.
 */
import type { DiffRow, DiffStatus } from '../../shared/api';
import type { DiffJson, DiffJsonRow } from '../../shared/stats';
import { compareFrameLists, groupTotals, statisticJson, type Group, type GroupFrame } from '../model/groups';

/** A DiffRow plus the group it came from, for callers that need the frames or key type. */
export interface GroupDiff extends DiffRow {
  frames: { file: string; line: number; function: string }[];
}

function status(
  size: number,
  sizeDiff: number,
  count: number,
  countDiff: number,
  inOld: boolean,
): DiffStatus {
  if (!inOld) return 'new';
  if (size === 0 && count === 0) return 'gone';
  if (sizeDiff > 0) return 'grown';
  if (sizeDiff < 0) return 'shrunk';
  if (countDiff !== 0) return countDiff > 0 ? 'grown' : 'shrunk';
  return 'same';
}

export function compareGroups(oldGroups: readonly Group[], newGroups: readonly Group[]): GroupDiff[] {
  const old = new Map<string, Group>();
  for (const g of oldGroups) old.set(g.key, g);
  const rows: GroupDiff[] = [];
  const make = (
    g: Group,
    size: number,
    sizeDiff: number,
    count: number,
    countDiff: number,
    inOld: boolean,
    oldSize: number,
  ): GroupDiff => {
    const f: GroupFrame = g.frames[g.frames.length - 1];
    return {
      key: g.key,
      function: f.function,
      file: f.file,
      line: f.line,
      frames: g.frames,
      size,
      sizeDiff,
      count,
      countDiff,
      status: status(size, sizeDiff, count, countDiff, inOld),
      sizeDiffRatio:
        oldSize === 0 ? (sizeDiff === 0 ? 0 : sizeDiff > 0 ? Infinity : -Infinity) : sizeDiff / oldSize,
    };
  };
  const seen = new Set<string>();
  for (const g of newGroups) {
    const prev = old.get(g.key);
    if (prev) {
      seen.add(g.key);
      rows.push(make(g, g.size, g.size - prev.size, g.count, g.count - prev.count, true, prev.size));
    } else rows.push(make(g, g.size, g.size, g.count, g.count, false, 0));
  }
  for (const g of oldGroups) {
    if (!seen.has(g.key)) rows.push(make(g, 0, -g.size, 0, -g.count, true, g.size));
  }
  return sortDiffRows(rows);
}

/** compare_to's order, in place. */
export function sortDiffRows<R extends DiffRow & { frames?: GroupFrame[] }>(rows: R[]): R[] {
  return rows.sort(
    (a, b) =>
      Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
      b.size - a.size ||
      Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
      b.count - a.count ||
      compareFrameLists(b.frames ?? [], a.frames ?? []),
  );
}

export interface DiffJsonOptions {
  top?: number;
  /** Totals of each side; default: summed from the (non-cumulative) groups. */
  old?: { totalSize: number; traceCount: number };
  new?: { totalSize: number; traceCount: number };
  cumulative?: boolean;
}

/** The object `heapscope diff OLD NEW --json` prints. */
export function diffJson(
  oldGroups: readonly Group[],
  newGroups: readonly Group[],
  options: DiffJsonOptions = {},
): DiffJson {
  const rows = compareGroups(oldGroups, newGroups);
  const sideTotals = (groups: readonly Group[]) => {
    const t = groupTotals(groups);
    return { totalSize: t.size, traceCount: t.count };
  };
  const keyType = newGroups[0]?.keyType ?? oldGroups[0]?.keyType ?? 'lineno';
  const top = options.top !== undefined && options.top >= 0 ? rows.slice(0, options.top) : rows;
  return {
    old: options.old ?? sideTotals(oldGroups),
    new: options.new ?? sideTotals(newGroups),
    groupBy: keyType,
    cumulative: options.cumulative ?? false,
    groupCount: rows.length,
    diff: top.map((r) => diffJsonRow(keyType, r)),
  };
}

function diffJsonRow(keyType: Group['keyType'], r: GroupDiff): DiffJsonRow {
  const base = statisticJson({ keyType, key: r.key, frames: r.frames, size: r.size, count: r.count });
  const { size, count, ...where } = base;
  return { ...where, size, sizeDiff: r.sizeDiff, count, countDiff: r.countDiff } as DiffJsonRow;
}
