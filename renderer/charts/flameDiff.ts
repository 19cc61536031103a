/**
 * The diff view's pieces that are not the flamegraph itself (layout and colours are in
 * renderer/flame/: diff-layout.ts and color.ts): its tooltip as ECharts HTML and the rows of
 * the change table.
 */
import type { DiffFlameTree, DiffRow, DiffStatus } from '@shared/api';
import type { UnitSystem } from '@shared/units';
import { diffNodeTooltip } from '../flame/labels';
import type { VisibleNodes } from '../flame/layout';
import { tooltipHtml } from './flame';

export function diffTooltip(
  tree: DiffFlameTree,
  visible: VisibleNodes,
  k: number,
  units: UnitSystem = 'si',
): string {
  return tooltipHtml(diffNodeTooltip(tree, visible, k, units));
}

export type DiffRowFilter = DiffStatus | 'changed' | 'all';

/** Table rows for one status tab, sorted by |Δsize| (largest movement first). */
export function filterDiffRows(rows: DiffRow[], status: DiffRowFilter): DiffRow[] {
  const keep =
    status === 'all'
      ? rows
      : status === 'changed'
        ? rows.filter((r) => r.status !== 'same')
        : rows.filter((r) => r.status === status);
  return [...keep].sort((a, b) => Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff));
}

export function countByStatus(rows: DiffRow[]): Record<DiffStatus, number> {
  const out: Record<DiffStatus, number> = { grown: 0, shrunk: 0, new: 0, gone: 0, same: 0 };
  for (const r of rows) out[r.status] += 1;
  return out;
}

/** "+12.5%", "new" or "−100%", for the % column. */
export function formatDiffRatio(row: Pick<DiffRow, 'sizeDiffRatio' | 'status' | 'sizeDiff'>): string {
  if (row.status === 'new' || !Number.isFinite(row.sizeDiffRatio)) return 'new';
  const pct = row.sizeDiffRatio * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}
