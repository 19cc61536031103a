/**
 * The worker's layout queries (issue 14): the model's layout inputs through main/query/layout.
 * The last moments' parts are kept, so a selection (layoutSites) after a layout does not lay
 * the moment out again, and the RSS bands are computed once per capture.
 */
import type { LayoutBands, LayoutMoment, LayoutSites, MemoryLayout } from '../../shared/api';
import { UnsupportedQuery, type CaptureModel } from '../model/capture-model';
import type { LayoutProvider } from '../model/layout-input';
import type { WorkerArgs } from './protocol';
// Not through ./queries: this module is loaded by the first layout query (handlers.ts).
import { buildLayoutParts, regionKeys, type LayoutParts } from '../query/layout/memory-layout';
import { layoutBands } from '../query/layout/bands';
import { buildTable, pythonLocations } from './queries';

const KEPT_MOMENTS = 3;

interface LayoutCache {
  parts: Map<string, LayoutParts>;
  bands?: LayoutBands;
}

const caches = new WeakMap<CaptureModel, LayoutCache>();

function providerOf(model: CaptureModel): LayoutProvider {
  const p = model.allocatorLayout?.();
  if (!p) {
    const f = model.info().facts;
    throw new UnsupportedQuery(
      `${f.fileName}: a memory layout needs an all-allocations memray capture opened in full (${f.format}${f.fileFormat === 'aggregated' ? ', aggregated: record without --aggregate' : ''})`,
    );
  }
  return p;
}

function momentKey(at: LayoutMoment): string {
  return at.kind === 'at' ? `at:${at.timeMs}` : at.kind;
}

function partsAt(
  model: CaptureModel,
  at: LayoutMoment,
  options: { maxArenas?: number; units?: 'si' | 'iec' },
): LayoutParts {
  const provider = providerOf(model);
  let cache = caches.get(model);
  if (!cache) caches.set(model, (cache = { parts: new Map() }));
  const key = `${momentKey(at)}|${options.maxArenas ?? ''}|${options.units ?? 'si'}`;
  let parts = cache.parts.get(key);
  if (!parts) {
    parts = buildLayoutParts(provider.input(at, true), options);
    cache.parts.set(key, parts);
    if (cache.parts.size > KEPT_MOMENTS) cache.parts.delete(cache.parts.keys().next().value!);
  }
  return parts;
}

export const layoutHandlers = {
  layout(model: CaptureModel, args: WorkerArgs<'layout'>): MemoryLayout {
    return partsAt(model, args.at ?? { kind: 'peak' }, {
      ...(args.maxArenas !== undefined && { maxArenas: args.maxArenas }),
      ...(args.units && { units: args.units }),
    }).layout;
  },
  layoutSites(model: CaptureModel, args: WorkerArgs<'layoutSites'>): LayoutSites {
    const provider = providerOf(model);
    const parts = partsAt(model, args.at ?? { kind: 'end' }, {});
    if (!parts.layout.sitesAvailable)
      throw new UnsupportedQuery(
        `${parts.layout.moment.label}: ${parts.layout.limits.find((l) => l.part === 'sites')?.reason ?? 'the stacks of the blocks in a region are not known at this moment'}`,
      );
    const { count, bytes } = regionKeys(parts, args.region);
    const c = new Float64Array(provider.keyCount);
    const b = new Float64Array(provider.keyCount);
    let totalCount = 0;
    let totalBytes = 0;
    for (const [k, n] of count) {
      c[k] = n;
      b[k] = bytes.get(k) ?? 0;
      totalCount += n;
      totalBytes += b[k];
    }
    const snapshot = provider.snapshotOfKeys(
      c,
      b,
      `live blocks in the ${args.region.kind} at ${parts.layout.moment.label}`,
    );
    const table = buildTable(snapshot, {
      groupBy: 'line',
      sortBy: 'ownBytes',
      descending: true,
      limit: args.limit ?? 50,
      filter: pythonLocations(),
    });
    return { moment: parts.layout.moment, region: args.region, totalBytes, totalCount, rows: table.rows };
  },
  layoutBands(model: CaptureModel): LayoutBands {
    const provider = providerOf(model);
    let cache = caches.get(model);
    if (!cache) caches.set(model, (cache = { parts: new Map() }));
    cache.bands ??= layoutBands({
      input: (at, withLive) => provider.input(at, withLive),
      forEachCheckpoint: (fn) => provider.forEachCheckpoint(fn),
    });
    return cache.bands;
  },
};
