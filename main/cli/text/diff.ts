/** The readable `heapscope diff` (and `series --from --to`): tracemalloc's compare_to() order. */
import type { DiffJson } from '../../../shared/stats';
import { formatBytes, type UnitSystem } from '../../../shared/units';

function where(row: DiffJson['diff'][number]): string {
  if ('frames' in row) {
    const last = row.frames.at(-1);
    return last ? `${last[0]}:${last[1]} (+${row.frames.length - 1} callers)` : '?';
  }
  if ('lineno' in row) return `${row.filename}:${row.lineno}`;
  if ('function' in row) return `${row.function} ${row.filename}`;
  return row.filename;
}

export function formatDiff(json: DiffJson, top: number, units: UnitSystem): string {
  const lines = [
    `old: ${formatBytes(json.old.totalSize, units)} in ${json.old.traceCount.toLocaleString('en-US')} blocks`,
    `new: ${formatBytes(json.new.totalSize, units)} in ${json.new.traceCount.toLocaleString('en-US')} blocks`,
    // Ordered as tracemalloc's compare_to(): by the size of the change, grown or shrunk.
    `${json.groupCount} groups; the ${Math.min(top, json.diff.length)} largest changes (+ grew, - shrank):`,
  ];
  for (const row of json.diff.slice(0, top)) {
    const sign = row.sizeDiff >= 0 ? '+' : '';
    lines.push(
      `  ${where(row)}: size=${formatBytes(row.size, units)} (${sign}${formatBytes(row.sizeDiff, units)}), count=${row.count} (${row.countDiff >= 0 ? '+' : ''}${row.countDiff})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
