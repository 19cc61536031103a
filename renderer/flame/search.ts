/**
 * Flamegraph search: which nodes a typed query matches, and how many bytes pass through them
 * with every stack counted once. The app and the HTML report highlight and sum the same nodes.
 */
import type { FlameTree } from '../../shared/api';
import type { FlameLayout } from './layout';

/** 1 where the node's function name or file contains `query` (case-insensitive). */
export function searchMatches(tree: Pick<FlameTree, 'frames' | 'frame'>, query: string): Uint8Array {
  const n = tree.frame.length;
  const out = new Uint8Array(n);
  const q = query.trim().toLowerCase();
  if (!q) return out;
  const frameHit = new Uint8Array(tree.frames.length);
  for (let f = 0; f < tree.frames.length; f++) {
    const fr = tree.frames[f];
    const hay = `${fr.name}\u0000${fr.file}\u0000${fr.module ?? ''}`.toLowerCase();
    frameHit[f] = hay.includes(q) ? 1 : 0;
  }
  for (let i = 0; i < n; i++) {
    const f = tree.frame[i];
    out[i] = f >= 0 && frameHit[f] ? 1 : 0;
  }
  return out;
}

export interface MatchShare {
  /** Bytes of the stacks that pass through at least one match, each stack counted once. */
  bytes: number;
  /** bytes / the value of `root`. */
  share: number;
  /** Matching nodes (all of them, nested ones included). */
  nodes: number;
}

/**
 * Sums matches under `root` counting every stack once: a match inside another match (recursion,
 * or two matching frames on one stack) adds nothing, because the outer node's value already
 * includes it.
 */
export function matchShare(layout: FlameLayout, matches: Uint8Array, root = 0): MatchShare {
  const { x0, x1, end } = layout;
  let bytes = 0;
  let nodes = 0;
  const stop = end[root] ?? 0;
  for (let i = root; i < stop; i++) if (matches[i]) nodes++;
  let i = root;
  while (i < stop) {
    if (matches[i]) {
      bytes += x1[i] - x0[i];
      i = end[i];
    } else i++;
  }
  const total = layout.n > 0 ? x1[root] - x0[root] : 0;
  return { bytes, share: total > 0 ? bytes / total : 0, nodes };
}
