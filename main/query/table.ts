import type {
  FlameTree,
  FrameInfo,
  GroupBy,
  SiteRow,
  StackFilter,
  TableQuery,
  TableResult,
} from '../../shared/api';
import type { Snapshot } from '../model/snapshot';
import { filterStack, rowFilter } from './frame-filter';

export type TableOptions = Omit<TableQuery, 'captureId' | 'snapshot'> & {
  /** file → dotted module (path-identity.ts `moduleResolver`); required for a useful 'module'. */
  moduleOf?: (file: string) => string | undefined;
};

/** Group of stacks without any frame (after filters): memray's "???" row. */
export const NO_STACK_NAME = '<no stack>';

/**
 * SiteRow.key format — `<groupBy>:<JSON array>`, stable across queries of one capture:
 * - `function:["name","file"]`    every frame with that name in that file (any line);
 * - `line:["name","file",line]`   frames at exactly that location;
 * - `file:["file"]`               every frame of that file;
 * - `module:["module"]`           every frame whose file maps to that module;
 * - `traceback:[[name,file,line],…]` one whole filtered stack, outermost first.
 * `siteKeyMatcher` turns a key into a FrameInfo predicate (or, for tracebacks, a node-path
 * matcher) to focus the flamegraph; `flameNodesForKey` does it on a FlameTree.
 * The stack-less group's key is `<groupBy>:[]`.
 */
export function siteKey(groupBy: GroupBy, parts: unknown[]): string {
  return `${groupBy}:${JSON.stringify(parts)}`;
}

export function parseSiteKey(key: string): { groupBy: GroupBy; parts: unknown[] } {
  const colon = key.indexOf(':');
  return { groupBy: key.slice(0, colon) as GroupBy, parts: JSON.parse(key.slice(colon + 1)) as unknown[] };
}

/** Predicate on a single frame for non-traceback keys. */
export function siteKeyMatcher(key: string): (frame: FrameInfo) => boolean {
  const { groupBy, parts } = parseSiteKey(key);
  if (parts.length === 0) return () => false;
  switch (groupBy) {
    case 'function':
      return (f) => f.kind !== 'synthetic' && f.name === parts[0] && f.file === parts[1];
    case 'line':
      return (f) =>
        f.kind !== 'synthetic' && f.name === parts[0] && f.file === parts[1] && f.line === parts[2];
    case 'file':
      return (f) => f.kind !== 'synthetic' && f.file === parts[0];
    case 'module':
      return (f) => f.kind !== 'synthetic' && (f.module ?? f.file) === parts[0];
    case 'traceback':
      return () => false;
  }
}

/**
 * Flame nodes a key designates: for traceback keys the node whose path (below the root and any
 * thread node) equals the stack; otherwise every node whose frame matches. Non-inverted trees.
 */
export function flameNodesForKey(tree: FlameTree, key: string): number[] {
  const { groupBy, parts } = parseSiteKey(key);
  const out: number[] = [];
  if (groupBy === 'traceback') {
    const want = parts as [string, string, number][];
    if (want.length === 0) return out;
    const depth = new Array<number>(tree.parent.length).fill(0);
    for (let i = 1; i < tree.parent.length; i++) {
      const p = tree.parent[i];
      const f = tree.frames[tree.frame[i]];
      if (f.kind === 'synthetic' && p === 0) {
        depth[i] = 0;
        continue;
      }
      const d = depth[p];
      const w = want[d];
      // depth[] = number of matched frames so far; -1 marks a dead branch.
      if (d < 0 || d >= want.length || !w || f.name !== w[0] || f.file !== w[1] || f.line !== w[2]) {
        depth[i] = -1;
        continue;
      }
      depth[i] = d + 1;
      if (d + 1 === want.length) out.push(i);
    }
    return out;
  }
  const match = siteKeyMatcher(key);
  const frameMatches = tree.frames.map(match);
  for (let i = 1; i < tree.frame.length; i++) if (frameMatches[tree.frame[i]]) out.push(i);
  return out;
}

/**
 * memray's location rule (`memray stats` top locations, its reporters' "location"): an allocation
 * belongs to the innermost *Python* frame of its stack. Native frames of a `--native` capture are
 * how the bytes got there, not where in the program: they stay in the flamegraph and in the
 * table's own groupings, but the sites a summary, its findings and reports name skip them. Stacks
 * without any Python frame form the stack-less group (memray's "<stack trace unavailable>").
 */
export function pythonLocations(filter?: StackFilter): StackFilter {
  return { ...filter, pythonOnly: true };
}

/** How many sites a summary names. */
export const TOP_SITES = 10;

/** The sites a summary and its findings name: line locations by own bytes, memray's rule. */
export function topSites(
  snapshot: Snapshot,
  options: Pick<TableOptions, 'filter' | 'moduleOf' | 'limit'> = {},
): SiteRow[] {
  return buildTable(snapshot, {
    groupBy: 'line',
    sortBy: 'ownBytes',
    descending: true,
    limit: options.limit ?? TOP_SITES,
    filter: pythonLocations(options.filter),
    ...(options.moduleOf && { moduleOf: options.moduleOf }),
  }).rows;
}

/**
 * Top allocation sites. `ownBytes` counts rows whose innermost (filtered) frame belongs to the
 * group; `bytes` counts rows whose filtered stack passes through the group at least once
 * (recursion counted once). Share = bytes / total of the kept rows.
 */
export function buildTable(snapshot: Snapshot, options: TableOptions): TableResult {
  const { groupBy } = options;
  const pathOf = filterStack(snapshot, options.filter);
  const keepRow = rowFilter(snapshot, options.filter);
  const frames = snapshot.frames;
  const rows = snapshot.rows;

  const groupKeys: string[] = [];
  const groupRep: SiteRow[] = [];
  const groupIndex = new Map<string, number>();
  const intern = (key: string, make: () => SiteRow): number => {
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groupKeys.push(key) - 1;
      groupIndex.set(key, g);
      groupRep.push(make());
    }
    return g;
  };
  const noStackGroup = () =>
    intern(siteKey(groupBy, []), () => emptyRow(siteKey(groupBy, []), NO_STACK_NAME, '', 0));

  // Per-frame group (not used for traceback).
  const frameGroup = new Int32Array(frames.size).fill(-1);
  const groupOfFrame = (id: number): number => {
    let g = frameGroup[id];
    if (g >= 0) return g;
    const name = frames.names[id];
    const file = frames.files[id];
    const line = frames.lines[id];
    const module = options.moduleOf?.(file);
    switch (groupBy) {
      case 'function': {
        // A function row spans every line of the function: naming the first line seen would
        // claim bytes allocated on its other lines for that one, so it names no line (0).
        const key = siteKey('function', [name, file]);
        g = intern(key, () => withModule(emptyRow(key, name, file, 0), module));
        break;
      }
      case 'line': {
        const key = siteKey('line', [name, file, line]);
        g = intern(key, () => withModule(emptyRow(key, name, file, line), module));
        break;
      }
      case 'file': {
        const key = siteKey('file', [file]);
        g = intern(key, () => withModule(emptyRow(key, '', file, 0), module));
        break;
      }
      default: {
        const m = module ?? file;
        const key = siteKey('module', [m]);
        g = intern(key, () => ({ ...emptyRow(key, '', file, 0), module: m }));
        break;
      }
    }
    frameGroup[id] = g;
    return g;
  };

  // Per stack leaf: the groups on the path (deduplicated) and the innermost group.
  const stackGroups = new Map<number, { own: number; all: number[] }>();
  let stamp = new Int32Array(1024);
  let stampNow = 0;
  const groupsOf = (stack: number) => {
    let hit = stackGroups.get(stack);
    if (hit) return hit;
    const path = pathOf(stack);
    if (path.length === 0) {
      const g = noStackGroup();
      hit = { own: g, all: [g] };
    } else if (groupBy === 'traceback') {
      const parts = path.map((f) => [frames.names[f], frames.files[f], frames.lines[f]]);
      const key = siteKey('traceback', parts);
      const inner = path[path.length - 1];
      const g = intern(key, () => ({
        ...emptyRow(key, frames.names[inner], frames.files[inner], frames.lines[inner]),
        frames: path.map((f) => ({
          file: frames.files[f],
          line: frames.lines[f],
          function: frames.names[f],
        })),
      }));
      hit = { own: g, all: [g] };
    } else {
      stampNow++;
      const all: number[] = [];
      for (const f of path) {
        const g = groupOfFrame(f);
        if (g >= stamp.length) {
          const grown = new Int32Array(Math.max(stamp.length * 2, g + 1));
          grown.set(stamp);
          stamp = grown;
        }
        if (stamp[g] !== stampNow) {
          stamp[g] = stampNow;
          all.push(g);
        }
      }
      hit = { own: groupOfFrame(path[path.length - 1]), all };
    }
    stackGroups.set(stack, hit);
    return hit;
  };

  let totalBytes = 0;
  let totalCount = 0;
  const acc: number[][] = []; // [ownBytes, ownCount, bytes, count] per group
  const bump = (g: number, i: number, v: number) => {
    while (acc.length <= g) acc.push([0, 0, 0, 0]);
    acc[g][i] += v;
  };
  for (let r = 0; r < rows.length; r++) {
    if (keepRow && !keepRow(r)) continue;
    const b = rows.bytes[r];
    const c = rows.count[r];
    totalBytes += b;
    totalCount += c;
    const { own, all } = groupsOf(rows.stack[r]);
    bump(own, 0, b);
    bump(own, 1, c);
    for (const g of all) {
      bump(g, 2, b);
      bump(g, 3, c);
    }
  }

  let result: SiteRow[] = groupRep.map((row, g) => {
    const a = acc[g] ?? [0, 0, 0, 0];
    return {
      ...row,
      ownBytes: a[0],
      ownCount: a[1],
      bytes: a[2],
      count: a[3],
      share: totalBytes > 0 ? a[2] / totalBytes : 0,
    };
  });
  result = result.filter((r) => r.bytes !== 0 || r.count !== 0);

  if (options.search) {
    const needle = options.search.toLowerCase();
    result = result.filter(
      (r) =>
        r.function.toLowerCase().includes(needle) ||
        r.file.toLowerCase().includes(needle) ||
        (r.module?.toLowerCase().includes(needle) ?? false) ||
        (r.frames?.some(
          (f) => f.function.toLowerCase().includes(needle) || f.file.toLowerCase().includes(needle),
        ) ??
          false),
    );
  }

  const sortBy = options.sortBy ?? 'bytes';
  const desc = options.descending ?? sortBy !== 'name';
  const label = (r: SiteRow) => r.function || r.module || r.file;
  const cmp = (a: SiteRow, b: SiteRow): number => {
    let d: number;
    if (sortBy === 'name') d = label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0;
    else d = a[sortBy] - b[sortBy];
    if (d === 0) d = a.bytes - b.bytes;
    if (d === 0) return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    return desc ? -d : d;
  };
  result.sort(cmp);

  const offset = Math.max(0, options.offset ?? 0);
  const limit = options.limit ?? result.length;
  return { rows: result.slice(offset, offset + limit), totalRows: result.length, totalBytes, totalCount };
}

function emptyRow(key: string, fn: string, file: string, line: number): SiteRow {
  return { key, function: fn, file, line, ownBytes: 0, ownCount: 0, bytes: 0, count: 0, share: 0 };
}

function withModule(row: SiteRow, module: string | undefined): SiteRow {
  if (module !== undefined) row.module = module;
  return row;
}
