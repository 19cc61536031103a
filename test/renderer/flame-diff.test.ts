import { describe, expect, it } from 'vitest';
import type { DiffFlameTree, DiffRow, FrameInfo } from '@shared/api';
import { countByStatus, diffTooltip, filterDiffRows, formatDiffRatio } from '../../renderer/charts/flameDiff';
import { diffColor, GONE_COLOR, UNCHANGED_COLOR } from '../../renderer/flame/color';
import { layoutDiffFlame } from '../../renderer/flame/diff-layout';
import { visibleNodes } from '../../renderer/flame/layout';

const frames: FrameInfo[] = ['main', 'grow', 'shrink', 'gone', 'goneChild', 'new'].map((name, i) => ({
  name,
  file: `/a/${name}.py`,
  line: i,
  kind: 'python',
}));

// root → main → {grow, shrink, gone → goneChild, new}
const tree: DiffFlameTree = {
  frames,
  parent: [-1, 0, 1, 1, 1, 4, 1],
  frame: [-1, 0, 1, 2, 3, 4, 5],
  baseBytes: [1000, 1000, 400, 300, 300, 200, 0],
  targetBytes: [1200, 1200, 900, 100, 0, 0, 200],
  baseCount: [10, 10, 4, 3, 3, 2, 0],
  targetCount: [12, 12, 9, 1, 0, 0, 2],
};

describe('layoutDiffFlame', () => {
  it('width is the target value; removed frames keep a thin ghost inside their parent', () => {
    const d = layoutDiffFlame(tree, 0.01);
    const l = d.layout;
    expect(Array.from(d.gone)).toEqual([0, 0, 0, 0, 1, 1, 0]);
    expect(d.ghost).toBeCloseTo(12);
    expect(l.x1[2] - l.x0[2]).toBe(900);
    expect(l.x1[3] - l.x0[3]).toBe(100);
    expect(l.x1[6] - l.x0[6]).toBe(200);
    expect(l.x1[4] - l.x0[4]).toBeCloseTo(12);
    // The removed child of a removed frame splits its ghost by base bytes.
    expect(l.x1[5] - l.x0[5]).toBeCloseTo(12 * (200 / 300));
    // Parents still contain their children.
    for (let i = 1; i < l.n; i++) {
      expect(l.x0[i]).toBeGreaterThanOrEqual(l.x0[l.parent[i]] - 1e-9);
      expect(l.x1[i]).toBeLessThanOrEqual(l.x1[l.parent[i]] + 1e-9);
    }
    expect(l.x1[0]).toBeCloseTo(1212);
    // The ghost stays visible at a normal width.
    const v = visibleNodes(l, 0, 1000);
    const k = Array.from(v.node).indexOf(4);
    expect(v.merged[k]).toBe(0);
    expect(v.x1[k] - v.x0[k]).toBeGreaterThan(5);
  });
});

describe('diffColor', () => {
  it('is red for growth, blue for shrink, grey for removed, neutral for same', () => {
    expect(diffColor(400, 900)).toMatch(/^hsl\(2,/);
    expect(diffColor(300, 100)).toMatch(/^hsl\(214,/);
    expect(diffColor(300, 0)).toBe(GONE_COLOR);
    expect(diffColor(100, 100)).toBe(UNCHANGED_COLOR);
    // More growth is more saturated.
    const sat = (c: string) => Number(/, (\d+)%/.exec(c)![1]);
    expect(sat(diffColor(100, 1000))).toBeGreaterThan(sat(diffColor(100, 120)));
    expect(sat(diffColor(0, 10))).toBe(90);
  });
});

describe('diff table helpers', () => {
  const row = (key: string, status: DiffRow['status'], sizeDiff: number, size = 100): DiffRow => ({
    key,
    function: key,
    file: 'f.py',
    line: 1,
    size,
    sizeDiff,
    count: 1,
    countDiff: 0,
    status,
    sizeDiffRatio: status === 'new' ? Infinity : sizeDiff / (size - sizeDiff),
  });
  const rows = [
    row('a', 'grown', 10),
    row('b', 'shrunk', -50),
    row('c', 'new', 30, 30),
    row('d', 'gone', -70, 0),
    row('e', 'same', 0),
  ];

  it('filters by status and sorts by the size of the change', () => {
    expect(filterDiffRows(rows, 'changed').map((r) => r.key)).toEqual(['d', 'b', 'c', 'a']);
    expect(filterDiffRows(rows, 'grown').map((r) => r.key)).toEqual(['a']);
    expect(filterDiffRows(rows, 'all')).toHaveLength(5);
    expect(countByStatus(rows)).toEqual({ grown: 1, shrunk: 1, new: 1, gone: 1, same: 1 });
  });

  it('formats % relative to the base', () => {
    expect(formatDiffRatio(rows[0])).toBe('+11.1%');
    expect(formatDiffRatio(rows[2])).toBe('new');
    expect(formatDiffRatio(rows[3])).toBe('-100.0%');
  });

  it('tooltips show both sides and the delta, escaped', () => {
    const d = layoutDiffFlame(tree);
    const v = visibleNodes(d.layout, 0, 1000);
    const k = Array.from(v.node).indexOf(4);
    const html = diffTooltip(tree, v, k);
    expect(html).toContain('(gone)');
    expect(html).toContain('base 300 B');
    expect(html).toContain('Δ -300 B');
  });
});
