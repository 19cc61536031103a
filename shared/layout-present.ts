/**
 * A memory layout (shared/layout.ts) for people, without a DOM: what the app's Memory layout
 * view and the HTML report's layout section both draw and say — the pymalloc hierarchy in words,
 * the arena rows and their pool slots, the RSS split, the brk heap's segments. Imports only
 * shared/.
 */
import type {
  BrkHeap,
  LayoutLimit,
  MemoryLayout,
  PymallocArena,
  PymallocGeometry,
  PymallocLayout,
} from './layout';
import { formatBytes, formatExactBytes, formatPercent, type UnitSystem } from './units';

/** 0x7f3a12340000: addresses are below 2^48, exact in a double. */
export function hexAddress(address: number): string {
  return `0x${Math.max(0, Math.floor(address)).toString(16)}`;
}

/**
 * A power-of-two size of pymalloc's geometry, written exactly: "16 KiB (16,384 B)". These are
 * binary by definition (POOL_SIZE = 2^14), so they keep their IEC label whatever the unit choice.
 */
export function geometrySize(bytes: number): string {
  return `${formatBytes(bytes, 'iec').replace(/\.0 /, ' ')} (${formatExactBytes(bytes)})`;
}

/** Pool slots per arena row: ARENA_SIZE / POOL_SIZE (64 for both geometries CPython has had). */
export function poolSlots(g: Pick<PymallocGeometry, 'arenaBytes' | 'poolBytes'>): number {
  return Math.max(1, Math.round(g.arenaBytes / g.poolBytes));
}

/** Blocks a pool of this size class holds: (POOL_SIZE − POOL_OVERHEAD) / block size. */
export function blocksPerPool(g: PymallocGeometry, blockBytes: number): number {
  return Math.floor((g.poolBytes - g.poolOverheadBytes) / Math.max(blockBytes, g.alignmentBytes));
}

/**
 * heap → arenas → pools → blocks, one sentence per level, with this capture's sizes: the legend
 * beside the picture, for someone who has only seen the hierarchy drawn in a blog post.
 */
export function hierarchyLegend(g: PymallocGeometry): { level: string; text: string }[] {
  const slots = poolSlots(g);
  const smallest = blocksPerPool(g, g.alignmentBytes);
  const largest = blocksPerPool(g, g.smallRequestMaxBytes);
  return [
    {
      level: 'Arena',
      text: `${geometrySize(g.arenaBytes)} of address space pymalloc maps from the OS at a time; one row here. pymalloc gives an arena back only when every pool in it is free.`,
    },
    {
      level: 'Pool',
      text: `${geometrySize(g.poolBytes)}, one of the ${slots} slots of its arena; one cell here. A pool holds blocks of one size class only, after a ${g.poolOverheadBytes} B header. An empty slot is a free pool.`,
    },
    {
      level: 'Block',
      text: `One object's memory: requests of 1–${g.smallRequestMaxBytes} B are rounded up to a size class (${g.alignmentBytes} B apart), from ${smallest.toLocaleString('en-US')} blocks per pool at ${g.alignmentBytes} B to ${largest} at ${g.smallRequestMaxBytes} B. Larger requests go to malloc, not to pools.`,
    },
  ];
}

/** Live requested bytes / arena bytes: how much of the arena live blocks use. */
export function arenaUsage(
  a: Pick<PymallocArena, 'liveBytes'>,
  g: Pick<PymallocGeometry, 'arenaBytes'>,
): number {
  return a.liveBytes / Math.max(1, g.arenaBytes);
}

/** The layout's own rule for a sparse arena (live bytes at most `sparseShare` of it). */
export function isSparseArena(a: Pick<PymallocArena, 'liveBytes'>, p: PymallocLayout): boolean {
  return !!p.geometry && a.liveBytes <= p.sparseShare * p.geometry.arenaBytes;
}

/** One pool in use, where it sits: arena row `arena` (its rank by address), pool slot `slot`. */
export interface PoolSlot {
  /** Rank of its arena in `arenaList` (lowest address 0). */
  arena: number;
  arenaAddress: number;
  slot: number;
  address: number;
  blockBytes: number;
  blocks: number;
  capacity: number;
  liveBytes: number;
}

/** The pools of one arena with their slots and addresses (from the column arrays). */
export function arenaPools(p: PymallocLayout, arena: number): PoolSlot[] {
  const a = p.arenaList[arena];
  const g = p.geometry;
  if (!a || !g) return [];
  return a.poolIndex.map((slot, i) => ({
    arena,
    arenaAddress: a.address,
    slot,
    address: a.address + slot * g.poolBytes,
    blockBytes: a.poolBlockBytes[i],
    blocks: a.poolBlocks[i],
    capacity: a.poolCapacity[i],
    liveBytes: a.poolLiveBytes[i],
  }));
}

/** Blocks in use / blocks the pool holds. */
export function poolOccupancy(pool: Pick<PoolSlot, 'blocks' | 'capacity'>): number {
  return pool.capacity > 0 ? Math.min(1, pool.blocks / pool.capacity) : 0;
}

/** What RSS is made of at a moment: live tracked heap, held by allocators (estimate), the rest. */
export interface RssSplit {
  rssBytes?: number;
  heapBytes: number;
  heldBytes: number;
  /** max(0, RSS − heap − held); absent without RSS. */
  restBytes?: number;
}

export function rssSplit(l: Pick<MemoryLayout, 'rssBytes' | 'heapBytes' | 'heldBytes'>): RssSplit {
  return {
    ...(l.rssBytes !== undefined && {
      rssBytes: l.rssBytes,
      restBytes: Math.max(0, l.rssBytes - l.heapBytes - l.heldBytes),
    }),
    heapBytes: l.heapBytes,
    heldBytes: l.heldBytes,
  };
}

/** The brk heap cut into `n` equal address segments (the last one ends at the top). */
export function heapSegments(
  brk: Pick<BrkHeap, 'fromAddress' | 'topAddress'>,
  n: number,
): { fromAddress: number; toAddress: number }[] {
  const span = Math.max(0, brk.topAddress - brk.fromAddress);
  const count = span > 0 ? Math.max(1, Math.min(n, Math.ceil(span / 16))) : 0;
  const out: { fromAddress: number; toAddress: number }[] = [];
  for (let i = 0; i < count; i++) {
    const fromAddress = brk.fromAddress + Math.floor((span * i) / count);
    const toAddress =
      i === count - 1 ? brk.topAddress : brk.fromAddress + Math.floor((span * (i + 1)) / count);
    out.push({ fromAddress, toAddress });
  }
  return out;
}

/** Where the pinning allocation starts, as a share of the strip [fromAddress, topAddress). */
export function pinPosition(brk: BrkHeap): number | null {
  if (!brk.pin) return null;
  const span = brk.topAddress - brk.fromAddress;
  return span > 0 ? Math.min(1, Math.max(0, (brk.pin.address - brk.fromAddress) / span)) : 1;
}

/** "4.1 kB PYMALLOC_MALLOC block from load at cache.py:12" (no function: the file and line). */
export function pinText(brk: BrkHeap, units: UnitSystem): string | null {
  const pin = brk.pin;
  if (!pin) return null;
  const where = pin.file ? `${pin.file.split('/').pop()}:${pin.line}` : '';
  const site = pin.function
    ? where
      ? `${pin.function} at ${where}`
      : pin.function
    : where || 'an unknown site';
  return `${formatBytes(pin.size, units)} ${pin.allocator} block from ${site}`;
}

function rgb(hex: string): [number, number, number] {
  const h = hex.trim().replace('#', '');
  const n = parseInt(h.length === 3 ? [...h].map((c) => c + c).join('') : h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `a` blended toward `b` by t ∈ [0, 1], as #rrggbb (colours as #rgb or #rrggbb). */
export function mixColor(a: string, b: string, t: number): string {
  const x = rgb(a);
  const y = rgb(b);
  const k = Math.min(1, Math.max(0, t));
  return `#${x
    .map((v, i) => Math.round(v + (y[i] - v) * k))
    .map((v) => v.toString(16).padStart(2, '0'))
    .join('')}`;
}

/** Lightest in-use shade: a pool with one block must still read as "in use", not as free. */
const MIN_SHADE = 0.35;

/**
 * How far a pool's fill goes from the empty colour toward the full one for an occupancy: the
 * app's grid and the report's picture shade alike.
 */
export function occupancyShade(share: number): number {
  return MIN_SHADE + (1 - MIN_SHADE) * Math.min(1, Math.max(0, share));
}

/** "12 % used" with a share that never rounds a non-empty arena to "0 %". */
export function usedText(share: number): string {
  if (share > 0 && share < 0.01) return '<1% used';
  return `${formatPercent(share, 0)} used`;
}

/**
 * A layout finding's evidence and its remedies apart ("… Remedies (suggestions): …"), so a view
 * can show the evidence and fold the remedies; the whole text as evidence when it has none.
 */
export function splitRemedies(text: string): { evidence: string; remedies?: string } {
  const m = /\s(Remed(?:y|ies) \(suggestions?\):\s*)/.exec(text);
  if (!m) return { evidence: text };
  return { evidence: text.slice(0, m.index).trim(), remedies: text.slice(m.index + m[0].length).trim() };
}

/** What each part of a layout is called when the capture cannot show it (LayoutLimit.part). */
export const LIMIT_PART_NAMES: Record<LayoutLimit['part'], string> = {
  pymalloc: 'pymalloc arenas and pools',
  'malloc-heap': 'The malloc heap',
  mappings: 'Allocator-owned mappings',
  sites: 'Stacks of the live blocks',
  layout: 'The layout',
};

/** "pymalloc arenas and pools: <reason>. To record a capture that shows it: <command>" */
export function limitText(limit: LayoutLimit): { part: string; reason: string; howToRecord?: string } {
  return {
    part: LIMIT_PART_NAMES[limit.part] ?? limit.part,
    reason: `${limit.reason.replace(/\.$/, '')}.`,
    ...(limit.howToRecord && { howToRecord: limit.howToRecord }),
  };
}

/** "Peak (at 0.285 s)": a moment's label as a heading. */
export function momentHeading(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
