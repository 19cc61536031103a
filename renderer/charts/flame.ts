/**
 * Pure flamegraph model and ECharts option builder.
 *
 * A tree is laid out once into typed arrays (x0, x1 in value units, depth, subtree end); every
 * zoom or resize only walks the zoom root's pre-order slice and merges nodes narrower than a
 * pixel, so a 100k-node tree costs at most a few thousand rectangles per render.
 */
import type { CustomSeriesRenderItem, CustomSeriesRenderItemReturn, EChartsOption } from 'echarts';
import type { FlameTree, FrameInfo } from '@shared/api';
import { escapeHtml } from '@shared/html';
import { formatBytes, formatPercent, type UnitSystem } from '@shared/units';

export interface FlameLayout {
  /** Node count. */
  n: number;
  parent: Int32Array;
  /** Left and right edge in value units (bytes); the root spans [0, value(root)]. */
  x0: Float64Array;
  x1: Float64Array;
  depth: Int32Array;
  /** Exclusive end of each node's subtree in pre-order: the subtree of i is [i, end[i]). */
  end: Int32Array;
  /** Allocation counts (zero when the source has none). */
  count: Float64Array;
  maxDepth: number;
}

/**
 * Lays out a pre-order tree (parent[i] < i, children after their parent) from per-node values.
 * Children are packed left to right in the order they appear.
 */
export function layoutFromValues(
  parent: ArrayLike<number>,
  values: ArrayLike<number>,
  counts?: ArrayLike<number>,
): FlameLayout {
  const n = parent.length;
  const par = new Int32Array(n);
  const x0 = new Float64Array(n);
  const x1 = new Float64Array(n);
  const depth = new Int32Array(n);
  const end = new Int32Array(n);
  const count = new Float64Array(n);
  // The running right edge of each node's already placed children.
  const cursor = new Float64Array(n);
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    const p = parent[i];
    par[i] = p;
    const v = Math.max(0, values[i] || 0);
    if (p < 0) {
      x0[i] = 0;
      depth[i] = 0;
    } else {
      x0[i] = cursor[p];
      depth[i] = depth[p] + 1;
      cursor[p] = x0[i] + v;
      if (depth[i] > maxDepth) maxDepth = depth[i];
    }
    x1[i] = x0[i] + v;
    cursor[i] = x0[i];
    end[i] = i + 1;
    if (counts) count[i] = counts[i] || 0;
  }
  for (let i = n - 1; i > 0; i--) {
    const p = par[i];
    if (p >= 0 && end[i] > end[p]) end[p] = end[i];
  }
  return { n, parent: par, x0, x1, depth, end, count, maxDepth };
}

export function layoutFlame(tree: FlameTree): FlameLayout {
  return layoutFromValues(tree.parent, tree.bytes, tree.count);
}

/** Rectangles to draw for one zoom: real nodes, plus merged runs of sub-pixel siblings. */
export interface VisibleNodes {
  length: number;
  /** Node id; for a merged run, the id of the first merged node. */
  node: Int32Array;
  /** 0 for a real node; for a merged run, how many sibling subtrees it stands for. */
  merged: Int32Array;
  /** Pixels, [0, widthPx] across the zoom root. */
  x0: Float64Array;
  x1: Float64Array;
  /** Absolute depth (row) in the tree; ancestors of the zoom root are drawn full width above it. */
  depth: Int32Array;
  value: Float64Array;
  count: Float64Array;
  zoomRoot: number;
  widthPx: number;
  /** Deepest row emitted. */
  maxDepth: number;
}

class Grow {
  cap: number;
  length = 0;
  node: Int32Array;
  merged: Int32Array;
  x0: Float64Array;
  x1: Float64Array;
  depth: Int32Array;
  value: Float64Array;
  count: Float64Array;
  constructor(cap: number) {
    this.cap = cap;
    this.node = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    this.x0 = new Float64Array(cap);
    this.x1 = new Float64Array(cap);
    this.depth = new Int32Array(cap);
    this.value = new Float64Array(cap);
    this.count = new Float64Array(cap);
  }
  push(
    node: number,
    merged: number,
    x0: number,
    x1: number,
    depth: number,
    value: number,
    count: number,
  ): void {
    if (this.length === this.cap) this.grow();
    const k = this.length++;
    this.node[k] = node;
    this.merged[k] = merged;
    this.x0[k] = x0;
    this.x1[k] = x1;
    this.depth[k] = depth;
    this.value[k] = value;
    this.count[k] = count;
  }
  private grow(): void {
    const cap = this.cap * 2;
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.node = g32(this.node);
    this.merged = g32(this.merged);
    this.depth = g32(this.depth);
    this.x0 = g64(this.x0);
    this.x1 = g64(this.x1);
    this.value = g64(this.value);
    this.count = g64(this.count);
    this.cap = cap;
  }
}

/**
 * The rectangles for `zoomRoot` at `widthPx`. Nodes narrower than `minPx` are not drawn one by
 * one: each run of adjacent narrow siblings becomes one merged rectangle whose value is their
 * sum, and their subtrees are skipped, so every drawn parent's children still add up to it.
 */
export function visibleNodes(
  layout: FlameLayout,
  zoomRoot: number,
  widthPx: number,
  minPx = 1,
): VisibleNodes {
  const { x0, x1, depth, end, parent, count } = layout;
  const root = zoomRoot >= 0 && zoomRoot < layout.n ? zoomRoot : 0;
  const out = new Grow(Math.min(4096, Math.max(16, layout.n * 2)));
  const span = x1[root] - x0[root];
  const scale = span > 0 ? widthPx / span : 0;
  const origin = x0[root];
  let maxDepth = 0;

  const ancestors: number[] = [];
  for (let a = parent[root]; a >= 0; a = parent[a]) ancestors.push(a);
  for (let k = ancestors.length - 1; k >= 0; k--) {
    const a = ancestors[k];
    out.push(a, 0, 0, widthPx, depth[a], x1[a] - x0[a], count[a]);
  }

  let runParent = -1;
  let runFirst = -1;
  let runN = 0;
  let runX0 = 0;
  let runX1 = 0;
  let runCount = 0;
  const flush = () => {
    if (runN > 0) {
      const d = depth[runFirst];
      out.push(
        runFirst,
        runN,
        (runX0 - origin) * scale,
        (runX1 - origin) * scale,
        d,
        runX1 - runX0,
        runCount,
      );
      if (d > maxDepth) maxDepth = d;
    }
    runN = 0;
    runParent = -1;
  };

  const stop = end[root];
  let i = root;
  while (i < stop) {
    const w = (x1[i] - x0[i]) * scale;
    if (i !== root && w < minPx) {
      const p = parent[i];
      if (runN > 0 && (runParent !== p || x0[i] !== runX1)) flush();
      if (runN === 0) {
        runParent = p;
        runFirst = i;
        runX0 = x0[i];
        runX1 = x0[i];
        runCount = 0;
      }
      runN += 1;
      runX1 = x1[i];
      runCount += count[i];
      i = end[i];
      continue;
    }
    flush();
    out.push(i, 0, (x0[i] - origin) * scale, (x1[i] - origin) * scale, depth[i], x1[i] - x0[i], count[i]);
    if (depth[i] > maxDepth) maxDepth = depth[i];
    i += 1;
  }
  flush();
  if (ancestors.length === 0 && out.length > 0 && depth[root] > maxDepth) maxDepth = depth[root];

  return {
    length: out.length,
    node: out.node.subarray(0, out.length),
    merged: out.merged.subarray(0, out.length),
    x0: out.x0.subarray(0, out.length),
    x1: out.x1.subarray(0, out.length),
    depth: out.depth.subarray(0, out.length),
    value: out.value.subarray(0, out.length),
    count: out.count.subarray(0, out.length),
    zoomRoot: root,
    widthPx,
    maxDepth: Math.max(maxDepth, depth[root]),
  };
}

/** Root-to-node path (node ids), for breadcrumbs. */
export function pathTo(layout: FlameLayout, node: number): number[] {
  const path: number[] = [];
  for (let a = node; a >= 0; a = layout.parent[a]) path.push(a);
  return path.reverse();
}

// ---------------------------------------------------------------------------------------------
// Search

/** 1 where the node's function name or file contains `query` (case-insensitive). */
export function searchMatches(tree: Pick<FlameTree, 'frames' | 'frame'>, query: string): Uint8Array {
  const n = tree.frame.length;
  const out = new Uint8Array(n);
  const q = query.trim().toLowerCase();
  if (!q) return out;
  const frameHit = new Uint8Array(tree.frames.length);
  for (let f = 0; f < tree.frames.length; f++) {
    const fr = tree.frames[f];
    const hay = `${fr.name}\u0000${fr.file}\u0000${fr.module ?? ''}`.toLowerCase();
    frameHit[f] = hay.includes(q) ? 1 : 0;
  }
  for (let i = 0; i < n; i++) {
    const f = tree.frame[i];
    out[i] = f >= 0 && frameHit[f] ? 1 : 0;
  }
  return out;
}

export interface MatchShare {
  /** Bytes of the stacks that pass through at least one match, each stack counted once. */
  bytes: number;
  /** bytes / the value of `root`. */
  share: number;
  /** Matching nodes (all of them, nested ones included). */
  nodes: number;
}

/**
 * Sums matches under `root` counting every stack once: a match inside another match (recursion,
 * or two matching frames on one stack) adds nothing, because the outer node's value already
 * includes it.
 */
export function matchShare(layout: FlameLayout, matches: Uint8Array, root = 0): MatchShare {
  const { x0, x1, end } = layout;
  let bytes = 0;
  let nodes = 0;
  const stop = end[root] ?? 0;
  for (let i = root; i < stop; i++) if (matches[i]) nodes++;
  let i = root;
  while (i < stop) {
    if (matches[i]) {
      bytes += x1[i] - x0[i];
      i = end[i];
    } else i++;
  }
  const total = layout.n > 0 ? x1[root] - x0[root] : 0;
  return { bytes, share: total > 0 ? bytes / total : 0, nodes };
}

// ---------------------------------------------------------------------------------------------
// Colour

/** FNV-1a, so a file keeps its colour across sessions and captures. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const MERGED_COLOR = 'rgba(150,150,150,0.55)';
export const IMPORT_COLOR = '#b4b4b4';
export const SYNTHETIC_COLOR = '#d6d3cc';
export const MATCH_COLOR = '#e040fb';
export const UNMATCHED_COLOR = '#dcdcdc';

function hslHex(h: number, sPct: number, lPct: number): string {
  const s = sPct / 100;
  const l = lPct / 100;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/**
 * Python frames: a hue per module/file outside the blue band, which native frames own, so the
 * two never look alike; import-system frames are grey because they are rarely the culprit.
 */
export function frameColor(frame: FrameInfo | undefined): string {
  if (!frame || frame.kind === 'synthetic') return SYNTHETIC_COLOR;
  if (frame.importSystem) return IMPORT_COLOR;
  const h = hashString(frame.module || frame.file || frame.name);
  if (frame.kind === 'native') {
    const hue = 195 + (h % 45);
    const light = 52 + ((h >>> 9) % 14);
    return hslHex(hue, 32, light);
  }
  // Python hues skip 180°–290° (cyan to violet) so they never pass for native blue-greys.
  let hue = h % 250;
  if (hue >= 180) hue += 110;
  const light = 62 + ((h >>> 11) % 10);
  return hslHex(hue, 62, light);
}

// Hex strings, computed once per frame table: canvas parses a fill string on every assignment
// and hashing a path per rectangle per render adds up at a few thousand rectangles.
const colorCache = new WeakMap<readonly FrameInfo[], string[]>();
export function frameColors(frames: readonly FrameInfo[]): string[] {
  let colors = colorCache.get(frames);
  if (!colors) {
    colors = frames.map(frameColor);
    colorCache.set(frames, colors);
  }
  return colors;
}

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

// ---------------------------------------------------------------------------------------------
// Labels and tooltip

export function shortFile(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.slice(-2).join('/');
}

/** The label of node i: a frame's function, or the tree's synthetic names. */
export function nodeLabel(
  tree: Pick<FlameTree, 'frames' | 'frame' | 'parent' | 'threadLabels'>,
  i: number,
): string {
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
  if (frame.source) return `${frame.source.file}:${frame.source.line} (${frame.file})`;
  return frame.line > 0 ? `${frame.file}:${frame.line}` : frame.file;
}

/** Cuts a label to what fits in `px` at ~6.6 px per character of an 11 px sans font. */
export function fitLabel(text: string, px: number): string {
  const chars = Math.floor((px - 6) / 6.6);
  if (chars < 2) return '';
  if (text.length <= chars) return text;
  return `${text.slice(0, Math.max(1, chars - 1))}…`;
}

// ---------------------------------------------------------------------------------------------
// ECharts option

export type FlameOrientation = 'icicle' | 'flame';

export interface FlameOptionInput {
  tree: Pick<FlameTree, 'frames' | 'frame' | 'parent' | 'threadLabels'>;
  visible: VisibleNodes;
  orientation: FlameOrientation;
  /** The whole tree's value (percentages in the tooltip are of this). */
  totalValue: number;
  rowHeight?: number;
  matches?: Uint8Array | null;
  /** Overrides fill per visible rectangle (the diff view's growth colours). */
  fill?: (node: number, k: number) => string;
  /** Rows of the whole tree (defaults to the visible ones); flame orientation counts from it. */
  rows?: number;
  /** Extra style for a real node (e.g. a dashed outline for removed frames). */
  stroke?: (node: number) => { stroke: string; lineDash?: number[] } | null;
  /** Tooltip HTML per visible rectangle; the default shows bytes, %, count and file:line. */
  tooltip?: (node: number, k: number) => string;
  dark?: boolean;
  /** Units of the default tooltip's sizes (default 'si'). */
  units?: UnitSystem;
}

export const ROW_HEIGHT = 18;

/**
 * Pixel height of the chart: one row per depth of the whole tree, so zooming never resizes the
 * canvas (a resize reallocates and clears it, which costs more than drawing the rectangles).
 */
export function flameHeight(rows: number, rowHeight = ROW_HEIGHT): number {
  return Math.max(1, rows) * rowHeight + 2;
}

/** Where visible rectangle k is drawn (the chart and the hover outline share this). */
export function rectGeometry(
  visible: VisibleNodes,
  k: number,
  orientation: FlameOrientation,
  rows: number,
  rowHeight = ROW_HEIGHT,
): { x: number; y: number; width: number; height: number } {
  const x0 = visible.x0[k];
  const span = visible.x1[k] - x0;
  const d = visible.depth[k];
  // Wide rectangles get a 1 px gap instead of an outline: strokes double the paint cost.
  const width = span > 4 ? span - 1 : Math.max(span, 0.5);
  const y = orientation === 'icicle' ? d * rowHeight : (rows - 1 - d) * rowHeight;
  return { x: x0, y, width, height: rowHeight - 1 };
}

export function defaultTooltip(
  tree: Pick<FlameTree, 'frames' | 'frame' | 'parent' | 'threadLabels'>,
  visible: VisibleNodes,
  k: number,
  totalValue: number,
  units: UnitSystem = 'si',
): string {
  const node = visible.node[k];
  const value = visible.value[k];
  const pct = totalValue > 0 ? value / totalValue : 0;
  if (visible.merged[k] > 0) {
    return [
      `<b>${visible.merged[k]} small frame${visible.merged[k] === 1 ? '' : 's'} merged</b>`,
      `${formatBytes(value, units)} (${formatPercent(pct, 2)}) · ${allocations(visible.count[k])}`,
      'zoom in to see them',
    ].join('<br>');
  }
  const f = tree.frame[node] >= 0 ? tree.frames[tree.frame[node]] : undefined;
  const loc = frameLocation(f);
  const kind =
    f && f.kind === 'native' ? ' <i>(native)</i>' : f?.importSystem ? ' <i>(import system)</i>' : '';
  return [
    `<b>${escapeHtml(nodeLabel(tree, node))}</b>${kind}`,
    loc ? escapeHtml(loc) : '',
    `${formatBytes(value, units)} · ${groupDigits(value)} B · ${formatPercent(pct, 2)}`,
    `${allocations(visible.count[k])}`,
  ]
    .filter(Boolean)
    .join('<br>');
}

/**
 * The chart: one custom series, one data item per visible rectangle, with pixel coordinates
 * (coordinateSystem 'none'), so a zoom is a data swap and no axis work.
 */
export function buildFlameOption(input: FlameOptionInput): EChartsOption {
  const { tree, visible, orientation, totalValue, matches } = input;
  const rowHeight = input.rowHeight ?? ROW_HEIGHT;
  const searching = !!matches && matches.some((m) => m === 1);
  const rows = Math.max(input.rows ?? 0, visible.maxDepth + 1);
  const textColor = '#1d1d1f';
  const colors = frameColors(tree.frames);

  // A merged run narrower than a pixel would paint nothing; leaving it out of the data saves an
  // element per drawn parent (about a third of all elements on a 100k-node tree).
  const kept = drawnIndexes(visible);
  const fills = new Array<string>(kept.length);
  for (let j = 0; j < kept.length; j++) {
    const k = kept[j];
    const node = visible.node[k];
    if (visible.merged[k] > 0) fills[j] = MERGED_COLOR;
    // While searching, everything else turns grey: a dimmed frame of a pink file would look
    // much like the magenta of a match.
    else if (searching) fills[j] = matches![node] === 1 ? MATCH_COLOR : UNMATCHED_COLOR;
    else if (input.fill) fills[j] = input.fill(node, k);
    else fills[j] = tree.frame[node] >= 0 ? colors[tree.frame[node]] : SYNTHETIC_COLOR;
  }
  // Rectangles never overlap, so paint order is free: grouped by colour, the canvas keeps its
  // fill style from one rectangle to the next instead of parsing a new one each time.
  const order = Array.from(kept.keys()).sort((a, b) =>
    fills[a] < fills[b] ? -1 : fills[a] > fills[b] ? 1 : a - b,
  );
  const drawn = Int32Array.from(order, (j) => kept[j]);
  const fillOf = order.map((j) => fills[j]);
  // One number per item (its visible index): geometry is read from the typed arrays, so
  // ECharts does not have to store and copy four dimensions per rectangle.
  const data = Array.from(drawn);

  const renderItem: CustomSeriesRenderItem = (params): CustomSeriesRenderItemReturn => {
    const j = params.dataIndex;
    const k = drawn[j];
    const node = visible.node[k];
    const merged = visible.merged[k] > 0;
    const shape = rectGeometry(visible, k, orientation, rows, rowHeight);
    const width = shape.width;
    const fill = fillOf[j];
    const extra = !merged && input.stroke ? input.stroke(node) : null;
    const label = width >= 20 && !merged ? fitLabel(nodeLabel(tree, node), width) : '';
    return {
      type: 'rect',
      shape,
      // No hover state: highlighting one rectangle repaints all of them. The view draws a DOM
      // outline over the hovered rectangle instead (rectGeometry).
      emphasisDisabled: true,
      style: extra
        ? {
            fill,
            stroke: extra.stroke,
            lineWidth: 1,
            lineDash: extra.lineDash,
          }
        : { fill },
      textContent: label
        ? { type: 'text', style: { text: label, fill: textColor, fontSize: 11 } }
        : undefined,
      textConfig: label ? { position: 'insideLeft', distance: 4 } : undefined,
    } as CustomSeriesRenderItemReturn;
  };

  const tooltipOf =
    input.tooltip ??
    ((_node: number, k: number) => defaultTooltip(tree, visible, k, totalValue, input.units));

  return {
    animation: false,
    backgroundColor: 'transparent',
    tooltip: {
      trigger: 'item',
      confine: true,
      transitionDuration: 0,
      showDelay: 0,
      hideDelay: 0,
      formatter: (p: unknown) => {
        const j = (p as { dataIndex: number }).dataIndex;
        if (!(j >= 0 && j < drawn.length)) return '';
        const k = drawn[j];
        return tooltipOf(visible.node[k], k);
      },
    },
    series: [
      {
        id: 'flame',
        type: 'custom',
        coordinateSystem: 'none',
        renderItem,
        data,
        // Render everything in one pass: progressive rendering would show a half-drawn graph.
        progressive: 0,
        animation: false,
        clip: false,
      },
    ],
  } as EChartsOption;
}

/** Visible rectangles worth an element: real nodes, and merged runs at least a pixel wide. */
export function drawnIndexes(visible: VisibleNodes): Int32Array {
  const out = new Int32Array(visible.length);
  let n = 0;
  for (let k = 0; k < visible.length; k++) {
    if (visible.merged[k] === 0 || visible.x1[k] - visible.x0[k] >= 1) out[n++] = k;
  }
  return out.subarray(0, n);
}
