/**
 * What the flamegraph says in words: node labels (fitted to a rectangle), locations, tooltip
 * contents and the search summary. Plain text: the app's chart escapes it into its HTML
 * tooltip, the HTML report sets it as text.
 */
import type { DiffFlameTree, FlameTree, FrameInfo } from '../../shared/api';
import { formatBytes, formatPercent, type UnitSystem } from '../../shared/units';
import { locationText } from '../../shared/source-location';
import type { VisibleNodes } from './layout';
import type { MatchShare } from './search';

/** The tree columns labels need (plain and diff trees alike). */
export type LabelTree = Pick<FlameTree, 'frames' | 'frame' | 'parent' | 'threadLabels'>;

/** "1 allocation", "2,048 allocations". */
export function allocations(n: number): string {
  return `${groupDigits(n)} allocation${Math.round(n) === 1 ? '' : 's'}`;
}

/** 1234567 → "1,234,567" (toLocaleString is slow enough to show up in hover timings). */
export function groupDigits(n: number): string {
  const s = Math.round(Math.abs(n)).toString();
  const out = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${out}` : out;
}

export function shortFile(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.slice(-2).join('/');
}

/** The label of node i: a frame's function, or the tree's synthetic names. */
export function nodeLabel(tree: LabelTree, i: number): string {
  // A re-rooted half of a sandwich tree keeps its synthetic frame at node 0.
  if (tree.frame[i] < 0) {
    if (i === 0) return 'all';
    if (tree.threadLabels && tree.parent[i] === 0) {
      let k = 0;
      for (let j = 1; j < i; j++) if (tree.parent[j] === 0) k++;
      return `thread ${tree.threadLabels[k] ?? '?'}`;
    }
    return '(unknown)';
  }
  const f = tree.frames[tree.frame[i]];
  if (!f) return '?';
  if (f.name) return f.name;
  // tracemalloc records no function names: the location is the best label it has.
  const where = f.module || shortFile(f.file);
  return f.line > 0 ? `${where}:${f.line}` : where;
}

export function frameLocation(frame: FrameInfo | undefined): string {
  if (!frame || frame.kind === 'synthetic') return '';
  // A native frame with DWARF lines: its source, then the library it is in.
  return locationText(frame);
}

/** Cuts a label to what fits in `px` at ~6.6 px per character of an 11 px sans font. */
export function fitLabel(text: string, px: number): string {
  const chars = Math.floor((px - 6) / 6.6);
  if (chars < 2) return '';
  if (text.length <= chars) return text;
  return `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/** A tooltip: a bold title, an optional italic note after it, then plain lines. */
export interface TooltipContent {
  title: string;
  note?: string;
  lines: string[];
}

function mergedTitle(merged: number): string {
  return `${merged} small frame${merged === 1 ? '' : 's'} merged`;
}

/** Visible rectangle k of a plain tree: bytes, share of `totalValue`, count and location. */
export function nodeTooltip(
  tree: LabelTree,
  visible: VisibleNodes,
  k: number,
  totalValue: number,
  units: UnitSystem = 'si',
): TooltipContent {
  const node = visible.node[k];
  const value = visible.value[k];
  const pct = totalValue > 0 ? value / totalValue : 0;
  if (visible.merged[k] > 0) {
    return {
      title: mergedTitle(visible.merged[k]),
      lines: [
        `${formatBytes(value, units)} (${formatPercent(pct, 2)}) · ${allocations(visible.count[k])}`,
        'zoom in to see them',
      ],
    };
  }
  const f = tree.frame[node] >= 0 ? tree.frames[tree.frame[node]] : undefined;
  const loc = frameLocation(f);
  const note = f && f.kind === 'native' ? 'native' : f?.importSystem ? 'import system' : undefined;
  return {
    title: nodeLabel(tree, node),
    ...(note && { note }),
    lines: [
      loc,
      `${formatBytes(value, units)} · ${groupDigits(value)} B · ${formatPercent(pct, 2)}`,
      allocations(visible.count[k]),
    ].filter(Boolean),
  };
}

/** Visible rectangle k of a diff tree: both sides, the change and the counts. */
export function diffNodeTooltip(
  tree: DiffFlameTree,
  visible: VisibleNodes,
  k: number,
  units: UnitSystem = 'si',
): TooltipContent {
  const node = visible.node[k];
  if (visible.merged[k] > 0) return { title: mergedTitle(visible.merged[k]), lines: ['zoom in to see them'] };
  const f = tree.frame[node] >= 0 ? tree.frames[tree.frame[node]] : undefined;
  const base = tree.baseBytes[node];
  const target = tree.targetBytes[node];
  const delta = target - base;
  const ratio = base > 0 ? formatPercent(delta / base, 1) : target > 0 ? 'new' : '';
  const note = target <= 0 && base > 0 ? 'gone' : base <= 0 && target > 0 ? 'new' : undefined;
  return {
    title: nodeLabel(tree, node),
    ...(note && { note }),
    lines: [
      frameLocation(f),
      `target ${formatBytes(target, units)} · base ${formatBytes(base, units)}`,
      `Δ ${delta >= 0 ? '+' : ''}${formatBytes(delta, units)}${ratio ? ` (${delta > 0 && ratio !== 'new' ? '+' : ''}${ratio})` : ''}`,
      `count ${groupDigits(tree.targetCount[node])} (Δ ${signedDigits(tree.targetCount[node] - tree.baseCount[node])})`,
    ].filter(Boolean),
  };
}

function signedDigits(n: number): string {
  return `${n >= 0 ? '+' : ''}${groupDigits(n)}`;
}

/** "2 matches · 52.4 MB (80.0%)": what a search finds under the zoom root. */
export function matchShareText(share: MatchShare, units: UnitSystem = 'si'): string {
  return `${share.nodes} match${share.nodes === 1 ? '' : 'es'} · ${formatBytes(share.bytes, units)} (${formatPercent(share.share)})`;
}
