import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import type { CaptureInfo, FlameQuery, FlameTree, FrameInfo } from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { focusPlan, subtree, useFlameStore } from '../../renderer/src/stores/flame';
import { useViewStore } from '../../renderer/src/stores/view';
import { layoutFlame } from '../../renderer/flame/layout';

const frames: FrameInfo[] = [
  { name: 'main', file: '/app/main.py', line: 1, kind: 'python' },
  { name: 'load', file: '/app/io.py', line: 20, kind: 'python' },
  { name: 'parse', file: '/app/io.py', line: 40, kind: 'python' },
  { name: 'build', file: '/app/model.py', line: 7, kind: 'python' },
  { name: 'callers', file: '', line: 0, kind: 'synthetic' },
  { name: 'callees', file: '', line: 0, kind: 'synthetic' },
];
// root → main → {load → parse, build}
const normal: FlameTree = {
  totalBytes: 1000,
  totalCount: 10,
  frames,
  parent: [-1, 0, 1, 2, 1],
  frame: [-1, 0, 1, 2, 3],
  bytes: [1000, 1000, 700, 600, 300],
  count: [10, 10, 7, 6, 3],
  mergedNodes: 0,
};
// Inverted: allocating frames at the top.
const inverted: FlameTree = {
  ...normal,
  parent: [-1, 0, 1, 2, 0, 4],
  frame: [-1, 2, 1, 0, 3, 0],
  bytes: [1000, 600, 600, 600, 300, 300],
  count: [10, 6, 6, 6, 3, 3],
};
// Sandwich for load: callers (load → main) then callees (load → parse).
const sandwich: FlameTree = {
  ...normal,
  parent: [-1, 0, 1, 2, 0, 4, 5],
  frame: [-1, 4, 1, 0, 5, 1, 2],
  bytes: [700, 700, 700, 700, 700, 700, 600],
  count: [7, 7, 7, 7, 7, 7, 6],
};

const info = {
  id: 'c1',
  facts: { format: 'memray', path: 'x.bin', fileName: 'x.bin', sizeBytes: 1 },
  durationMs: 5000,
} as unknown as CaptureInfo;

const PARSE = 'line:["parse","/app/io.py",40]';

function fakeClient(calls: FlameQuery[]): ViewClient {
  return {
    onProgress: () => undefined,
    list: async () => [info],
    flamegraph: async (q: FlameQuery) => {
      calls.push(q);
      const tree = q.sandwich ? sandwich : q.inverted ? inverted : normal;
      // The engine's answer for the one row these tests open: parse, node 3 of the plain tree.
      if (q.focusKey === undefined) return tree;
      return {
        ...tree,
        focus: { key: q.focusKey, nodes: tree === normal && q.focusKey === PARSE ? [3] : [] },
      };
    },
  } as unknown as ViewClient;
}

async function ready(calls: FlameQuery[]) {
  setActivePinia(createPinia());
  setClient(fakeClient(calls));
  const captures = useCapturesStore();
  await captures.refreshList();
  const view = useViewStore();
  const flame = useFlameStore();
  await flame.load();
  return { view, flame };
}

describe('flame store', () => {
  let calls: FlameQuery[];
  beforeEach(() => {
    calls = [];
  });

  it('queries the view store snapshot and filter and shows the root total', async () => {
    const { view, flame } = await ready(calls);
    expect(view.captureId).toBe('c1');
    expect(calls[0]).toMatchObject({ captureId: 'c1', snapshot: { kind: 'peak' }, filter: view.filter });
    expect(flame.displayedBytes).toBe(1000);
    expect(flame.breadcrumbs).toEqual([0]);
    view.setRange({ fromMs: 100, toMs: 200 });
    await flame.load();
    expect(calls[1].snapshot).toEqual({ kind: 'range', fromMs: 100, toMs: 200, measure: 'peak' });
  });

  it('zooms with breadcrumbs and a changed total, and resets', async () => {
    const { flame } = await ready(calls);
    flame.zoomTo(3);
    expect(flame.breadcrumbs).toEqual([0, 1, 2, 3]);
    expect(flame.displayedBytes).toBe(600);
    expect(flame.displayedCount).toBe(6);
    flame.resetZoom();
    expect(flame.displayedBytes).toBe(1000);
  });

  it('search share is per zoom root and counts stacks once', async () => {
    const { flame } = await ready(calls);
    flame.search = 'io.py'; // load and parse are both in io.py, parse nested under load
    expect(flame.share).toMatchObject({ bytes: 700, nodes: 2 });
    expect(flame.share?.share).toBeCloseTo(0.7);
    flame.zoomTo(4);
    expect(flame.share?.bytes).toBe(0);
  });

  it('inverted asks for an inverted tree and resets the zoom', async () => {
    const { flame } = await ready(calls);
    flame.zoomTo(3);
    flame.toggleInverted();
    await flame.load();
    await nextTick();
    expect(calls.at(-1)?.inverted).toBe(true);
    expect(flame.tree).toBe(inverted);
    expect(flame.zoomRoot).toBe(0);
  });

  it('sandwich for the selected function asks for it and splits the halves', async () => {
    const { flame } = await ready(calls);
    flame.zoomTo(2);
    expect(flame.sandwichFor()).toBe(true);
    await flame.load();
    expect(calls.at(-1)?.sandwich).toEqual({ name: 'load', file: '/app/io.py' });
    expect(calls.at(-1)?.inverted).toBeUndefined();
    const h = flame.halves!;
    expect(h.callers.frame.map((f) => (f < 0 ? '' : frames[f].name))).toEqual(['callers', 'load', 'main']);
    expect(h.callees.frame.map((f) => (f < 0 ? '' : frames[f].name))).toEqual(['callees', 'load', 'parse']);
    expect(h.callees.parent).toEqual([-1, 0, 1]);
    expect(flame.displayedBytes).toBe(700);
  });

  it('focusKey from a table row asks the engine for its nodes and zooms there', async () => {
    const { view, flame } = await ready(calls);
    const asked = calls.length;
    view.focusKey = PARSE;
    await flame.load();
    await nextTick();
    // The same tree again, with the row's nodes: the view never decodes the key.
    expect(calls.slice(asked)).toEqual([{ ...calls[0], focusKey: PARSE }]);
    expect(flame.zoomRoot).toBe(3);
    expect(flame.displayedBytes).toBe(600);
    // A new tree for the same site (another snapshot) stays focused on it…
    view.setSnapshotKind('leaks');
    await flame.load();
    await nextTick();
    expect(calls.at(-1)).toMatchObject({ snapshot: { kind: 'leaks' }, focusKey: PARSE });
    expect(flame.zoomRoot).toBe(3);
    // …until the user resets the zoom, which drops the focus for good, without a new question.
    const before = calls.length;
    flame.resetZoom();
    expect(view.focusKey).toBeNull();
    await flame.load();
    expect(calls.length).toBe(before);
    expect(flame.tree).not.toBeNull();
    view.setSnapshotKind('all');
    await flame.load();
    await nextTick();
    expect(calls.at(-1)?.focusKey).toBeUndefined();
    expect(flame.zoomRoot).toBe(0);
  });

  it('a zoom of its own made while a row is loading is kept', async () => {
    const { view, flame } = await ready(calls);
    view.focusKey = PARSE;
    const loading = flame.load();
    flame.zoomTo(4);
    await loading;
    await nextTick();
    expect(view.focusKey).toBeNull();
    expect(flame.zoomRoot).toBe(4);
  });
});

describe('focusPlan / subtree', () => {
  it('zooms to a single node; no plan for a row with none', () => {
    expect(focusPlan(normal, [3])).toEqual({ zoom: 3, selected: 3, highlight: null });
    // Nested occurrences (parse inside load) are one path: the outer one is shown.
    expect(focusPlan(normal, [2, 3])).toEqual({ zoom: 2, selected: 2, highlight: null });
    expect(focusPlan(normal, [])).toBeNull();
  });

  it('re-roots a slice', () => {
    const s = subtree(normal, layoutFlame(normal), 2);
    expect(s.parent).toEqual([-1, 0]);
    expect(s.bytes).toEqual([700, 600]);
  });
});
