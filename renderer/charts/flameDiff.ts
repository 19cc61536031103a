/**
 * Differential flamegraph: width is the target's bytes, colour is growth (red) or shrink (blue),
 * and frames that exist only in the base stay visible as thin grey outlined slivers.
 */
import type { DiffFlameTree, DiffRow, DiffStatus } from '@shared/api';
import { escapeHtml } from '@shared/html';
import { formatBytes, formatPercent, type UnitSystem } from '@shared/units';
import { frameLocation, layoutFromValues, nodeLabel, type FlameLayout, type VisibleNodes } from './flame';

export interface DiffLayout {
  layout: FlameLayout;
  /** Drawn width per node: target bytes plus the ghost width of removed descendants. */
  width: Float64Array;
  /** 1 where the node has no bytes in the target but had some in the base. */
  gone: Uint8Array;
  ghost: number;
}

/**
 * Removed frames would have zero width; each removed subtree root gets `ghostFraction` of the
 * target total instead (at least 1 byte), and its ancestors widen by the same amount so every
 * parent still contains its children.
 */
export function layoutDiffFlame(tree: DiffFlameTree, ghostFraction = 0.004): DiffLayout {
  const n = tree.parent.length;
  const total = n > 0 ? tree.targetBytes[0] : 0;
  const baseTotal = n > 0 ? tree.baseBytes[0] : 0;
  const ghost = Math.max(1, (total > 0 ? total : baseTotal) * ghostFraction);
  const gone = new Uint8Array(n);
  for (let i = 0; i < n; i++) gone[i] = tree.targetBytes[i] <= 0 && tree.baseBytes[i] > 0 ? 1 : 0;

  // A removed subtree is drawn as one ghost split by base bytes; extra[] is the ghost width
  // that each present node gains from removed subtrees below it.
  const extra = new Float64Array(n);
  const width = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const p = tree.parent[i];
    const topGone = gone[i] === 1 && (p < 0 || gone[p] === 0);
    if (topGone && p >= 0) extra[p] += ghost;
    else if (gone[i] === 0 && p >= 0) extra[p] += extra[i];
  }
  for (let i = 0; i < n; i++) {
    const p = tree.parent[i];
    if (gone[i] === 0) width[i] = Math.max(0, tree.targetBytes[i]) + extra[i];
    else if (p < 0 || gone[p] === 0) width[i] = ghost;
    else {
      const pb = tree.baseBytes[p];
      width[i] = pb > 0 ? (width[p] * tree.baseBytes[i]) / pb : 0;
    }
  }
  return { layout: layoutFromValues(tree.parent, width, tree.targetCount), width, gone, ghost };
}

export const GONE_COLOR = '#c9c9c9';
export const UNCHANGED_COLOR = '#eee9df';

/**
 * Red for growth, blue for shrink; saturation follows |Δ| relative to the larger side so a
 * doubled frame is strongly red whatever its size. New frames are full red.
 */
export function diffColor(base: number, target: number): string {
  if (target <= 0 && base > 0) return GONE_COLOR;
  const delta = target - base;
  const ref = Math.max(base, target);
  // Unchanged is a warm off-white so it never reads as the grey of removed frames.
  if (ref <= 0 || delta === 0) return UNCHANGED_COLOR;
  const strength = Math.min(1, Math.abs(delta) / ref);
  const sat = Math.round(25 + 65 * strength);
  const light = Math.round(88 - 36 * strength);
  return delta > 0 ? `hsl(2, ${sat}%, ${light}%)` : `hsl(214, ${sat}%, ${light}%)`;
}

export function diffTooltip(
  tree: DiffFlameTree,
  visible: VisibleNodes,
  k: number,
  units: UnitSystem = 'si',
): string {
  const node = visible.node[k];
  if (visible.merged[k] > 0) {
    return `<b>${visible.merged[k]} small frame${visible.merged[k] === 1 ? '' : 's'} merged</b><br>zoom in to see them`;
  }
  const f = tree.frame[node] >= 0 ? tree.frames[tree.frame[node]] : undefined;
  const base = tree.baseBytes[node];
  const target = tree.targetBytes[node];
  const delta = target - base;
  const ratio = base > 0 ? formatPercent(delta / base, 1) : target > 0 ? 'new' : '';
  const status = target <= 0 && base > 0 ? ' <i>(gone)</i>' : base <= 0 && target > 0 ? ' <i>(new)</i>' : '';
  const loc = frameLocation(f);
  return [
    `<b>${escapeHtml(nodeLabel({ ...tree, threadLabels: undefined }, node))}</b>${status}`,
    loc ? escapeHtml(loc) : '',
    `target ${formatBytes(target, units)} · base ${formatBytes(base, units)}`,
    `Δ ${delta >= 0 ? '+' : ''}${formatBytes(delta, units)}${ratio ? ` (${delta > 0 && ratio !== 'new' ? '+' : ''}${ratio})` : ''}`,
    `count ${tree.targetCount[node].toLocaleString('en-US')} (Δ ${signed(tree.targetCount[node] - tree.baseCount[node])})`,
  ]
    .filter(Boolean)
    .join('<br>');
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toLocaleString('en-US')}`;
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
