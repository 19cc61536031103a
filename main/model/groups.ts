/**
 * `tracemalloc.Snapshot.statistics(key_type, cumulative)` over any format's Snapshot, with
 * Python's exact grouping and order, so Heapscope's tables and `stats --json` match what users
 * get from Python itself.
 *
 * - lineno: group by the most recent frame (filename, lineno);
 * - filename: by the most recent frame's filename (lineno 0);
 * - traceback: by the whole stack;
 * - function (Heapscope's own, for formats with function names): by the most recent frame's
 *   (function, filename);
 * - cumulative (lineno / filename / function): every frame of a stack adds the row, once per
 *   occurrence (recursion counts k times, as in Python).
 *
 * Order: `sorted(reverse=True, key=(size, count, traceback))`, where tracebacks compare as
 * oldest-first tuples of (filename, lineno) and strings by code point.
 */
import { UnsupportedQuery } from './capture-model';
import type { Snapshot } from './snapshot';
import { StackTrie } from './stack-trie';
import { filterTraces, type AnyTraceFilter } from './tracemalloc/filters';

export type GroupKeyType = 'lineno' | 'filename' | 'traceback' | 'function';
/** Also accepts the app's GroupBy names (shared/api.ts): line, file, module. */
export type GroupKeyInput = GroupKeyType | 'line' | 'file' | 'module';

export interface GroupFrame {
  file: string;
  line: number;
  function: string;
  /**
   * A native frame (memray --native): all of a library's frames have line 0, so its function
   * is part of its identity (tracemalloc, which has none, compares (filename, lineno) only).
   */
  native?: true;
}

export interface Group {
  keyType: GroupKeyType;
  /** Equal keys mean equal tracebacks in Python's sense (same (filename, lineno) frames). */
  key: string;
  /** Oldest first, most recent last (Python's Traceback order). */
  frames: GroupFrame[];
  size: number;
  count: number;
}

export interface GroupOptions {
  groupBy: GroupKeyInput;
  cumulative?: boolean;
  /** `Snapshot.filter_traces(filters)` applied first. */
  filter?: readonly AnyTraceFilter[];
  /**
   * Group on Python frames only (native frames skipped; a stack with none is `<unknown>`): how a
   * `--native` capture is compared with one that has no native frames (see path-identity).
   */
  pythonOnly?: boolean;
}

export function normalizeKeyType(groupBy: GroupKeyInput): GroupKeyType {
  switch (groupBy) {
    case 'line':
    case 'lineno':
      return 'lineno';
    case 'file':
    case 'filename':
    case 'module':
      return 'filename';
    case 'traceback':
      return 'traceback';
    case 'function':
      return 'function';
    default:
      throw new UnsupportedQuery(`unknown key type ${JSON.stringify(groupBy)}`);
  }
}

/** Code-point order (Python's str comparison); JS `<` compares UTF-16 units instead. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  // Step back onto a shared high surrogate so both sides read whole code points.
  if (i > 0) {
    const prev = a.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) i--;
  }
  return a.codePointAt(i)! - b.codePointAt(i)!;
}

/** Python's `Traceback.__lt__` on oldest-first (filename, lineno) tuples, then function. */
export function compareFrameLists(a: readonly GroupFrame[], b: readonly GroupFrame[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const fa = a[i];
    const fb = b[i];
    if (fa.file !== fb.file) return compareCodePoints(fa.file, fb.file);
    if (fa.line !== fb.line) return fa.line - fb.line;
    if (fa.function !== fb.function) return compareCodePoints(fa.function, fb.function);
  }
  return a.length - b.length;
}

const UNKNOWN: GroupFrame = { file: '<unknown>', line: 0, function: '' };

function frameKey(keyType: GroupKeyType, f: GroupFrame): string {
  if (keyType === 'filename') return f.file;
  if (keyType === 'function') return `${f.function}\u0000${f.file}`;
  return f.native ? `${f.file}\u0000${f.line}\u0000${f.function}` : `${f.file}\u0000${f.line}`;
}

export function groupSnapshot(snapshot: Snapshot, options: GroupOptions): Group[] {
  const keyType = normalizeKeyType(options.groupBy);
  const cumulative = options.cumulative ?? false;
  if (cumulative && keyType === 'traceback') {
    throw new UnsupportedQuery("cumulative mode cannot be used with key type 'traceback'");
  }
  const snap =
    options.filter && options.filter.length > 0 ? filterTraces(snapshot, options.filter) : snapshot;
  const { frames, stacks, rows } = snap;
  const skip = (frame: number): boolean => !!options.pythonOnly && frames.kind(frame) === 'native';
  /** The innermost node at or above `node` whose frame is kept (0 when none is). */
  const kept = (node: number): number => {
    while (node > 0 && skip(stacks.frame(node))) node = stacks.parent(node);
    return node;
  };

  // Locations: frames reduced to what the key type compares (file+line, file, or function+file).
  const locIndex = new Map<string, number>();
  const locs: GroupFrame[] = [];
  const locOfFrame = new Int32Array(frames.size).fill(-1);
  const locOf = (frame: number): number => {
    let loc = locOfFrame[frame];
    if (loc >= 0) return loc;
    const f: GroupFrame = {
      file: frames.files[frame],
      line: keyType === 'filename' || keyType === 'function' ? 0 : frames.lines[frame],
      function: keyType === 'filename' ? '' : frames.names[frame],
      ...(keyType !== 'filename' && frames.kind(frame) === 'native' && { native: true as const }),
    };
    const key = frameKey(keyType, f);
    loc = locIndex.get(key) ?? -1;
    if (loc < 0) {
      loc = locs.length;
      locs.push(f);
      locIndex.set(key, loc);
    }
    locOfFrame[frame] = loc;
    return loc;
  };
  let unknownLoc = -1;
  const unknown = (): number => {
    if (unknownLoc < 0) {
      const key = frameKey(keyType, UNKNOWN);
      unknownLoc = locIndex.get(key) ?? -1;
      if (unknownLoc < 0) {
        unknownLoc = locs.length;
        locs.push(UNKNOWN);
        locIndex.set(key, unknownLoc);
      }
    }
    return unknownLoc;
  };

  let sizes = new Float64Array(64);
  let counts = new Float64Array(64);
  const add = (group: number, size: number, count: number) => {
    if (group >= sizes.length) {
      let cap = sizes.length * 2;
      while (cap <= group) cap *= 2;
      const s = new Float64Array(cap);
      s.set(sizes);
      const c = new Float64Array(cap);
      c.set(counts);
      sizes = s;
      counts = c;
    }
    sizes[group] += size;
    counts[group] += count;
  };

  const out: Group[] = [];
  if (keyType === 'traceback') {
    // Stacks that differ only in what Python does not compare (function names, native vs python
    // kind) are one traceback: re-intern each stack's path of locations.
    const canon = new StackTrie();
    const canonOf = new Int32Array(stacks.size).fill(-1);
    canonOf[0] = 0;
    const chain: number[] = [];
    const canonical = (leaf: number): number => {
      let node = leaf;
      chain.length = 0;
      while (canonOf[node] < 0) {
        chain.push(node);
        node = stacks.parent(node);
      }
      let c = canonOf[node];
      for (let i = chain.length - 1; i >= 0; i--) {
        const frame = stacks.frame(chain[i]);
        if (!skip(frame)) c = canon.child(c, locOf(frame));
        canonOf[chain[i]] = c;
      }
      return c;
    };
    for (let r = 0; r < rows.length; r++) {
      const leaf = rows.stack[r];
      // A stack with no (kept) frame is Python's `<unknown>` traceback.
      const c = leaf === 0 ? 0 : canonical(leaf);
      add(c === 0 ? canon.child(0, unknown()) : c, rows.bytes[r], rows.count[r]);
    }
    for (let g = 1; g < Math.min(sizes.length, canon.size); g++) {
      if (counts[g] === 0 && sizes[g] === 0) continue;
      const path = canon.path(g).map((l) => locs[l]);
      out.push({
        keyType,
        key: path.map((f) => frameKey(keyType, f)).join('\u0001'),
        frames: path,
        size: sizes[g],
        count: counts[g],
      });
    }
  } else {
    for (let r = 0; r < rows.length; r++) {
      const leaf = kept(rows.stack[r]);
      const size = rows.bytes[r];
      const count = rows.count[r];
      if (leaf === 0) add(unknown(), size, count);
      else if (!cumulative) add(locOf(stacks.frame(leaf)), size, count);
      else
        for (let node = leaf; node > 0; node = kept(stacks.parent(node)))
          add(locOf(stacks.frame(node)), size, count);
    }
    for (let g = 0; g < Math.min(sizes.length, locs.length); g++) {
      if (counts[g] === 0 && sizes[g] === 0) continue;
      const f = locs[g];
      out.push({ keyType, key: frameKey(keyType, f), frames: [f], size: sizes[g], count: counts[g] });
    }
  }
  sortGroups(out);
  return out;
}

/** Python's statistics order, in place. */
export function sortGroups(groups: Group[]): Group[] {
  return groups.sort((a, b) => b.size - a.size || b.count - a.count || compareFrameLists(b.frames, a.frames));
}

/** Σ size and Σ count of non-cumulative groups: the snapshot's totals. */
export function groupTotals(groups: readonly Group[]): { size: number; count: number } {
  let size = 0;
  let count = 0;
  for (const g of groups) {
    size += g.size;
    count += g.count;
  }
  return { size, count };
}

export type StatisticJson =
  | { filename: string; lineno: number; size: number; count: number }
  | { filename: string; size: number; count: number }
  | { function: string; filename: string; size: number; count: number }
  | { frames: [string, number][]; size: number; count: number };

/** One group as `heapscope stats --json` prints it (Python's Statistic fields). */
export function statisticJson(g: Group): StatisticJson {
  const f = g.frames[g.frames.length - 1];
  switch (g.keyType) {
    case 'lineno':
      return { filename: f.file, lineno: f.line, size: g.size, count: g.count };
    case 'filename':
      return { filename: f.file, size: g.size, count: g.count };
    case 'function':
      return { function: f.function, filename: f.file, size: g.size, count: g.count };
    default:
      return {
        frames: g.frames.map((fr) => [fr.file, fr.line] as [string, number]),
        size: g.size,
        count: g.count,
      };
  }
}
