/**
 * One flamegraph result drawn through both of its paths: the app's (its store's layout, the
 * ECharts option FlameChart.vue sets, read back through the series' renderItem) and the HTML
 * report's (the tree as the page parses it from the embedded JSON, painted onto a recording
 * canvas). Both must draw the same rectangles in the same colours with the same labels. On top
 * of that, hand-computed invariants over what was drawn: each child inside its parent, widths
 * proportional to bytes, one row per depth, one colour per file.
 */
import { describe, expect, it } from 'vitest';
import type { DiffFlameTree, FlameTree, FrameInfo } from '@shared/api';
import { flameChart } from '../../renderer/charts/flame';
import { diffPaint, GONE_OUTLINE, MATCH_COLOR } from '../../renderer/flame/color';
import { layoutDiffFlame } from '../../renderer/flame/diff-layout';
import { layoutFlame, type FlameLayout } from '../../renderer/flame/layout';
import { searchMatches } from '../../renderer/flame/search';
import {
  diffFlameModel,
  paintScene,
  plainFlameModel,
  reportScene,
  type FlameCanvas,
  type ReportFlameModel,
} from '../../renderer/report/flame';
import basicCsv from '../fixtures/query/basic.hwm.csv?raw';
import leaksCsv from '../fixtures/query/basic.leaks.csv?raw';
import pymallocCsv from '../fixtures/query/pymalloc.hwm.csv?raw';
import threadsCsv from '../fixtures/query/threads.hwm.csv?raw';

const ROW = 18;

/** One drawn rectangle, whoever drew it. */
interface Drawn {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  stroke: string | null;
  dash: number[] | null;
  label: string;
  /** Where the label's text is anchored (left, vertical middle), and how it is set. */
  labelAt: [number, number] | null;
  font: string | null;
  labelFill: string | null;
}

type EChartsItem = {
  shape: { x: number; y: number; width: number; height: number };
  style: { fill: string; stroke?: string; lineDash?: number[] };
  textContent?: { style: { text: string; fill: string; fontSize: number; fontFamily: string } };
  textConfig?: { position: string; distance: number };
};

/** The app: what the ECharts series draws for each of its data items, in data order. */
function appDrawn(
  tree: FlameTree | DiffFlameTree,
  layout: FlameLayout,
  zoomRoot: number,
  widthPx: number,
  extra: Partial<Parameters<typeof flameChart>[0]> = {},
): { drawn: Drawn[]; nodes: number[]; merged: number[] } {
  const { scene, option } = flameChart({ tree, layout, zoomRoot, widthPx, orientation: 'icicle', ...extra });
  const series = (
    option.series as { data: number[]; renderItem: (p: unknown, api: unknown) => EChartsItem }[]
  )[0];
  const drawn = series.data.map((_, dataIndex): Drawn => {
    const item = series.renderItem({ dataIndex }, {});
    const text = item.textContent?.style;
    // ECharts' 'insideLeft': `distance` px in from the left edge, vertically centred.
    expect(text ? item.textConfig?.position : 'insideLeft').toBe('insideLeft');
    return {
      ...item.shape,
      fill: item.style.fill,
      stroke: item.style.stroke ?? null,
      dash: item.style.lineDash ?? null,
      label: text?.text ?? '',
      labelAt: text ? [item.shape.x + item.textConfig!.distance, item.shape.y + item.shape.height / 2] : null,
      font: text ? `${text.fontSize}px ${text.fontFamily}` : null,
      labelFill: text?.fill ?? null,
    };
  });
  return {
    drawn,
    nodes: series.data.map((j) => scene.node[j]),
    merged: series.data.map((j) => scene.merged[j]),
  };
}

/** A canvas that records what is painted on it. */
class RecordingCanvas implements FlameCanvas {
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  font = '10px sans-serif';
  textBaseline: CanvasTextBaseline = 'alphabetic';
  private dash: number[] = [];
  fills: { x: number; y: number; width: number; height: number; fill: string }[] = [];
  strokes: { x: number; y: number; width: number; height: number; stroke: string; dash: number[] }[] = [];
  texts: { text: string; x: number; y: number; font: string; fill: string; baseline: string }[] = [];
  clearRect(): void {
    this.fills = [];
    this.strokes = [];
    this.texts = [];
  }
  fillRect(x: number, y: number, width: number, height: number): void {
    this.fills.push({ x, y, width, height, fill: String(this.fillStyle) });
  }
  strokeRect(x: number, y: number, width: number, height: number): void {
    expect(this.lineWidth).toBe(1);
    this.strokes.push({ x, y, width, height, stroke: String(this.strokeStyle), dash: [...this.dash] });
  }
  fillText(text: string, x: number, y: number): void {
    this.texts.push({
      text,
      x,
      y,
      font: this.font,
      fill: String(this.fillStyle),
      baseline: this.textBaseline,
    });
  }
  setLineDash(segments: number[]): void {
    this.dash = [...segments];
  }
}

/** The report: its canvas calls regrouped per rectangle, in paint order. */
function reportDrawn(model: ReportFlameModel, zoomRoot: number, widthPx: number, query = ''): Drawn[] {
  const ctx = new RecordingCanvas();
  const matches = query ? searchMatches(model.tree, query) : null;
  paintScene(ctx, reportScene(model, zoomRoot, widthPx, matches));
  const same = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
    a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
  const usedStrokes = new Set<number>();
  const usedTexts = new Set<number>();
  const drawn = ctx.fills.map((f): Drawn => {
    const s = ctx.strokes.findIndex((o) => same(o, f));
    const t = ctx.texts.findIndex((o) => o.x > f.x && o.x < f.x + f.width && o.y === f.y + f.height / 2);
    if (s >= 0) usedStrokes.add(s);
    if (t >= 0) usedTexts.add(t);
    const text = t >= 0 ? ctx.texts[t] : undefined;
    if (text) expect(text.baseline).toBe('middle');
    return {
      ...f,
      stroke: s >= 0 ? ctx.strokes[s].stroke : null,
      dash: s >= 0 ? ctx.strokes[s].dash : null,
      label: text?.text ?? '',
      labelAt: text ? [text.x, text.y] : null,
      font: text?.font ?? null,
      labelFill: text?.fill ?? null,
    };
  });
  // Nothing painted outside a rectangle.
  expect(usedStrokes.size).toBe(ctx.strokes.length);
  expect(usedTexts.size).toBe(ctx.texts.length);
  return drawn;
}

/** The tree as the report page gets it: parsed from the JSON embedded in the HTML. */
function asEmbedded<T>(tree: T): T {
  return JSON.parse(JSON.stringify(tree)) as T;
}

/** Depth of every node, from the parent column alone. */
function depths(parent: readonly number[]): number[] {
  const d: number[] = [];
  for (let i = 0; i < parent.length; i++) d.push(parent[i] < 0 ? 0 : d[parent[i]] + 1);
  return d;
}

/**
 * Invariants computed by hand, without the layout code: one row per depth; the zoom root and
 * its ancestors span the width; every other node sits after its elder siblings inside its
 * parent, as wide as its share of the zoom root's bytes (less the 1 px gap wide rectangles
 * leave). Returns how many nodes inside the zoom were checked.
 */
function checkGeometry(
  parent: readonly number[],
  width: readonly number[],
  zoomRoot: number,
  widthPx: number,
  app: { drawn: Drawn[]; nodes: number[]; merged: number[] },
): number {
  const depth = depths(parent);
  const scale = widthPx / width[zoomRoot];
  // Hand layout: left edge and span in pixels of every node under the zoom root.
  const left = new Map<number, number>([[zoomRoot, 0]]);
  const used = new Map<number, number>();
  for (let i = zoomRoot + 1; i < parent.length; i++) {
    const p = parent[i];
    if (!left.has(p)) continue;
    left.set(i, left.get(p)! + (used.get(p) ?? 0) * scale);
    used.set(p, (used.get(p) ?? 0) + width[i]);
  }
  const drawnWidth = (spanPx: number) => (spanPx > 4 ? spanPx - 1 : Math.max(spanPx, 0.5));
  const rectOf = new Map<number, Drawn>();
  app.drawn.forEach((r, j) => {
    if (app.merged[j] === 0) rectOf.set(app.nodes[j], r);
  });
  let checked = 0;
  for (const [i, r] of rectOf) {
    expect(r.y).toBe(depth[i] * ROW);
    expect(r.height).toBe(ROW - 1);
    if (i === zoomRoot || !left.has(i)) {
      // The zoom root and its ancestors (nothing else outside the zoom is drawn).
      let a = zoomRoot;
      while (a >= 0 && a !== i) a = parent[a];
      expect(a, `node ${i} is the zoom root or above it`).toBe(i);
      expect(r.x).toBe(0);
      expect(r.width).toBeCloseTo(drawnWidth(widthPx), 6);
      continue;
    }
    expect(r.x).toBeCloseTo(left.get(i)!, 6);
    expect(r.width).toBeCloseTo(drawnWidth(width[i] * scale), 6);
    // Inside the parent's slot (its rectangle and the gap after it).
    const pr = rectOf.get(parent[i])!;
    expect(pr, `parent of ${i} drawn`).toBeDefined();
    expect(r.x).toBeGreaterThanOrEqual(pr.x - 1e-9);
    expect(r.x + r.width).toBeLessThanOrEqual(pr.x + Math.max(pr.width + 1, width[parent[i]] * scale) + 1e-6);
    checked++;
  }
  return checked;
}

/** memray `transform csv` rows: size, thread and stack (outermost frame first). */
function csvRows(text: string): { size: number; count: number; thread: string; stack: string[] }[] {
  return text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const cols = line.split(',');
      const trace = cols.slice(5).join(',');
      return {
        size: Number(cols[2]),
        count: Number(cols[1]),
        thread: cols[4],
        stack: trace ? trace.split('|').reverse() : [],
      };
    });
}

/**
 * A call tree built the plain way, as a brute-force stand-in for the query: every row's stack
 * walked from the root, nodes merged by frame, then written out in pre-order with the heaviest
 * child first. `sides` gives each node one byte and count column per CSV (a diff has two).
 */
function plainTree(sideTexts: string[], splitThreads = false) {
  type Node = { frame: number; bytes: number[]; count: number[]; kids: Map<number, Node> };
  const frames: FrameInfo[] = [];
  const frameIds = new Map<string, number>();
  const frameOf = (key: string, info: FrameInfo) => {
    let f = frameIds.get(key);
    if (f === undefined) frameIds.set(key, (f = frames.push(info) - 1));
    return f;
  };
  const sides = sideTexts.length;
  const make = (frame: number): Node => ({
    frame,
    bytes: Array(sides).fill(0),
    count: Array(sides).fill(0),
    kids: new Map(),
  });
  const root = make(-1);
  const threadLabels: string[] = [];
  sideTexts.forEach((text, side) => {
    for (const row of csvRows(text)) {
      let at = root;
      const path: number[] = [];
      if (splitThreads) {
        if (!threadLabels.includes(row.thread)) threadLabels.push(row.thread);
        path.push(
          frameOf(`thread:${row.thread}`, { name: row.thread, file: '', line: 0, kind: 'synthetic' }),
        );
      }
      for (const part of row.stack) {
        const last = part.lastIndexOf(';');
        const mid = part.lastIndexOf(';', last - 1);
        const [name, file, line] = [
          part.slice(0, mid),
          part.slice(mid + 1, last),
          Number(part.slice(last + 1)),
        ];
        path.push(
          frameOf(part, {
            name,
            file,
            line,
            kind: 'python',
            ...(file.startsWith('<frozen importlib') && { importSystem: true }),
          }),
        );
      }
      at.bytes[side] += row.size;
      at.count[side] += row.count;
      for (const f of path) {
        let next = at.kids.get(f);
        if (!next) at.kids.set(f, (next = make(f)));
        next.bytes[side] += row.size;
        next.count[side] += row.count;
        at = next;
      }
    }
  });
  const parent: number[] = [];
  const frame: number[] = [];
  const bytes: number[][] = Array.from({ length: sides }, () => []);
  const count: number[][] = Array.from({ length: sides }, () => []);
  const emit = (node: Node, p: number) => {
    const me = parent.push(p) - 1;
    frame.push(node.frame);
    for (let s = 0; s < sides; s++) {
      bytes[s].push(node.bytes[s]);
      count[s].push(node.count[s]);
    }
    const last = sides - 1;
    for (const kid of [...node.kids.values()].sort((a, b) => b.bytes[last] - a.bytes[last])) emit(kid, me);
  };
  emit(root, -1);
  return { frames, parent, frame, bytes, count, threadLabels };
}

function flameTreeOf(text: string, splitThreads = false): FlameTree {
  const t = plainTree([text], splitThreads);
  return {
    totalBytes: t.bytes[0][0],
    totalCount: t.count[0][0],
    frames: t.frames,
    parent: t.parent,
    frame: t.frame,
    bytes: t.bytes[0],
    count: t.count[0],
    mergedNodes: 0,
    ...(splitThreads && { threadLabels: t.threadLabels }),
  };
}

/** What was left at the end (base) against the high-water mark (target). */
function diffTreeOf(baseText: string, targetText: string): DiffFlameTree {
  const t = plainTree([baseText, targetText]);
  return {
    frames: t.frames,
    parent: t.parent,
    frame: t.frame,
    baseBytes: t.bytes[0],
    targetBytes: t.bytes[1],
    baseCount: t.count[0],
    targetCount: t.count[1],
  };
}

/** A larger tree with native and import-system frames, wide enough to merge sub-pixel runs. */
function mixedTree(n: number): FlameTree {
  let s = 17;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const frames: FrameInfo[] = Array.from({ length: 60 }, (_, k) => ({
    name: `f${k}`,
    file: k % 5 === 0 ? `/usr/lib/libx${k % 3}.so` : `/app/pkg${k % 9}/mod.py`,
    line: k,
    kind: k % 5 === 0 ? 'native' : 'python',
    ...(k % 11 === 0 && { importSystem: true }),
  }));
  const parent: number[] = [-1];
  const depth: number[] = [0];
  for (let i = 1; i < n; i++) {
    let p = i - 1;
    while (p > 0 && (rnd() < 0.4 || depth[p] >= 30)) p = parent[p];
    parent.push(p);
    depth.push(depth[p] + 1);
  }
  const bytes = Array.from({ length: n }, () => Math.floor(rnd() ** 4 * 50_000));
  for (let i = n - 1; i > 0; i--) bytes[parent[i]] += bytes[i];
  // Largest child first, as the query orders them (the layout does not depend on it).
  const frame = parent.map((p, i) => (p < 0 ? -1 : (i * 7) % 60));
  const count = bytes.map((b) => Math.ceil(b / 512));
  return { totalBytes: bytes[0], totalCount: count[0], frames, parent, frame, bytes, count, mergedNodes: 0 };
}

describe('the app and the HTML report draw one flamegraph alike', () => {
  const plainTrees: [string, FlameTree][] = [
    ["memray's high-water mark of basic", flameTreeOf(basicCsv)],
    ["memray's leaks of basic", flameTreeOf(leaksCsv)],
    ["memray's pymalloc workload (187 stacks)", flameTreeOf(pymallocCsv)],
    ['four threads kept apart', flameTreeOf(threadsCsv, true)],
    ['5,000 nodes with native and import-system frames', mixedTree(5000)],
  ];

  for (const [name, tree] of plainTrees) {
    it(`${name}: the same rectangles, colours and labels, at every zoom and width`, () => {
      const layout = layoutFlame(tree);
      const model = plainFlameModel(asEmbedded(tree), 'si');
      // The root, the heaviest child's heaviest child, and a deep node.
      let deep = 0;
      for (let i = 1; i < layout.n; i++) if (layout.depth[i] >= 3 && layout.end[i] - i > 2) deep = i;
      let checked = 0;
      for (const zoom of [0, Math.min(2, layout.n - 1), deep]) {
        for (const width of [1200, 731]) {
          const app = appDrawn(tree, layout, zoom, width, { totalValue: tree.totalBytes });
          expect(app.drawn.length).toBeGreaterThan(1);
          expect(reportDrawn(model, zoom, width)).toEqual(app.drawn);
          checked += checkGeometry(tree.parent, tree.bytes, zoom, width, app);
        }
      }
      expect(checked).toBeGreaterThan(10);
    });
  }

  it('colours follow the frame: one colour per file, natives apart from Python', () => {
    const tree = mixedTree(5000);
    const app = appDrawn(tree, layoutFlame(tree), 0, 1200);
    const byFile = new Map<string, Set<string>>();
    app.drawn.forEach((r, j) => {
      const node = app.nodes[j];
      if (app.merged[j] > 0 || tree.frame[node] < 0) return;
      const f = tree.frames[tree.frame[node]];
      if (f.importSystem) return;
      const set = byFile.get(f.file) ?? new Set<string>();
      set.add(r.fill);
      byFile.set(f.file, set);
    });
    expect(byFile.size).toBeGreaterThan(5);
    for (const fills of byFile.values()) expect(fills.size).toBe(1);
    const native = [...byFile].filter(([file]) => file.endsWith('.so')).map(([, f]) => [...f][0]);
    const python = [...byFile].filter(([file]) => file.endsWith('.py')).map(([, f]) => [...f][0]);
    for (const n of native) expect(python).not.toContain(n);
  });

  it('a search highlights the same rectangles in both', () => {
    const tree = flameTreeOf(pymallocCsv);
    const layout = layoutFlame(tree);
    const query = '_find_and_load';
    const app = appDrawn(tree, layout, 0, 1000, { matches: searchMatches(tree, query) });
    expect(reportDrawn(plainFlameModel(asEmbedded(tree), 'si'), 0, 1000, query)).toEqual(app.drawn);
    const hits = app.drawn.filter((r) => r.fill === MATCH_COLOR);
    expect(hits.length).toBeGreaterThan(0);
    // Exactly the nodes of a frame with _find_and_load in its name (no file has it), by hand.
    app.nodes.forEach((node, j) => {
      const f = tree.frame[node] >= 0 ? tree.frames[tree.frame[node]] : undefined;
      if (app.merged[j] === 0) expect(app.drawn[j].fill === MATCH_COLOR).toBe(!!f?.name.includes(query));
    });
  });

  it('the diff flamegraph: the same ghosts, growth colours and dashed outlines', () => {
    // The high-water mark as the base, what was left at the end as the target: what was freed
    // in between is gone.
    const tree = diffTreeOf(basicCsv, leaksCsv);
    // The app's diff view: the store's layout, the view's paint.
    const diffLayout = layoutDiffFlame(tree);
    const model = diffFlameModel(asEmbedded(tree), 'si');
    for (const width of [1200, 640]) {
      const app = appDrawn(tree, diffLayout.layout, 0, width, { paint: diffPaint(tree) });
      expect(reportDrawn(model, 0, width)).toEqual(app.drawn);
      expect(checkGeometry(tree.parent, Array.from(diffLayout.width), 0, width, app)).toBeGreaterThan(10);
      app.nodes.forEach((node, j) => {
        if (app.merged[j] > 0) return;
        const gone = tree.targetBytes[node] <= 0 && tree.baseBytes[node] > 0;
        expect(app.drawn[j].dash).toEqual(gone ? GONE_OUTLINE.lineDash : null);
        const d = tree.targetBytes[node] - tree.baseBytes[node];
        // Red hues for growth, blue for shrinkage.
        if (!gone && d > 0) expect(app.drawn[j].fill).toMatch(/^hsl\(2,/);
        if (!gone && d < 0) expect(app.drawn[j].fill).toMatch(/^hsl\(214,/);
      });
    }
  });

  it('tooltips say the same in both', () => {
    const tree = flameTreeOf(pymallocCsv);
    const layout = layoutFlame(tree);
    const { scene, option } = flameChart({
      tree,
      layout,
      zoomRoot: 0,
      widthPx: 900,
      orientation: 'icicle',
      totalValue: tree.totalBytes,
    });
    const model = plainFlameModel(asEmbedded(tree), 'si');
    const fmt = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    for (let j = 0; j < scene.length; j++) {
      const html = fmt({ dataIndex: j });
      const t = model.tooltip(scene.visible, scene.visibleIndex[j]);
      // The app's HTML, tags dropped and entities decoded, is the report's text line by line.
      const text = html.split('<br>').map((line) =>
        line
          .replace(/<[^>]+>/g, '')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      );
      expect(text).toEqual([`${t.title}${t.note ? ` (${t.note})` : ''}`, ...t.lines]);
    }
  });
});
