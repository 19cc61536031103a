/**
 * The Memory layout view's charts: pymalloc's arenas as rows of pool slots coloured by how full
 * each pool is, and the size classes' blocks. Pure option builders over a MemoryLayout (tested
 * without a DOM); the words and geometry come from shared/layout-present.ts, which the HTML
 * report uses too.
 */
import type { CustomSeriesRenderItem, CustomSeriesRenderItemReturn } from 'echarts';
import type { LayoutRegion, PymallocArena, PymallocLayout } from '@shared/layout';
import {
  arenaPools,
  arenaUsage,
  hexAddress,
  isSparseArena,
  mixColor,
  occupancyShade,
  poolOccupancy,
  poolSlots,
  usedText,
  type PoolSlot,
} from '@shared/layout-present';
import { tooltipStyle, type ChartPalette } from './palette';
import type { ChartOption } from './types';
import { escapeHtml, formatBytes, formatBytesTick, formatExactBytes, type UnitSystem } from './format';

/** Series ids, so the view and the tests find series without relying on their order. */
export const LAYOUT_SERIES = {
  pools: 'pools',
  freeSlots: 'free-slots',
  arenas: 'arenas',
  classLive: 'class-live',
  classFree: 'class-free',
} as const;

/** Arena rows shown at once; more arenas are paged (a row is ~14 px). */
export const ARENA_PAGE = 64;

// ---- colours ---------------------------------------------------------------------------------

/** A pool's (or segment's) fill: from a faint tint (nearly empty) to the full colour (full). */
export function occupancyColor(
  share: number,
  palette: ChartPalette,
  full = palette.families.pymalloc,
): string {
  return mixColor(palette.split, full, occupancyShade(share));
}

/** The legend's steps: occupancy 0 %, 25 %, 50 %, 75 %, 100 % and their colours. */
export function occupancyLegend(
  palette: ChartPalette,
  full = palette.families.pymalloc,
): { label: string; color: string }[] {
  return [0.02, 0.25, 0.5, 0.75, 1].map((s) => ({
    label: s < 0.05 ? 'nearly empty' : `${Math.round(s * 100)}%`,
    color: occupancyColor(s, palette, full),
  }));
}

// ---- arena rows ------------------------------------------------------------------------------

export type ArenaOrder = 'address' | 'emptiest';

/** One arena row of the picture. */
export interface ArenaRow {
  /** Rank in `arenaList` (lowest address 0): the arena's name in labels ("arena 3"). */
  index: number;
  arena: PymallocArena;
  usage: number;
  sparse: boolean;
}

/** A page of arena rows: by address, or the emptiest first (the ones a few blocks keep). */
export function arenaRows(
  p: PymallocLayout,
  {
    order = 'address',
    page = 0,
    pageSize = ARENA_PAGE,
  }: { order?: ArenaOrder; page?: number; pageSize?: number } = {},
): { rows: ArenaRow[]; pages: number; page: number } {
  const g = p.geometry;
  if (!g) return { rows: [], pages: 0, page: 0 };
  const all = p.arenaList.map((arena, index) => ({
    index,
    arena,
    usage: arenaUsage(arena, g),
    sparse: isSparseArena(arena, p),
  }));
  if (order === 'emptiest') all.sort((a, b) => a.usage - b.usage || a.index - b.index);
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  const at = Math.min(Math.max(0, page), pages - 1);
  return { rows: all.slice(at * pageSize, (at + 1) * pageSize), pages, page: at };
}

/** The pools of the rows, in row order: what the pool series draws, item by item. */
export function rowPools(p: PymallocLayout, rows: ArenaRow[]): (PoolSlot & { row: number })[] {
  return rows.flatMap((r, row) => arenaPools(p, r.index).map((pool) => ({ ...pool, row })));
}

/** Chart height for `rows` arena rows. */
export function arenaGridHeight(rows: number): number {
  return 34 + Math.max(1, rows) * (rows > 32 ? 12 : 16);
}

/** Where the arena's own bar sits left of its pool slots (in slot units). */
const ARENA_BAR = { from: -9, to: -1.5 };
const ARENA_BAR_MID = (ARENA_BAR.from + ARENA_BAR.to) / 2;

export interface ArenaGridOptions {
  palette: ChartPalette;
  units?: UnitSystem;
  /** The selected region: its pool or arena is outlined. */
  selected?: LayoutRegion | null;
}

function selectedPool(selected: LayoutRegion | null | undefined, address: number): boolean {
  return selected?.kind === 'pool' && selected.address === address;
}

function selectedArena(selected: LayoutRegion | null | undefined, r: ArenaRow): boolean {
  if (!selected) return false;
  if (selected.kind === 'arena') return selected.address === r.arena.address;
  return selected.kind === 'sparse-arenas' && r.sparse;
}

/** Tooltip of one pool: where it is, its size class, how full. */
export function poolTooltip(pool: PoolSlot, units: UnitSystem = 'si'): string {
  const occ = poolOccupancy(pool);
  return [
    `<b>Pool ${escapeHtml(hexAddress(pool.address))}</b>`,
    `arena ${pool.arena}, slot ${pool.slot}`,
    `size class ${pool.blockBytes} B: ${pool.blocks.toLocaleString('en-US')} of ${pool.capacity.toLocaleString('en-US')} blocks in use (${Math.round(occ * 100)}%)`,
    `live requests ${escapeHtml(formatBytes(pool.liveBytes, units))} (${escapeHtml(formatExactBytes(pool.liveBytes))}) in ${escapeHtml(formatBytes(pool.blocks * pool.blockBytes, units))} of blocks`,
    '<i>click: the stacks of its live blocks</i>',
  ].join('<br/>');
}

function arenaTooltip(r: ArenaRow, p: PymallocLayout, units: UnitSystem): string {
  const g = p.geometry!;
  return [
    `<b>Arena ${r.index}</b> ${escapeHtml(hexAddress(r.arena.address))}`,
    `${r.arena.pools} of ${poolSlots(g)} pools in use, ${r.arena.blocks.toLocaleString('en-US')} live blocks`,
    `live requests ${escapeHtml(formatBytes(r.arena.liveBytes, units))} of ${escapeHtml(formatBytes(g.arenaBytes, units))}: ${usedText(r.usage)}`,
    r.sparse
      ? `<b>sparse</b> (at most ${Math.round(p.sparseShare * 100)}% used): a few blocks keep it from the OS`
      : '',
    '<i>click: the stacks of its live blocks</i>',
  ]
    .filter(Boolean)
    .join('<br/>');
}

/**
 * Arenas as rows of pool slots. Each row: the arena's own bar (how much of it live blocks use;
 * sparse ones in the warning colour), then its ARENA_SIZE / POOL_SIZE slots — a filled cell per
 * pool in use, shaded by its occupancy, an outline per free pool.
 */
export function buildArenaGridOption(
  p: PymallocLayout,
  rows: ArenaRow[],
  pools: (PoolSlot & { row: number })[],
  { palette, units = 'si', selected = null }: ArenaGridOptions,
): ChartOption {
  const g = p.geometry;
  const slots = g ? poolSlots(g) : 64;
  const occupied = new Set(pools.map((x) => x.row * slots + x.slot));
  const free: [number, number][] = [];
  rows.forEach((_, row) => {
    for (let s = 0; s < slots; s++) if (!occupied.has(row * slots + s)) free.push([s, row]);
  });

  const cell = (api: Parameters<CustomSeriesRenderItem>[1], x: number, y: number) => {
    const [cx, cy] = api.coord([x, y]) as number[];
    const [w, h] = api.size!([1, 1]) as number[];
    return { x: cx - w / 2 + 0.5, y: cy - h / 2 + 1, width: Math.max(1, w - 1), height: Math.max(1, h - 2) };
  };

  const renderPool: CustomSeriesRenderItem = (params, api): CustomSeriesRenderItemReturn => {
    const pool = pools[params.dataIndex];
    const on = selectedPool(selected, pool.address);
    return {
      type: 'rect',
      shape: cell(api, pool.slot, pool.row),
      style: {
        fill: occupancyColor(poolOccupancy(pool), palette),
        ...(on && { stroke: palette.text, lineWidth: 2 }),
      },
    } as CustomSeriesRenderItemReturn;
  };
  const renderFree: CustomSeriesRenderItem = (params, api): CustomSeriesRenderItemReturn => {
    const [s, row] = free[params.dataIndex];
    const c = cell(api, s, row);
    return {
      type: 'rect',
      shape: {
        x: c.x + 0.5,
        y: c.y + 0.5,
        width: Math.max(1, c.width - 1),
        height: Math.max(1, c.height - 1),
      },
      style: { fill: 'transparent', stroke: palette.split, lineWidth: 1 },
      silent: true,
    } as CustomSeriesRenderItemReturn;
  };
  const renderArena: CustomSeriesRenderItem = (params, api): CustomSeriesRenderItemReturn => {
    const r = rows[params.dataIndex];
    const [x0, cy] = api.coord([ARENA_BAR.from, params.dataIndex]) as number[];
    const [x1] = api.coord([ARENA_BAR.to, params.dataIndex]) as number[];
    const [, h] = api.size!([1, 1]) as number[];
    const height = Math.max(2, h - 4);
    const y = cy - height / 2;
    const width = x1 - x0;
    const color = r.sparse ? palette.truncation : palette.families.pymalloc;
    const on = selectedArena(selected, r);
    return {
      type: 'group',
      children: [
        {
          type: 'rect',
          shape: { x: x0, y, width, height },
          style: { fill: palette.split, ...(on && { stroke: palette.text, lineWidth: 2 }) },
        },
        {
          type: 'rect',
          shape: {
            x: x0,
            y,
            width: Math.max(r.arena.liveBytes > 0 ? 1 : 0, width * Math.min(1, r.usage)),
            height,
          },
          style: { fill: color },
        },
      ],
    } as CustomSeriesRenderItemReturn;
  };

  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      ...tooltipStyle(palette),
      formatter: (params: unknown) => {
        const { seriesId, dataIndex } = params as { seriesId?: string; dataIndex: number };
        if (seriesId === LAYOUT_SERIES.pools)
          return pools[dataIndex] ? poolTooltip(pools[dataIndex], units) : '';
        if (seriesId === LAYOUT_SERIES.arenas)
          return rows[dataIndex] ? arenaTooltip(rows[dataIndex], p, units) : '';
        return '';
      },
    },
    grid: { left: 92, right: 12, top: 26, bottom: 8 },
    xAxis: {
      type: 'value',
      min: ARENA_BAR.from - 0.5,
      max: slots - 0.5,
      position: 'top',
      interval: 8,
      axisLine: { show: false },
      axisTick: { show: false },
      splitLine: { show: false },
      axisLabel: {
        color: palette.subtext,
        fontSize: 10,
        // slot numbers over the pool columns; the arena bar's column is named instead
        formatter: (v: number) => (v === ARENA_BAR_MID ? 'arena use' : v >= 0 ? `pool ${v}` : ''),
        customValues: [ARENA_BAR_MID, ...Array.from({ length: Math.ceil(slots / 8) }, (_, i) => i * 8)],
      },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => `arena ${r.index}`),
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: {
        fontSize: 11,
        interval: 0,
        color: palette.subtext,
        formatter: (value: string, i: number) => {
          const r = rows[i];
          return r ? `${value} ${usedText(r.usage).replace(' used', '')}` : value;
        },
      },
    },
    series: [
      {
        id: LAYOUT_SERIES.freeSlots,
        type: 'custom',
        renderItem: renderFree,
        data: free,
        silent: true,
        animation: false,
        progressive: 0,
        z: 1,
      },
      {
        id: LAYOUT_SERIES.pools,
        type: 'custom',
        renderItem: renderPool,
        data: pools.map((x) => [x.slot, x.row, poolOccupancy(x)]),
        animation: false,
        progressive: 0,
        z: 2,
      },
      {
        id: LAYOUT_SERIES.arenas,
        type: 'custom',
        renderItem: renderArena,
        data: rows.map((r, row) => [ARENA_BAR.from, row, r.usage]),
        animation: false,
        progressive: 0,
        z: 2,
      },
    ],
  } as ChartOption;
}

// ---- size classes ----------------------------------------------------------------------------

/**
 * Blocks per size class, in bytes at the class size: live blocks, and the free blocks of the
 * pools in use (what a pool of that class could still hand out without a new pool).
 */
export function buildSizeClassOption(
  p: PymallocLayout,
  palette: ChartPalette,
  units: UnitSystem = 'si',
): ChartOption {
  const classes = [...p.sizeClasses].sort((a, b) => a.blockBytes - b.blockBytes);
  const live = classes.map((c) => c.blocks * c.blockBytes);
  const free = classes.map((c) => Math.max(0, c.capacity - c.blocks) * c.blockBytes);
  return {
    animation: false,
    legend: { top: 0, right: 8, textStyle: { color: palette.text } },
    grid: { left: 64, right: 12, top: 30, bottom: 44 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      ...tooltipStyle(palette),
      formatter: (params: unknown) => {
        const items = (Array.isArray(params) ? params : [params]) as { dataIndex: number }[];
        const c = classes[items[0]?.dataIndex ?? -1];
        if (!c) return '';
        const waste = c.blocks * c.blockBytes - c.liveBytes;
        return [
          `<b>${c.blockBytes} B blocks</b>: ${c.pools.toLocaleString('en-US')} pools`,
          `${c.blocks.toLocaleString('en-US')} of ${c.capacity.toLocaleString('en-US')} blocks in use (${Math.round((100 * c.blocks) / Math.max(1, c.capacity))}%)`,
          `live requests ${escapeHtml(formatBytes(c.liveBytes, units))} (${escapeHtml(formatExactBytes(c.liveBytes))})`,
          `rounding up to ${c.blockBytes} B: ${escapeHtml(formatBytes(Math.max(0, waste), units))}`,
          `free blocks in these pools: ${escapeHtml(formatBytes(free[items[0].dataIndex], units))}`,
        ].join('<br/>');
      },
    },
    xAxis: {
      type: 'category',
      name: 'size class',
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: { color: palette.subtext },
      data: classes.map((c) => `${c.blockBytes}`),
      axisLabel: { color: palette.subtext, fontSize: 10 },
      axisLine: { lineStyle: { color: palette.axis } },
    },
    yAxis: {
      type: 'value',
      axisLabel: { color: palette.subtext, formatter: (v: number) => formatBytesTick(v, units) },
      splitLine: { lineStyle: { color: palette.split } },
    },
    series: [
      {
        id: LAYOUT_SERIES.classLive,
        name: 'live blocks',
        type: 'bar',
        stack: 'class',
        barMaxWidth: 22,
        itemStyle: { color: palette.families.pymalloc },
        data: live,
      },
      {
        id: LAYOUT_SERIES.classFree,
        name: 'free blocks in pools in use',
        type: 'bar',
        stack: 'class',
        barMaxWidth: 22,
        itemStyle: { color: occupancyColor(0, palette) },
        data: free,
      },
    ],
  } as ChartOption;
}
