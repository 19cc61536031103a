/**
 * The HTML report's flame graphs: one canvas each, painted from the same FlameScene as the app's
 * chart (renderer/flame/: layout, colours, labels, search), with click-to-zoom, breadcrumbs,
 * search and a tooltip. Text is only ever set through textContent / fillText.
 */
import type { DiffFlameTree, FlameTree } from '../../shared/api';
import type { UnitSystem } from '../../shared/units';
import { diffPaint, framePaint, type FlamePaint } from '../flame/color';
import { layoutDiffFlame } from '../flame/diff-layout';
import {
  diffNodeTooltip,
  matchShareText,
  nodeLabel,
  nodeTooltip,
  type LabelTree,
  type TooltipContent,
} from '../flame/labels';
import { layoutFlame, pathTo, type FlameLayout, type VisibleNodes } from '../flame/layout';
import { matchShare, searchMatches } from '../flame/search';
import {
  flameScene,
  sceneIndexAt,
  zoomTarget,
  LABEL_COLOR,
  LABEL_FONT_FAMILY,
  LABEL_FONT_PX,
  LABEL_INSET_PX,
  type FlameScene,
} from '../flame/scene';

/** One flame graph as the report draws it. */
export interface ReportFlameModel {
  tree: LabelTree;
  layout: FlameLayout;
  paint: FlamePaint;
  tooltip(visible: VisibleNodes, k: number): TooltipContent;
}

/** A plain tree, as the app's flamegraph view lays it out and colours it. */
export function plainFlameModel(tree: FlameTree, units: UnitSystem): ReportFlameModel {
  return {
    tree,
    layout: layoutFlame(tree),
    paint: framePaint(tree),
    tooltip: (visible, k) => nodeTooltip(tree, visible, k, tree.totalBytes, units),
  };
}

/** A diff tree, as the app's diff view lays it out (ghosts for removed frames) and colours it. */
export function diffFlameModel(tree: DiffFlameTree, units: UnitSystem): ReportFlameModel {
  return {
    tree,
    layout: layoutDiffFlame(tree).layout,
    paint: diffPaint(tree),
    tooltip: (visible, k) => diffNodeTooltip(tree, visible, k, units),
  };
}

/** What the report draws for a zoom root at a width, with an optional search highlight. */
export function reportScene(
  model: ReportFlameModel,
  zoomRoot: number,
  widthPx: number,
  matches?: Uint8Array | null,
): FlameScene {
  return flameScene({
    tree: model.tree,
    layout: model.layout,
    zoomRoot,
    widthPx,
    // The report has no flip button: root on top, like the app's default.
    orientation: 'icicle',
    paint: model.paint,
    matches,
  });
}

/** The drawing calls the report makes (a CanvasRenderingContext2D has them all). */
export type FlameCanvas = Pick<
  CanvasRenderingContext2D,
  | 'fillStyle'
  | 'strokeStyle'
  | 'lineWidth'
  | 'font'
  | 'textBaseline'
  | 'clearRect'
  | 'fillRect'
  | 'strokeRect'
  | 'fillText'
  | 'setLineDash'
>;

/** Paints a scene: rectangles in its order, then outlines, then labels on top. */
export function paintScene(ctx: FlameCanvas, scene: FlameScene): void {
  ctx.clearRect(0, 0, scene.widthPx, scene.heightPx);
  for (let j = 0; j < scene.length; j++) {
    ctx.fillStyle = scene.fill[j];
    ctx.fillRect(scene.x[j], scene.y[j], scene.width[j], scene.height[j]);
  }
  ctx.lineWidth = 1;
  for (let j = 0; j < scene.length; j++) {
    const outline = scene.outline[j];
    if (!outline) continue;
    ctx.strokeStyle = outline.stroke;
    ctx.setLineDash(outline.lineDash);
    ctx.strokeRect(scene.x[j], scene.y[j], scene.width[j], scene.height[j]);
  }
  ctx.setLineDash([]);
  ctx.fillStyle = LABEL_COLOR;
  ctx.font = `${LABEL_FONT_PX}px ${LABEL_FONT_FAMILY}`;
  ctx.textBaseline = 'middle';
  for (let j = 0; j < scene.length; j++) {
    const label = scene.label[j];
    if (label) ctx.fillText(label, scene.x[j] + LABEL_INSET_PX, scene.y[j] + scene.height[j] / 2);
  }
}

function div(className: string, ...children: (Node | string)[]): HTMLDivElement {
  const node = document.createElement('div');
  if (className) node.className = className;
  node.append(...children);
  return node;
}

/** The flame graph's element: a bar (reset, search, its share), breadcrumbs, canvas, tooltip. */
export function flameView(model: ReportFlameModel, id: string, units: UnitSystem): HTMLElement {
  const wrap = div('flame');
  wrap.id = id;
  const reset = document.createElement('button');
  reset.type = 'button';
  reset.textContent = 'Reset zoom';
  const search = document.createElement('input');
  search.type = 'search';
  search.placeholder = 'Search function or file';
  search.setAttribute('aria-label', 'Search frames');
  const found = document.createElement('span');
  found.className = 'mut found';
  const hint = document.createElement('span');
  hint.className = 'mut';
  hint.textContent = ' Click a frame to zoom, Esc to reset.';
  const crumbs = div('crumbs');
  const canvas = document.createElement('canvas');
  const tip = div('tip');
  wrap.append(div('bar', reset, search, found, hint), crumbs, canvas, tip);

  let zoomRoot = 0;
  let matches: Uint8Array | null = null;
  let scene: FlameScene | null = null;

  const draw = () => {
    const width = Math.max(50, Math.floor(wrap.clientWidth || 1200));
    scene = reportScene(model, zoomRoot, width, matches);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(scene.heightPx * dpr);
    canvas.style.height = `${scene.heightPx}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    paintScene(ctx, scene);
    canvas.dataset.nodes = String(scene.length);
    crumbs.textContent = pathTo(model.layout, zoomRoot)
      .map((node) => nodeLabel(model.tree, node))
      .join('  ›  ');
    found.textContent = matches
      ? ` ${matchShareText(matchShare(model.layout, matches, zoomRoot), units)}`
      : '';
  };

  const hit = (ev: MouseEvent): number => {
    if (!scene) return -1;
    const r = canvas.getBoundingClientRect();
    return sceneIndexAt(scene, ev.clientX - r.left, ev.clientY - r.top);
  };
  canvas.addEventListener('click', (ev) => {
    const j = hit(ev);
    if (j < 0 || !scene) return;
    zoomRoot = zoomTarget(scene, model.layout, j);
    draw();
  });
  canvas.addEventListener('mousemove', (ev) => {
    const j = hit(ev);
    if (j < 0 || !scene) {
      tip.style.display = 'none';
      return;
    }
    const content = model.tooltip(scene.visible, scene.visibleIndex[j]);
    const title = document.createElement('b');
    title.textContent = content.title;
    const head = div('', title);
    if (content.note) {
      const note = document.createElement('i');
      note.textContent = `(${content.note})`;
      head.append(' ', note);
    }
    tip.textContent = '';
    tip.append(head, ...content.lines.map((line) => div('', line)));
    tip.style.display = 'block';
    tip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - 540)}px`;
    tip.style.top = `${ev.clientY + 14}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  search.addEventListener('input', () => {
    matches = search.value.trim() ? searchMatches(model.tree, search.value) : null;
    draw();
  });
  reset.addEventListener('click', () => {
    zoomRoot = 0;
    draw();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && zoomRoot !== 0) {
      zoomRoot = 0;
      draw();
    }
  });
  window.addEventListener('resize', draw);
  requestAnimationFrame(draw);
  return wrap;
}
