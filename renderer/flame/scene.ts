/**
 * The flamegraph as a list of rectangles to paint: where each goes, its fill, its label and its
 * outline. The app's ECharts option (renderer/charts/flame.ts) and the HTML report's canvas
 * (renderer/report/flame.ts) both draw a scene and decide nothing of their own, so one capture
 * looks the same in both.
 */
import { MATCH_COLOR, MERGED_COLOR, UNMATCHED_COLOR, type FlamePaint, type Outline } from './color';
import { fitLabel, nodeLabel, type LabelTree } from './labels';
import { drawnIndexes, visibleNodes, type FlameLayout, type VisibleNodes } from './layout';

export type FlameOrientation = 'icicle' | 'flame';

export const ROW_HEIGHT = 18;

/** Labels: 11 px sans-serif in near-black, 4 px in from the left, on rectangles ≥ 20 px wide. */
export const LABEL_FONT_PX = 11;
export const LABEL_FONT_FAMILY = 'sans-serif';
export const LABEL_COLOR = '#1d1d1f';
export const LABEL_INSET_PX = 4;
const LABEL_MIN_WIDTH_PX = 20;

/**
 * Pixel height of the chart: one row per depth of the whole tree, so zooming never resizes the
 * canvas (a resize reallocates and clears it, which costs more than drawing the rectangles).
 */
export function flameHeight(rows: number, rowHeight = ROW_HEIGHT): number {
  return Math.max(1, rows) * rowHeight + 2;
}

/** Where visible rectangle k is drawn. */
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

export interface FlameSceneInput {
  tree: LabelTree;
  layout: FlameLayout;
  zoomRoot: number;
  widthPx: number;
  orientation: FlameOrientation;
  /** Fills (and outlines) of real nodes: framePaint or diffPaint. */
  paint: FlamePaint;
  /** Rows to lay out; defaults to the whole tree's, so the root's row never moves on a zoom. */
  rows?: number;
  /** Nodes to highlight (search hits, a table row's occurrences); every other one turns grey. */
  matches?: Uint8Array | null;
  rowHeight?: number;
}

/** The rectangles of one zoom at one width, in paint order. */
export interface FlameScene {
  visible: VisibleNodes;
  length: number;
  /** Index into `visible` of each rectangle (tooltips are per visible rectangle). */
  visibleIndex: Int32Array;
  node: Int32Array;
  /** 0 for a real node; for a merged run, how many sibling subtrees it stands for. */
  merged: Int32Array;
  x: Float64Array;
  y: Float64Array;
  width: Float64Array;
  height: Float64Array;
  fill: string[];
  /** Already fitted to the rectangle; '' when none fits. */
  label: string[];
  outline: (Outline | null)[];
  rows: number;
  rowHeight: number;
  widthPx: number;
  heightPx: number;
}

export function flameScene(input: FlameSceneInput): FlameScene {
  const { tree, layout, orientation, paint, matches } = input;
  const rowHeight = input.rowHeight ?? ROW_HEIGHT;
  const visible = visibleNodes(layout, input.zoomRoot, input.widthPx);
  const rows = Math.max(input.rows ?? layout.maxDepth + 1, visible.maxDepth + 1);
  const searching = !!matches && matches.some((m) => m === 1);

  // A merged run narrower than a pixel would paint nothing; leaving it out saves an element per
  // drawn parent (about a third of all elements on a 100k-node tree).
  const kept = drawnIndexes(visible);
  const fills = new Array<string>(kept.length);
  for (let j = 0; j < kept.length; j++) {
    const k = kept[j];
    const node = visible.node[k];
    if (visible.merged[k] > 0) fills[j] = MERGED_COLOR;
    // While searching, everything else turns grey: a dimmed frame of a pink file would look
    // much like the magenta of a match.
    else if (searching) fills[j] = matches![node] === 1 ? MATCH_COLOR : UNMATCHED_COLOR;
    else fills[j] = paint.fill(node);
  }
  // Rectangles never overlap, so paint order is free: grouped by colour, a canvas keeps its
  // fill style from one rectangle to the next instead of parsing a new one each time.
  const order = Array.from(kept.keys()).sort((a, b) =>
    fills[a] < fills[b] ? -1 : fills[a] > fills[b] ? 1 : a - b,
  );

  const n = order.length;
  const scene: FlameScene = {
    visible,
    length: n,
    visibleIndex: new Int32Array(n),
    node: new Int32Array(n),
    merged: new Int32Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
    width: new Float64Array(n),
    height: new Float64Array(n),
    fill: new Array<string>(n),
    label: new Array<string>(n),
    outline: new Array<Outline | null>(n),
    rows,
    rowHeight,
    widthPx: input.widthPx,
    heightPx: flameHeight(rows, rowHeight),
  };
  for (let j = 0; j < n; j++) {
    const k = kept[order[j]];
    const node = visible.node[k];
    const merged = visible.merged[k];
    const g = rectGeometry(visible, k, orientation, rows, rowHeight);
    scene.visibleIndex[j] = k;
    scene.node[j] = node;
    scene.merged[j] = merged;
    scene.x[j] = g.x;
    scene.y[j] = g.y;
    scene.width[j] = g.width;
    scene.height[j] = g.height;
    scene.fill[j] = fills[order[j]];
    scene.label[j] =
      g.width >= LABEL_MIN_WIDTH_PX && merged === 0 ? fitLabel(nodeLabel(tree, node), g.width) : '';
    scene.outline[j] = merged === 0 && paint.outline ? paint.outline(node) : null;
  }
  return scene;
}

/** Rectangle j's geometry (the view's hover outline uses it). */
export function sceneRect(
  scene: FlameScene,
  j: number,
): { x: number; y: number; width: number; height: number } {
  return { x: scene.x[j], y: scene.y[j], width: scene.width[j], height: scene.height[j] };
}

/**
 * The rectangle under a point, or -1. The 1 px gap right of a wide rectangle belongs to it, so
 * the pointer never falls between two frames.
 */
export function sceneIndexAt(scene: FlameScene, px: number, py: number): number {
  for (let j = 0; j < scene.length; j++) {
    if (py < scene.y[j] || py >= scene.y[j] + scene.rowHeight) continue;
    const x = scene.x[j];
    const right = scene.width[j] > 3 ? x + scene.width[j] + 1 : x + scene.width[j];
    if (px >= x && px < right) return j;
  }
  return -1;
}

/** What a click on rectangle j zooms to: the node, or for a merged run the parent it sits in. */
export function zoomTarget(scene: FlameScene, layout: FlameLayout, j: number): number {
  const node = scene.node[j];
  return scene.merged[j] > 0 ? layout.parent[node] : node;
}
