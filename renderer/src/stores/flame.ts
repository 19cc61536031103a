import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import type { FlameQuery, FlameTree } from '@shared/api';
import { layoutFlame, pathTo, type FlameLayout } from '../../flame/layout';
import type { FlameOrientation } from '../../flame/scene';
import { matchShare, searchMatches } from '../../flame/search';
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

/** Matching nodes not inside another match: each stack through the site is under one of them. */
export function outermostNodes(tree: Pick<FlameTree, 'parent'>, nodes: readonly number[]): number[] {
  const hit = new Set(nodes);
  return nodes.filter((n) => {
    for (let p = tree.parent[n]; p > 0; p = tree.parent[p]) if (hit.has(p)) return false;
    return true;
  });
}

/** The deepest node every one of `nodes` lies under (or is); the root for an empty list. */
export function commonAncestor(tree: Pick<FlameTree, 'parent'>, nodes: readonly number[]): number {
  if (nodes.length === 0) return 0;
  const pathOf = (n: number) => {
    const path: number[] = [];
    for (let a = n; a >= 0; a = tree.parent[a]) path.push(a);
    return path.reverse();
  };
  let common = pathOf(nodes[0]);
  for (const n of nodes.slice(1)) {
    const other = pathOf(n);
    let i = 0;
    while (i < common.length && i < other.length && common[i] === other[i]) i++;
    common = common.slice(0, i);
  }
  return common.length > 0 ? common[common.length - 1] : 0;
}

/**
 * Where the graph goes for a table row, given the nodes the query found for its key
 * (FlameTree.focus). A site with one (outermost) node zooms to it. A site reached along several
 * paths (another caller, or another line of the same function) is every one of them: zooming to
 * the heaviest would hide the rest and show only part of the row, so the graph zooms to the
 * paths' common ancestor and highlights every occurrence instead.
 */
export function focusPlan(
  tree: FlameTree,
  nodes: readonly number[],
): { zoom: number; selected: number; highlight: Uint8Array | null } | null {
  if (nodes.length === 0) return null;
  const outer = outermostNodes(tree, nodes);
  let heaviest = outer[0];
  for (const n of outer) if (tree.bytes[n] > tree.bytes[heaviest]) heaviest = n;
  if (outer.length === 1) return { zoom: heaviest, selected: heaviest, highlight: null };
  const highlight = new Uint8Array(tree.parent.length);
  for (const n of nodes) highlight[n] = 1;
  return { zoom: commonAncestor(tree, outer), selected: heaviest, highlight };
}

/** The question a tree answers: its query without the focused row, which only adds `focus`. */
function treeKey(q: FlameQuery | null): string | null {
  if (!q) return null;
  return JSON.stringify({ ...q, focusKey: undefined });
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
  /** Every occurrence of the focused table row, when it has more than one (see focusPlan). */
  const focusHighlight = shallowRef<Uint8Array | null>(null);

  const slot = latestQuery<FlameQuery, FlameTree>((q) => useClient().flamegraph(q));

  /** The tree asked for: snapshot, filter and the inverted or sandwich view. */
  const treeQuery = computed<FlameQuery | null>(() => {
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

  /**
   * What load() sends: the tree's query, plus the focused table row while its nodes are not
   * known for the loaded tree. The engine finds the row's nodes (FlameTree.focus): site keys are
   * the query layer's, the view never decodes them.
   */
  const query = computed<FlameQuery | null>(() => {
    const q = treeQuery.value;
    if (!q) return null;
    const key = view.focusKey;
    const loaded = slot.dataQuery.value;
    // The loaded tree answers it when it is the same tree and carries the row's nodes, or no
    // row is focused: dropping a focus (a zoom, Esc) fetches nothing.
    if (loaded && treeKey(loaded) === treeKey(q) && (!key || loaded.focusKey === key)) return loaded;
    return key ? { ...q, focusKey: key } : q;
  });

  // The loaded tree stays on screen while the same tree is fetched again for a row's nodes.
  const tree = computed<FlameTree | null>(() =>
    treeQuery.value && treeKey(slot.dataQuery.value) === treeKey(treeQuery.value) ? slot.data.value : null,
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

  const searchHits = computed<Uint8Array | null>(() => {
    const t = tree.value;
    if (!t || !search.value.trim()) return null;
    return markRaw(searchMatches(t, search.value));
  });
  /** What the graph highlights: a search when one is typed, else the focused row's occurrences. */
  const matches = computed<Uint8Array | null>(() => searchHits.value ?? focusHighlight.value);

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
    const m = searchHits.value;
    if (!l || !m) return null;
    return matchShare(l, m, zoomRoot.value);
  });

  /** The focused row's occurrences: how many, and their bytes with each stack counted once. */
  const focusShare = computed(() => {
    const l = layout.value;
    const m = focusHighlight.value;
    const t = tree.value;
    if (!l || !m || !t) return null;
    const total = t.totalBytes;
    const { bytes, nodes } = matchShare(l, m, 0);
    const paths = outermostNodes(
      t,
      [...m.keys()].filter((i) => m[i]),
    ).length;
    return { bytes, nodes, paths, share: total > 0 ? bytes / total : 0 };
  });

  /** The question of the tree on screen: node ids keep their meaning while it stays the same. */
  let shownTree: string | null = null;
  watch(tree, (t) => {
    const key = t ? treeKey(slot.dataQuery.value) : null;
    // A new question (snapshot, filter, inverted) is a different tree: old node ids mean nothing.
    if (key !== shownTree) {
      shownTree = key;
      zoomNode.value = 0;
      selectedNode.value = null;
      focusHighlight.value = null;
    }
    if (t && view.focusKey) focus(view.focusKey);
  });
  watch(
    () => view.focusKey,
    (key) => {
      if (key) focus(key);
      else focusHighlight.value = null;
    },
  );

  /**
   * Shows a table row's nodes once the loaded tree carries them; false while they are still on
   * the way (load() asks for them) or when the row is not in this tree.
   */
  function focus(key: string): boolean {
    const t = tree.value;
    if (!t || t.focus?.key !== key) return false;
    const plan = focusPlan(t, t.focus.nodes);
    focusHighlight.value = plan?.highlight ? markRaw(plan.highlight) : null;
    if (!plan) return false;
    zoomNode.value = plan.zoom;
    selectedNode.value = plan.selected;
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
    focusHighlight,
    focusShare,
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
