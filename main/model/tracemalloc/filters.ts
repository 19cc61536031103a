/**
 * `tracemalloc.Filter` / `DomainFilter` and `Snapshot.filter_traces`, over any Snapshot.
 *
 * A snapshot's rows are already aggregated per (traceback, allocator); every filter decision
 * depends only on the traceback and the domain, so filtering rows gives exactly what Python's
 * per-trace filtering gives.
 */
import type { Snapshot, SnapshotRows } from '../snapshot';

/** `tracemalloc.Filter(inclusive, filename_pattern, lineno=None, all_frames=False, domain=None)`. */
export interface TraceFilter {
  kind?: 'filter';
  inclusive: boolean;
  filenamePattern: string;
  lineno?: number;
  allFrames?: boolean;
  domain?: number;
}

/** `tracemalloc.DomainFilter(inclusive, domain)`. */
export interface DomainFilter {
  kind: 'domain';
  inclusive: boolean;
  domain: number;
}

export type AnyTraceFilter = TraceFilter | DomainFilter;

/** A snapshot whose allocators are tracemalloc domains (`domains[allocatorIndex]`). */
export interface DomainSnapshot extends Snapshot {
  domains: number[];
}

export function hasDomains(snapshot: Snapshot): snapshot is DomainSnapshot {
  return Array.isArray((snapshot as Partial<DomainSnapshot>).domains);
}

/** tracemalloc's `_normalize_filename`: a `.pyc` name stands for its `.py`. */
function normalizeFilename(filename: string): string {
  return filename.endsWith('.pyc') ? filename.slice(0, -1) : filename;
}

const regexCache = new Map<string, RegExp>();

/**
 * `fnmatch.fnmatch` on POSIX (normcase is the identity): `*` also matches `/`, `?` one code
 * point, `[seq]` / `[!seq]` classes, everything else literal, whole-string match.
 */
export function fnmatch(name: string, pattern: string): boolean {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${translate(pattern)})$`, 'su');
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re.test(name);
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? (ch === '-' ? '\\x2d' : `\\${ch}`) : ch;
}

function escapeInClass(ch: string): string {
  return ch === '\\' || ch === ']' || ch === '[' || ch === '^' ? `\\${ch}` : ch;
}

/** Python's `fnmatch.translate`, emitting a JavaScript `u`-mode pattern. */
function translate(pat: string): string {
  const chars = Array.from(pat);
  const n = chars.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const c = chars[i++];
    if (c === '*') {
      // Consecutive stars are one star.
      while (i < n && chars[i] === '*') i++;
      out += '[^]*';
    } else if (c === '?') out += '[^]';
    else if (c === '[') {
      let j = i;
      if (j < n && chars[j] === '!') j++;
      if (j < n && chars[j] === ']') j++;
      while (j < n && chars[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      const stuff = chars.slice(i, j);
      i = j + 1;
      let negate = false;
      let k = 0;
      if (stuff[0] === '!') {
        negate = true;
        k = 1;
      }
      let cls = '';
      for (; k < stuff.length; k++) {
        const ch = stuff[k];
        // A '-' between two characters is a range, as in Python; elsewhere it is literal.
        if (ch === '-' && k > (negate ? 1 : 0) && k < stuff.length - 1) cls += '-';
        else cls += ch === '-' ? '\\-' : escapeInClass(ch);
      }
      if (cls === '') out += negate ? '[^]' : '[]';
      else out += negate ? `[^${cls}]` : `[${cls}]`;
    } else out += escapeLiteral(c);
  }
  return out;
}

function matchFrame(filter: TraceFilter, pattern: string, file: string, line: number): boolean {
  if (!fnmatch(normalizeFilename(file), pattern)) return false;
  return filter.lineno === undefined || filter.lineno === null || line === filter.lineno;
}

/**
 * Which rows `Snapshot.filter_traces(filters)` keeps. `domainOf(allocatorIndex)` gives a row's
 * domain (0 for snapshots without domains: Python's own allocators are all domain 0).
 */
export function filterRowMask(snapshot: Snapshot, filters: readonly AnyTraceFilter[]): Uint8Array {
  const rows = snapshot.rows;
  const keep = new Uint8Array(rows.length);
  if (filters.length === 0) {
    keep.fill(1);
    return keep;
  }
  const domains = hasDomains(snapshot) ? snapshot.domains : undefined;
  const { frames, stacks } = snapshot;
  const include = filters.filter((f) => f.inclusive);
  const exclude = filters.filter((f) => !f.inclusive);
  // Per filter and frame: does the frame match the pattern (+lineno)? Cached, frames repeat a lot.
  const frameCache = filters.map(() => new Int8Array(frames.size).fill(-1));
  const patterns = filters.map((f) => (f.kind === 'domain' ? '' : normalizeFilename(f.filenamePattern)));
  const filterIndex = new Map<AnyTraceFilter, number>(filters.map((f, i) => [f, i]));

  const frameMatches = (fi: number, filter: TraceFilter, frame: number): boolean => {
    const cache = frameCache[fi];
    let v = cache[frame];
    if (v === -1) {
      v = matchFrame(filter, patterns[fi], frames.files[frame], frames.lines[frame]) ? 1 : 0;
      cache[frame] = v;
    }
    return v === 1;
  };

  // Filter._match(trace); the unknown frame stands in for a row without a stack.
  const match = (filter: AnyTraceFilter, leaf: number, domain: number): boolean => {
    if (filter.kind === 'domain') return (domain === filter.domain) !== !filter.inclusive;
    const fi = filterIndex.get(filter)!;
    let res: boolean;
    if (filter.allFrames) {
      let any = false;
      if (leaf === 0) any = matchFrame(filter, patterns[fi], '<unknown>', 0);
      for (let node = leaf; node > 0 && !any; node = stacks.parent(node))
        any = frameMatches(fi, filter, stacks.frame(node));
      res = any ? filter.inclusive : !filter.inclusive;
    } else {
      const m =
        leaf === 0
          ? matchFrame(filter, patterns[fi], '<unknown>', 0)
          : frameMatches(fi, filter, stacks.frame(leaf));
      res = m !== !filter.inclusive;
    }
    if (filter.domain !== undefined && filter.domain !== null) {
      return filter.inclusive ? res && domain === filter.domain : res || domain !== filter.domain;
    }
    return res;
  };

  for (let r = 0; r < rows.length; r++) {
    const leaf = rows.stack[r];
    const domain = domains ? domains[rows.allocator[r]] : 0;
    let ok = true;
    if (include.length > 0) ok = include.some((f) => match(f, leaf, domain));
    if (ok && exclude.length > 0) ok = !exclude.some((f) => !match(f, leaf, domain));
    keep[r] = ok ? 1 : 0;
  }
  return keep;
}

/** `Snapshot.filter_traces(filters)`: a new snapshot sharing frames and stacks. */
export function filterTraces<S extends Snapshot>(snapshot: S, filters: readonly AnyTraceFilter[]): S {
  const keep = filterRowMask(snapshot, filters);
  return { ...snapshot, rows: selectRows(snapshot.rows, keep) };
}

export function selectRows(rows: SnapshotRows, keep: Uint8Array): SnapshotRows {
  let n = 0;
  for (let i = 0; i < rows.length; i++) n += keep[i];
  const out: SnapshotRows = {
    length: n,
    stack: new Int32Array(n),
    thread: new Int32Array(n),
    allocator: new Int32Array(n),
    bytes: new Float64Array(n),
    count: new Float64Array(n),
  };
  let j = 0;
  for (let i = 0; i < rows.length; i++) {
    if (!keep[i]) continue;
    out.stack[j] = rows.stack[i];
    out.thread[j] = rows.thread[i];
    out.allocator[j] = rows.allocator[i];
    out.bytes[j] = rows.bytes[i];
    out.count[j] = rows.count[i];
    j++;
  }
  return out;
}
