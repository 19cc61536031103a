/**
 * Issue 12 item 2: a table row reached along several paths focuses every one of them (highlighted,
 * zoomed to what they share), so the graph shows all of the row; a row with one path still zooms
 * to it. The expected bytes are the tree's own (stacks through the function, each once).
 */
import { describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import type { CaptureInfo, FlameQuery, FlameTree, FrameInfo } from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { commonAncestor, focusPlan, outermostNodes, useFlameStore } from '../../renderer/src/stores/flame';
import { useViewStore } from '../../renderer/src/stores/view';

const frames: FrameInfo[] = [
  { name: 'main', file: '/app/main.py', line: 3, kind: 'python' },
  { name: 'main', file: '/app/main.py', line: 4, kind: 'python' },
  { name: 'cached_get', file: '/app/lru.py', line: 17, kind: 'python' },
  { name: 'cached_get', file: '/app/lru.py', line: 18, kind: 'python' },
  { name: 'fetch', file: '/app/net.py', line: 9, kind: 'python' },
];
// root → main:3 → cached_get:17 (610)      root → main:4 → cached_get:18 → fetch (390)
const tree: FlameTree = {
  totalBytes: 1000,
  totalCount: 10,
  frames,
  parent: [-1, 0, 1, 0, 3, 4],
  frame: [-1, 0, 2, 1, 3, 4],
  bytes: [1000, 610, 610, 390, 390, 390],
  count: [10, 6, 6, 4, 4, 4],
  mergedNodes: 0,
};

const info = {
  id: 'c1',
  facts: { format: 'memray', path: 'x.bin', fileName: 'x.bin', sizeBytes: 1 },
  durationMs: 5000,
} as unknown as CaptureInfo;

/** The engine's answers for the rows these tests open (main/query finds them: flame-focus.test.ts). */
const FOCUS: Record<string, number[]> = {
  'function:["cached_get","/app/lru.py"]': [2, 4],
  'line:["fetch","/app/net.py",9]': [5],
  'function:["main","/app/main.py"]': [1, 3],
};

async function ready() {
  setActivePinia(createPinia());
  setClient({
    onProgress: () => undefined,
    list: async () => [info],
    flamegraph: async (q: FlameQuery) =>
      q.focusKey === undefined
        ? tree
        : { ...tree, focus: { key: q.focusKey, nodes: FOCUS[q.focusKey] ?? [] } },
  } as unknown as ViewClient);
  await useCapturesStore().refreshList();
  const view = useViewStore();
  const flame = useFlameStore();
  await flame.load();
  return { view, flame };
}

describe('focusing a table row on the flamegraph', () => {
  it('a function reached along two paths is shown whole: both highlighted, none hidden', async () => {
    const { view, flame } = await ready();
    view.focusKey = 'function:["cached_get","/app/lru.py"]';
    await flame.load();
    await nextTick();
    // Zooming to the heaviest node would show 610 of the function's 1000 bytes (61%).
    expect(flame.zoomRoot).toBe(0);
    expect(flame.displayedBytes).toBe(1000);
    expect([...flame.matches!]).toEqual([0, 0, 1, 0, 1, 0]);
    expect(flame.focusShare).toMatchObject({ bytes: 1000, paths: 2, nodes: 2 });
    // No search typed: the search share stays empty.
    expect(flame.share).toBeNull();
    // The callers/callees button names the function: its merged view is one click away.
    expect(flame.selectedNode).toBe(2);
    expect(flame.sandwichFor()).toBe(true);
    expect(flame.sandwich).toEqual({ name: 'cached_get', file: '/app/lru.py' });
  });

  it('a site with one path still zooms to it; zooming elsewhere or Esc drops the highlight', async () => {
    const { view, flame } = await ready();
    view.focusKey = 'line:["fetch","/app/net.py",9]';
    await flame.load();
    await nextTick();
    expect(flame.zoomRoot).toBe(5);
    expect(flame.focusShare).toBeNull();
    view.focusKey = 'function:["main","/app/main.py"]';
    await flame.load();
    await nextTick();
    expect(flame.focusShare).toMatchObject({ bytes: 1000, paths: 2 });
    flame.zoomTo(3);
    await nextTick();
    expect(flame.matches).toBeNull();
    expect(flame.displayedBytes).toBe(390);
  });

  it('a search typed over a focus wins the highlight', async () => {
    const { view, flame } = await ready();
    view.focusKey = 'function:["cached_get","/app/lru.py"]';
    await flame.load();
    await nextTick();
    flame.search = 'net.py';
    expect([...flame.matches!]).toEqual([0, 0, 0, 0, 0, 1]);
    expect(flame.share).toMatchObject({ bytes: 390, nodes: 1 });
  });

  it('plans: outermost nodes, their common ancestor, nothing for a row with no nodes', () => {
    expect(outermostNodes(tree, [2, 4])).toEqual([2, 4]);
    expect(outermostNodes({ parent: [-1, 0, 1, 2] }, [1, 3])).toEqual([1]);
    expect(commonAncestor(tree, [4, 5])).toBe(4);
    expect(commonAncestor(tree, [2, 5])).toBe(0);
    expect(focusPlan(tree, [])).toBeNull();
    // cached_get's file: both of its lines, on two paths.
    expect(focusPlan(tree, [2, 4])).toMatchObject({ zoom: 0, selected: 2 });
    expect(focusPlan(tree, [5])).toEqual({ zoom: 5, selected: 5, highlight: null });
  });
});
