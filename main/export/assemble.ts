/**
 * Exports, assembled on the main thread from reduced query results (tables, trees), so one
 * code path serves the app, browser mode and the CLI.
 */
import type {
  CaptureInfo,
  DiffResult,
  ExportRequest,
  FlameTree,
  HeapscopeApi,
  SnapshotSpec,
  Summary,
  SymbolsNote,
} from '../../shared/api';
import { HeapscopeError } from '../../shared/api-error';
import { joinCsvTables, tablesToCsv, type CsvTables } from './csv';
import { toJsonText } from './json';
import { toSpeedscope } from './speedscope';
import { renderHtmlReport } from './html-report';
import {
  REPORT_MAX_ARENAS,
  REPORT_MAX_NODES,
  type ReportData,
  type ReportFlame,
  type ReportLayout,
} from '../../shared/report';
import { DEFAULT_UNITS, formatBytes } from '../../shared/units';
import { version } from '../../package.json';
import { describeSnapshot } from '../../shared/snapshot-label';
import { pythonLocations } from '../query/table';
import type { StatsJson } from '../../shared/stats';
import type { StatsOptions } from '../model/capture-model';

/**
 * The queries an export reads. The Engine is one; naming them here rather than importing the
 * Engine keeps this module below it (engine.ts calls renderExport, not the other way round).
 */
export interface ExportSource extends Pick<
  HeapscopeApi,
  | 'summary'
  | 'flamegraph'
  | 'timeline'
  | 'allocators'
  | 'table'
  | 'diff'
  | 'lastSeconds'
  | 'growth'
  | 'layout'
  | 'layoutBands'
> {
  info(captureId: string): Promise<CaptureInfo>;
  statsJson(captureId: string, options?: StatsOptions): Promise<StatsJson>;
  exportTable(captureId: string, kind: 'memray-csv', leaks: boolean): Promise<string>;
  /** Native symbolization's note (Engine has it; a source without it exports no note). */
  symbolsNote?(captureId: string): Promise<SymbolsNote | null>;
}

/** The snapshot an export describes: the explicit one, else the range's peak, else the peak. */
export function exportSnapshot(req: Pick<ExportRequest, 'snapshot' | 'range'>): SnapshotSpec {
  if (req.snapshot) return req.snapshot;
  if (req.range) return { kind: 'range', fromMs: req.range.fromMs, toMs: req.range.toMs, measure: 'peak' };
  return { kind: 'peak' };
}

/** Runs a query that some formats cannot answer (no timeline, no leaks); undefined then. */
async function optional<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HeapscopeError && error.code === 'unsupported') return undefined;
    throw error;
  }
}

function baselineDiff(
  engine: ExportSource,
  req: ExportRequest,
  snapshot: SnapshotSpec,
): Promise<DiffResult> | undefined {
  if (!req.baseline) return undefined;
  return engine.diff({
    base: req.baseline,
    target: { captureId: req.captureId, snapshot },
    groupBy: 'line',
    ...(req.filter && { filter: req.filter }),
  });
}

/**
 * What native symbolization found for the frames an export shows (asked after its queries, so
 * it covers their objects): named, refused or not found, per object. Undefined without natives.
 */
async function symbolsOf(engine: ExportSource, captureId: string): Promise<SymbolsNote | undefined> {
  const note = await engine.symbolsNote?.(captureId);
  return note && note.objects.length > 0 ? note : undefined;
}

export async function renderExport(engine: ExportSource, req: ExportRequest): Promise<string> {
  const snapshot = exportSnapshot(req);
  const filter = req.filter;
  switch (req.format) {
    case 'memray-csv':
      // memray's `transform csv` writes the high-water mark or the leaks, nothing else
      if (snapshot.kind === 'temporary')
        throw new HeapscopeError({
          code: 'unsupported',
          message:
            'memray-csv holds the peak or the leaks (as memray transform csv); export temporary allocations as csv, json, speedscope or html',
        });
      return engine.exportTable(req.captureId, 'memray-csv', snapshot.kind === 'leaks');
    case 'csv': {
      const [sites, allocators, timeline, diff] = await Promise.all([
        engine.table({
          captureId: req.captureId,
          snapshot,
          groupBy: 'line',
          sortBy: 'bytes',
          descending: true,
          ...(filter && { filter }),
        }),
        optional(() => engine.allocators({ captureId: req.captureId, snapshot, ...(filter && { filter }) })),
        optional(() => engine.timeline({ captureId: req.captureId })),
        baselineDiff(engine, req, snapshot),
      ]);
      const tables: CsvTables = { sites: sites.rows };
      if (allocators) tables.allocators = allocators;
      if (timeline) tables.timeline = timeline;
      if (diff) tables.diff = diff.rows;
      const symbols = await symbolsOf(engine, req.captureId);
      if (symbols) tables.symbols = symbols;
      return joinCsvTables(tablesToCsv(tables));
    }
    case 'json': {
      if (req.baseline) {
        const diff = await baselineDiff(engine, req, snapshot);
        const [base, target] = await Promise.all([
          symbolsOf(engine, req.baseline.captureId),
          symbolsOf(engine, req.captureId),
        ]);
        return toJsonText({
          ...diff,
          ...((base || target) && { symbols: { ...(base && { base }), ...(target && { target }) } }),
        });
      }
      // stats --json has no temporary numbers: the temporary sites themselves, by line
      if (snapshot.kind === 'temporary') {
        const table = await engine.table({
          captureId: req.captureId,
          snapshot,
          groupBy: 'line',
          sortBy: 'count',
          descending: true,
          ...(filter && { filter }),
        });
        const symbols = await symbolsOf(engine, req.captureId);
        return toJsonText({ snapshot: describeSnapshot(snapshot), ...table, ...(symbols && { symbols }) });
      }
      // memray's stats --json names Python locations only (no native frames, no note)
      return toJsonText(await engine.statsJson(req.captureId, req.range ? { range: req.range } : {}));
    }
    case 'speedscope': {
      const info = await engine.info(req.captureId);
      const trees: { tree: FlameTree; name: string }[] = [];
      const flame = (s: SnapshotSpec) =>
        engine.flamegraph({ captureId: req.captureId, snapshot: s, ...(filter && { filter }) });
      trees.push({ tree: await flame(snapshot), name: `${info.facts.fileName} (${snapshot.kind})` });
      if (!req.snapshot && !req.range && info.capabilities.leaks) {
        const leaks = await optional(() => flame({ kind: 'leaks' }));
        if (leaks) trees.push({ tree: leaks, name: `${info.facts.fileName} (leaks)` });
      }
      const symbols = await symbolsOf(engine, req.captureId);
      return JSON.stringify({ ...toSpeedscope(trees, info.facts.fileName), ...(symbols && { symbols }) });
    }
    case 'html':
      return renderHtmlReport(await reportData(engine, req), { ...(req.redact && { redact: true }) });
  }
  throw new HeapscopeError({
    code: 'bad-input',
    message: `unknown export format ${JSON.stringify(req.format)}`,
  });
}

/**
 * The report's memory layout section: the layout at the peak and at the end (arenas listed up to
 * REPORT_MAX_ARENAS) and the RSS bands; a part the capture cannot answer is left out.
 */
async function reportLayout(engine: ExportSource, req: ExportRequest): Promise<ReportLayout | undefined> {
  const { captureId } = req;
  const at = (kind: 'peak' | 'end') =>
    optional(() =>
      engine.layout({
        captureId,
        at: { kind },
        maxArenas: REPORT_MAX_ARENAS,
        ...(req.units && { units: req.units }),
      }),
    );
  const [peak, end, bands] = await Promise.all([
    at('peak'),
    at('end'),
    optional(() => engine.layoutBands({ captureId })),
  ]);
  if (!peak && !end && !bands) return undefined;
  return { ...(peak && { peak }), ...(end && { end }), ...(bands && { bands }) };
}

/** Everything the HTML report shows, from the same queries the app makes. */
async function reportData(engine: ExportSource, req: ExportRequest): Promise<ReportData> {
  const { captureId, filter } = req;
  const snapshot = exportSnapshot(req);
  const info = await engine.info(captureId);
  const flame = (s: SnapshotSpec) =>
    engine.flamegraph({ captureId, snapshot: s, maxNodes: REPORT_MAX_NODES, ...(filter && { filter }) });
  const wantLeaks = info.capabilities.leaks && snapshot.kind === 'peak';
  const [summary, main, leaks, timeline, allocators, table, diff, baseline] = await Promise.all([
    engine.summary({
      captureId,
      ...(req.range && { range: req.range }),
      ...(req.units && { units: req.units }),
      ...(req.limitBytes !== undefined && !req.range && { limitBytes: req.limitBytes }),
    }),
    flame(snapshot),
    wantLeaks ? optional(() => flame({ kind: 'leaks' })) : Promise.resolve(undefined),
    optional(() => engine.timeline({ captureId })),
    optional(() => engine.allocators({ captureId, snapshot, ...(filter && { filter }) })),
    engine.table({
      captureId,
      snapshot,
      groupBy: 'line',
      sortBy: 'ownBytes',
      descending: true,
      limit: 50,
      // The report's sites are memray's locations: the innermost Python frame (see pythonLocations).
      filter: pythonLocations(filter),
    }),
    baselineDiff(engine, req, snapshot),
    req.baseline ? engine.info(req.baseline.captureId) : Promise.resolve(undefined),
  ]);
  const title = (name: string, tree: FlameTree) => `${name} (${formatBytes(tree.totalBytes, req.units)})`;
  const flames: ReportFlame[] = [
    {
      id: snapshot.kind,
      title: title(
        describeSnapshot(snapshot, info.facts.format).replace(/^./, (c) => c.toUpperCase()),
        main,
      ),
      tree: main,
    },
  ];
  // A snapshot-only capture has no leaks (its Summary's leakedBytes is null): its one set is shown once.
  if (leaks && summary.leakedBytes !== null)
    flames.push({ id: 'leaks', title: title('Leaks', leaks), tree: leaks });
  // memray's temporary allocations (N = 1) and the leak suspects by growth, when the capture has them
  if (snapshot.kind === 'peak' && info.capabilities.temporaryThresholds) {
    const temporary = await optional(() => flame({ kind: 'temporary' }));
    if (temporary)
      flames.push({
        id: 'temporary',
        title: title(describeSnapshot({ kind: 'temporary' }), temporary),
        tree: temporary,
      });
  }
  const growth =
    info.capabilities.growth && !req.range ? await optional(() => engine.growth({ captureId })) : undefined;
  // Where the RSS went: the layout at the peak and the end (a range report has neither moment)
  const layout = info.capabilities.layout && !req.range ? await reportLayout(engine, req) : undefined;
  // The report carries the info once, at the top level.
  const summaryRest = Object.fromEntries(Object.entries(summary).filter(([key]) => key !== 'info')) as Omit<
    Summary,
    'info'
  >;
  const data: ReportData = {
    title: info.facts.fileName,
    generatedAt: new Date().toISOString(),
    generator: `heapscope ${version}`,
    info,
    summary: summaryRest,
    frozen: {
      snapshot: describeSnapshot(snapshot, info.facts.format),
      filter: filter ?? {},
      ...(req.range && { range: req.range }),
      ...(filter?.threads && {
        threads: filter.threads.map((id) => info.threads.find((t) => t.id === id)?.label ?? String(id)),
      }),
      ...(baseline && { baseline: baseline.facts.fileName }),
    },
    flames,
    topSites: table.rows,
    units: req.units ?? DEFAULT_UNITS,
  };
  if (timeline) data.timeline = timeline;
  if (growth) data.growth = growth;
  if (layout) data.layout = layout;
  // A kill (or a limit to check) gets the final seconds: what grew, where, how fast.
  if (info.capabilities.ranges && !req.range && (info.truncated || req.limitBytes !== undefined)) {
    const last = await optional(() =>
      engine.lastSeconds({
        captureId,
        ...(req.units && { units: req.units }),
        ...(req.limitBytes !== undefined && { limitBytes: req.limitBytes }),
      }),
    );
    if (last) data.lastSeconds = last;
  }
  if (allocators) data.allocators = allocators;
  if (diff) data.diff = diff;
  // Asked after the flame queries: the note covers the objects their frames fall in.
  const symbols = await symbolsOf(engine, captureId);
  if (symbols) data.symbols = symbols;
  return data;
}
