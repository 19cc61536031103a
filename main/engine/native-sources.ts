/**
 * Source lines of native frames on display-sized results, by one rule in one place.
 *
 * Function names come from the model (it labels native frames as stacks are built, so every
 * query shows the same name); file:line is lazier: looked up only for the frames a result
 * shows, once the result is display-sized. Every worker result goes through
 * `withNativeSources` (runQuery), and the one result the Engine assembles from several
 * workers, the diff, through `diffSourceRequests`/`applySources` with each row asking the
 * capture it came from. `NATIVE_SITES` says where each result names frames; a query whose
 * result names frames and is missing there shows no lines, which the test over every query
 * (native-sources.test.ts) catches.
 */
import type { DiffRow, FrameKind, SourceLocation } from '../../shared/api';
import type { WorkerMethod, WorkerResult } from './protocol';

/** A frame or a site of a result: FrameInfo (`name`) or a table/diff row (`function`). */
export interface NativeSite {
  file: string;
  line: number;
  name?: string;
  function?: string;
  kind?: FrameKind;
  source?: SourceLocation;
}

/** How a symbolizer's labels are keyed: the label shown and the object's recorded path. */
export interface FrameRef {
  name: string;
  file: string;
}

/** What answers source lines for one capture (NativeSymbolizer.sources). */
export interface SourceLookup {
  sources(frames: readonly FrameRef[]): (SourceLocation | undefined)[];
}

/**
 * Where each query's result names frames. Results not listed name none, or only Python
 * locations by construction (growth sites are innermost Python frames, memray's rule); the
 * `groups` of a diff are not display-sized (the Engine annotates the rows it returns).
 */
const NATIVE_SITES: { [M in WorkerMethod]?: (result: WorkerResult<M>) => NativeSite[] } = {
  flamegraph: (tree) => tree.frames,
  table: (table) => table.rows,
  // memray's location rule makes these Python frames on memray captures; they still pass here,
  // so a model whose sites can be native gets lines without another path.
  summary: (summary) => summary.topSites,
  lastSeconds: (last) => rowSites(last.sites),
  layoutSites: (layout) => layout.rows,
};

/**
 * Native frames carry line 0 and kind 'native' (rows have no kind): Python frames and
 * synthetic ones are left out before any lookup.
 */
function mayBeNative(site: NativeSite): boolean {
  return site.line === 0 && (site.kind === undefined || site.kind === 'native');
}

function labelOf(site: NativeSite): string {
  return site.name ?? site.function ?? '';
}

/** The sites that may be native, and how the symbolizer knows each. */
export function sourceRequests(sites: readonly NativeSite[]): { sites: NativeSite[]; frames: FrameRef[] } {
  const wanted = sites.filter((s) => mayBeNative(s) && labelOf(s) !== '');
  return { sites: wanted, frames: wanted.map((s) => ({ name: labelOf(s), file: s.file })) };
}

/** Sets `source` where one was found (in place); `found` is in the order of `sites`. */
export function applySources(
  sites: readonly NativeSite[],
  found: readonly (SourceLocation | null | undefined)[],
): void {
  sites.forEach((s, i) => {
    const source = found[i];
    if (source) s.source = source;
  });
}

/** The sites of `sites` with source lines from `lookup` (in place). */
export function attachSources(sites: readonly NativeSite[], lookup: SourceLookup): void {
  const req = sourceRequests(sites);
  if (req.frames.length > 0) applySources(req.sites, lookup.sources(req.frames));
}

/** A worker's result with source lines on the native frames it names (in place). */
export function withNativeSources<M extends WorkerMethod>(
  method: M,
  result: WorkerResult<M>,
  lookup: SourceLookup | undefined,
): WorkerResult<M> {
  const sitesOf = NATIVE_SITES[method] as ((r: WorkerResult<M>) => NativeSite[]) | undefined;
  if (lookup && sitesOf && result) attachSources(sitesOf(result), lookup);
  return result;
}

/** A diff row and the frames of its traceback. */
function rowSites(rows: readonly DiffRow[]): NativeSite[] {
  return rows.flatMap((r) => [r, ...(r.frames ?? [])]);
}

/**
 * The frames of diff rows to ask each capture about: a row's frames are those of the side it
 * came from (compare_to takes a gone row from the old snapshot, every other one from the new).
 */
export function diffSourceRequests(rows: readonly DiffRow[]): {
  base: ReturnType<typeof sourceRequests>;
  target: ReturnType<typeof sourceRequests>;
} {
  return {
    base: sourceRequests(rowSites(rows.filter((r) => r.status === 'gone'))),
    target: sourceRequests(rowSites(rows.filter((r) => r.status !== 'gone'))),
  };
}
