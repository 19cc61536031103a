import type {
  AllocatorMappings,
  LayoutLimit,
  LayoutRegion,
  MallocHeapLayout,
  MemoryLayout,
  PinningSite,
  PymallocGeometry,
  PymallocLayout,
} from '../../../shared/layout';
import { formatCount, type UnitSystem } from '../../../shared/units';
import type { LayoutInput, LiveAllocations, PoolBlocks } from '../../model/layout-input';
import { isSmallPymallocBlock } from '../../model/memray/layout/page-table';
import { A_MMAP } from '../../model/memray/vocabulary';
import { siteKey } from '../table';
import { chooseGeometry } from './geometry';
import { layoutFindings } from './findings';
import { classifyMallocHeap, MALLOC_RULES, type MallocBlocks } from './malloc-heap';
import {
  arenaGrid,
  buildPools,
  poolRowFinder,
  pymallocLayout,
  type ArenaTotals,
  type PoolTable,
} from './pymalloc';

/**
 * The memory layout of one moment (issue 14): pymalloc's pools and arenas from the pages the
 * replay kept, and — where the live allocations are known one by one (the end) — the code that
 * pins sparse arenas, the malloc heap and the allocator libraries' used vs reserved bytes.
 */

export const DEFAULT_MAX_ARENAS = 4096;

const HOW_TO_TRACE_PYMALLOC = 'memray run --trace-python-allocators …';
const HOW_TO_NATIVE = 'memray run --native …';

export interface LayoutOptions {
  maxArenas?: number;
  units?: UnitSystem;
}

/** The parts of a layout the sites and bands queries reuse. */
export interface LayoutParts {
  input: LayoutInput;
  geometry?: PymallocGeometry;
  pools?: PoolTable;
  totals?: ArenaTotals;
  /** Which of `input.live` are pool blocks (1), other malloc-family (2), mmap-library served (3). */
  liveKind?: Uint8Array;
  /** The pool row of each of `input.live` (-1: in none), when there are pools. */
  liveRows?: Int32Array;
  layout: MemoryLayout;
}

function emptyPymalloc(): PymallocLayout {
  return {
    modelled: false,
    liveBytes: 0,
    liveBlocks: 0,
    blockBytes: 0,
    pools: 0,
    poolBytes: 0,
    arenas: 0,
    arenaBytes: 0,
    heldBytes: 0,
    inPoolFreeBytes: 0,
    freePoolBytes: 0,
    sparseArenas: 0,
    sparseShare: 0.25,
    sizeClasses: [],
    arenaList: [],
    arenasOmitted: 0,
    outside: { blocks: 0, bytes: 0, windows: 0, rule: '' },
    pinning: [],
    rules: [],
  };
}

function emptyMallocHeap(): MallocHeapLayout {
  return {
    modelled: false,
    heldEstimated: false,
    threadHeaps: [],
    threadHeldBytes: 0,
    ownMmap: { count: 0, bytes: 0 },
    liveCount: 0,
    liveBytes: 0,
    rules: [],
  };
}

export function buildLayoutParts(input: LayoutInput, options: LayoutOptions = {}): LayoutParts {
  const maxArenas = options.maxArenas ?? DEFAULT_MAX_ARENAS;
  const limits: LayoutLimit[] = [];
  const f = input.facts;
  // ---- pymalloc ----
  let pymalloc = emptyPymalloc();
  let geometry: PymallocGeometry | undefined;
  let pools: PoolTable | undefined;
  let totals: ArenaTotals | undefined;
  const choice = chooseGeometry(f, input.fit);
  if (f.tracePythonAllocators === false) {
    limits.push({
      part: 'pymalloc',
      reason:
        'the capture was recorded without --trace-python-allocators: memray saw none of pymalloc’s small blocks, so pools and arenas cannot be reconstructed (their memory shows only as RSS)',
      howToRecord: HOW_TO_TRACE_PYMALLOC,
    });
  } else if (!choice.modelled) {
    limits.push({ part: 'pymalloc', reason: choice.reason });
  } else if (input.fit.small === 0 && input.small.blocks === 0) {
    limits.push({
      part: 'pymalloc',
      reason:
        f.tracePythonAllocators === undefined
          ? 'the capture holds no small PYMALLOC_* blocks (memray 1.10 headers do not say whether --trace-python-allocators was on; it probably was not)'
          : 'the capture holds no small PYMALLOC_* blocks',
      howToRecord: HOW_TO_TRACE_PYMALLOC,
    });
  } else {
    geometry = choice.geometry;
    pools = buildPools(input.pages, geometry, arenaGrid(input.everPages, geometry));
    const built = pymallocLayout(pools, geometry, maxArenas);
    totals = built.totals;
    pymalloc = { ...built.layout, pinning: [] };
    if (input.small.wideBlocks > 0)
      pymalloc.rules.push(
        `${formatCount(input.small.wideBlocks)} small blocks at addresses ≥ 2^48 (no user-space address on x86-64) are not placed.`,
      );
  }
  // ---- what is known block by block (the end) ----
  let mallocHeap = emptyMallocHeap();
  let liveKind: Uint8Array | undefined;
  let liveRows: Int32Array | undefined;
  const mappings: AllocatorMappings = {
    byFamily: input.mappings
      .filter((m) => m.bytes > 0 || (m.ranges ?? 0) > 0)
      .map((m) => ({
        family: m.family,
        ...(m.ranges !== undefined && { ranges: m.ranges }),
        reservedBytes: m.bytes,
      })),
    rules: [
      'Mappings: live mmap ranges, counted for jemalloc or mimalloc when their native stack passes through libjemalloc / libmimalloc (by the capture’s segment file names), else as plain mmap. Reserved bytes are what is mapped, not what is resident.',
    ],
  };
  if (!f.nativeTraces)
    limits.push({
      part: 'mappings',
      reason:
        'no native stacks: mmap ranges cannot be attributed to jemalloc or mimalloc and count as plain mmap',
      howToRecord: HOW_TO_NATIVE,
    });
  const live = input.live;
  const poolBlocks = input.poolBlocks;
  /** The blocks in pools, one by one, for the pinning sites (at the peak or the end). */
  let visitPoolBlocks: PoolBlockVisitor | undefined;
  if (poolBlocks) {
    // the peak: the pool blocks one by one, the malloc heap's allocations not
    if (pools && geometry) visitPoolBlocks = peakPoolBlockVisitor(poolBlocks, pools, geometry);
    if (poolBlocks.caveat) pymalloc.rules.push(`Stacks at this moment: ${poolBlocks.caveat}.`);
    limits.push({
      part: 'malloc-heap',
      reason:
        'the malloc heap is laid out from all live allocations one by one, which are known at the end of tracking only; at the peak the replay keeps pymalloc’s pools and arenas and the stacks of their blocks',
    });
  } else if (live) {
    liveKind = new Uint8Array(live.n);
    const served = servedByMappings(live, liveKind);
    mappings.byFamily = mappings.byFamily.map((m) => ({
      ...m,
      ...(served.has(m.family) && { usedBytes: served.get(m.family) }),
    }));
    if (served.size > 0)
      mappings.rules.push(
        'Used: live malloc-family allocations whose address lies inside a library’s live mappings are served by that library (an LD_PRELOADed jemalloc or mimalloc); they are left out of the glibc heap.',
      );
    const rows = (liveRows = pools && geometry ? blockRows(live, pools, geometry) : undefined);
    const blocks = mallocBlocks(live, liveKind, pools, rows);
    if (rows) visitPoolBlocks = livePoolBlockVisitor(live, liveKind, rows);
    const floor = mmapFloor(live, pools);
    // without any libc malloc record, untracked native allocations may fill the heap's gaps; with
    // jemalloc or mimalloc loaded, malloc may not be glibc's at all
    const tracked = (f.libcAllocations ?? 1) > 0;
    const other = f.mallocLibraries ?? [];
    mallocHeap = classifyMallocHeap(blocks, floor, live, tracked && other.length === 0).layout;
    if (!tracked && blocks.n > 0)
      limits.push({ part: 'malloc-heap', reason: MALLOC_RULES.untracked, howToRecord: HOW_TO_NATIVE });
    if (other.length > 0 && blocks.n > 0) {
      const why = `${other.join(' and ')} ${other.length > 1 ? 'are' : 'is'} loaded in the process: when one of them serves malloc (LD_PRELOAD), the malloc blocks are its, not glibc’s, and it maps their memory without memray seeing it; the glibc heap rules are applied to the blocks outside its recorded mappings, and their free space is not counted as held`;
      limits.push({ part: 'malloc-heap', reason: why });
      mallocHeap.rules.push(why);
    }
    if (blocks.n === 0)
      limits.push({
        part: 'malloc-heap',
        reason:
          f.pythonAllocator === 'pymalloc' || f.pythonAllocator === undefined
            ? 'no live malloc-family allocations at this moment (memray records malloc calls made from native code and the interpreter’s raw domain; none were live)'
            : 'no live malloc-family allocations at this moment',
      });
  } else {
    limits.push({
      part: 'malloc-heap',
      reason:
        'the malloc heap is laid out from the live allocations one by one, which are known at the end of tracking only; at this moment only pymalloc’s pools and arenas (kept during the replay) are shown',
    });
    limits.push({
      part: 'sites',
      reason:
        input.liveMissing ??
        'the stacks of the blocks in a pool or arena are known at the peak and at the end of tracking (the live blocks one by one); choose one of those to see them',
    });
  }
  const keys = poolBlocks ?? live;
  if (visitPoolBlocks && keys && pools && geometry && totals)
    pymalloc.pinning = pinningSites(visitPoolBlocks, keys, pools, totals, geometry);
  const mallocHeld = mallocHeap.heldEstimated
    ? (mallocHeap.brk?.freeBelowTopBytes ?? 0) + mallocHeap.threadHeldBytes
    : 0;
  const heldBytes =
    pymalloc.heldBytes +
    mallocHeld +
    mappings.byFamily.reduce(
      (s, m) => s + (m.usedBytes !== undefined ? Math.max(0, m.reservedBytes - m.usedBytes) : 0),
      0,
    );
  const layout: MemoryLayout = {
    moment: input.moment,
    moments: input.moments,
    heapBytes: input.heapBytes,
    ...(input.rssBytes !== undefined && { rssBytes: input.rssBytes }),
    heldBytes,
    pymalloc,
    mallocHeap,
    mappings,
    sitesAvailable: live !== undefined || poolBlocks !== undefined,
    findings: [],
    limits,
  };
  layout.findings = layoutFindings(layout, options.units ?? 'si');
  return { input, geometry, pools, totals, liveKind, liveRows, layout };
}

export function buildMemoryLayout(input: LayoutInput, options: LayoutOptions = {}): MemoryLayout {
  return buildLayoutParts(input, options).layout;
}

/**
 * Marks live malloc-family blocks inside a live mmap range (kind 3): a library that maps its own
 * memory serves them. Returns the used bytes per family of those ranges.
 */
function servedByMappings(live: LiveAllocations, kind: Uint8Array): Map<string, number> {
  const used = new Map<string, number>();
  if (live.ranges.length === 0) return used;
  const ranges = [...live.ranges].sort((a, b) => a.begin - b.begin);
  const begins = ranges.map((r) => r.begin);
  for (let i = 0; i < live.n; i++) {
    const a = live.address[i];
    let lo = 0;
    let hi = begins.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (begins[mid] <= a) lo = mid + 1;
      else hi = mid;
    }
    const r = ranges[lo - 1];
    if (!r || a >= r.end) continue;
    kind[i] = 3;
    used.set(r.family, (used.get(r.family) ?? 0) + live.size[i]);
  }
  return used;
}

/** The pool row of every live block (-1: in none), found once for the kinds and the pinning sites. */
function blockRows(live: LiveAllocations, pools: PoolTable, g: PymallocGeometry): Int32Array {
  const { n, address } = live;
  const rows = new Int32Array(n);
  const rowOf = poolRowFinder(pools, g);
  for (let i = 0; i < n; i++) rows[i] = rowOf(address[i]);
  return rows;
}

/** Visits the blocks that sit in a pymalloc pool: each one's pool row, size and key. */
type PoolBlockVisitor = (fn: (row: number, size: number, key: number) => void) => void;

/** The end's pool blocks: the live allocations of kind 1. */
function livePoolBlockVisitor(live: LiveAllocations, kind: Uint8Array, rows: Int32Array): PoolBlockVisitor {
  return (fn) => {
    const { n, size, key } = live;
    for (let i = 0; i < n; i++) if (kind[i] === 1) fn(rows[i], size[i], key[i]);
  };
}

/** The peak's small blocks that sit in a pool (the others are off the pool grid). */
function peakPoolBlockVisitor(blocks: PoolBlocks, pools: PoolTable, g: PymallocGeometry): PoolBlockVisitor {
  return (fn) => {
    const rowOf = poolRowFinder(pools, g);
    const outside = pools.outside;
    blocks.forEach((address, size, key) => {
      const row = rowOf(address);
      if (row >= 0 && !outside[row]) fn(row, size, key);
    });
  };
}

/** The pool blocks of a layout, whichever moment it is. */
function poolBlockVisitorOf(parts: LayoutParts): PoolBlockVisitor | undefined {
  const { input, pools, geometry: g, liveKind, liveRows } = parts;
  if (!pools || !g) return undefined;
  if (input.poolBlocks) return peakPoolBlockVisitor(input.poolBlocks, pools, g);
  if (input.live && liveKind && liveRows) return livePoolBlockVisitor(input.live, liveKind, liveRows);
  return undefined;
}

/** Live blocks that are glibc malloc's: all but pool blocks and library-served ones. */
function mallocBlocks(
  live: LiveAllocations,
  kind: Uint8Array,
  pools: PoolTable | undefined,
  rows: Int32Array | undefined,
): MallocBlocks {
  const idx: number[] = [];
  for (let i = 0; i < live.n; i++) {
    if (kind[i] === 3) continue;
    const alloc = live.allocatorOfKey(live.key[i]);
    if (alloc === A_MMAP) continue;
    if (pools && rows && isSmallPymallocBlock(alloc, live.size[i]) && live.address[i] < 2 ** 48) {
      const row = rows[i];
      if (row >= 0 && !pools.outside[row]) {
        kind[i] = 1;
        continue;
      }
    }
    kind[i] = 2;
    idx.push(i);
  }
  return {
    n: idx.length,
    address: Float64Array.from(idx, (i) => live.address[i]),
    size: Float64Array.from(idx, (i) => live.size[i]),
    key: Int32Array.from(idx, (i) => live.key[i]),
    allocator: idx.map((i) => live.allocatorName(live.allocatorOfKey(live.key[i]))),
  };
}

/** The lowest address known to be in the mmap area: pymalloc pools, live mmap ranges. */
function mmapFloor(live: LiveAllocations, pools: PoolTable | undefined): number {
  let floor = Infinity;
  for (const r of live.ranges) floor = Math.min(floor, r.begin);
  if (pools)
    for (let k = 0; k < pools.n; k++)
      if (!pools.outside[k]) {
        floor = Math.min(floor, pools.address[k]);
        break;
      }
  return floor;
}

/**
 * Sites whose live blocks sit in sparse arenas, by the held bytes they keep: each block in a
 * sparse arena carries its share (1 / the arena's blocks) of the arena's held bytes.
 */
function pinningSites(
  visit: PoolBlockVisitor,
  keys: { keyCount: number; siteOfKey: LiveAllocations['siteOfKey'] },
  pools: PoolTable,
  totals: ArenaTotals,
  g: PymallocGeometry,
  limit = 20,
): PinningSite[] {
  // Per key first (typed columns), then per site: a site per block (its key string and map) was
  // 30% of the layout at the peak of large.bin (2.6 M blocks, 563 keys). A pool row's share of
  // its sparse arena's held bytes is computed once per row, not per block.
  const share = new Float64Array(pools.n).fill(-1);
  for (let row = 0; row < pools.n; row++) {
    const ar = pools.arena[row];
    if (ar >= 0 && totals.sparse[ar]) share[row] = (g.arenaBytes - totals.liveBytes[ar]) / totals.blocks[ar];
  }
  const n = keys.keyCount;
  const keyBlocks = new Float64Array(n);
  const keyBytes = new Float64Array(n);
  const keyKept = new Float64Array(n);
  const lastArena = new Int32Array(n).fill(-1);
  const keyArenas = new Map<number, Set<number>>();
  const arena = pools.arena;
  visit((row, size, k) => {
    const kept = share[row];
    if (kept < 0) return;
    keyBlocks[k]++;
    keyBytes[k] += size;
    keyKept[k] += kept;
    const ar = arena[row];
    if (ar !== lastArena[k]) {
      lastArena[k] = ar;
      let set = keyArenas.get(k);
      if (!set) keyArenas.set(k, (set = new Set()));
      set.add(ar);
    }
  });
  const bySite = new Map<string, PinningSite & { arenaSet: Set<number> }>();
  for (const [k, arenaSet] of keyArenas) {
    const site = keys.siteOfKey(k);
    const key = siteKey('line', [site.function, site.file, site.line]);
    let s = bySite.get(key);
    if (!s)
      bySite.set(
        key,
        (s = { key, ...site, blocks: 0, bytes: 0, arenas: 0, keptBytes: 0, arenaSet: new Set() }),
      );
    s.blocks += keyBlocks[k];
    s.bytes += keyBytes[k];
    s.keptBytes += keyKept[k];
    for (const ar of arenaSet) s.arenaSet.add(ar);
  }
  return [...bySite.values()]
    .sort((a, b) => b.keptBytes - a.keptBytes || b.blocks - a.blocks)
    .slice(0, limit)
    .map(({ arenaSet, ...s }) => ({ ...s, arenas: arenaSet.size, keptBytes: Math.round(s.keptBytes) }));
}

/** Per-key count and bytes of the live blocks in a region (at the end or the peak). */
export function regionKeys(
  parts: LayoutParts,
  region: LayoutRegion,
): { count: Map<number, number>; bytes: Map<number, number> } {
  const count = new Map<number, number>();
  const bytes = new Map<number, number>();
  const add = (k: number, size: number) => {
    count.set(k, (count.get(k) ?? 0) + 1);
    bytes.set(k, (bytes.get(k) ?? 0) + size);
  };
  const { input, liveKind: kind, pools, geometry: g, totals } = parts;
  if (region.kind === 'heap-range') {
    const live = input.live;
    if (live && kind)
      for (let i = 0; i < live.n; i++)
        if (kind[i] === 2 && live.address[i] >= region.fromAddress && live.address[i] < region.toAddress)
          add(live.key[i], live.size[i]);
    return { count, bytes };
  }
  const visit = poolBlockVisitorOf(parts);
  if (!visit || !pools || !g) return { count, bytes };
  const poolAddress = region.kind === 'pool' ? Math.floor(region.address / g.poolBytes) * g.poolBytes : -1;
  visit((row, size, k) => {
    const ar = pools.arena[row];
    if (region.kind === 'pool') {
      if (pools.address[row] === poolAddress) add(k, size);
    } else if (region.kind === 'arena') {
      if (ar >= 0 && pools.arenaStart[ar] === region.address) add(k, size);
    } else if (ar >= 0 && totals?.sparse[ar]) add(k, size);
  });
  return { count, bytes };
}
