/**
 * `heapscope` command line: the same engine (one worker per capture) and numbers as the app.
 * Bad input is one line on stderr and exit code 2; a broken `check` limit is exit code 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { version } from '../../package.json';
import type { ApiError, CaptureInfo, Progress, SnapshotSpec, Summary } from '../../shared/api';
import { HeapscopeError, isApiError } from '../../shared/api-error';
import type { DiffJson } from '../../shared/stats';
import { formatBytes, formatDuration, formatPercent, parseSize } from '../../shared/units';
import { Engine } from '../engine/engine';
import * as q from '../engine/queries';
import type { GroupsQuery } from '../engine/protocol';
import { runCheck } from './check';
import { toJsonText } from '../export/json';

export const HELP = `heapscope ${version}: open Python memory-profiler captures (memray, tracemalloc, memray CSV, Scalene)

Usage:
  heapscope stats FILE [--json] [--range T1:T2] [--group-by filename|lineno|traceback] [--cumulative] [--top N]
  heapscope export FILE --format memray-csv|csv|json|speedscope|html [--leaks] [-o OUT]
  heapscope diff OLD NEW [--json] [--group-by filename|lineno|traceback] [--cumulative] [--top N] [--at peak|leaks]
  heapscope diff FILE --from T1 --to T2 [--json] [...]   what grew between two moments of one memray capture
  heapscope report FILE [--baseline OTHER] [--range T1:T2] [--redact] -o report.html
  heapscope check FILE --max-peak SIZE [--max-leaked SIZE] [--baseline OTHER --max-growth PCT] [--junit OUT.xml]
  heapscope serve FILE... [--port N] [--host 127.0.0.1]
  heapscope FILE            same as \`heapscope stats FILE\` (a readable summary; use \`serve\` to browse)
  heapscope --help | --version

Times (T1, T2) are milliseconds from the start of the capture. Sizes take units: 1.5GB, 512MiB, 10kb, or bytes (binary, as memray prints them: 1MB = 1MiB).
Exit codes: 0 ok, 1 a \`check\` limit was exceeded, 2 bad usage or unreadable input.
`;

/** A usage or input problem: reported as one line, exit code 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** One line whatever the message: a bad input never spills a multi-line dump onto the terminal. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Shows a progress line while big files load (interactive terminals only). */
  progress: boolean;
}

const OPTIONS = {
  json: { type: 'boolean' },
  range: { type: 'string' },
  'group-by': { type: 'string' },
  cumulative: { type: 'boolean' },
  top: { type: 'string' },
  format: { type: 'string' },
  leaks: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  at: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  baseline: { type: 'string' },
  redact: { type: 'boolean' },
  'max-peak': { type: 'string' },
  'max-leaked': { type: 'string' },
  'max-growth': { type: 'string' },
  junit: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  stats: ['json', 'range', 'group-by', 'cumulative', 'top'],
  export: ['format', 'leaks', 'output', 'range', 'redact'],
  diff: ['json', 'group-by', 'cumulative', 'top', 'at', 'from', 'to'],
  report: ['baseline', 'range', 'redact', 'output'],
  check: ['max-peak', 'max-leaked', 'baseline', 'max-growth', 'junit', 'json'],
  serve: ['port', 'host'],
};

const COMMANDS = new Set(Object.keys(ALLOWED));

export function parseRange(text: string): { fromMs: number; toMs: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match)
    throw new CliError(`--range "${text}": expected T1:T2 in milliseconds from the start, e.g. 1000:2500`);
  const fromMs = Number(match[1]);
  const toMs = Number(match[2]);
  if (toMs < fromMs)
    throw new CliError(`--range "${text}": the end (${toMs}) is before the start (${fromMs})`);
  return { fromMs, toMs };
}

function parseMs(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new CliError(`--${name} "${text}": expected milliseconds from the start, e.g. 1500`);
  return value;
}

function parsePositiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new CliError(`--${name} "${text}": expected a positive whole number`);
  return value;
}

function parseSizeOption(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    throw new CliError(`--${name}: ${(error as Error).message}`);
  }
}

/** "10%" or "10" → 10 (percent). */
export function parseGrowth(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!match) throw new CliError(`--max-growth "${text}": expected a percentage, e.g. 10%`);
  return Number(match[1]);
}

type StatsGroupBy = 'filename' | 'lineno' | 'traceback';

function parseGroupBy(text: string | undefined): StatsGroupBy | undefined {
  if (text === undefined) return undefined;
  if (text === 'filename' || text === 'lineno' || text === 'traceback') return text;
  throw new CliError(`--group-by "${text}": expected filename, lineno or traceback`);
}

function describeError(error: ApiError): string {
  let message = error.message;
  const file = error.file ? basename(error.file) : undefined;
  if (file && !message.includes(file)) message = `${file}: ${message}`;
  if (error.offset !== undefined && !/at byte/.test(message)) message += ` (at byte ${error.offset})`;
  return message;
}

/** Runs one command line; returns the exit code. Never throws for bad input. */
export async function runCli(argv: string[], io: CliIo, workerUrl: URL): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`heapscope: ${(error as Error).message.split('\n')[0]}. Try \`heapscope --help\`.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (values.version) {
    io.stdout(`${version}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    io.stderr(`heapscope: no command or file given. Try \`heapscope --help\`.\n`);
    return 2;
  }
  let command = positionals[0];
  let args = positionals.slice(1);
  if (!COMMANDS.has(command)) {
    if (positionals.length > 1 && !/[./\\]/.test(command)) {
      io.stderr(`heapscope: unknown command "${command}". Try \`heapscope --help\`.\n`);
      return 2;
    }
    command = 'stats';
    args = positionals;
  }

  const engine = new Engine({ workerUrl });
  let stopProgress = (): void => undefined;
  if (io.progress) stopProgress = showProgress(engine, io);
  try {
    const unknown = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter(
      (k) => !ALLOWED[command].includes(k),
    );
    if (unknown.length > 0)
      throw new CliError(`${command} does not take --${unknown[0]}. Try \`heapscope --help\`.`);
    const ctx: Context = { engine, values, args, io };
    switch (command) {
      case 'stats':
        return await stats(ctx);
      case 'export':
        return await exportCommand(ctx);
      case 'diff':
        return await diff(ctx);
      case 'report':
        return await report(ctx);
      case 'check':
        return await check(ctx);
      case 'serve':
        return await serve(ctx);
    }
    return 2;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`heapscope: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof HeapscopeError || isApiError(error)) {
      io.stderr(`heapscope: ${oneLine(describeError(error))}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`heapscope: ${oneLine(message)}\n`);
    return 2;
  } finally {
    stopProgress();
    if (command !== 'serve') await engine.closeAll();
  }
}

interface Context {
  engine: Engine;
  values: Values;
  args: string[];
  io: CliIo;
}

function expectFiles(ctx: Context, command: string, min: number, max: number, what: string): string[] {
  if (ctx.args.length < min || ctx.args.length > max) {
    throw new CliError(
      `${command} needs ${what} (got ${ctx.args.length === 0 ? 'none' : ctx.args.join(' ')}). Try \`heapscope --help\`.`,
    );
  }
  return ctx.args;
}

async function openOne(engine: Engine, path: string, detail?: 'totals'): Promise<CaptureInfo> {
  return engine.open({ path, ...(detail && { detail }) });
}

async function output(
  ctx: Context,
  content: string,
  outputPath: string | undefined,
  what: string,
): Promise<void> {
  if (outputPath) {
    await writeFile(outputPath, content).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot write ${outputPath}: ${error.code ?? error.message}`);
    });
    ctx.io.stderr(`heapscope: wrote ${what} to ${outputPath} (${formatBytes(Buffer.byteLength(content))})\n`);
  } else {
    ctx.io.stdout(content.endsWith('\n') ? content : `${content}\n`);
  }
}

async function stats(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'stats', 1, 1, 'one FILE');
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  // The whole capture's JSON numbers need no time index or per-stack journals: a lighter replay.
  const info = await openOne(ctx.engine, file, ctx.values.json && !range ? 'totals' : undefined);
  const groupBy = parseGroupBy(ctx.values['group-by']);
  const top = ctx.values.top !== undefined ? parsePositiveInt('top', ctx.values.top) : undefined;
  if (ctx.values.json) {
    const json = await ctx.engine.statsJson(info.id, {
      ...(range && { range }),
      ...(groupBy && { groupBy }),
      ...(ctx.values.cumulative && { cumulative: true }),
      ...(top !== undefined && { top }),
    });
    ctx.io.stdout(`${toJsonText(json)}\n`);
    return 0;
  }
  const summary = await ctx.engine.summary({ captureId: info.id, ...(range && { range }) });
  ctx.io.stdout(formatSummary(summary, top ?? 10, range));
  return 0;
}

export function formatSummary(
  summary: Summary,
  top: number,
  range?: { fromMs: number; toMs: number },
): string {
  const { info } = summary;
  const f = info.facts;
  const lines: string[] = [];
  lines.push(
    `${f.fileName}  (${f.format}${f.headerVersion !== undefined ? ` v${f.headerVersion}` : ''}${f.fileFormat === 'aggregated' ? ', aggregated' : ''}, ${formatBytes(f.sizeBytes)})`,
  );
  if (f.commandLine) lines.push(`  command:        ${f.commandLine}`);
  if (f.pythonVersion)
    lines.push(`  python:         ${f.pythonVersion}${f.pythonAllocator ? ` (${f.pythonAllocator})` : ''}`);
  if (range) lines.push(`  range:          ${range.fromMs}–${range.toMs} ms`);
  if (info.durationMs > 0) lines.push(`  duration:       ${formatDuration(info.durationMs)}`);
  lines.push(
    `  peak memory:    ${formatBytes(summary.peakBytes)}${summary.peakTimeMs > 0 ? ` at ${formatDuration(summary.peakTimeMs)}` : ''}`,
  );
  // Aggregated captures and snapshot dumps keep no allocation history, and some formats no leaks.
  if (info.capabilities.allAllocations)
    lines.push(
      `  allocations:    ${summary.totalAllocations.toLocaleString('en-US')} (${formatBytes(summary.totalBytesAllocated)} allocated)`,
    );
  if (info.capabilities.leaks && info.capabilities.timeline)
    lines.push(
      `  ${range ? 'alive at end:  ' : 'leaked:        '} ${formatBytes(summary.leakedBytes)} in ${summary.leakedCount.toLocaleString('en-US')} allocations${range ? ' made in the range' : ''}`,
    );
  if (summary.rssAtEndBytes !== undefined)
    lines.push(`  RSS at end:     ${formatBytes(summary.rssAtEndBytes)}`);
  if (info.truncated)
    lines.push(
      `  TRUNCATED:      ${info.truncationReason ?? 'the capture ends early'}${info.truncatedAtByte !== undefined ? ` (at byte ${info.truncatedAtByte})` : ''}`,
    );
  for (const w of info.warnings) lines.push(`  warning:        ${w}`);
  const sites = summary.topSites.slice(0, top);
  if (sites.length > 0) {
    lines.push(
      '',
      `Top ${sites.length} allocation sites${range ? ' in the range' : ' at the peak'} (own bytes, share of the total):`,
    );
    for (const s of sites) {
      const where = s.line > 0 ? `${s.file}:${s.line}` : s.file;
      const share = summary.peakBytes > 0 ? s.ownBytes / summary.peakBytes : 0;
      lines.push(
        `  ${formatBytes(s.ownBytes).padStart(10)}  ${formatPercent(share).padStart(6)}  ${s.function}  ${where}`,
      );
    }
  }
  if (summary.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const finding of summary.findings) lines.push(`  [${finding.severity}] ${finding.text}`);
  }
  return `${lines.join('\n')}\n`;
}

const EXPORT_FORMATS = ['memray-csv', 'csv', 'json', 'speedscope', 'html'] as const;
type CliExportFormat = (typeof EXPORT_FORMATS)[number];

async function exportCommand(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'export', 1, 1, 'one FILE');
  const format = ctx.values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(
      `export needs --format ${EXPORT_FORMATS.join('|')}${format ? ` (got "${format}")` : ''}`,
    );
  }
  const info = await openOne(ctx.engine, file);
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  const snapshot: SnapshotSpec | undefined = ctx.values.leaks
    ? { kind: 'leaks' }
    : range
      ? { kind: 'range', ...range, measure: 'peak' }
      : undefined;
  const result = await ctx.engine.export({
    format: format as CliExportFormat,
    captureId: info.id,
    ...(snapshot && { snapshot }),
    ...(range && { range }),
    ...(ctx.values.redact && { redact: true }),
  });
  await output(ctx, result.content ?? '', ctx.values.output, format);
  return 0;
}

function toGroupsGroupBy(groupBy: StatsGroupBy | undefined): GroupsQuery['groupBy'] {
  return groupBy ?? 'lineno';
}

async function diff(ctx: Context): Promise<number> {
  const { values } = ctx;
  const twoMoments = values.from !== undefined || values.to !== undefined;
  let base: { captureId: string; snapshot: SnapshotSpec };
  let target: { captureId: string; snapshot: SnapshotSpec };
  if (twoMoments) {
    const [file] = expectFiles(ctx, 'diff --from/--to', 1, 1, 'one memray FILE');
    if (values.from === undefined || values.to === undefined)
      throw new CliError('diff of two moments needs both --from T1 and --to T2');
    if (values.at !== undefined) throw new CliError('--at cannot be combined with --from/--to');
    const fromMs = parseMs('from', values.from);
    const toMs = parseMs('to', values.to);
    const info = await openOne(ctx.engine, file);
    if (!info.capabilities.ranges)
      throw new CliError(
        `${info.facts.fileName}: ${info.facts.format} captures have no time axis, so --from/--to cannot be used`,
      );
    base = { captureId: info.id, snapshot: { kind: 'at', timeMs: fromMs } };
    target = { captureId: info.id, snapshot: { kind: 'at', timeMs: toMs } };
  } else {
    const [oldFile, newFile] = expectFiles(
      ctx,
      'diff',
      2,
      2,
      'OLD and NEW files (or one memray FILE with --from/--to)',
    );
    const at = values.at ?? 'peak';
    if (at !== 'peak' && at !== 'leaks') throw new CliError(`--at "${at}": expected peak or leaks`);
    const [oldInfo, newInfo] = await Promise.all([
      openOne(ctx.engine, oldFile),
      openOne(ctx.engine, newFile),
    ]);
    base = { captureId: oldInfo.id, snapshot: { kind: at } };
    target = { captureId: newInfo.id, snapshot: { kind: at } };
  }
  const groupBy = toGroupsGroupBy(parseGroupBy(values['group-by']));
  const top = values.top !== undefined ? parsePositiveInt('top', values.top) : undefined;
  const groups = await ctx.engine.matchedGroups(base, target, {
    groupBy,
    ...(values.cumulative && { cumulative: true }),
  });
  const [oldGroups, newGroups] = [groups.base, groups.target];
  if (groups.matching?.note && !values.json) ctx.io.stderr(`heapscope: note: ${groups.matching.note}\n`);
  const [oldTotals, newTotals] = await Promise.all([
    ctx.engine.snapshotInfo(base.captureId, base.snapshot),
    ctx.engine.snapshotInfo(target.captureId, target.snapshot),
  ]);
  const json = q.diffJson(oldGroups, newGroups, {
    ...(top !== undefined && { top }),
    ...(values.cumulative && { cumulative: true }),
    // Cumulative groups count a block once per frame, so totals come from the snapshots.
    old: { totalSize: oldTotals.totalBytes, traceCount: oldTotals.totalCount },
    new: { totalSize: newTotals.totalBytes, traceCount: newTotals.totalCount },
  });
  if (values.json) ctx.io.stdout(`${toJsonText(json)}\n`);
  else ctx.io.stdout(formatDiff(json, top ?? 20));
  return 0;
}

function formatDiff(json: DiffJson, top: number): string {
  const where = (row: DiffJson['diff'][number]): string => {
    if ('frames' in row) {
      const last = row.frames.at(-1);
      return last ? `${last[0]}:${last[1]} (+${row.frames.length - 1} callers)` : '?';
    }
    if ('lineno' in row) return `${row.filename}:${row.lineno}`;
    if ('function' in row) return `${row.function} ${row.filename}`;
    return row.filename;
  };
  const lines = [
    `old: ${formatBytes(json.old.totalSize)} in ${json.old.traceCount.toLocaleString('en-US')} blocks`,
    `new: ${formatBytes(json.new.totalSize)} in ${json.new.traceCount.toLocaleString('en-US')} blocks`,
    `${json.groupCount} groups; top ${Math.min(top, json.diff.length)} by growth:`,
  ];
  for (const row of json.diff.slice(0, top)) {
    const sign = row.sizeDiff >= 0 ? '+' : '';
    lines.push(
      `  ${where(row)}: size=${formatBytes(row.size)} (${sign}${formatBytes(row.sizeDiff)}), count=${row.count} (${row.countDiff >= 0 ? '+' : ''}${row.countDiff})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function report(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'report', 1, 1, 'one FILE');
  if (!ctx.values.output) throw new CliError('report needs -o OUT.html');
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  const [info, baseline] = await Promise.all([
    openOne(ctx.engine, file),
    ctx.values.baseline ? openOne(ctx.engine, ctx.values.baseline) : Promise.resolve(undefined),
  ]);
  const result = await ctx.engine.export({
    format: 'html',
    captureId: info.id,
    ...(baseline && { baseline: { captureId: baseline.id, snapshot: { kind: 'peak' } } }),
    ...(range && { range }),
    ...(ctx.values.redact && { redact: true }),
  });
  await output(ctx, result.content ?? '', ctx.values.output, 'the report');
  return 0;
}

async function check(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'check', 1, 1, 'one FILE');
  const { values } = ctx;
  if (
    values['max-peak'] === undefined &&
    values['max-leaked'] === undefined &&
    values['max-growth'] === undefined
  ) {
    throw new CliError(
      'check needs at least one limit: --max-peak SIZE, --max-leaked SIZE or --baseline OTHER --max-growth PCT',
    );
  }
  if ((values['max-growth'] === undefined) !== (values.baseline === undefined)) {
    throw new CliError('--max-growth and --baseline go together');
  }
  const limits = {
    ...(values['max-peak'] !== undefined && {
      maxPeakBytes: parseSizeOption('max-peak', values['max-peak']),
    }),
    ...(values['max-leaked'] !== undefined && {
      maxLeakedBytes: parseSizeOption('max-leaked', values['max-leaked']),
    }),
    ...(values['max-growth'] !== undefined && { maxGrowthPercent: parseGrowth(values['max-growth']) }),
  };
  const [info, baseline] = await Promise.all([
    openOne(ctx.engine, file),
    values.baseline ? openOne(ctx.engine, values.baseline) : Promise.resolve(undefined),
  ]);
  const result = await runCheck(ctx.engine, { capture: info, ...(baseline && { baseline }), limits });
  if (values.junit) {
    await writeFile(values.junit, result.junitXml).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot write ${values.junit}: ${error.code ?? error.message}`);
    });
  }
  if (result.passed) {
    ctx.io.stdout(`${result.text}\n`);
    return 0;
  }
  ctx.io.stderr(`${result.text}\n`);
  return 1;
}

async function serve(ctx: Context): Promise<number> {
  const port = ctx.values.port !== undefined ? parsePort(ctx.values.port) : 8400;
  const host = ctx.values.host ?? '127.0.0.1';
  const { startServer } = await import('../server/index');
  const server = await startServer({
    engine: ctx.engine,
    port,
    host,
    files: ctx.args,
    log: (line) => ctx.io.stderr(`${line}\n`),
  });
  ctx.io.stdout(`heapscope: serving on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await ctx.engine.closeAll();
  return 0;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port "${text}": expected a port number 0–65535`);
  return port;
}

function showProgress(engine: Engine, io: CliIo): () => void {
  let shown = false;
  const off = engine.onProgress((p: Progress) => {
    if (p.phase !== 'reading' || p.bytesTotal < 32 * 1024 * 1024) return;
    shown = true;
    const share = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    io.stderr(
      `\r  reading ${formatPercent(share, 0).padStart(4)}  ${p.records.toLocaleString('en-US')} records  ${formatDuration(p.elapsedMs)}   `,
    );
  });
  return () => {
    off();
    if (shown) io.stderr('\r\x1b[K');
  };
}
