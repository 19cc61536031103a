import { defineStore } from 'pinia';
import { computed, markRaw, ref, watch } from 'vue';
import type { FlameQuery, FlameTree, FrameInfo } from '@shared/api';
import {
  layoutFlame,
  matchShare,
  pathTo,
  searchMatches,
  type FlameLayout,
  type FlameOrientation,
} from '../../charts/flame';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

export interface SandwichTarget {
  name: string;
  file: string;
}

/** A pre-order slice of a tree as a tree of its own (node `root` becomes node 0). */
export function subtree(tree: FlameTree, layout: FlameLayout, root: number): FlameTree {
  const from = root;
  const to = layout.end[root];
  const parent: number[] = new Array(to - from);
  for (let i = from; i < to; i++) parent[i - from] = i === from ? -1 : tree.parent[i] - from;
  return {
    totalBytes: tree.totalBytes,
    totalCount: tree.totalCount,
    frames: tree.frames,
    parent,
    frame: tree.frame.slice(from, to),
    bytes: tree.bytes.slice(from, to),
    count: tree.count.slice(from, to),
    mergedNodes: 0,
  };
}

/**
 * Nodes a table row's key designates. Keys are `<groupBy>:<JSON array>` (main/query/table.ts):
 * `function:[name,file]`, `line:[name,file,line]`, `file:[file]`, `module:[module]` and
 * `traceback:[[name,file,line],…]` outermost first.
 */
export function nodesForKey(tree: FlameTree, key: string): number[] {
  const colon = key.indexOf(':');
  if (colon < 0) return [];
  const groupBy = key.slice(0, colon);
  let parts: unknown[];
  try {
    parts = JSON.parse(key.slice(colon + 1)) as unknown[];
  } catch {
    return [];
  }
  if (!Array.isArray(parts) || parts.length === 0) return [];
  const out: number[] = [];
  const n = tree.parent.length;
  if (groupBy === 'traceback') {
    const want = parts as [string, string, number][];
    // matched[i]: frames of the stack matched down to i; -1 once a branch diverges.
    const matched = new Int32Array(n);
    for (let i = 1; i < n; i++) {
      const p = tree.parent[i];
      const f = tree.frames[tree.frame[i]];
      if (!f || (f.kind === 'synthetic' && p === 0)) continue;
      const d = matched[p];
      const w = d >= 0 ? want[d] : undefined;
      if (!w || f.name !== w[0] || f.file !== w[1] || f.line !== w[2]) {
        matched[i] = -1;
        continue;
      }
      matched[i] = d + 1;
      if (d + 1 === want.length) out.push(i);
    }
    return out;
  }
  const test = (f: FrameInfo): boolean => {
    if (f.kind === 'synthetic') return false;
    switch (groupBy) {
      case 'function':
        return f.name === parts[0] && f.file === parts[1];
      case 'line':
        return f.name === parts[0] && f.file === parts[1] && f.line === parts[2];
      case 'file':
        return f.file === parts[0];
      case 'module':
        return (f.module ?? f.file) === parts[0];
      default:
        return false;
    }
  };
  const hit = tree.frames.map(test);
  for (let i = 1; i < n; i++) if (tree.frame[i] >= 0 && hit[tree.frame[i]]) out.push(i);
  return out;
}

/** The heaviest node for a table row's key (a zoom can show one node), or -1. */
export function findFocusNode(tree: FlameTree, key: string): number {
  let best = -1;
  for (const i of nodesForKey(tree, key)) if (best < 0 || tree.bytes[i] > tree.bytes[best]) best = i;
  return best;
}

export const useFlameStore = defineStore('flame', () => {
  const view = useViewStore();
  const captures = useCapturesStore();

  const orientation = ref<FlameOrientation>('icicle');
  const inverted = ref(false);
  const sandwich = ref<SandwichTarget | null>(null);
  const search = ref('');
  /** Zoom root (node id in the current tree). */
  const zoomNode = ref(0);
  /** Node whose frame the sandwich button would use (last clicked node). */
  const selectedNode = ref<number | null>(null);

  const slot = latestQuery<FlameQuery, FlameTree>((q) => useClient().flamegraph(q));

  const query = computed<FlameQuery | null>(() => {
    if (!view.captureId || !captures.activeReady) return null;
    const q: FlameQuery = {
      captureId: view.captureId,
      snapshot: view.effectiveSnapshot,
      filter: { ...view.filter },
    };
    if (sandwich.value) q.sandwich = { ...sandwich.value };
    else if (inverted.value) q.inverted = true;
    return q;
  });

  const tree = computed<FlameTree | null>(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );
  // Laid out once per tree; markRaw keeps Vue from proxying 100k-element typed arrays.
  const layout = computed<FlameLayout | null>(() => (tree.value ? markRaw(layoutFlame(tree.value)) : null));

  /** Sandwich trees are drawn as two separate halves (callers above, callees below). */
  const halves = computed(() => {
    const t = tree.value;
    const l = layout.value;
    if (!t || !l || !sandwich.value) return null;
    const kids: number[] = [];
    for (let i = 1; i < l.n; i = l.end[i]) kids.push(i);
    if (kids.length < 2) return null;
    const callers = markRaw(subtree(t, l, kids[0]));
    const callees = markRaw(subtree(t, l, kids[1]));
    return {
      callers,
      callees,
      callersLayout: markRaw(layoutFlame(callers)),
      calleesLayout: markRaw(layoutFlame(callees)),
    };
  });

  const matches = computed<Uint8Array | null>(() => {
    const t = tree.value;
    if (!t || !search.value.trim()) return null;
    return markRaw(searchMatches(t, search.value));
  });

  const zoomRoot = computed(() => {
    const l = layout.value;
    return l && zoomNode.value >= 0 && zoomNode.value < l.n ? zoomNode.value : 0;
  });

  const breadcrumbs = computed<number[]>(() => (layout.value ? pathTo(layout.value, zoomRoot.value) : []));

  /** What the graph shows as 100%: the zoom root's bytes. */
  const displayedBytes = computed(() => {
    const l = layout.value;
    return l && l.n > 0 ? l.x1[zoomRoot.value] - l.x0[zoomRoot.value] : 0;
  });
  const displayedCount = computed(() =>
    layout.value && layout.value.n > 0 ? layout.value.count[zoomRoot.value] : 0,
  );

  const share = computed(() => {
    const l = layout.value;
    const m = matches.value;
    if (!l || !m) return null;
    return matchShare(l, m, zoomRoot.value);
  });

  watch(tree, (t, old) => {
    // A new question (snapshot, filter, inverted) is a different tree: old node ids mean nothing.
    if (t !== old) {
      zoomNode.value = 0;
      selectedNode.value = null;
      if (t && view.focusKey) focus(view.focusKey);
    }
  });
  watch(
    () => view.focusKey,
    (key) => {
      if (key) focus(key);
    },
  );

  function focus(key: string): boolean {
    const t = tree.value;
    if (!t) return false;
    const node = findFocusNode(t, key);
    if (node < 0) return false;
    zoomNode.value = node;
    selectedNode.value = node;
    return true;
  }

  // A zoom chosen here replaces the table's focus; otherwise the next tree (a new snapshot or
  // filter) would jump back to the old site.
  function zoomTo(node: number): void {
    zoomNode.value = node;
    selectedNode.value = node;
    view.focusKey = null;
  }

  function resetZoom(): void {
    zoomNode.value = 0;
    view.focusKey = null;
  }

  function toggleInverted(): void {
    inverted.value = !inverted.value;
    sandwich.value = null;
  }

  function sandwichFor(node: number | null = selectedNode.value): boolean {
    const t = tree.value;
    if (!t || node === null || node <= 0) return false;
    const f = t.frames[t.frame[node]];
    if (!f || f.kind === 'synthetic') return false;
    sandwich.value = { name: f.name, file: f.file };
    return true;
  }

  function closeSandwich(): void {
    sandwich.value = null;
  }

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return {
    orientation,
    inverted,
    sandwich,
    search,
    zoomNode,
    selectedNode,
    query,
    tree,
    layout,
    halves,
    matches,
    zoomRoot,
    breadcrumbs,
    displayedBytes,
    displayedCount,
    share,
    loading: slot.loading,
    error: slot.error,
    focus,
    zoomTo,
    resetZoom,
    toggleInverted,
    sandwichFor,
    closeSandwich,
    load,
  };
});
