import type { StackFilter } from '../../shared/api';
import type { FrameTable } from '../model/frame-table';
import type { Snapshot } from '../model/snapshot';

const IMPORT_FUNCTIONS = new Set(['import_name', 'import_from', 'import_all_from']);

// memray's own package (the `memray run` driver, reporters, IPython magic). Matched on the
// package's sub-paths rather than any "memray" directory so a user project called memray is
// not hidden.
const MEMRAY_FILE =
  /(?:^|[\\/])memray[\\/](?:commands[\\/]|reporters[\\/]|_ipython[\\/]|__main__\.py$|__init__\.py$|_[A-Za-z0-9_]+\.py$)/;

export const FLAG_IMPORT_SYSTEM = 1;
export const FLAG_INTERNAL = 2;
export const FLAG_NATIVE = 4;

/**
 * memray's import-system test (reporters/frame_tools): frozen importlib files, or CPython's
 * native import opcodes in ceval.c. Native frames without a resolved file are accepted too,
 * since symbolization may not name the source file.
 */
export function isImportSystemFrame(name: string, file: string, kind: string): boolean {
  if (file.includes('frozen importlib')) return true;
  return (
    IMPORT_FUNCTIONS.has(name) && (file.endsWith('ceval.c') || (kind === 'native' && !file.endsWith('.py')))
  );
}

/** runpy (memray's "uninteresting" frames), memray's own driver frames, tracemalloc itself. */
export function isInternalFrame(file: string): boolean {
  if (file.endsWith('runpy.py') || file === '<frozen runpy>') return true;
  if (file.endsWith('tracemalloc.py')) return true;
  return MEMRAY_FILE.test(file);
}

/** Per-frame flag bits (FLAG_*), computed once per frame table. */
export function frameFlags(frames: FrameTable): Uint8Array {
  const cached = flagCache.get(frames);
  if (cached && cached.length >= frames.size) return cached;
  const out = new Uint8Array(frames.size);
  for (let id = 0; id < frames.size; id++) {
    const kind = frames.kind(id);
    let f = 0;
    if (isImportSystemFrame(frames.names[id], frames.files[id], kind)) f |= FLAG_IMPORT_SYSTEM;
    if (isInternalFrame(frames.files[id])) f |= FLAG_INTERNAL;
    if (kind === 'native') f |= FLAG_NATIVE;
    out[id] = f;
  }
  flagCache.set(frames, out);
  return out;
}
const flagCache = new WeakMap<FrameTable, Uint8Array>();

/** True when the filter changes nothing, so callers can walk the trie as is. */
export function isIdentityFilter(filter: StackFilter | undefined): boolean {
  return !filter || (!filter.hideImportSystem && !filter.hideInternals && !filter.pythonOnly);
}

/**
 * Frames of `leaf` outermost first after the frame-level filters:
 * - hideImportSystem: memray flags `import_system` from the first import-system frame down, so
 *   the path is cut there (the allocation stays with the last frame above the import);
 * - hideInternals: runpy / memray / tracemalloc frames are dropped, their callees re-parented;
 * - pythonOnly: native frames are dropped.
 * Thread and allocator filters are row filters and are not applied here.
 */
export function filteredPath(snapshot: Snapshot, leaf: number, filter: StackFilter | undefined): number[] {
  return filterStack(snapshot, filter)(leaf);
}

/**
 * A cached path function for one (snapshot, filter): each leaf is computed once. The returned
 * arrays are shared; callers must not mutate them.
 */
export function filterStack(snapshot: Snapshot, filter: StackFilter | undefined): (leaf: number) => number[] {
  const trie = snapshot.stacks;
  const cache = new Map<number, number[]>();
  const identity = isIdentityFilter(filter);
  const flags = identity ? undefined : frameFlags(snapshot.frames);
  let dropMask = 0;
  if (filter?.hideInternals) dropMask |= FLAG_INTERNAL;
  if (filter?.pythonOnly) dropMask |= FLAG_NATIVE;
  const cutImports = !!filter?.hideImportSystem;
  return (leaf: number) => {
    let hit = cache.get(leaf);
    if (hit) return hit;
    const raw = trie.path(leaf);
    if (flags) {
      const out: number[] = [];
      for (const frame of raw) {
        const f = flags[frame];
        if (cutImports && f & FLAG_IMPORT_SYSTEM) break;
        if (f & dropMask) continue;
        out.push(frame);
      }
      hit = out;
    } else {
      hit = raw;
    }
    cache.set(leaf, hit);
    return hit;
  };
}

/** Row filter for threads and allocators; undefined when every row is kept. */
export function rowFilter(
  snapshot: Snapshot,
  filter: StackFilter | undefined,
): ((row: number) => boolean) | undefined {
  const threads = filter?.threads ? new Set(filter.threads) : undefined;
  let allocators: Uint8Array | undefined;
  if (filter?.allocators) {
    const wanted = new Set(filter.allocators.map((a) => a.toUpperCase()));
    allocators = new Uint8Array(snapshot.allocators.length);
    snapshot.allocators.forEach((name, i) => {
      allocators![i] = wanted.has(name.toUpperCase()) ? 1 : 0;
    });
  }
  if (!threads && !allocators) return undefined;
  const rows = snapshot.rows;
  return (row) =>
    (!threads || threads.has(rows.thread[row])) && (!allocators || allocators[rows.allocator[row]] === 1);
}
