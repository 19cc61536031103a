/**
 * Flamegraph layout: a pre-order tree laid out once into typed arrays (x0, x1 in value units,
 * depth, subtree end); every zoom or resize only walks the zoom root's pre-order slice and
 * merges nodes narrower than a pixel, so a 100k-node tree costs at most a few thousand
 * rectangles per render. Pure and DOM-free: the app's chart and the HTML report both use it.
 */
import type { FlameTree } from '../../shared/api';

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

/** Visible rectangles worth drawing: real nodes, and merged runs at least a pixel wide. */
export function drawnIndexes(visible: VisibleNodes): Int32Array {
  const out = new Int32Array(visible.length);
  let n = 0;
  for (let k = 0; k < visible.length; k++) {
    if (visible.merged[k] === 0 || visible.x1[k] - visible.x0[k] >= 1) out[n++] = k;
  }
  return out.subarray(0, n);
}
