import type { FlameQuery, FlameTree, FrameInfo } from '../../shared/api';
import type { Snapshot } from '../model/snapshot';
import { flameNodesForKey } from './table';
import {
  FLAG_IMPORT_SYSTEM,
  FLAG_INTERNAL,
  FLAG_NATIVE,
  filterStack,
  frameFlags,
  rowFilter,
} from './frame-filter';

export type FlameOptions = Omit<FlameQuery, 'captureId' | 'snapshot'> & {
  /** Fills FrameInfo.module (see path-identity.ts `moduleResolver`). */
  moduleOf?: (file: string) => string | undefined;
};

export const DEFAULT_MAX_NODES = 200_000;

/** Names of the two synthetic root children of a sandwich tree. */
export const SANDWICH_CALLERS = 'callers';
export const SANDWICH_CALLEES = 'callees';

function growBytes(a: Uint8Array, atLeast: number): Uint8Array {
  const b = new Uint8Array(Math.max(a.length * 2, atLeast + 1));
  b.set(a);
  return b;
}

/**
 * A growable call tree; node 0 is the root. (parent, frame) → child lookups go through an
 * open-addressing table of node ids, because a Map keyed by parent·2^27+frame leaves the small
 * integer range and hashes boxed doubles (several times slower on million-node trees).
 */
class WorkTree {
  parent = new Int32Array(1024);
  frame = new Int32Array(1024);
  selfBytes = new Float64Array(1024);
  selfCount = new Float64Array(1024);
  size = 1;
  private slots = new Int32Array(2048);
  private indexed = 0;

  constructor() {
    this.parent[0] = -1;
    this.frame[0] = -1;
  }

  child(parent: number, frame: number, dedupe: boolean): number {
    const index = dedupe || parent === 0;
    if (index) {
      const mask = this.slots.length - 1;
      let h = hash(parent, frame) & mask;
      for (let node = this.slots[h]; node !== 0; node = this.slots[h]) {
        if (this.parent[node] === parent && this.frame[node] === frame) return node;
        h = (h + 1) & mask;
      }
    }
    if (this.size === this.parent.length) this.grow();
    const node = this.size++;
    this.parent[node] = parent;
    this.frame[node] = frame;
    if (index) this.insert(node);
    return node;
  }

  private insert(node: number): void {
    if ((this.indexed + 1) * 2 > this.slots.length) {
      const old = this.slots;
      this.slots = new Int32Array(old.length * 2);
      for (const n of old) if (n !== 0) this.place(n);
    }
    this.place(node);
    this.indexed++;
  }

  private place(node: number): void {
    const mask = this.slots.length - 1;
    let h = hash(this.parent[node], this.frame[node]) & mask;
    while (this.slots[h] !== 0) h = (h + 1) & mask;
    this.slots[h] = node;
  }

  private grow(): void {
    const n = this.parent.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.parent = i32(this.parent);
    this.frame = i32(this.frame);
    this.selfBytes = f64(this.selfBytes);
    this.selfCount = f64(this.selfCount);
  }
}

function hash(parent: number, frame: number): number {
  let h = Math.imul(parent ^ Math.imul(frame, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The k-th largest value (k ≥ 1) of `values`, by quickselect on a copy. */
function kthLargest(values: Float64Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

/**
 * Builds the reduced call tree of a snapshot.
 *
 * - Thread split (`filter.mergeThreads === false`): root children are synthetic thread nodes
 *   (kind 'synthetic', name = thread label) and `threadLabels` lists them.
 * - `inverted`: each filtered stack is inserted innermost first.
 * - `sandwich`: the root has exactly two synthetic children, `callers` then `callees` (kind
 *   'synthetic'). Under `callees` hangs the function itself with everything it called (from its
 *   outermost occurrence on each stack, so recursion is counted once); under `callers` hangs the
 *   function with its callers upwards (an inverted tree from its innermost occurrence). Both
 *   halves, and the root, weigh the bytes of stacks that contain the function; draw each half
 *   on its own. `totalBytes` stays the whole filtered snapshot so shares are comparable.
 * - `maxNodes`: the largest nodes are kept (a child never outweighs its parent, so the kept set
 *   is a tree); the rest are merged into their parent, whose width is unchanged — the merged
 *   bytes show as the parent's self part. `mergedNodes` counts them.
 * - `focusKey`: `focus` lists the nodes that table row's key designates (see focusNodes).
 * Bytes cut away by frame filters stay on the nearest kept ancestor (the root at worst), so the
 * root always equals `totalBytes` outside sandwich mode.
 */
export function buildFlameTree(snapshot: Snapshot, options: FlameOptions = {}): FlameTree {
  const filter = options.filter;
  const pathOf = filterStack(snapshot, filter);
  const keepRow = rowFilter(snapshot, filter);
  const rows = snapshot.rows;
  const splitThreads = filter?.mergeThreads === false && !options.sandwich;
  const syntheticBase = snapshot.frames.size;
  const syntheticNames: string[] = [];
  const synthetic = (name: string): number => {
    let i = syntheticNames.indexOf(name);
    if (i < 0) i = syntheticNames.push(name) - 1;
    return syntheticBase + i;
  };

  const work = new WorkTree();
  let totalBytes = 0;
  let totalCount = 0;
  const threadLabel = new Map(snapshot.threads.map((t) => [t.id, t.label]));
  const threadLabels: string[] = [];

  if (options.sandwich) {
    const { name, file } = options.sandwich;
    const matched = new Uint8Array(snapshot.frames.size);
    for (let id = 0; id < snapshot.frames.size; id++) {
      if (snapshot.frames.names[id] === name && snapshot.frames.files[id] === file) matched[id] = 1;
    }
    const callers = work.child(0, synthetic(SANDWICH_CALLERS), true);
    const callees = work.child(0, synthetic(SANDWICH_CALLEES), true);
    const leafCache = new Map<number, [number, number] | null>();
    for (let r = 0; r < rows.length; r++) {
      if (keepRow && !keepRow(r)) continue;
      const b = rows.bytes[r];
      const c = rows.count[r];
      totalBytes += b;
      totalCount += c;
      const stack = rows.stack[r];
      let leaves = leafCache.get(stack);
      if (leaves === undefined) {
        const path = pathOf(stack);
        let first = -1;
        let last = -1;
        for (let i = 0; i < path.length; i++) {
          if (matched[path[i]]) {
            if (first < 0) first = i;
            last = i;
          }
        }
        if (first < 0) {
          leaves = null;
        } else {
          let down = callees;
          for (let i = first; i < path.length; i++) down = work.child(down, path[i], true);
          let up = callers;
          for (let i = last; i >= 0; i--) up = work.child(up, path[i], true);
          leaves = [down, up];
        }
        leafCache.set(stack, leaves);
      }
      if (!leaves) continue;
      work.selfBytes[leaves[0]] += b;
      work.selfCount[leaves[0]] += c;
      work.selfBytes[leaves[1]] += b;
      work.selfCount[leaves[1]] += c;
    }
  } else if (!options.inverted) {
    // Walks the trie once per distinct node: a trie node maps to the work node of its filtered
    // path, so shared prefixes are never re-walked and no per-stack arrays are made.
    const flagsArr = frameFlags(snapshot.frames);
    let dropMask = 0;
    if (filter?.hideInternals) dropMask |= FLAG_INTERNAL;
    if (filter?.pythonOnly) dropMask |= FLAG_NATIVE;
    const cutImports = !!filter?.hideImportSystem;
    const trie = snapshot.stacks;
    // A work node gets children from several trie nodes only when a dropped trie node maps
    // onto it; only such nodes (and the root) need a (parent, frame) lookup.
    let shared: Uint8Array = new Uint8Array(1024);
    const memos = new Map<number, Int32Array>();
    const cutMemo = cutImports ? new Uint8Array(trie.size) : undefined;
    const pending: number[] = [];
    const mapNode = (memo: Int32Array, rootNode: number, leaf: number): number => {
      let n = leaf;
      while (n > 0 && memo[n] === 0) {
        pending.push(n);
        n = trie.parent(n);
      }
      let at = n > 0 ? memo[n] : rootNode;
      while (pending.length > 0) {
        const t = pending.pop()!;
        const frame = trie.frame(t);
        const f = flagsArr[frame];
        if (cutMemo) {
          const p = trie.parent(t);
          if ((p > 0 && cutMemo[p]) || f & FLAG_IMPORT_SYSTEM) cutMemo[t] = 1;
        }
        if (cutMemo && cutMemo[t]) {
          // Cut subtrees add no children, so `at` stays unshared.
        } else if (f & dropMask) {
          if (at >= shared.length) shared = growBytes(shared, at);
          shared[at] = 1;
        } else {
          at = work.child(at, frame, at < shared.length && shared[at] === 1);
        }
        memo[t] = at;
      }
      return at;
    };
    const threadRoot = new Map<number, number>();
    for (let r = 0; r < rows.length; r++) {
      if (keepRow && !keepRow(r)) continue;
      const b = rows.bytes[r];
      const c = rows.count[r];
      totalBytes += b;
      totalCount += c;
      const thread = splitThreads ? rows.thread[r] : 0;
      let memo = memos.get(thread);
      if (!memo) {
        memo = new Int32Array(trie.size);
        memos.set(thread, memo);
        let root = 0;
        if (splitThreads) {
          const label = threadLabel.get(thread) ?? `0x${thread.toString(16)}`;
          threadLabels.push(label);
          root = work.child(0, synthetic(label), true);
        }
        threadRoot.set(thread, root);
      }
      const stack = rows.stack[r];
      const node = stack > 0 ? mapNode(memo, threadRoot.get(thread)!, stack) : threadRoot.get(thread)!;
      work.selfBytes[node] += b;
      work.selfCount[node] += c;
    }
  } else {
    // Inverted: one entry per distinct (stack, thread) with a cursor walking from the innermost
    // kept frame outwards; entries are partitioned by the cursor's frame level by level (a
    // radix split), so every output node is made once without any (parent, frame) lookup.
    const trie = snapshot.stacks;
    const flagsArr = frameFlags(snapshot.frames);
    let dropMask = 0;
    if (filter?.hideInternals) dropMask |= FLAG_INTERNAL;
    if (filter?.pythonOnly) dropMask |= FLAG_NATIVE;
    const cutImports = !!filter?.hideImportSystem;
    // firstImport[t]: trie node of the outermost import-system frame on t's path, 0 if none,
    // -1 not computed yet.
    const firstImport = cutImports ? new Int32Array(trie.size).fill(-1) : undefined;
    if (firstImport) firstImport[0] = 0;
    const pending: number[] = [];
    const importCut = (leaf: number): number => {
      let t = leaf;
      while (firstImport![t] < 0) {
        pending.push(t);
        t = trie.parent(t);
      }
      let at = firstImport![t];
      while (pending.length > 0) {
        const u = pending.pop()!;
        if (at === 0 && flagsArr[trie.frame(u)] & FLAG_IMPORT_SYSTEM) at = u;
        firstImport![u] = at;
      }
      return at;
    };
    /** The first kept trie node at or above `t` (0 when none is left). */
    const kept = (t: number): number => {
      if (dropMask === 0) return t;
      while (t > 0 && flagsArr[trie.frame(t)] & dropMask) t = trie.parent(t);
      return t;
    };

    const entryOf = new Map<number, number>();
    const cursor: number[] = [];
    const entryThread: number[] = [];
    const entryBytes: number[] = [];
    const entryCount: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      if (keepRow && !keepRow(r)) continue;
      const b = rows.bytes[r];
      const c = rows.count[r];
      totalBytes += b;
      totalCount += c;
      const stack = rows.stack[r];
      const thread = splitThreads ? rows.thread[r] : 0;
      // Thread ids stay below 2^11 (see SnapshotBuilder), so this key is exact.
      const key = stack * 2048 + thread;
      let e = entryOf.get(key);
      if (e === undefined) {
        e = cursor.length;
        entryOf.set(key, e);
        let start = stack;
        if (firstImport && stack > 0) {
          const cut = importCut(stack);
          if (cut > 0) start = trie.parent(cut);
        }
        cursor.push(kept(start));
        entryThread.push(thread);
        entryBytes.push(0);
        entryCount.push(0);
      }
      entryBytes[e] += b;
      entryCount[e] += c;
    }

    const m = cursor.length;
    const order = new Int32Array(m);
    const scratch = new Int32Array(m);
    for (let i = 0; i < m; i++) order[i] = i;
    const groups: { lo: number; hi: number; node: number }[] = [];
    if (splitThreads) {
      const byThread = new Map<number, number[]>();
      for (let i = 0; i < m; i++) {
        const list = byThread.get(entryThread[i]);
        if (list) list.push(i);
        else byThread.set(entryThread[i], [i]);
      }
      let at = 0;
      for (const [thread, list] of byThread) {
        const label = threadLabel.get(thread) ?? `0x${thread.toString(16)}`;
        threadLabels.push(label);
        const node = work.child(0, synthetic(label), true);
        groups.push({ lo: at, hi: at + list.length, node });
        for (const i of list) order[at++] = i;
      }
    } else {
      groups.push({ lo: 0, hi: m, node: 0 });
    }
    const stackLo: number[] = groups.map((g) => g.lo);
    const stackHi: number[] = groups.map((g) => g.hi);
    const stackNode: number[] = groups.map((g) => g.node);
    const counts = new Map<number, number>();
    const slot = new Map<number, number>();
    while (stackLo.length > 0) {
      let lo = stackLo.pop()!;
      const hi = stackHi.pop()!;
      const node = stackNode.pop()!;
      // Entries whose stack is used up end here; move them to the front of the range.
      let sameFrame = -1;
      let mixed = false;
      for (let k = lo; k < hi; k++) {
        const e = order[k];
        const t = cursor[e];
        if (t === 0) {
          work.selfBytes[node] += entryBytes[e];
          work.selfCount[node] += entryCount[e];
          order[k] = order[lo];
          order[lo++] = e;
        } else if (!mixed) {
          const f = trie.frame(t);
          if (sameFrame < 0) sameFrame = f;
          else if (f !== sameFrame) mixed = true;
        }
      }
      if (lo >= hi) continue;
      if (!mixed) {
        // One caller for all of them: the common case in deep chains, no partitioning needed.
        for (let k = lo; k < hi; k++) {
          const e = order[k];
          cursor[e] = kept(trie.parent(cursor[e]));
        }
        stackLo.push(lo);
        stackHi.push(hi);
        stackNode.push(work.child(node, sameFrame, false));
        continue;
      }
      counts.clear();
      slot.clear();
      for (let k = lo; k < hi; k++) {
        const f = trie.frame(cursor[order[k]]);
        counts.set(f, (counts.get(f) ?? 0) + 1);
      }
      // Counting sort by frame into scratch[lo, hi), then copied back.
      let at = lo;
      for (const [f, k] of counts) {
        slot.set(f, at);
        stackLo.push(at);
        stackHi.push(at + k);
        stackNode.push(work.child(node, f, false));
        at += k;
      }
      for (let k = lo; k < hi; k++) {
        const e = order[k];
        const t = cursor[e];
        const f = trie.frame(t);
        const pos = slot.get(f)!;
        slot.set(f, pos + 1);
        scratch[pos] = e;
        cursor[e] = kept(trie.parent(t));
      }
      order.set(scratch.subarray(lo, hi), lo);
    }
  }

  // Nodes are created after their parent, so a reverse sweep accumulates subtree totals.
  const n = work.size;
  const bytes = work.selfBytes.slice(0, n);
  const count = work.selfCount.slice(0, n);
  for (let i = n - 1; i > 0; i--) {
    const p = work.parent[i];
    bytes[p] += bytes[i];
    count[p] += count[i];
  }
  if (options.sandwich) {
    // Each half already holds the matched bytes once; the root shows that, not their sum.
    bytes[0] = bytes[1];
    count[0] = count[1];
  }

  const maxNodes = Math.max(1, options.maxNodes ?? DEFAULT_MAX_NODES);
  const kept = new Uint8Array(n);
  let mergedNodes = 0;
  if (n > maxNodes) {
    // The maxNodes-th largest width is the threshold; wider nodes are all kept (their parents
    // are at least as wide), ties are taken in creation order, which lists parents first.
    const threshold = maxNodes > 1 ? kthLargest(bytes.subarray(1), maxNodes - 1) : Infinity;
    kept[0] = 1;
    let k = 1;
    for (let i = 1; i < n; i++)
      if (bytes[i] > threshold) {
        kept[i] = 1;
        k++;
      }
    for (let i = 1; i < n && k < maxNodes; i++) {
      if (!kept[i] && bytes[i] === threshold && kept[work.parent[i]]) {
        kept[i] = 1;
        k++;
      }
    }
    // A node wider than the threshold under a merged tie parent cannot exist (parent ≥ child).
    mergedNodes = n - k;
  } else {
    kept.fill(1);
  }

  // Children lists in CSR form, then an iterative pre-order walk with largest children first.
  const childCount = new Int32Array(n + 1);
  for (let i = 1; i < n; i++) if (kept[i]) childCount[work.parent[i] + 1]++;
  for (let i = 0; i < n; i++) childCount[i + 1] += childCount[i];
  const childStart = childCount;
  const fill = childStart.slice(0, n);
  const childList = new Int32Array(Math.max(0, childStart[n]));
  for (let i = 1; i < n; i++) if (kept[i]) childList[fill[work.parent[i]]++] = i;

  const flags = frameFlags(snapshot.frames);
  const frameIndex = new Map<number, number>();
  const frames: FrameInfo[] = [];
  const frameOf = (workFrame: number): number => {
    let idx = frameIndex.get(workFrame);
    if (idx !== undefined) return idx;
    let info: FrameInfo;
    if (workFrame >= syntheticBase) {
      info = { name: syntheticNames[workFrame - syntheticBase], file: '', line: 0, kind: 'synthetic' };
    } else {
      info = snapshot.frames.info(workFrame);
      const f = flags[workFrame];
      if (f & FLAG_IMPORT_SYSTEM) info.importSystem = true;
      if (f & FLAG_INTERNAL) info.internal = true;
      const module = options.moduleOf?.(info.file);
      if (module !== undefined) info.module = module;
    }
    idx = frames.push(info) - 1;
    frameIndex.set(workFrame, idx);
    return idx;
  };

  const outParent: number[] = [];
  const outFrame: number[] = [];
  const outBytes: number[] = [];
  const outCount: number[] = [];
  const stackNodes: number[] = [0];
  const stackOut: number[] = [-1];
  while (stackNodes.length > 0) {
    const node = stackNodes.pop()!;
    const parentOut = stackOut.pop()!;
    const me = outParent.length;
    outParent.push(parentOut);
    outFrame.push(node === 0 ? -1 : frameOf(work.frame[node]));
    outBytes.push(bytes[node]);
    outCount.push(count[node]);
    const from = childStart[node];
    const to = childStart[node + 1];
    if (to > from) {
      const kids = Array.from(childList.subarray(from, to));
      if (!(options.sandwich && node === 0)) kids.sort((a, b) => bytes[b] - bytes[a] || a - b);
      // Pushed in reverse so the largest child is popped (emitted) first.
      for (let i = kids.length - 1; i >= 0; i--) {
        stackNodes.push(kids[i]);
        stackOut.push(me);
      }
    }
  }

  const tree: FlameTree = {
    totalBytes,
    totalCount,
    frames,
    parent: outParent,
    frame: outFrame,
    bytes: outBytes,
    count: outCount,
    mergedNodes,
  };
  if (splitThreads) tree.threadLabels = threadLabels;
  if (options.focusKey !== undefined)
    tree.focus = { key: options.focusKey, nodes: focusNodes(tree, options.focusKey) };
  return tree;
}

/**
 * The nodes a table row's key designates in this tree (flameNodesForKey), none for a key that
 * names nothing here or is not a site key at all: a row opened from another capture's table
 * simply finds nothing.
 */
export function focusNodes(tree: FlameTree, key: string): number[] {
  try {
    return flameNodesForKey(tree, key);
  } catch {
    return [];
  }
}

/** Children of every node, in tree order (largest first). */
export function childrenOf(tree: FlameTree): number[][] {
  const out: number[][] = tree.parent.map(() => []);
  for (let i = 1; i < tree.parent.length; i++) out[tree.parent[i]].push(i);
  return out;
}

/** Bytes a node holds itself (not in any kept child): its own allocations plus merged nodes. */
export function selfBytes(tree: FlameTree): number[] {
  const self = tree.bytes.slice();
  for (let i = 1; i < tree.parent.length; i++) self[tree.parent[i]] -= tree.bytes[i];
  return self;
}
