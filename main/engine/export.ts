/**
 * Exports, assembled on the main thread from reduced query results (tables, trees), so one
 * code path serves the app, browser mode and the CLI.
 */
import type { DiffResult, ExportRequest, FlameTree, SnapshotSpec, Summary } from '../../shared/api';
import { HeapscopeError } from '../../shared/api-error';
import { joinCsvTables, tablesToCsv, type CsvTables } from '../export/csv';
import { toJsonText } from '../export/json';
import { toSpeedscope } from '../export/speedscope';
import type { Engine } from './engine';
import { renderHtmlReport } from '../export/html-report';
import { REPORT_MAX_NODES, type ReportData, type ReportFlame } from '../../shared/report';
import { formatBytes } from '../../shared/units';
import { version } from '../../package.json';
import { describeSnapshot } from '../../shared/snapshot-label';

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
  engine: Engine,
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

export async function renderExport(engine: Engine, req: ExportRequest): Promise<string> {
  const snapshot = exportSnapshot(req);
  const filter = req.filter;
  switch (req.format) {
    case 'memray-csv':
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
      return joinCsvTables(tablesToCsv(tables));
    }
    case 'json': {
      if (req.baseline) return toJsonText(await baselineDiff(engine, req, snapshot));
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
      return JSON.stringify(toSpeedscope(trees, info.facts.fileName));
    }
    case 'html':
      return renderHtmlReport(await reportData(engine, req), { ...(req.redact && { redact: true }) });
  }
  throw new HeapscopeError({
    code: 'bad-input',
    message: `unknown export format ${JSON.stringify(req.format)}`,
  });
}

/** Everything the HTML report shows, from the same queries the app makes. */
async function reportData(engine: Engine, req: ExportRequest): Promise<ReportData> {
  const { captureId, filter } = req;
  const snapshot = exportSnapshot(req);
  const info = await engine.info(captureId);
  const flame = (s: SnapshotSpec) =>
    engine.flamegraph({ captureId, snapshot: s, maxNodes: REPORT_MAX_NODES, ...(filter && { filter }) });
  const wantLeaks = info.capabilities.leaks && snapshot.kind === 'peak';
  const [summary, main, leaks, timeline, allocators, table, diff, baseline] = await Promise.all([
    engine.summary({ captureId, ...(req.range && { range: req.range }) }),
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
      ...(filter && { filter }),
    }),
    baselineDiff(engine, req, snapshot),
    req.baseline ? engine.info(req.baseline.captureId) : Promise.resolve(undefined),
  ]);
  const title = (name: string, tree: FlameTree) => `${name} (${formatBytes(tree.totalBytes)})`;
  const flames: ReportFlame[] = [
    {
      id: snapshot.kind,
      title: title(
        describeSnapshot(snapshot).replace(/^./, (c) => c.toUpperCase()),
        main,
      ),
      tree: main,
    },
  ];
  if (leaks) flames.push({ id: 'leaks', title: title('Leaks', leaks), tree: leaks });
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
      snapshot: describeSnapshot(snapshot),
      filter: filter ?? {},
      ...(req.range && { range: req.range }),
      ...(filter?.threads && {
        threads: filter.threads.map((id) => info.threads.find((t) => t.id === id)?.label ?? String(id)),
      }),
      ...(baseline && { baseline: baseline.facts.fileName }),
    },
    flames,
    topSites: table.rows,
  };
  if (timeline) data.timeline = timeline;
  if (allocators) data.allocators = allocators;
  if (diff) data.diff = diff;
  return data;
}
