/**
 * The Memory layout view's pure parts: arena rows and pool slots, the grid and size-class
 * options, colours, the brk heap's segments, the hierarchy's words and the timeline's RSS
 * bands — each checked against numbers worked out here by hand from a small layout.
 */
import { describe, expect, it } from 'vitest';
import type { LayoutBands, MemoryLayout, PymallocArena, PymallocLayout, Timeline } from '@shared/api';
import {
  blocksPerPool,
  geometrySize,
  heapSegments,
  hexAddress,
  hierarchyLegend,
  limitText,
  mixColor,
  momentHeading,
  pinPosition,
  pinText,
  rssSplit,
  splitRemedies,
  usedText,
} from '@shared/layout-present';
import { PALETTES } from '../../renderer/charts/palette';
import {
  ARENA_PAGE,
  arenaRows,
  buildArenaGridOption,
  buildSizeClassOption,
  LAYOUT_SERIES,
  occupancyColor,
  poolTooltip,
  rowPools,
} from '../../renderer/charts/layout';
import { BAND_NAMES, buildTimelineOption, TIMELINE_SERIES } from '../../renderer/charts/timeline';

const palette = PALETTES.dark;
const POOL = 16384;
const ARENA = 1 << 20;
const GEOMETRY = {
  poolBytes: POOL,
  arenaBytes: ARENA,
  poolOverheadBytes: 48,
  alignmentBytes: 16,
  smallRequestMaxBytes: 512,
  source: 'Python 3.11 (header): 16 KiB pools in 1 MiB arenas',
};

/** An arena at `address` with pools at the given slots: [slot, block size, blocks, live bytes]. */
function arena(address: number, pools: [number, number, number, number][]): PymallocArena {
  const capacity = (bs: number) => Math.floor((POOL - 48) / bs);
  return {
    address,
    pools: pools.length,
    blocks: pools.reduce((s, p) => s + p[2], 0),
    capacity: pools.reduce((s, p) => s + capacity(p[1]), 0),
    liveBytes: pools.reduce((s, p) => s + p[3], 0),
    poolIndex: pools.map((p) => p[0]),
    poolBlockBytes: pools.map((p) => p[1]),
    poolBlocks: pools.map((p) => p[2]),
    poolCapacity: pools.map((p) => capacity(p[1])),
    poolLiveBytes: pools.map((p) => p[3]),
  };
}

const A0 = 0x7f0000000000;
const ARENAS = [
  // full-ish: 3 pools
  arena(A0, [
    [0, 64, 250, 15_000],
    [1, 64, 255, 16_320],
    [5, 512, 31, 15_872],
  ]),
  // sparse: one block
  arena(A0 + ARENA, [[63, 32, 1, 30]]),
  // half: 40 pools of 256 B blocks, all full
  arena(
    A0 + 4 * ARENA,
    Array.from({ length: 40 }, (_, i) => [i + 10, 256, 63, 63 * 250] as [number, number, number, number]),
  ),
];

function pymalloc(patch: Partial<PymallocLayout> = {}): PymallocLayout {
  return {
    modelled: true,
    geometry: GEOMETRY,
    liveBytes: 0,
    liveBlocks: 0,
    blockBytes: 0,
    pools: 44,
    poolBytes: 44 * POOL,
    arenas: 3,
    arenaBytes: 3 * ARENA,
    heldBytes: 0,
    inPoolFreeBytes: 0,
    freePoolBytes: 0,
    sparseArenas: 1,
    sparseShare: 0.25,
    sizeClasses: [
      { blockBytes: 512, pools: 1, blocks: 31, capacity: 31, liveBytes: 15_872 },
      { blockBytes: 32, pools: 1, blocks: 1, capacity: 510, liveBytes: 30 },
      { blockBytes: 64, pools: 2, blocks: 505, capacity: 510, liveBytes: 31_320 },
    ],
    arenaList: ARENAS,
    arenasOmitted: 0,
    outside: { blocks: 0, bytes: 0, windows: 0, rule: '' },
    pinning: [],
    rules: [],
    ...patch,
  };
}

type Custom = {
  id: string;
  data: unknown[];
  renderItem: (
    params: { dataIndex: number },
    api: unknown,
  ) => {
    type: string;
    shape: unknown;
    style: Record<string, unknown>;
    children?: { style: Record<string, unknown> }[];
  };
};

/** A stand-in for ECharts' renderItem api: slot x, row y → pixels (10 px per slot, 12 per row). */
const api = {
  coord: ([x, y]: number[]) => [100 + x * 10, 20 + y * 12],
  size: () => [10, 12],
  value: () => 0,
};

describe('arena rows and pool slots', () => {
  it('lists every pool of every arena at its slot and address, arenas by address', () => {
    const p = pymalloc();
    const { rows, pages } = arenaRows(p);
    expect(pages).toBe(1);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2]);
    const pools = rowPools(p, rows);
    expect(pools.length).toBe(3 + 1 + 40);
    const last = pools.find((x) => x.row === 1)!;
    expect(last).toMatchObject({
      slot: 63,
      address: A0 + ARENA + 63 * POOL,
      blockBytes: 32,
      blocks: 1,
      capacity: 510,
    });
    // arena 2's pools sit at slots 10..49
    expect(pools.filter((x) => x.row === 2).map((x) => x.slot)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 10),
    );
  });

  it('marks sparse arenas by the layout rule and puts the emptiest first on request', () => {
    const p = pymalloc();
    const { rows } = arenaRows(p, { order: 'emptiest' });
    // usages: 47,192 / 1 MiB = 4.5 %; 30 B; 40 × 15,750 B = 60 %
    expect(rows.map((r) => r.index)).toEqual([1, 0, 2]);
    expect(rows.map((r) => r.sparse)).toEqual([true, true, false]);
    expect(rows[2].usage).toBeCloseTo((40 * 63 * 250) / ARENA, 10);
  });

  it('pages arenas and clamps the page', () => {
    const many = Array.from({ length: ARENA_PAGE * 2 + 5 }, (_, i) =>
      arena(A0 + i * ARENA, [[0, 16, 1, 16]]),
    );
    const p = pymalloc({ arenaList: many });
    expect(arenaRows(p).pages).toBe(3);
    const last = arenaRows(p, { page: 99 });
    expect(last.page).toBe(2);
    expect(last.rows.map((r) => r.index)).toEqual([128, 129, 130, 131, 132]);
  });

  it('draws one filled cell per pool, one outline per free slot and one bar per arena', () => {
    const p = pymalloc();
    const { rows } = arenaRows(p);
    const pools = rowPools(p, rows);
    const o = buildArenaGridOption(p, rows, pools, { palette });
    const series = o.series as Custom[];
    const byId = (id: string) => series.find((s) => s.id === id)!;
    expect(byId(LAYOUT_SERIES.pools).data.length).toBe(44);
    expect(byId(LAYOUT_SERIES.freeSlots).data.length).toBe(3 * 64 - 44);
    expect(byId(LAYOUT_SERIES.arenas).data.length).toBe(3);
    // the sparse arena's slot 63 is a pool, slot 0 of that row is free
    const free = byId(LAYOUT_SERIES.freeSlots).data as [number, number][];
    expect(free).toContainEqual([0, 1]);
    expect(free).not.toContainEqual([63, 1]);
    // a pool's fill is its occupancy's colour; 255 of 255 blocks is the full colour
    const full = byId(LAYOUT_SERIES.pools).renderItem({ dataIndex: 1 }, api);
    expect(full.style.fill).toBe(occupancyColor(1, palette));
    expect(full.style.fill).toBe(palette.families.pymalloc.toLowerCase());
    expect(full.shape).toEqual({ x: 100 + 10 - 5 + 0.5, y: 20 - 6 + 1, width: 9, height: 10 });
    // the sparse arena's bar is drawn in the warning colour
    const bar = byId(LAYOUT_SERIES.arenas).renderItem({ dataIndex: 1 }, api);
    expect(bar.children![1].style.fill).toBe(palette.truncation);
  });

  it('outlines the selected pool and the selected arena', () => {
    const p = pymalloc();
    const { rows } = arenaRows(p);
    const pools = rowPools(p, rows);
    const o = buildArenaGridOption(p, rows, pools, {
      palette,
      selected: { kind: 'pool', address: A0 + 5 * POOL },
    });
    const s = (o.series as Custom[]).find((x) => x.id === LAYOUT_SERIES.pools)!;
    expect(s.renderItem({ dataIndex: 2 }, api).style.stroke).toBe(palette.text);
    expect(s.renderItem({ dataIndex: 0 }, api).style.stroke).toBeUndefined();
    const o2 = buildArenaGridOption(p, rows, pools, { palette, selected: { kind: 'sparse-arenas' } });
    const bars = (o2.series as Custom[]).find((x) => x.id === LAYOUT_SERIES.arenas)!;
    expect(bars.renderItem({ dataIndex: 0 }, api).children![0].style.stroke).toBe(palette.text);
    expect(bars.renderItem({ dataIndex: 2 }, api).children![0].style.stroke).toBeUndefined();
  });

  it('says where a pool is and how full, in the chosen units', () => {
    const [pool] = rowPools(pymalloc(), arenaRows(pymalloc()).rows);
    const text = poolTooltip(pool, 'iec');
    expect(text).toContain(hexAddress(A0));
    expect(text).toContain('size class 64 B: 250 of 255 blocks in use (98%)');
    expect(text).toContain('14.6 KiB'); // 15,000 B
    expect(text).toContain('15.6 KiB'); // 250 × 64 B of blocks
  });
});

describe('colours', () => {
  it('blends between two colours', () => {
    expect(mixColor('#000000', '#ffffff', 0.5)).toBe('#808080');
    expect(mixColor('#102030', '#102030', 0.3)).toBe('#102030');
    expect(mixColor('#000', '#fff', 2)).toBe('#ffffff');
  });

  it('shades occupancy from a faint tint to the full colour, darker never meaning emptier', () => {
    const lum = (hex: string) => {
      const n = parseInt(hex.slice(1), 16);
      return ((n >> 16) & 255) + ((n >> 8) & 255) + (n & 255);
    };
    const steps = [0, 0.1, 0.5, 0.9, 1].map((s) => occupancyColor(s, PALETTES.light));
    // light theme: from near the grey split colour toward the stronger blue
    for (let i = 1; i < steps.length; i++) expect(lum(steps[i])).toBeLessThanOrEqual(lum(steps[i - 1]));
    expect(occupancyColor(0, palette)).not.toBe(palette.split);
  });
});

describe('size classes', () => {
  it('stacks live blocks and free blocks at their class size, smallest class first', () => {
    const o = buildSizeClassOption(pymalloc(), palette);
    const x = (o.xAxis as { data: string[] }).data;
    expect(x).toEqual(['32', '64', '512']);
    const series = o.series as { id: string; data: number[] }[];
    expect(series.find((s) => s.id === LAYOUT_SERIES.classLive)!.data).toEqual([1 * 32, 505 * 64, 31 * 512]);
    expect(series.find((s) => s.id === LAYOUT_SERIES.classFree)!.data).toEqual([509 * 32, 5 * 64, 0]);
  });
});

describe('the brk heap strip', () => {
  it('cuts [from, top) into contiguous segments that cover it exactly', () => {
    const brk = { fromAddress: 0x555500000000, topAddress: 0x555500000000 + 1_000_003 };
    const s = heapSegments(brk, 40);
    expect(s.length).toBe(40);
    expect(s[0].fromAddress).toBe(brk.fromAddress);
    expect(s.at(-1)!.toAddress).toBe(brk.topAddress);
    for (let i = 1; i < s.length; i++) expect(s[i].fromAddress).toBe(s[i - 1].toAddress);
    const widths = s.map((x) => x.toAddress - x.fromAddress);
    expect(Math.max(...widths) - Math.min(...widths)).toBeLessThanOrEqual(1);
    // a tiny heap gets fewer, 16-byte-or-wider segments; an empty one none
    expect(heapSegments({ fromAddress: 100, topAddress: 164 }, 40).length).toBe(4);
    expect(heapSegments({ fromAddress: 100, topAddress: 100 }, 40)).toEqual([]);
  });

  it('places the pin where the highest live allocation starts and names it', () => {
    const brk = {
      fromAddress: 1000,
      topAddress: 2000,
      liveBytes: 300,
      liveCount: 3,
      freeBelowTopBytes: 700,
      pin: {
        address: 1900,
        size: 100,
        allocator: 'malloc',
        key: 'k',
        function: 'load',
        file: '/app/cache.py',
        line: 12,
      },
    };
    expect(pinPosition(brk)).toBeCloseTo(0.9, 12);
    expect(pinText(brk, 'si')).toBe('100 B malloc block from load at cache.py:12');
    expect(pinPosition({ ...brk, pin: undefined })).toBeNull();
  });
});

describe('words', () => {
  it('names the hierarchy with the geometry’s exact sizes and blocks per pool', () => {
    const l = hierarchyLegend(GEOMETRY);
    expect(l.map((x) => x.level)).toEqual(['Arena', 'Pool', 'Block']);
    expect(l[0].text).toContain('1 MiB (1,048,576 B)');
    expect(l[1].text).toContain('16 KiB (16,384 B), one of the 64 slots');
    // (16384 − 48) / 16 = 1021, (16384 − 48) / 512 = 31
    expect(l[2].text).toContain('from 1,021 blocks per pool at 16 B to 31 at 512 B');
    const small = { ...GEOMETRY, poolBytes: 4096, arenaBytes: 256 << 10 };
    expect(blocksPerPool(small, 16)).toBe(253);
    expect(blocksPerPool(small, 512)).toBe(7);
    expect(hierarchyLegend(small)[1].text).toContain('4 KiB (4,096 B), one of the 64 slots');
    expect(geometrySize(256 << 10)).toBe('256 KiB (262,144 B)');
  });

  it('splits RSS into heap, held and the rest, never below zero', () => {
    expect(rssSplit({ rssBytes: 1000, heapBytes: 600, heldBytes: 100 })).toEqual({
      rssBytes: 1000,
      heapBytes: 600,
      heldBytes: 100,
      restBytes: 300,
    });
    expect(rssSplit({ rssBytes: 500, heapBytes: 600, heldBytes: 100 }).restBytes).toBe(0);
    expect(
      rssSplit({ heapBytes: 600, heldBytes: 100 } as Pick<MemoryLayout, 'heapBytes' | 'heldBytes'>),
    ).toEqual({
      heapBytes: 600,
      heldBytes: 100,
    });
  });

  it('folds a finding’s remedies apart from its evidence', () => {
    expect(
      splitRemedies('pymalloc holds 9 MB. Remedies (suggestions): clear caches; or PYTHONMALLOC=malloc.'),
    ).toEqual({
      evidence: 'pymalloc holds 9 MB.',
      remedies: 'clear caches; or PYTHONMALLOC=malloc.',
    });
    expect(splitRemedies('3 heaps hold 9 MB. Remedy (suggestion): MALLOC_ARENA_MAX=2.').remedies).toBe(
      'MALLOC_ARENA_MAX=2.',
    );
    expect(splitRemedies('RSS 54 MB at the end.')).toEqual({ evidence: 'RSS 54 MB at the end.' });
  });

  it('names the part a capture cannot show and how to record one that can', () => {
    expect(
      limitText({ part: 'mappings', reason: 'no native stacks.', howToRecord: 'memray run --native …' }),
    ).toEqual({
      part: 'Allocator-owned mappings',
      reason: 'no native stacks.',
      howToRecord: 'memray run --native …',
    });
    expect(limitText({ part: 'pymalloc', reason: 'not traced' })).toEqual({
      part: 'pymalloc arenas and pools',
      reason: 'not traced.',
    });
    expect(momentHeading('peak (at 0.285 s)')).toBe('Peak (at 0.285 s)');
  });

  it('never rounds a used arena to 0 %', () => {
    expect(usedText(0.004)).toBe('<1% used');
    expect(usedText(0)).toBe('0% used');
    expect(usedText(0.256)).toBe('26% used');
  });
});

describe('RSS bands on the timeline', () => {
  const timeline: Timeline = {
    timeMs: [0, 100, 200, 400],
    heapBytes: [0, 1000, 4000, 500],
    rssBytes: [5000, 6000, null, 7000],
    allocatedBytes: [0, 1000, 3000, 100],
    allocationCount: [0, 1, 2, 1],
    peak: { timeMs: 200, bytes: 4000 },
    durationMs: 400,
  };
  const bands: LayoutBands = {
    timeMs: [100, 200, 400],
    kind: ['at', 'peak', 'end'],
    rssBytes: [6000, null, 7000],
    heapBytes: [1000, 4000, 500],
    heldBytes: [2000, 1500, 3000],
    restBytes: [3000, null, 3500],
    rule: 'pymalloc arenas beyond live blocks.',
  };
  type S = { id?: string; name?: string; stack?: string; data?: unknown[]; areaStyle?: unknown };

  it('stacks heap, held and rest at the layout points, under the heap line, named as estimates', () => {
    const o = buildTimelineOption(timeline, { palette, bands });
    const s = o.series as S[];
    const ids = s.map((x) => x.id);
    expect(ids.slice(0, 3)).toEqual([
      TIMELINE_SERIES.bandHeap,
      TIMELINE_SERIES.bandHeld,
      TIMELINE_SERIES.bandRest,
    ]);
    for (const x of s.slice(0, 3)) expect(x.stack).toBe('rss-bands');
    expect(s[1].name).toBe(BAND_NAMES.held);
    expect(BAND_NAMES.held).toMatch(/estimate/);
    expect(s[0].data).toEqual([
      [100, 1000],
      [200, 4000],
      [400, 500],
    ]);
    expect(s[2].data).toEqual([
      [100, 3000],
      [200, null],
      [400, 3500],
    ]);
    // the stack's top is RSS where RSS is known
    for (const i of [0, 2])
      expect(bands.heapBytes[i] + bands.heldBytes[i] + bands.restBytes[i]!).toBe(bands.rssBytes[i]);
    const legend = (o.legend as { data: string[] }).data;
    expect(legend).toEqual(expect.arrayContaining(Object.values(BAND_NAMES)));
    // the heap line's own shading would double the live band's
    expect(s.find((x) => x.id === TIMELINE_SERIES.heap)!.areaStyle).toBeUndefined();
  });

  it('draws no rest band without RSS, and nothing without bands', () => {
    const noRss = { ...bands, rssBytes: [null, null, null], restBytes: [null, null, null] };
    const ids = (buildTimelineOption(timeline, { palette, bands: noRss }).series as S[]).map((x) => x.id);
    expect(ids).toContain(TIMELINE_SERIES.bandHeld);
    expect(ids).not.toContain(TIMELINE_SERIES.bandRest);
    const plain = buildTimelineOption(timeline, { palette }).series as S[];
    expect(plain.some((x) => x.id?.startsWith('band-'))).toBe(false);
    expect(plain.find((x) => x.id === TIMELINE_SERIES.heap)!.areaStyle).toBeDefined();
  });

  it('dates a band’s value in the tooltip by its own point', () => {
    const o = buildTimelineOption(timeline, { palette, bands });
    const fmt = (o.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = fmt([
      { seriesName: 'Heap', value: [150, 2000], color: '#fff' },
      { seriesName: BAND_NAMES.held, value: [100, 2000], color: '#fff' },
    ]);
    expect(html).toContain('Held by allocators (estimate): 2.0 kB (2,000 B) at 100 ms');
    expect(html).not.toMatch(/Heap: [^<]* at /);
  });
});
