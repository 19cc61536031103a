import type { LayoutBands } from '../../../shared/layout';
import type { LayoutInput, PageStates } from '../../model/layout-input';
import { chooseGeometry } from './geometry';
import { buildMemoryLayout } from './memory-layout';
import { arenaGrid, buildPools, pymallocLayout } from './pymalloc';

export interface BandsSource {
  /** The layout input at a moment (the end one with live allocations). */
  input(at: { kind: 'peak' } | { kind: 'end' }, withLive: boolean): LayoutInput;
  forEachCheckpoint(
    fn: (k: number, pages: PageStates, heap: number, rss: number, timeMs: number) => void,
  ): void;
}

export const BANDS_RULE =
  'Held by allocators (estimate): pymalloc’s arena bytes beyond its live small blocks at every point (arenas inferred from the pools in use); at the end of tracking also the malloc heap’s free space below its top, thread-arena heaps’ free space and preloaded-allocator mappings beyond their live blocks, which are known only there. Rest = RSS − live heap − held, at least 0.';

/** RSS split into live heap, allocator-held and the rest at the checkpoints, the peak and the end. */
export function layoutBands(source: BandsSource): LayoutBands {
  const end = source.input({ kind: 'end' }, true);
  const choice = chooseGeometry(end.facts, end.fit);
  const geometry = choice.modelled && end.facts.tracePythonAllocators !== false ? choice.geometry : undefined;
  const grid = geometry && arenaGrid(end.everPages, geometry);
  const points: {
    kind: 'at' | 'peak' | 'end';
    timeMs: number;
    rss: number | null;
    heap: number;
    held: number;
  }[] = [];
  source.forEachCheckpoint((_k, pages, heap, rss, timeMs) => {
    const held = geometry
      ? pymallocLayout(buildPools(pages, geometry, grid), geometry, 0).layout.heldBytes
      : 0;
    points.push({ kind: 'at', timeMs, rss: rss > 0 ? rss : null, heap, held });
  });
  for (const input of [source.input({ kind: 'peak' }, false), end]) {
    const layout = buildMemoryLayout(input, { maxArenas: 0 });
    points.push({
      kind: input.moment.kind,
      timeMs: input.moment.timeMs,
      rss: input.rssBytes ?? null,
      heap: input.heapBytes,
      held: layout.heldBytes,
    });
  }
  // time order; the end stays last (a checkpoint can share its time)
  const last = points.pop()!;
  points.sort((a, b) => a.timeMs - b.timeMs);
  points.push(last);
  return {
    timeMs: points.map((p) => p.timeMs),
    kind: points.map((p) => p.kind),
    rssBytes: points.map((p) => p.rss),
    heapBytes: points.map((p) => p.heap),
    heldBytes: points.map((p) => p.held),
    restBytes: points.map((p) => (p.rss === null ? null : Math.max(0, p.rss - p.heap - p.held))),
    rule: BANDS_RULE,
  };
}
