import type { FlameTree } from '../../shared/api';

/** The subset of speedscope's file format we write (see node_modules/speedscope file-format-schema.json). */
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  shared: { frames: { name: string; file?: string; line?: number }[] };
  profiles: {
    type: 'sampled';
    name: string;
    unit: 'bytes';
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }[];
  name?: string;
  activeProfileIndex?: number;
  exporter?: string;
}

export const NO_STACK_FRAME = '<no stack>';

/**
 * One sampled profile per tree: each node's self bytes (its bytes minus its kept children's)
 * become one sample whose stack is the path from the root, so the sum of weights equals the
 * root (= totalBytes for non-sandwich trees). Bytes held by the root itself (stacks emptied by
 * filters) are attributed to a `<no stack>` frame. Several trees (peak, leaks) share one frame
 * table. Frame names follow memray's `function at file:line` convention for readability.
 */
export function toSpeedscope(
  trees: FlameTree | { tree: FlameTree; name: string }[],
  name = 'heapscope',
  exporter = 'heapscope',
): SpeedscopeFile {
  const list = Array.isArray(trees) ? trees : [{ tree: trees, name }];
  const frames: SpeedscopeFile['shared']['frames'] = [];
  const frameIndex = new Map<string, number>();
  const intern = (n: string, file?: string, line?: number): number => {
    const key = `${n}\0${file ?? ''}\0${line ?? ''}`;
    let i = frameIndex.get(key);
    if (i === undefined) {
      const f: { name: string; file?: string; line?: number } = { name: n };
      if (file) f.file = file;
      if (line) f.line = line;
      i = frames.push(f) - 1;
      frameIndex.set(key, i);
    }
    return i;
  };
  const profiles = list.map(({ tree, name: profileName }) => {
    const n = tree.parent.length;
    const self = tree.bytes.slice();
    for (let i = 1; i < n; i++) self[tree.parent[i]] -= tree.bytes[i];
    // A native frame whose source line was found points at it, not at its library.
    const local = tree.frames.map((f) =>
      f.kind === 'synthetic'
        ? intern(f.name)
        : f.source
          ? intern(f.name, f.source.file, f.source.line)
          : intern(f.name, f.file, f.line),
    );
    const stacks: number[][] = new Array(n);
    stacks[0] = [];
    const samples: number[][] = [];
    const weights: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) stacks[i] = [...stacks[tree.parent[i]], local[tree.frame[i]]];
      // Float rounding of self bytes can leave tiny negatives; they carry no memory.
      if (self[i] > 0) {
        samples.push(i === 0 ? [intern(NO_STACK_FRAME)] : stacks[i]);
        weights.push(self[i]);
      }
    }
    const total = weights.reduce((s, w) => s + w, 0);
    return {
      type: 'sampled' as const,
      name: profileName,
      unit: 'bytes' as const,
      startValue: 0,
      endValue: total,
      samples,
      weights,
    };
  });
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name,
    activeProfileIndex: 0,
    exporter,
  };
}
