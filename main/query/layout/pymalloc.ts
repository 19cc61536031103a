import type {
  PymallocArena,
  PymallocGeometry,
  PymallocLayout,
  PymallocSizeClass,
} from '../../../shared/layout';
import type { PageStates } from '../../model/layout-input';

/** An arena at most this much used (live bytes / arena bytes) is sparse: a few blocks keep it. */
export const SPARSE_SHARE = 0.25;
/**
 * A pool window is not a pymalloc pool when at least this share of its live blocks sit off the
 * block grid of their size class (malloc'd raw-domain blocks land anywhere; pool blocks only at
 * POOL_OVERHEAD + k × block size, except blocks realloc shrank in place).
 */
const OFF_GRID_SHARE = 0.25;

export const POOL_RULES = {
  pools:
    'Pools: every live PYMALLOC_* block of 1–512 bytes is in the pool its address falls in (pools are POOL_SIZE-aligned); a pool’s block size is the largest size class its 4 KiB pages held since they were last empty (a pool keeps one size class while it holds blocks); its capacity is (POOL_SIZE − POOL_OVERHEAD) / block size (CPython Objects/obmalloc.c NUMBLOCKS).',
  outside:
    'Outside pools: a pool-sized window where at least 25 % of the live blocks sit off their size class’s block grid (POOL_OVERHEAD + k × block size) is not a pymalloc pool; memray records PyMem_RawMalloc (the raw domain, which is malloc) as PYMALLOC_* too. Those blocks count in the malloc heap, not here.',
  arenas:
    'Arenas: memray does not record pymalloc’s arena mmaps (they happen inside its allocator hook), so arenas are inferred as ARENA_SIZE spans. Arenas mapped one after another are adjacent, so each run of pools used at any time of the capture (split where a whole arena’s worth of address space never held a block) is cut into spans at the offset that needs the fewest; an arena is in use while one of its pools is.',
  held: 'Held: arena bytes − live requested bytes. Pools never used since their arena was mapped are not resident, so this is an upper bound on the resident bytes pymalloc keeps.',
  sparse:
    'Sparse arena: live requested bytes at most 25 % of the arena; pymalloc returns an arena to the OS only when all its pools are free.',
};

/** Pools in use, in address order (internal: the query's working table). */
export interface PoolTable {
  n: number;
  address: Float64Array;
  blocks: Int32Array;
  bytes: Float64Array;
  blockBytes: Int32Array;
  capacity: Int32Array;
  /** 1: not a pymalloc pool (see OFF_GRID_SHARE). */
  outside: Uint8Array;
  /** Arena of each pool (index into arenaStart), -1 when outside. */
  arena: Int32Array;
  arenaStart: number[];
}

/**
 * The arena grid: for each run of pools ever used (split at gaps of at least an arena), the
 * offset (a multiple of the pool size) at which cutting it into arena spans needs the fewest.
 */
export interface ArenaGrid {
  /** First and last pool address of each run, lowest first, and the run's offset. */
  from: number[];
  to: number[];
  offset: number[];
}

const grids = new WeakMap<Float64Array, Map<number, ArenaGrid>>();

/** The grid of a capture's pages ever used, computed once per geometry. */
export function arenaGrid(everPages: Float64Array, g: PymallocGeometry): ArenaGrid {
  let byGeometry = grids.get(everPages);
  if (!byGeometry) grids.set(everPages, (byGeometry = new Map()));
  let grid = byGeometry.get(g.poolBytes);
  if (!grid) byGeometry.set(g.poolBytes, (grid = computeArenaGrid(everPages, g)));
  return grid;
}

function computeArenaGrid(everPages: Float64Array, g: PymallocGeometry): ArenaGrid {
  const pools: number[] = [];
  for (let i = 0; i < everPages.length; i++) {
    const p = Math.floor(everPages[i] / g.poolBytes) * g.poolBytes;
    if (pools.length === 0 || pools[pools.length - 1] !== p) pools.push(p);
  }
  const grid: ArenaGrid = { from: [], to: [], offset: [] };
  const slots = g.arenaBytes / g.poolBytes;
  let start = 0;
  for (let i = 1; i <= pools.length; i++) {
    if (i < pools.length && pools[i] - pools[i - 1] <= g.arenaBytes) continue;
    // run pools[start … i-1]: try every offset, keep the one with the fewest spans (ties: the
    // offset of the run's first pool, then the lowest)
    const first = pools[start];
    let best = first % g.arenaBytes;
    let bestSpans = Infinity;
    for (let k = 0; k <= slots; k++) {
      const offset = k === slots ? first % g.arenaBytes : k * g.poolBytes;
      let spans = 0;
      let last = NaN;
      for (let j = start; j < i; j++) {
        const w = Math.floor((pools[j] - offset) / g.arenaBytes);
        if (w !== last) {
          spans++;
          last = w;
        }
      }
      if (spans < bestSpans || (spans === bestSpans && offset === first % g.arenaBytes)) {
        best = offset;
        bestSpans = spans;
      }
    }
    grid.from.push(first);
    grid.to.push(pools[i - 1]);
    grid.offset.push(best);
    start = i;
  }
  return grid;
}

/** The arena span (its start address) a pool falls in, on the grid; NaN when outside every run. */
function arenaOf(grid: ArenaGrid, g: PymallocGeometry, pool: number): number {
  let lo = 0;
  let hi = grid.from.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (grid.from[mid] <= pool) lo = mid + 1;
    else hi = mid;
  }
  const r = lo - 1;
  if (r < 0 || pool > grid.to[r]) return NaN;
  const o = grid.offset[r];
  return o + Math.floor((pool - o) / g.arenaBytes) * g.arenaBytes;
}

/** The pages lowest address first (the page table gives them so; others are sorted here). */
function sortedPages(p: PageStates): PageStates {
  let sorted = true;
  for (let i = 1; i < p.n && sorted; i++) sorted = p.address[i] >= p.address[i - 1];
  if (sorted) return p;
  const order = Array.from({ length: p.n }, (_, i) => i).sort((a, b) => p.address[a] - p.address[b]);
  return {
    n: p.n,
    address: Float64Array.from(order, (i) => p.address[i]),
    blocks: Uint16Array.from(order, (i) => p.blocks[i]),
    bytes: Int32Array.from(order, (i) => p.bytes[i]),
    blockBytes: Uint16Array.from(order, (i) => p.blockBytes[i]),
    off16: Uint16Array.from(order, (i) => p.off16[i]),
    off4: Uint16Array.from(order, (i) => p.off4[i]),
  };
}

/** Groups the moment's pages into pools and arenas for the geometry. */
export function buildPools(unsorted: PageStates, g: PymallocGeometry, grid?: ArenaGrid): PoolTable {
  const pages = sortedPages(unsorted);
  const use16 = g.poolBytes === 16384;
  // pages → pools: neighbouring pages of one pool are adjacent in the (sorted) columns
  const address = new Float64Array(pages.n);
  const blocks = new Int32Array(pages.n);
  const bytes = new Float64Array(pages.n);
  const blockBytes = new Int32Array(pages.n);
  const off = new Int32Array(pages.n);
  let n = 0;
  let last = NaN;
  for (let i = 0; i < pages.n; i++) {
    const pool = Math.floor(pages.address[i] / g.poolBytes) * g.poolBytes;
    if (pool !== last) {
      address[n++] = last = pool;
    }
    const k = n - 1;
    blocks[k] += pages.blocks[i];
    bytes[k] += pages.bytes[i];
    if (pages.blockBytes[i] > blockBytes[k]) blockBytes[k] = pages.blockBytes[i];
    off[k] += use16 ? pages.off16[i] : pages.off4[i];
  }
  const t: PoolTable = {
    n,
    address: address.subarray(0, n),
    blocks: blocks.subarray(0, n),
    bytes: bytes.subarray(0, n),
    blockBytes: blockBytes.subarray(0, n),
    capacity: new Int32Array(n),
    outside: new Uint8Array(n),
    arena: new Int32Array(n).fill(-1),
    arenaStart: [],
  };
  let arenaEnd = -Infinity;
  for (let k = 0; k < n; k++) {
    t.capacity[k] = Math.floor(
      (g.poolBytes - g.poolOverheadBytes) / Math.max(t.blockBytes[k], g.alignmentBytes),
    );
    if ((off[k] > 0 && off[k] >= OFF_GRID_SHARE * t.blocks[k]) || t.blocks[k] > t.capacity[k]) {
      t.outside[k] = 1;
      continue;
    }
    // on the grid; a pool the grid does not know (none, when the grid comes from the same
    // capture) starts a span of its own
    let start = grid ? arenaOf(grid, g, t.address[k]) : NaN;
    if (Number.isNaN(start))
      start = t.address[k] >= arenaEnd ? t.address[k] : t.arenaStart[t.arenaStart.length - 1];
    if (t.arenaStart.length === 0 || start !== t.arenaStart[t.arenaStart.length - 1]) {
      t.arenaStart.push(start);
      arenaEnd = start + g.arenaBytes;
    }
    t.arena[k] = t.arenaStart.length - 1;
  }
  return t;
}

/** The pool row a block address falls in, or -1 (binary search: rows are in address order). */
export function poolRowOf(t: PoolTable, g: PymallocGeometry, address: number): number {
  return rowOfPool(t, Math.floor(address / g.poolBytes) * g.poolBytes);
}

/**
 * poolRowOf for many addresses: a hash of the pools' numbers (address / poolBytes) to their rows,
 * built once. Consecutive blocks are almost never in one pool (each size class has its own), so
 * a memo of the last pool missed 99.9% at the peak of large.bin, and the binary search per block
 * (2.6 M blocks, 11,723 pools) was a third of the layout query.
 */
export function poolRowFinder(t: PoolTable, g: PymallocGeometry): (address: number) => number {
  let bits = 4;
  while (1 << bits < t.n * 2) bits++;
  const mask = (1 << bits) - 1;
  const keys = new Float64Array(1 << bits).fill(-1);
  const rows = new Int32Array(1 << bits);
  const poolBytes = g.poolBytes;
  // pool numbers are < 2^34 (addresses < 2^48): fold the high word into the low one
  const slot = (pool: number) =>
    Math.imul((pool >>> 0) ^ Math.floor(pool / 4294967296), 0x9e3779b1) >>> (32 - bits);
  for (let r = 0; r < t.n; r++) {
    const pool = t.address[r] / poolBytes;
    let i = slot(pool);
    while (keys[i] !== -1) i = (i + 1) & mask;
    keys[i] = pool;
    rows[i] = r;
  }
  return (address) => {
    const pool = Math.floor(address / poolBytes);
    for (let i = slot(pool); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === pool) return rows[i];
      if (k === -1) return -1;
    }
  };
}

function rowOfPool(t: PoolTable, pool: number): number {
  let lo = 0;
  let hi = t.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.address[mid] < pool) lo = mid + 1;
    else hi = mid;
  }
  return lo < t.n && t.address[lo] === pool ? lo : -1;
}

export interface ArenaTotals {
  liveBytes: Float64Array;
  blocks: Float64Array;
  sparse: Uint8Array;
}

export function arenaTotals(t: PoolTable, g: PymallocGeometry): ArenaTotals {
  const a = t.arenaStart.length;
  const liveBytes = new Float64Array(a);
  const blocks = new Float64Array(a);
  for (let k = 0; k < t.n; k++) {
    const ar = t.arena[k];
    if (ar < 0) continue;
    liveBytes[ar] += t.bytes[k];
    blocks[ar] += t.blocks[k];
  }
  const sparse = new Uint8Array(a);
  for (let i = 0; i < a; i++) sparse[i] = liveBytes[i] <= SPARSE_SHARE * g.arenaBytes ? 1 : 0;
  return { liveBytes, blocks, sparse };
}

/** The pymalloc part of a layout (pinning sites are added by the caller where blocks are known). */
export function pymallocLayout(
  t: PoolTable,
  g: PymallocGeometry,
  maxArenas: number,
): { layout: Omit<PymallocLayout, 'pinning'>; totals: ArenaTotals } {
  const totals = arenaTotals(t, g);
  let liveBytes = 0;
  let liveBlocks = 0;
  let blockBytes = 0;
  let pools = 0;
  const outside = { blocks: 0, bytes: 0, windows: 0, rule: POOL_RULES.outside };
  const classes = new Map<number, PymallocSizeClass>();
  for (let k = 0; k < t.n; k++) {
    if (t.outside[k]) {
      outside.blocks += t.blocks[k];
      outside.bytes += t.bytes[k];
      outside.windows++;
      continue;
    }
    pools++;
    liveBlocks += t.blocks[k];
    liveBytes += t.bytes[k];
    blockBytes += t.blocks[k] * t.blockBytes[k];
    let c = classes.get(t.blockBytes[k]);
    if (!c)
      classes.set(
        t.blockBytes[k],
        (c = { blockBytes: t.blockBytes[k], pools: 0, blocks: 0, capacity: 0, liveBytes: 0 }),
      );
    c.pools++;
    c.blocks += t.blocks[k];
    c.capacity += t.capacity[k];
    c.liveBytes += t.bytes[k];
  }
  const arenas = t.arenaStart.length;
  const arenaBytes = arenas * g.arenaBytes;
  const poolBytes = pools * g.poolBytes;
  let sparseArenas = 0;
  for (let i = 0; i < arenas; i++) sparseArenas += totals.sparse[i];
  const arenaList: PymallocArena[] = [];
  for (let k = 0; k < t.n; k++) {
    const ar = t.arena[k];
    if (ar < 0 || ar >= maxArenas) continue;
    let row = arenaList[ar];
    if (!row) {
      row = arenaList[ar] = {
        address: t.arenaStart[ar],
        pools: 0,
        blocks: 0,
        capacity: 0,
        liveBytes: 0,
        poolIndex: [],
        poolBlockBytes: [],
        poolBlocks: [],
        poolCapacity: [],
        poolLiveBytes: [],
      };
    }
    row.pools++;
    row.blocks += t.blocks[k];
    row.capacity += t.capacity[k];
    row.liveBytes += t.bytes[k];
    row.poolIndex.push(Math.round((t.address[k] - row.address) / g.poolBytes));
    row.poolBlockBytes.push(t.blockBytes[k]);
    row.poolBlocks.push(t.blocks[k]);
    row.poolCapacity.push(t.capacity[k]);
    row.poolLiveBytes.push(t.bytes[k]);
  }
  const layout: Omit<PymallocLayout, 'pinning'> = {
    modelled: true,
    geometry: g,
    liveBytes,
    liveBlocks,
    blockBytes,
    pools,
    poolBytes,
    arenas,
    arenaBytes,
    heldBytes: arenaBytes - liveBytes,
    inPoolFreeBytes: poolBytes - liveBytes,
    freePoolBytes: arenaBytes - poolBytes,
    sparseArenas,
    sparseShare: SPARSE_SHARE,
    sizeClasses: [...classes.values()].sort((a, b) => b.blockBytes - a.blockBytes),
    arenaList: arenaList.filter((a) => a !== undefined),
    arenasOmitted: Math.max(0, arenas - maxArenas),
    outside,
    rules: [
      g.source,
      POOL_RULES.pools,
      POOL_RULES.arenas,
      POOL_RULES.held,
      POOL_RULES.sparse,
      POOL_RULES.outside,
    ],
  };
  return { layout, totals };
}
