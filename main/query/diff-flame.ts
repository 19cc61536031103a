import type { DiffFlameTree, FlameTree, FrameInfo } from '../../shared/api';
import { EXACT_IDENTITY, frameIdentityKey, type PathIdentity } from './path-identity';

export interface DiffIdentity {
  base: PathIdentity;
  target: PathIdentity;
  /**
   * Match frames by (kind, name, file) only: for two versions of a program whose line numbers
   * moved. Nodes of one function at several lines under one parent are then summed.
   */
  ignoreLines?: boolean;
}

interface Group {
  base: number[];
  target: number[];
}

/**
 * Merges two flame trees into a differential tree (pre-order, node 0 the root). Nodes match
 * when their frames have the same identity key (kind, name, machine-independent file, line;
 * see path-identity.ts) under matched parents. Several nodes of one side that collapse to one
 * key (e.g. two checkouts in one capture) are summed. Frames present only in the base stay with
 * targetBytes 0 so removed code remains visible; children are ordered by target bytes, then
 * base bytes, largest first. Frame info comes from the target side when it has the node.
 */
export function mergeDiffFlame(
  base: FlameTree,
  target: FlameTree,
  identity: DiffIdentity = { base: EXACT_IDENTITY, target: EXACT_IDENTITY },
): DiffFlameTree {
  const baseKids = kids(base);
  const targetKids = kids(target);
  const baseKey = keys(base, identity.base, !!identity.ignoreLines);
  const targetKey = keys(target, identity.target, !!identity.ignoreLines);

  const out: DiffFlameTree = {
    frames: [],
    parent: [],
    frame: [],
    baseBytes: [],
    targetBytes: [],
    baseCount: [],
    targetCount: [],
  };
  const frameIndex = new Map<string, number>();
  const frameOf = (key: string, info: FrameInfo): number => {
    let idx = frameIndex.get(key);
    if (idx === undefined) {
      idx = out.frames.push({ ...info }) - 1;
      frameIndex.set(key, idx);
    }
    return idx;
  };
  const sum = (values: number[], nodes: number[]) => nodes.reduce((s, n) => s + values[n], 0);

  const todo: { group: Group; parent: number; frame: number }[] = [
    { group: { base: [0], target: [0] }, parent: -1, frame: -1 },
  ];
  while (todo.length > 0) {
    const { group, parent, frame } = todo.pop()!;
    const me = out.parent.length;
    out.parent.push(parent);
    out.frame.push(frame);
    out.baseBytes.push(sum(base.bytes, group.base));
    out.targetBytes.push(sum(target.bytes, group.target));
    out.baseCount.push(sum(base.count, group.base));
    out.targetCount.push(sum(target.count, group.target));

    const children = new Map<string, Group & { info: FrameInfo }>();
    for (const t of group.target) {
      for (const c of targetKids[t]) {
        const key = targetKey[c];
        let g = children.get(key);
        if (!g) children.set(key, (g = { base: [], target: [], info: target.frames[target.frame[c]] }));
        g.target.push(c);
      }
    }
    for (const b of group.base) {
      for (const c of baseKids[b]) {
        const key = baseKey[c];
        let g = children.get(key);
        if (!g) children.set(key, (g = { base: [], target: [], info: base.frames[base.frame[c]] }));
        g.base.push(c);
      }
    }
    const ordered = [...children.entries()]
      .map(([key, g]) => ({ key, g, tb: sum(target.bytes, g.target), bb: sum(base.bytes, g.base) }))
      .sort((x, y) => y.tb - x.tb || y.bb - x.bb || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    for (let i = ordered.length - 1; i >= 0; i--) {
      const { key, g } = ordered[i];
      todo.push({ group: { base: g.base, target: g.target }, parent: me, frame: frameOf(key, g.info) });
    }
  }
  return out;
}

function kids(tree: FlameTree): number[][] {
  const out: number[][] = tree.parent.map(() => []);
  for (let i = 1; i < tree.parent.length; i++) out[tree.parent[i]].push(i);
  return out;
}

function keys(tree: FlameTree, identity: PathIdentity, ignoreLines: boolean): string[] {
  const frameKeys = tree.frames.map((f) => frameIdentityKey(ignoreLines ? { ...f, line: 0 } : f, identity));
  return tree.frame.map((f) => (f < 0 ? '' : frameKeys[f]));
}
