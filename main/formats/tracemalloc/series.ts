/**
 * Opens several tracemalloc dumps (named one by one, or every dump in a folder) as one
 * TracemallocSeriesModel: each dump is read by the one-dump reader, in series order.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CaptureInfo, SeriesDump } from '../../../shared/api';
import { InputError, SNAPSHOT_ONLY_CAPABILITIES, type LoadOptions } from '../../model/capture-model';
import type { TracemallocModel } from '../../model/tracemalloc/model';
import { TracemallocSeriesModel, type SeriesMember } from '../../model/tracemalloc/series';
import { rankSiteGrowth } from '../../query/series-growth';
import { loadTracemalloc } from './index';
import { orderDumpNames } from './series-order';

/** A series never holds more dumps than this (each one is a worker-resident model). */
export const MAX_SERIES_DUMPS = 2000;

export interface SeriesFiles {
  /** The tracemalloc dumps, in no particular order. */
  dumps: string[];
  /** Files in the folder that are not tracemalloc dumps (left out). */
  skipped: number;
  /** The memray captures among them (a folder of those opens as a memray series instead). */
  memray: string[];
}

type Sniff = (path: string) => Promise<{ format: string }>;

/**
 * The tracemalloc dumps directly inside `dir` (not in sub-folders), recognised by content like
 * any capture; other files (notes, oracles, memray captures) are left out and counted.
 */
export async function listSeriesFolder(dir: string, sniff: Sniff): Promise<SeriesFiles> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`${dir}: cannot list the folder (${e.code ?? e.message})`, dir);
  });
  const dumps: string[] = [];
  const memray: string[] = [];
  let skipped = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const format = await sniff(path).then(
      (r) => r.format,
      () => undefined,
    );
    if (format === 'tracemalloc') dumps.push(path);
    else skipped++;
    if (format === 'memray') memray.push(path);
  }
  return { dumps, skipped, memray };
}

/** Loads `paths` as one series named `label` (the folder, or the first dump). */
export async function loadTracemallocSeries(
  paths: readonly string[],
  options: LoadOptions & { label?: string; skipped?: number } = {},
): Promise<TracemallocSeriesModel> {
  if (paths.length === 0) throw new InputError('a series needs at least one tracemalloc dump');
  if (paths.length > MAX_SERIES_DUMPS)
    throw new InputError(`a series holds at most ${MAX_SERIES_DUMPS} dumps (got ${paths.length})`);
  const names = paths.map((p) => basename(p));
  const order = orderDumpNames(names);
  const ordered = order.indices.map((i) => paths[i]);
  const sizes = await Promise.all(ordered.map((p) => stat(p).then((s) => s.size)));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const label = options.label ?? ordered[0];

  const models: TracemallocModel[] = [];
  let bytesBefore = 0;
  let records = 0;
  for (let i = 0; i < ordered.length; i++) {
    const model = (await loadTracemalloc(ordered[i], {
      ...(options.signal && { signal: options.signal }),
      ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
      onProgress: (p) =>
        options.onProgress?.({
          bytesDone: bytesBefore + p.bytesDone,
          bytesTotal,
          records: records + p.records,
        }),
    })) as TracemallocModel;
    models.push(model);
    bytesBefore += sizes[i];
    records += model.decoded.traceCount;
    options.onProgress?.({ bytesDone: bytesBefore, bytesTotal, records });
  }

  const members: SeriesMember[] = models.map((model, i) => ({
    model,
    fileName: basename(ordered[i]),
    path: ordered[i],
    ...(order.timesMs && { timeMs: order.timesMs[i] }),
  }));
  const dumps: SeriesDump[] = members.map((m) => ({
    fileName: m.fileName,
    path: m.path,
    ...(m.timeMs !== undefined && { timeMs: m.timeMs }),
    totalBytes: m.model.decoded.totalSize,
    traceCount: m.model.decoded.traceCount,
  }));
  const cut = models
    .map((m, i) => ({ info: m.info(), name: members[i].fileName }))
    .filter((m) => m.info.truncated);
  const warnings = models.flatMap((m, i) => m.info().warnings.map((w) => `${members[i].fileName}: ${w}`));
  if (options.skipped)
    warnings.push(
      `${options.skipped} file${options.skipped === 1 ? ' is' : 's are'} in the folder but not tracemalloc dumps; left out of the series`,
    );
  const limits = models.map((m) => m.decoded.tracebackLimit);
  const timeMs = members.at(-1)?.timeMs;
  const info: CaptureInfo & { series: NonNullable<CaptureInfo['series']> } = {
    id: label,
    facts: {
      format: 'tracemalloc',
      path: label,
      fileName: `${basename(label)} (${members.length} dumps)`,
      sizeBytes: bytesTotal,
      tracebackLimit: Math.max(...limits),
    },
    capabilities: { ...SNAPSHOT_ONLY_CAPABILITIES, timeline: true },
    truncated: cut.length > 0,
    ...(cut.length > 0 && {
      truncationReason: cut.map((c) => `${c.name}: ${c.info.truncationReason ?? 'cut short'}`).join('; '),
    }),
    warnings,
    threads: [],
    durationMs: timeMs ?? 0,
    records,
    series: { order: order.order, orderNote: order.note, dumps },
  };
  return new TracemallocSeriesModel(members, info, rankSiteGrowth);
}
