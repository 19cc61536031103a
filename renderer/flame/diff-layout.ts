/**
 * Layout of a differential flamegraph: width is the target's bytes, and frames that exist only
 * in the base stay visible as thin ghost slivers (coloured and outlined by diffPaint).
 */
import type { DiffFlameTree } from '../../shared/api';
import { isGone } from './color';
import { layoutFromValues, type FlameLayout } from './layout';

export interface DiffLayout {
  layout: FlameLayout;
  /** Drawn width per node: target bytes plus the ghost width of removed descendants. */
  width: Float64Array;
  /** 1 where the node has no bytes in the target but had some in the base. */
  gone: Uint8Array;
  ghost: number;
}

/**
 * Removed frames would have zero width; each removed subtree root gets `ghostFraction` of the
 * target total instead (at least 1 byte), and its ancestors widen by the same amount so every
 * parent still contains its children.
 */
export function layoutDiffFlame(tree: DiffFlameTree, ghostFraction = 0.004): DiffLayout {
  const n = tree.parent.length;
  const total = n > 0 ? tree.targetBytes[0] : 0;
  const baseTotal = n > 0 ? tree.baseBytes[0] : 0;
  const ghost = Math.max(1, (total > 0 ? total : baseTotal) * ghostFraction);
  const gone = new Uint8Array(n);
  for (let i = 0; i < n; i++) gone[i] = isGone(tree.baseBytes[i], tree.targetBytes[i]) ? 1 : 0;

  // A removed subtree is drawn as one ghost split by base bytes; extra[] is the ghost width
  // that each present node gains from removed subtrees below it.
  const extra = new Float64Array(n);
  const width = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const p = tree.parent[i];
    const topGone = gone[i] === 1 && (p < 0 || gone[p] === 0);
    if (topGone && p >= 0) extra[p] += ghost;
    else if (gone[i] === 0 && p >= 0) extra[p] += extra[i];
  }
  for (let i = 0; i < n; i++) {
    const p = tree.parent[i];
    if (gone[i] === 0) width[i] = Math.max(0, tree.targetBytes[i]) + extra[i];
    else if (p < 0 || gone[p] === 0) width[i] = ghost;
    else {
      const pb = tree.baseBytes[p];
      width[i] = pb > 0 ? (width[p] * tree.baseBytes[i]) / pb : 0;
    }
  }
  return { layout: layoutFromValues(tree.parent, width, tree.targetCount), width, gone, ghost };
}
