/**
 * What a capture worker does with each query, as plain functions of the model. Kept apart from
 * the worker entry so it can be exercised in-process.
 */
import type { Finding, GrowthResult, SiteRow, Summary, SnapshotSpec } from '../../shared/api';
import { UnsupportedQuery, type CaptureModel } from '../model/capture-model';
import type { FrameTable } from '../model/frame-table';
import { snapshotTotals, type Snapshot } from '../model/snapshot';
import type { SnapshotInfo, WorkerArgs, WorkerMethod, WorkerResult } from './protocol';
import * as q from './queries';
import { lastSecondsOf, summaryLimitFindings } from './last-seconds';
import type { layoutHandlers as LayoutHandlers } from './layout-handlers';
import type { NativeSymbolizer } from '../symbols/index';
import { withNativeSources, type SourceLookup } from './native-sources';

const DEFAULT_TIMELINE_POINTS = 2000;
const TOP_SITES = 10;

export interface QueryContext {
  captureId: string;
  /** The capture's native symbolizer: source lines for the frames a result shows. */
  symbolizer?: SourceLookup & Pick<NativeSymbolizer, 'note'>;
}

type Handlers = {
  [M in WorkerMethod]: (model: CaptureModel, args: WorkerArgs<M>, ctx: QueryContext) => WorkerResult<M>;
};

const resolvers = new WeakMap<FrameTable, (file: string) => string>();

/** file → dotted module, from the capture's own sys.path facts (or its common source prefix). */
function moduleOf(model: CaptureModel, snapshot: Snapshot): (file: string) => string {
  let resolver = resolvers.get(snapshot.frames);
  if (!resolver) {
    resolver = q.moduleResolver(model.info().facts, new Set(snapshot.frames.files));
    resolvers.set(snapshot.frames, resolver);
  }
  return resolver;
}

function summarySnapshot(range?: { fromMs: number; toMs: number }): SnapshotSpec {
  return range
    ? { kind: 'range', fromMs: range.fromMs, toMs: range.toMs, measure: 'peak' }
    : { kind: 'peak' };
}

/** A snapshot kind this capture may not offer (no leaks in a CSV, no peak in some formats). */
function optionalSnapshot(model: CaptureModel, spec: SnapshotSpec): Snapshot | undefined {
  try {
    return model.snapshot(spec);
  } catch (error) {
    if (error instanceof UnsupportedQuery || (error instanceof Error && error.name === 'UnsupportedQuery'))
      return undefined;
    throw error;
  }
}

function topTable(model: CaptureModel, spec: SnapshotSpec): SiteRow[] | undefined {
  const snapshot = optionalSnapshot(model, spec);
  if (!snapshot) return undefined;
  return q.topSites(snapshot, { limit: TOP_SITES, moduleOf: moduleOf(model, snapshot) });
}

/** Sites ranked for the growth findings: enough to find the largest flat one among them. */
const GROWTH_FINDING_SITES = 200;

/** Sites ranked by growth (main/query/growth.ts), when the model has a time index. */
function growthOf(
  model: CaptureModel,
  args: { limit?: number; threads?: number[] },
): GrowthResult | undefined {
  const series = model.growthSeries?.({ ...(args.threads && { threads: args.threads }) });
  return series && q.rankGrowth(series, args.limit ?? 20);
}

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** Findings most severe first, keeping the order within a severity. */
function withSeverityOrder(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

type LayoutMethod = keyof typeof LayoutHandlers;
const LAYOUT_METHODS: readonly WorkerMethod[] = ['layout', 'layoutSites', 'layoutBands'];
let layoutHandlers: typeof LayoutHandlers | undefined;

/**
 * Loads what `method` needs before `runQuery` answers it. The layout queries' code (memray's
 * pymalloc page tables, built when their module loads) is loaded by the first layout query only:
 * every other open and query, a tracemalloc `stats` among them, spared its start-up (about
 * 30 ms CPU on the shared machine, most of it V8 compiling the table loop).
 */
export async function prepareQuery(method: WorkerMethod): Promise<void> {
  if (LAYOUT_METHODS.includes(method)) layoutHandlers ??= (await import('./layout-handlers')).layoutHandlers;
}

function layoutHandler<M extends LayoutMethod>(method: M): (typeof LayoutHandlers)[M] {
  if (!layoutHandlers) throw new Error(`${method}: prepareQuery was not awaited`);
  return layoutHandlers[method];
}

export const handlers: Handlers = {
  layout: (model, args) => layoutHandler('layout')(model, args),
  layoutSites: (model, args) => layoutHandler('layoutSites')(model, args),
  layoutBands: (model) => layoutHandler('layoutBands')(model),
  summary(model, args, ctx): Summary {
    const base = model.summary(args.range, args.units);
    const info = { ...model.info(), id: ctx.captureId };
    const topSites = base.topSites ?? topTable(model, summarySnapshot(args.range)) ?? [];
    let findings = base.findings;
    if (!findings) {
      // Over a range, "leaked" means alive at the range's end and the end values are the range's:
      // the leak and RSS-vs-heap findings speak of the end of tracking, so they are left out.
      const extra: Parameters<typeof q.findingsFromSummary>[1] = args.range
        ? {
            leakedBytes: undefined,
            leakedCount: undefined,
            heapAtEndBytes: undefined,
            rssAtEndBytes: undefined,
          }
        : {};
      if (args.units) extra.units = args.units;
      const leakSites = args.range ? undefined : topTable(model, { kind: 'leaks' });
      if (leakSites) extra.topLeakSites = leakSites;
      const growth = args.range ? undefined : growthOf(model, { limit: GROWTH_FINDING_SITES });
      if (growth) extra.growth = growth;
      const limit = info.facts.tracebackLimit;
      if (limit !== undefined && limit > 0) {
        const peak = optionalSnapshot(model, { kind: 'peak' });
        if (peak) extra.stacksAtLimit = q.countStacksAtDepth(peak, limit);
      }
      findings = q.findingsFromSummary({ ...base, info, topSites }, extra);
    }
    if (args.limitBytes !== undefined && !args.range)
      findings = withSeverityOrder([
        ...findings,
        ...summaryLimitFindings(model, args.limitBytes, args.units),
      ]);
    // Asked last: building the snapshots above labelled the native frames the note is about.
    const symbols = ctx.symbolizer?.note();
    return { ...base, info, topSites, findings, ...(symbols && symbols.objects.length > 0 && { symbols }) };
  },
  flamegraph(model, args) {
    const { snapshot: spec, ...options } = args;
    const snapshot = model.snapshot(spec, options.filter);
    return q.buildFlameTree(snapshot, { ...options, moduleOf: moduleOf(model, snapshot) });
  },
  timeline(model, args) {
    const timeline = model.timeline({
      ...(args.temporaryThreshold !== undefined && { temporaryThreshold: args.temporaryThreshold }),
    });
    if (!timeline)
      throw new UnsupportedQuery(
        `${model.info().facts.fileName} has no time axis (${model.info().facts.format})`,
      );
    return q.displayTimeline(timeline, args.maxPoints ?? DEFAULT_TIMELINE_POINTS);
  },
  allocators(model, args) {
    return model.allocators(args.snapshot, args.filter);
  },
  table(model, args) {
    const { snapshot: spec, ...options } = args;
    const snapshot = model.snapshot(spec, options.filter);
    const table = q.buildTable(snapshot, { ...options, moduleOf: moduleOf(model, snapshot) });
    if (options.groupBy !== 'line' || !model.siteExtras) return table;
    const withExtras = table.rows.map((row) => ({ ...row, ...model.siteExtras?.(row.file, row.line) }));
    return { ...table, rows: withExtras };
  },
  statsJson(model, args) {
    return model.statsJson(args);
  },
  exportTable(model, args) {
    if (!model.exportTable)
      throw new UnsupportedQuery(`${model.info().facts.format} captures cannot be exported as ${args.kind}`);
    return model.exportTable(args.kind, { leaks: args.leaks });
  },
  groups(model, args) {
    // Thread and allocator filters apply in the model, pythonOnly in the grouping; tracemalloc
    // trace filters are not offered here.
    return q.groupSnapshot(model.snapshot(args.snapshot, args.filter), {
      groupBy: args.groupBy,
      ...(args.cumulative !== undefined && { cumulative: args.cumulative }),
      ...(args.filter?.pythonOnly && { pythonOnly: true }),
    });
  },
  files(model, args): string[] {
    const frames = model.snapshot(args.snapshot).frames;
    return [...new Set(frames.files)];
  },
  growth(model, args) {
    const result = growthOf(model, args);
    if (!result)
      throw new UnsupportedQuery(
        `${model.info().facts.fileName}: leak suspects by growth need an all-allocations memray capture with memory records`,
      );
    return result;
  },
  lastSeconds(model, args) {
    return lastSecondsOf(model, args);
  },
  lineSamples(model, args) {
    return model.lineSamples?.(args.file, args.line) ?? null;
  },
  symbols(_model, _args, ctx) {
    return ctx.symbolizer?.note() ?? null;
  },
  nativeSources(_model, args, ctx) {
    const found = ctx.symbolizer?.sources(args.frames ?? []);
    return (args.frames ?? []).map((_, i) => found?.[i] ?? null);
  },
  snapshotInfo(model, args): SnapshotInfo {
    const snapshot = model.snapshot(args.snapshot, args.filter);
    const totals = snapshotTotals(snapshot.rows);
    return { label: snapshot.label, totalBytes: totals.bytes, totalCount: totals.count };
  },
};

export function runQuery(
  model: CaptureModel,
  method: WorkerMethod,
  args: unknown,
  ctx: QueryContext,
): unknown {
  const handler = handlers[method] as (model: CaptureModel, args: unknown, ctx: QueryContext) => unknown;
  if (!handler) throw new UnsupportedQuery(`unknown query ${String(method)}`);
  if (model.totalsOnly && method !== 'statsJson')
    throw new UnsupportedQuery(`${method}: the capture was opened for totals only (detail 'totals')`);
  // Every result leaves with source lines on the native frames it shows (native-sources.ts).
  return withNativeSources(
    method,
    handler(model, args ?? {}, ctx) as WorkerResult<typeof method>,
    ctx.symbolizer,
  );
}
