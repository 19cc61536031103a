import type { PymallocGeometry } from '../../../shared/layout';

/**
 * pymalloc's sizes, as CPython defines them for 64-bit builds (the only ones memray runs on):
 *
 * - CPython 3.12+ `Include/internal/pycore_obmalloc.h` (3.10 and 3.11: the same lines in
 *   `Objects/obmalloc.c`): `WITH_PYMALLOC_RADIX_TREE` defaults to 1; `#if SIZEOF_VOID_P > 4`
 *   defines `USE_LARGE_ARENAS` and, with the radix tree, `USE_LARGE_POOLS`, so
 *   `ARENA_BITS 20` (1 MiB arenas) and `POOL_BITS 14` (16 KiB pools). Introduced in 3.10
 *   (bpo-37448, the radix tree for `address_in_range()`).
 * - CPython 3.8 and 3.9 `Objects/obmalloc.c`: `ARENA_SIZE (256 << 10)` and
 *   `POOL_SIZE SYSTEM_PAGE_SIZE` (4 KiB).
 * - Both: `ALIGNMENT 16` on 64-bit (since 3.8), size classes 16 bytes apart, `INDEX2SIZE(I)
 *   = (I + 1) << 4`; `SMALL_REQUEST_THRESHOLD 512` (0 and larger requests go to the raw
 *   allocator, malloc); `POOL_OVERHEAD = _Py_SIZE_ROUND_UP(sizeof(struct pool_header),
 *   ALIGNMENT)` = 48 bytes (8 pointer/int fields); pools are `POOL_SIZE`-aligned (`POOL_ADDR(P)`
 *   rounds down) and their blocks start at pool + POOL_OVERHEAD; `NUMBLOCKS(I) = (POOL_SIZE −
 *   POOL_OVERHEAD) / INDEX2SIZE(I)`. An arena is one mmap of ARENA_SIZE; `new_arena()` carves
 *   its pools from the first POOL_SIZE-aligned address in it (one pool fewer when the mapping is
 *   not aligned).
 * - CPython ≤ 3.7 used ALIGNMENT 8: not modelled.
 */
export const LARGE: Omit<PymallocGeometry, 'source'> = {
  poolBytes: 16384,
  arenaBytes: 1 << 20,
  poolOverheadBytes: 48,
  alignmentBytes: 16,
  smallRequestMaxBytes: 512,
};
export const SMALL: Omit<PymallocGeometry, 'source'> = {
  poolBytes: 4096,
  arenaBytes: 256 << 10,
  poolOverheadBytes: 48,
  alignmentBytes: 16,
  smallRequestMaxBytes: 512,
};

export interface GeometryFacts {
  /** "3.11.2", absent in v10/v11 headers. */
  pythonVersion?: string;
  /** memray's name of the interpreter's allocator (header). */
  pythonAllocator?: string;
}

/** Small allocations ever, and how many sat on the block grid of a 16 KiB / a 4 KiB pool. */
export interface GridFit {
  small: number;
  fit16: number;
  fit4: number;
}

export type GeometryChoice =
  { modelled: true; geometry: PymallocGeometry } | { modelled: false; reason: string };

/** A grid must hold at least this share of the small blocks to be inferred from addresses. */
const INFER_MIN_SHARE = 0.95;

function pct(n: number, of: number): string {
  return `${((100 * n) / Math.max(of, 1)).toFixed(2)} %`;
}

/**
 * The geometry for a capture: from its Python version when the header has one (memray v12+),
 * else inferred from where the small blocks sat (a 4 KiB-pool interpreter puts most blocks off
 * the 16 KiB grid, and a 16 KiB-pool one off the 4 KiB grid: see page-table.ts).
 */
export function chooseGeometry(facts: GeometryFacts, fit: GridFit): GeometryChoice {
  const allocator = facts.pythonAllocator;
  if (allocator && allocator !== 'pymalloc' && allocator !== 'unknown') {
    const why =
      allocator === 'mimalloc' || allocator === 'mimalloc debug'
        ? 'the interpreter used mimalloc (PYTHONMALLOC=mimalloc or a free-threaded build): its PYMALLOC_* records are mimalloc allocations, and mimalloc’s pages and segments are not modelled'
        : allocator === 'malloc'
          ? 'the interpreter used malloc for every request (PYTHONMALLOC=malloc): there are no pymalloc pools; its PYMALLOC_* records are malloc blocks and count in the malloc heap'
          : `the interpreter used the ${allocator} allocator: its debug hooks pad every block, so blocks do not sit on pymalloc's grid and are not modelled`;
    return { modelled: false, reason: why };
  }
  const version = facts.pythonVersion ? /^(\d+)\.(\d+)/.exec(facts.pythonVersion) : null;
  if (version) {
    const major = Number(version[1]);
    const minor = Number(version[2]);
    if (major === 3 && minor <= 7)
      return {
        modelled: false,
        reason: `CPython ${facts.pythonVersion} aligns pymalloc blocks to 8 bytes (3.8+ to 16): not modelled`,
      };
    const large = major > 3 || minor >= 10;
    return {
      modelled: true,
      geometry: {
        ...(large ? LARGE : SMALL),
        source: `CPython ${facts.pythonVersion} (capture header): ${large ? '16 KiB pools in 1 MiB arenas (3.10+)' : '4 KiB pools in 256 KiB arenas (3.8–3.9)'}`,
      },
    };
  }
  if (fit.small === 0)
    return {
      modelled: true,
      geometry: {
        ...LARGE,
        source:
          'no Python version in the header and no small blocks to infer from: assumed CPython 3.10+ (16 KiB pools, 1 MiB arenas)',
      },
    };
  const share16 = fit.fit16 / fit.small;
  const share4 = fit.fit4 / fit.small;
  const evidence = `${pct(fit.fit16, fit.small)} of ${fit.small.toLocaleString('en-US')} small blocks sat on the 16 KiB-pool block grid, ${pct(fit.fit4, fit.small)} on the 4 KiB one`;
  // A block on the 16 KiB grid is on the 4 KiB grid only by chance, and vice versa, except for
  // block sizes dividing 4096: so the right grid holds (nearly) all of them, the wrong one fewer.
  if (share16 >= INFER_MIN_SHARE && share16 >= share4)
    return {
      modelled: true,
      geometry: {
        ...LARGE,
        source: `inferred from addresses (no Python version in the header): ${evidence}; CPython 3.10+ geometry`,
      },
    };
  if (share4 >= INFER_MIN_SHARE)
    return {
      modelled: true,
      geometry: {
        ...SMALL,
        source: `inferred from addresses (no Python version in the header): ${evidence}; CPython 3.8–3.9 geometry`,
      },
    };
  return {
    modelled: false,
    reason: `the small blocks fit neither pymalloc geometry (${evidence}): an interpreter older than 3.8 or with debug hooks; not modelled`,
  };
}
