import { describe, expect, it } from 'vitest';
import type { FlameTree, FrameInfo } from '@shared/api';
import { buildFlameOption, defaultTooltip } from '../../renderer/charts/flame';
import {
  framePaint,
  frameColor,
  IMPORT_COLOR,
  MATCH_COLOR,
  UNMATCHED_COLOR,
} from '../../renderer/flame/color';
import { layoutFlame, pathTo, visibleNodes } from '../../renderer/flame/layout';
import { flameScene, rectGeometry, type FlameOrientation } from '../../renderer/flame/scene';
import { matchShare, searchMatches } from '../../renderer/flame/search';

/** Builds a FlameTree from nested [name, selfBytes, children] tuples, pre-order, children by bytes. */
type Spec = [string, number, Spec[]?];
function tree(children: Spec[], frameExtra: Record<string, Partial<FrameInfo>> = {}): FlameTree {
  const frames: FrameInfo[] = [];
  const frameIds = new Map<string, number>();
  const parent: number[] = [-1];
  const frame: number[] = [-1];
  const bytes: number[] = [0];
  const count: number[] = [0];
  const total = (s: Spec): number => s[1] + (s[2] ?? []).reduce((a, c) => a + total(c), 0);
  const add = (s: Spec, p: number) => {
    const [name] = s;
    let f = frameIds.get(name);
    if (f === undefined) {
      f = frames.length;
      frames.push({
        name,
        file: `/src/${name.split('.')[0]}.py`,
        line: 10,
        kind: 'python',
        ...frameExtra[name],
      });
      frameIds.set(name, f);
    }
    const id = parent.length;
    parent.push(p);
    frame.push(f);
    bytes.push(total(s));
    count.push(Math.max(1, Math.round(total(s) / 100)));
    const kids = [...(s[2] ?? [])].sort((a, b) => total(b) - total(a));
    for (const c of kids) add(c, id);
  };
  for (const c of [...children].sort((a, b) => total(b) - total(a))) add(c, 0);
  bytes[0] = children.reduce((a, c) => a + total(c), 0);
  count[0] = count.slice(1).reduce((a, c, i) => (parent[i + 1] === 0 ? a + c : a), 0);
  return { totalBytes: bytes[0], totalCount: count[0], frames, parent, frame, bytes, count, mergedNodes: 0 };
}

/** A random pre-order tree with n nodes whose children sum to at most their parent. */
function randomTree(n: number, seed = 7): FlameTree {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const parent: number[] = [-1];
  const depthOf: number[] = [0];
  for (let i = 1; i < n; i++) {
    // Attach to a recent node to get depth, in pre-order (parent index < i and on the current path).
    let p = i - 1;
    // Real call trees are wide and a few dozen frames deep.
    while (p > 0 && (rnd() < 0.45 || depthOf[p] >= 40)) p = parent[p];
    parent.push(p);
    depthOf.push(depthOf[p] + 1);
  }
  const self = Array.from({ length: n }, () => Math.floor(rnd() ** 3 * 10000));
  const bytes = [...self];
  for (let i = n - 1; i > 0; i--) bytes[parent[i]] += bytes[i];
  const frames: FrameInfo[] = Array.from({ length: 50 }, (_, k) => ({
    name: `f${k}`,
    file: `/m/mod${k % 7}.py`,
    line: k,
    kind: 'python',
  }));
  const frame = parent.map((p, i) => (p < 0 ? -1 : i % 50));
  const count = bytes.map((b) => Math.ceil(b / 1000));
  return { totalBytes: bytes[0], totalCount: count[0], frames, parent, frame, bytes, count, mergedNodes: 0 };
}

describe('layoutFlame', () => {
  it('packs children inside their parent, widths summing to at most the parent', () => {
    const t = randomTree(5000);
    const l = layoutFlame(t);
    const childSum = new Float64Array(l.n);
    for (let i = 1; i < l.n; i++) {
      const p = l.parent[i];
      expect(l.x1[i] - l.x0[i]).toBe(t.bytes[i]);
      expect(l.x0[i]).toBeGreaterThanOrEqual(l.x0[p]);
      expect(l.x1[i]).toBeLessThanOrEqual(l.x1[p] + 1e-6);
      expect(l.depth[i]).toBe(l.depth[p] + 1);
      childSum[p] += t.bytes[i];
    }
    for (let i = 0; i < l.n; i++) expect(childSum[i]).toBeLessThanOrEqual(t.bytes[i]);
    expect(l.x1[0]).toBe(t.totalBytes);
  });

  it('children of a node with no self bytes sum exactly to it', () => {
    const t = tree([
      [
        'main',
        0,
        [
          ['a', 300],
          ['b', 100, [['c', 50]]],
        ],
      ],
    ]);
    const l = layoutFlame(t);
    // root 0, main 1, a 2, b 3, c 4
    expect(Array.from(l.x0)).toEqual([0, 0, 0, 300, 300]);
    expect(Array.from(l.x1)).toEqual([450, 450, 300, 450, 350]);
    expect(Array.from(l.end)).toEqual([5, 5, 3, 5, 5]);
    expect(l.maxDepth).toBe(3);
    expect(pathTo(l, 4)).toEqual([0, 1, 3, 4]);
  });
});

describe('visibleNodes (level of detail)', () => {
  it('draws every node when all are wide enough', () => {
    const t = tree([
      [
        'main',
        0,
        [
          ['a', 300],
          ['b', 100, [['c', 50]]],
        ],
      ],
    ]);
    const v = visibleNodes(layoutFlame(t), 0, 1000);
    expect(v.length).toBe(5);
    expect(Array.from(v.merged)).toEqual([0, 0, 0, 0, 0]);
    expect(v.x1[0]).toBeCloseTo(1000);
  });

  it('merges sub-pixel siblings and keeps every parent total', () => {
    const t = randomTree(100_000, 3);
    const l = layoutFlame(t);
    const v = visibleNodes(l, 0, 1200);
    expect(v.length).toBeLessThan(20_000);
    expect(v.length).toBeGreaterThan(10);
    const drawnReal = new Set<number>();
    for (let k = 0; k < v.length; k++) if (v.merged[k] === 0) drawnReal.add(v.node[k]);
    // For every drawn parent, its drawn children (real or merged runs) add up to the sum of all
    // its children: nothing is lost by merging.
    const drawnChildSum = new Map<number, number>();
    let mergedNodes = 0;
    for (let k = 0; k < v.length; k++) {
      const p = l.parent[v.node[k]];
      if (p < 0) continue;
      drawnChildSum.set(p, (drawnChildSum.get(p) ?? 0) + v.value[k]);
      if (v.merged[k] > 0) {
        mergedNodes += v.merged[k];
        expect(v.x1[k] - v.x0[k]).toBeGreaterThanOrEqual(0);
      } else {
        expect(v.x1[k] - v.x0[k]).toBeGreaterThanOrEqual(1);
      }
    }
    expect(mergedNodes).toBeGreaterThan(0);
    for (const p of drawnReal) {
      let all = 0;
      for (let i = p + 1; i < l.end[p]; i++) if (l.parent[i] === p) all += t.bytes[i];
      expect(drawnChildSum.get(p) ?? 0).toBeCloseTo(all, 6);
    }
  });

  it('rebases a zoom: the zoom root spans the width, ancestors stay full width above', () => {
    const t = tree([
      [
        'main',
        0,
        [
          ['a', 300],
          [
            'b',
            100,
            [
              ['c', 50],
              ['d', 25],
            ],
          ],
        ],
      ],
    ]);
    const l = layoutFlame(t);
    const v = visibleNodes(l, 3, 800); // b
    const ids = Array.from(v.node);
    expect(ids).toEqual([0, 1, 3, 4, 5]);
    expect(v.x0[2]).toBe(0);
    expect(v.x1[2]).toBeCloseTo(800);
    expect(v.x1[0]).toBe(800);
    expect(v.x1[1]).toBe(800);
    // c (50 of b's 175 bytes) is 50/175 of the width.
    expect(v.x1[3] - v.x0[3]).toBeCloseTo((800 * 50) / 175);
    expect(v.x0[4]).toBeCloseTo(v.x1[3]);
    expect(v.value[2]).toBe(175);
    expect(v.zoomRoot).toBe(3);
    // 'a' is outside the zoom.
    expect(ids).not.toContain(2);
  });

  it('a zoom shows nodes that were merged at the root view', () => {
    const t = randomTree(20_000, 11);
    const l = layoutFlame(t);
    const whole = visibleNodes(l, 0, 500);
    const wholeReal = new Set(Array.from(whole.node).filter((_, k) => whole.merged[k] === 0));
    // Zoom into a deep, narrow node.
    let target = -1;
    for (let i = 1; i < l.n; i++)
      if ((l.x1[i] - l.x0[i]) * (500 / l.x1[0]) > 1 && l.end[i] - i > 50) target = i;
    expect(target).toBeGreaterThan(0);
    const zoomed = visibleNodes(l, target, 500);
    const zoomedReal = Array.from(zoomed.node).filter((_, k) => zoomed.merged[k] === 0);
    expect(zoomedReal.some((i) => !wholeReal.has(i))).toBe(true);
  });
});

describe('search', () => {
  it('counts each stack once when matches nest', () => {
    // main → parse → parse (recursion) → leaf; plus main → other
    const t = tree([
      [
        'main',
        0,
        [
          ['parse', 10, [['parse', 20, [['leaf', 30]]]]],
          ['other', 40],
        ],
      ],
    ]);
    const l = layoutFlame(t);
    const m = searchMatches(t, 'PARSE');
    expect(m.reduce((a, b) => a + b, 0)).toBe(2);
    const share = matchShare(l, m);
    expect(share.bytes).toBe(60); // not 60 + 50
    expect(share.share).toBeCloseTo(60 / 100);
    expect(share.nodes).toBe(2);
  });

  it('sums disjoint matches and is relative to the zoom root', () => {
    const t = tree([
      [
        'main',
        0,
        [
          ['a', 0, [['hot', 30]]],
          ['b', 0, [['hot', 20]]],
          ['c', 50],
        ],
      ],
    ]);
    const l = layoutFlame(t);
    const m = searchMatches(t, 'hot');
    expect(matchShare(l, m).bytes).toBe(50);
    expect(matchShare(l, m).share).toBeCloseTo(0.5);
    const b = t.frame.findIndex((f, i) => f >= 0 && t.frames[f].name === 'b' && i > 0);
    const z = matchShare(l, m, b);
    expect(z.bytes).toBe(20);
    expect(z.share).toBeCloseTo(1);
  });

  it('matches file names too, and nothing for an empty query', () => {
    const t = tree([['main', 5, [['x', 5]]]], { x: { file: '/lib/numpy/core.py' } });
    expect(Array.from(searchMatches(t, 'numpy'))).toEqual([0, 0, 1]);
    expect(Array.from(searchMatches(t, '  '))).toEqual([0, 0, 0]);
  });
});

describe('inverted trees', () => {
  it('lays out the same way and keeps per-stack share math (leaves at the root)', () => {
    // Inverted: the allocating function is at depth 1, its callers below.
    const inverted = tree([
      [
        'alloc',
        0,
        [
          ['parse', 0, [['main', 70]]],
          ['load', 0, [['main', 30]]],
        ],
      ],
      ['other', 25],
    ]);
    const l = layoutFlame(inverted);
    expect(l.x1[0]).toBe(125);
    const m = searchMatches(inverted, 'main');
    // Two different stacks end in main: both count, once each.
    expect(matchShare(l, m).bytes).toBe(100);
  });
});

describe('buildFlameOption (from a scene)', () => {
  const t = tree(
    [
      [
        'main',
        0,
        [
          ['a', 300],
          ['b', 100, [['c', 50]]],
        ],
      ],
    ],
    { b: { kind: 'native' }, c: { importSystem: true } },
  );
  type Rect = {
    shape: { x: number; y: number; width: number; height: number };
    style: { fill: string; opacity: number };
    emphasisDisabled?: boolean;
  };
  type Series = { renderItem: (p: unknown, a: unknown) => Rect; data: number[] };

  function chart(
    source: FlameTree,
    options: { width?: number; orientation?: FlameOrientation; rows?: number; matches?: Uint8Array } = {},
  ) {
    const layout = layoutFlame(source);
    const scene = flameScene({
      tree: source,
      layout,
      zoomRoot: 0,
      widthPx: options.width ?? 900,
      orientation: options.orientation ?? 'icicle',
      rows: options.rows,
      paint: framePaint(source),
      matches: options.matches,
    });
    const opt = buildFlameOption({
      scene,
      tooltip: (_node, k) => defaultTooltip(source, scene.visible, k, layout.x1[0]),
    });
    const series = (opt.series as Series[])[0];
    /** What ECharts draws for visible rectangle k. */
    const render = (k: number): Rect => {
      const j = Array.from(scene.visibleIndex).indexOf(k);
      expect(j).toBeGreaterThanOrEqual(0);
      const dataIndex = series.data.indexOf(j);
      expect(dataIndex).toBeGreaterThanOrEqual(0);
      return series.renderItem({ dataIndex }, {});
    };
    return { scene, opt, series, render };
  }

  it('emits one data item per visible rectangle and icicle rows top-down', () => {
    const { scene, series, render } = chart(t);
    expect(series.data.length).toBe(scene.visible.length);
    expect(render(0).shape.y).toBe(0);
    expect(render(4).shape.y).toBe(3 * 18);
    // Wide rectangles leave a 1 px gap to their right neighbour.
    expect(render(2).shape.width).toBeCloseTo((900 * 300) / 450 - 1);
  });

  it('leaves sub-pixel merged runs out of the chart data but keeps wider ones', () => {
    const big = randomTree(50_000, 5);
    const { scene, series } = chart(big, { width: 800 });
    const bv = scene.visible;
    expect(series.data.length).toBeLessThan(bv.length);
    let subPixelMerged = 0;
    for (let k = 0; k < bv.length; k++) if (bv.merged[k] > 0 && bv.x1[k] - bv.x0[k] < 1) subPixelMerged++;
    expect(series.data.length).toBe(bv.length - subPixelMerged);
    for (const j of series.data) {
      const k = scene.visibleIndex[j];
      expect(bv.merged[k] === 0 || bv.x1[k] - bv.x0[k] >= 1).toBe(true);
    }
    // Paint order groups equal fills, so each colour is set on the canvas once per run.
    const fills = series.data.map((_, j) => series.renderItem({ dataIndex: j }, {}).style.fill);
    const runs = fills.filter((f, j) => j === 0 || f !== fills[j - 1]).length;
    expect(runs).toBe(new Set(fills).size);
  });

  it('draws without hover states, each rectangle where rectGeometry puts it', () => {
    const { scene, render } = chart(t, { orientation: 'flame', rows: 10 });
    for (let k = 0; k < scene.visible.length; k++) {
      const r = render(k);
      expect(r.emphasisDisabled).toBe(true);
      expect(r.shape).toEqual(rectGeometry(scene.visible, k, 'flame', 10));
    }
    // With the whole tree's rows, the root sits on the bottom row whatever the zoom shows.
    expect(render(0).shape.y).toBe(9 * 18);
  });

  it('flame orientation puts the root at the bottom', () => {
    const { render } = chart(t, { orientation: 'flame' });
    expect(render(0).shape.y).toBe(3 * 18);
    expect(render(4).shape.y).toBe(0);
  });

  it('colours by file hash, natives apart, import system grey, and highlights matches', () => {
    expect(frameColor(t.frames[t.frame[2]])).toBe(
      frameColor({ ...t.frames[t.frame[2]], line: 99, name: 'other' }),
    );
    expect(frameColor(t.frames[t.frame[4]])).toBe(IMPORT_COLOR);
    // Python hues stay out of the cyan-to-violet band that native frames use.
    const hue = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
      const max = Math.max(r, g, b);
      const d = max - Math.min(r, g, b);
      const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      return (h * 60 + 360) % 360;
    };
    for (let i = 0; i < 300; i++) {
      const h = hue(frameColor({ name: 'f', file: `/src/pkg${i}/mod.py`, line: 1, kind: 'python' }));
      expect(h < 182 || h > 288).toBe(true);
    }
    // Native frames are blue-grey: blue above red whatever the hash.
    const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    for (let i = 0; i < 40; i++) {
      const [r, , b] = rgb(frameColor({ name: `n${i}`, file: `/lib/lib${i}.so`, line: 0, kind: 'native' }));
      expect(b).toBeGreaterThan(r);
    }
    const { render } = chart(t, { matches: searchMatches(t, 'a') });
    expect(render(2).style.fill).toBe(MATCH_COLOR);
    expect(render(3).style.fill).toBe(UNMATCHED_COLOR);
    // Without a search, a frame's colour is its file's.
    expect(chart(t).render(2).style.fill).toBe(frameColor(t.frames[t.frame[2]]));
  });

  it('tooltips escape names and show bytes, %, count and file:line', () => {
    const tt = tree([['<module>', 10]]);
    const { opt, series, scene } = chart(tt, { width: 100 });
    const fmt = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = fmt({ dataIndex: series.data.indexOf(Array.from(scene.visibleIndex).indexOf(1)) });
    expect(html).toContain('&lt;module&gt;');
    expect(html).not.toContain('<module>');
    expect(html).toContain('100.00%');
    expect(html).toContain('/src/&lt;module&gt;.py:10');
    expect(html).toMatch(/\b1 allocation\b(?!s)/);
  });
});
