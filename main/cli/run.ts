/**
 * `heapscope` command line: the same engine (one worker per capture) and numbers as the app.
 * Bad input is one line on stderr and exit code 2; a broken `check` limit is exit code 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { version } from '../../package.json';
import type { ApiError, CaptureInfo, Progress, SnapshotSpec, Summary, SymbolSearch } from '../../shared/api';
import { HeapscopeError, isApiError } from '../../shared/api-error';
import { escapeControls } from '../../shared/quote';
import { isSingleSnapshot, ownShare, topSitesBasis } from '../../shared/snapshot-label';
import type { DiffJson } from '../../shared/stats';
import {
  formatBytes,
  formatDuration,
  formatPercent,
  parseSize,
  parseUnitSystem,
  type UnitSystem,
} from '../../shared/units';
import { Engine } from '../engine/engine';
import * as q from '../engine/queries';
import type { GroupsQuery } from '../engine/protocol';
import { runCheck } from './check';
import { formatGrowth, normalizeTemporaryFlag, temporaryLine } from './growth';
import { formatLastSeconds, formatSeries } from './sections';
import { toJsonText } from '../export/json';

export const HELP = `heapscope ${version}: open Python memory-profiler captures (memray, tracemalloc, memray CSV, Scalene)

Usage:
  heapscope stats FILE [--json] [--range T1:T2] [--group-by filename|lineno|traceback] [--cumulative] [--top N]
                 [--limit SIZE] [--last MS]   the container's memory limit: headroom, and for a killed
                 capture how close RSS was to it; --last: the final window (default 5 s or 10 % of the run)
  heapscope stats DIR       every tracemalloc dump in DIR as one series (like \`series\` of them)
  heapscope series DUMP DUMP... [--json] [--top N] [--from I --to J]   tracemalloc dumps as one timeline:
                 traced bytes per dump, growth per site; --from/--to: compare dump I with dump J (1-based)
  heapscope export FILE --format memray-csv|csv|json|speedscope|html [--leaks | --temporary [N]] [-o OUT]
                 --temporary [N]: memray's temporary allocations (freed after ≤ N other allocations on
                 their thread; N = 0, 1, 2, 4, 8, 16 or 32, default 1)
  heapscope growth FILE [--json] [--top N]   leak suspects: sites ranked by how steadily their live bytes grow
  heapscope diff OLD NEW [--json] [--group-by filename|lineno|traceback] [--cumulative] [--top N] [--at peak|leaks]
  heapscope diff FILE --from T1 --to T2 [--json] [...]   what grew between two moments of one memray capture
  heapscope report FILE [--baseline OTHER] [--range T1:T2] [--redact] [--limit SIZE] -o report.html
  heapscope check FILE --max-peak SIZE [--max-leaked SIZE] [--baseline OTHER --max-growth PCT] [--junit OUT.xml]
  heapscope serve FILE... [--port N] [--host 127.0.0.1]   (a DIR of tracemalloc dumps opens as a series)
  heapscope FILE            same as \`heapscope stats FILE\` (a readable summary; use \`serve\` to browse)
  heapscope                 no arguments: \`serve\` the sample capture in samples/ (what \`npm start\` shows)
  heapscope --help | --version

Native frames (memray --native): stats, export, diff, report, check and serve take --sysroot DIR
(the production machine's files under DIR + the recorded path) and --debug-dir DIR (DIR/.build-id/xx/rest.debug,
as -dbgsym packages install them; /usr/lib/debug is always searched), each repeatable. A library is used only
when its segments (and a debug file only when its build-id) match the capture; others stay libfoo.so+0x1a2b.
Times (T1, T2) are milliseconds from the start of the capture.
Sizes are printed in kB, MB, GB (10^3, 10^6, 10^9 bytes, as memray prints them); stats, diff, report,
check and export --format html take --units iec for KiB, MiB, GiB (2^10, 2^20, 2^30 bytes) instead.
Sizes given (SIZE) are read as labelled: 24MB = 24,000,000 bytes, 24MiB = 25,165,824 bytes, 4096 = bytes;
kB/KB/MB/GB are decimal, KiB/MiB/GiB binary, and a bare 24M or 512K is refused as ambiguous.
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

/**
 * One line whatever the message: a bad input never spills a multi-line dump onto the terminal,
 * and no byte from a file (or an argument) reaches it as a control character.
 */
function oneLine(text: string): string {
  return escapeControls(text.replace(/\s*\n\s*/g, ' ').trim());
}

/**
 * Refuses an output path that is one of the inputs: `export capture.bin -o capture.bin` would
 * replace the capture with its own export. Compared by device and inode, so a symlink, a
 * hardlink or another spelling of the same path is caught too; a path that does not exist yet
 * is no input.
 */
export async function refuseOverwritingInput(outputPath: string, inputs: string[]): Promise<void> {
  const out = await stat(outputPath).catch(() => undefined);
  if (!out || !out.isFile()) return;
  for (const input of inputs) {
    const s = await stat(input).catch(() => undefined);
    if (s && s.dev === out.dev && s.ino === out.ino)
      throw new CliError(
        `refusing to write ${outputPath}: it is the input ${input}${input === outputPath ? '' : ' (the same file)'}; inputs are never overwritten`,
      );
  }
}

/** The files a capture was read from: itself and any fork children opened with it. */
function inputFiles(...infos: (CaptureInfo | undefined)[]): string[] {
  return infos.flatMap((i) => (i ? [i.facts.path ?? i.id, ...(i.forkChildren ?? [])] : []));
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
  temporary: { type: 'string' },
  output: { type: 'string', short: 'o' },
  at: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  baseline: { type: 'string' },
  redact: { type: 'boolean' },
  'max-peak': { type: 'string' },
  'max-leaked': { type: 'string' },
  'max-growth': { type: 'string' },
  units: { type: 'string' },
  junit: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  limit: { type: 'string' },
  last: { type: 'string' },
  sysroot: { type: 'string', multiple: true },
  'debug-dir': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsConfig['options'];

const SYMBOL_OPTIONS = ['sysroot', 'debug-dir'] as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  stats: ['json', 'range', 'group-by', 'cumulative', 'top', 'units', 'limit', 'last', ...SYMBOL_OPTIONS],
  series: ['json', 'top', 'units', 'from', 'to'],
  export: ['format', 'leaks', 'temporary', 'output', 'range', 'redact', 'units', ...SYMBOL_OPTIONS],
  growth: ['json', 'top', 'units', ...SYMBOL_OPTIONS],
  diff: ['json', 'group-by', 'cumulative', 'top', 'at', 'from', 'to', 'units', ...SYMBOL_OPTIONS],
  report: ['baseline', 'range', 'redact', 'output', 'units', 'limit', ...SYMBOL_OPTIONS],
  check: ['max-peak', 'max-leaked', 'baseline', 'max-growth', 'junit', 'json', 'units', ...SYMBOL_OPTIONS],
  serve: ['port', 'host', ...SYMBOL_OPTIONS],
};

/** Where native frames' libraries and debug files are searched (every command that shows them). */
export function symbolSearchOf(values: Pick<Values, 'sysroot' | 'debug-dir'>): SymbolSearch | undefined {
  const sysroots = values.sysroot ?? [];
  const debugDirs = values['debug-dir'] ?? [];
  for (const [flag, dirs] of [
    ['--sysroot', sysroots],
    ['--debug-dir', debugDirs],
  ] as const)
    for (const dir of dirs) if (dir.trim() === '') throw new CliError(`${flag} needs a directory`);
  if (sysroots.length === 0 && debugDirs.length === 0) return undefined;
  return {
    ...(sysroots.length > 0 && { sysroots: sysroots.map((d) => resolve(d)) }),
    ...(debugDirs.length > 0 && { debugDirs: debugDirs.map((d) => resolve(d)) }),
  };
}

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

function parseUnitsOption(text: string | undefined): UnitSystem {
  if (text === undefined) return 'si';
  try {
    return parseUnitSystem(text);
  } catch (error) {
    throw new CliError(`--units: ${(error as Error).message}`);
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
    parsed = parseArgs({
      args: normalizeTemporaryFlag(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
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

  let symbols: SymbolSearch | undefined;
  try {
    symbols = symbolSearchOf(values);
  } catch (error) {
    io.stderr(`heapscope: ${oneLine((error as Error).message)}\n`);
    return 2;
  }
  const engine = new Engine({ workerUrl, ...(symbols && { symbols }) });
  let stopProgress = (): void => undefined;
  if (io.progress) stopProgress = showProgress(engine, io);
  try {
    const unknown = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter(
      (k) => !ALLOWED[command].includes(k),
    );
    if (unknown.length > 0)
      throw new CliError(`${command} does not take --${unknown[0]}. Try \`heapscope --help\`.`);
    const ctx: Context = { engine, values, args, io, units: parseUnitsOption(values.units) };
    switch (command) {
      case 'stats':
        return await stats(ctx);
      case 'series':
        return await seriesCommand(ctx);
      case 'growth':
        return await growthCommand(ctx);
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
    // Not an engine error nor ours: its own text (a TypeError's) would mean nothing here.
    io.stderr(
      `heapscope: internal error (please report): ${oneLine(error instanceof Error ? error.name : 'unknown')}\n`,
    );
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
  /** How text output writes sizes (--units). */
  units: UnitSystem;
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
    ctx.io.stderr(
      `heapscope: wrote ${what} to ${outputPath} (${formatBytes(Buffer.byteLength(content), ctx.units)})\n`,
    );
  } else {
    ctx.io.stdout(content.endsWith('\n') ? content : `${content}\n`);
  }
}

async function stats(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'stats', 1, 1, 'one FILE');
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  const limitBytes = ctx.values.limit !== undefined ? parseSizeOption('limit', ctx.values.limit) : undefined;
  const lastMs = ctx.values.last !== undefined ? parseLastMs(ctx.values.last) : undefined;
  if (ctx.values.json && (limitBytes !== undefined || lastMs !== undefined))
    throw new CliError('--limit and --last print text; they cannot be combined with --json');
  // The whole capture's JSON numbers need no time index or per-stack journals: a lighter replay.
  const info = await openOne(ctx.engine, file, ctx.values.json && !range ? 'totals' : undefined);
  return printStats(ctx, info, { range, limitBytes, lastMs });
}

/** `series A B …`: the dumps as one series; with --from I --to J the diff of two of its dumps. */
async function seriesCommand(ctx: Context): Promise<number> {
  const files = expectFiles(ctx, 'series', 1, Infinity, 'tracemalloc DUMP files');
  const info = await ctx.engine.open({ path: files[0], series: files });
  const { values } = ctx;
  if (values.from === undefined && values.to === undefined) return printStats(ctx, info, {});
  if (values.from === undefined || values.to === undefined)
    throw new CliError('series --from I --to J needs both dump numbers');
  const count = info.series?.dumps.length ?? 0;
  const pick = (name: 'from' | 'to', text: string): number => {
    const n = parsePositiveInt(name, text);
    if (n > count) throw new CliError(`--${name} ${n}: the series has ${count} dumps`);
    return n - 1;
  };
  const timeline = await ctx.engine.timeline({ captureId: info.id });
  const side = (i: number) => ({
    captureId: info.id,
    snapshot: { kind: 'at', timeMs: timeline.timeMs[i] } as SnapshotSpec,
  });
  const base = side(pick('from', values.from));
  const target = side(pick('to', values.to));
  const top = values.top !== undefined ? parsePositiveInt('top', values.top) : undefined;
  const groups = await ctx.engine.matchedGroups(base, target, { groupBy: 'lineno' });
  const [oldTotals, newTotals] = await Promise.all([
    ctx.engine.snapshotInfo(base.captureId, base.snapshot),
    ctx.engine.snapshotInfo(target.captureId, target.snapshot),
  ]);
  const json = q.diffJson(groups.base, groups.target, {
    ...(top !== undefined && { top }),
    old: { totalSize: oldTotals.totalBytes, traceCount: oldTotals.totalCount },
    new: { totalSize: newTotals.totalBytes, traceCount: newTotals.totalCount },
  });
  if (values.json) ctx.io.stdout(`${toJsonText(json)}\n`);
  else
    ctx.io.stdout(
      `old = ${oldTotals.label}; new = ${newTotals.label}\n${formatDiff(json, top ?? 20, ctx.units)}`,
    );
  return 0;
}

function parseLastMs(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new CliError(`--last "${text}": expected the window in milliseconds, e.g. 5000`);
  return value;
}

async function printStats(
  ctx: Context,
  info: CaptureInfo,
  options: { range?: { fromMs: number; toMs: number }; limitBytes?: number; lastMs?: number },
): Promise<number> {
  const { range, limitBytes, lastMs } = options;
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
  const summary = await ctx.engine.summary({
    captureId: info.id,
    ...(range && { range }),
    units: ctx.units,
    ...(limitBytes !== undefined && { limitBytes }),
  });
  ctx.io.stdout(formatSummary(summary, top ?? 10, range, ctx.units));
  if (info.series) {
    const timeline = await ctx.engine.timeline({ captureId: info.id });
    ctx.io.stdout(`\n${formatSeries(info.series, timeline, top ?? 10, ctx.units)}`);
  } else if (
    !range &&
    info.capabilities.ranges &&
    (info.truncated || limitBytes !== undefined || lastMs !== undefined)
  ) {
    // A capture cut short (a kill) or checked against a limit: what grew at its end.
    const last = await ctx.engine.lastSeconds({
      captureId: info.id,
      units: ctx.units,
      ...(limitBytes !== undefined && { limitBytes }),
      ...(lastMs !== undefined && { windowMs: lastMs }),
    });
    ctx.io.stdout(`\n${formatLastSeconds(last, top ?? 10, ctx.units)}`);
  } else if (limitBytes !== undefined || lastMs !== undefined) {
    ctx.io.stderr(
      `heapscope: note: ${info.facts.fileName} has no per-allocation times, so there is no last-seconds section${limitBytes !== undefined ? ' (the limit findings use its peak)' : ''}\n`,
    );
  }
  return 0;
}

export function formatSummary(
  summary: Summary,
  top: number,
  range?: { fromMs: number; toMs: number },
  units: UnitSystem = 'si',
): string {
  const { info } = summary;
  const f = info.facts;
  const lines: string[] = [];
  lines.push(
    `${f.fileName}  (${f.format}${f.headerVersion !== undefined ? ` v${f.headerVersion}` : ''}${f.fileFormat === 'aggregated' ? ', aggregated' : ''}, ${formatBytes(f.sizeBytes, units)})`,
  );
  if (f.commandLine) lines.push(`  command:        ${f.commandLine}`);
  if (f.pythonVersion)
    lines.push(`  python:         ${f.pythonVersion}${f.pythonAllocator ? ` (${f.pythonAllocator})` : ''}`);
  if (range) lines.push(`  range:          ${range.fromMs}–${range.toMs} ms`);
  if (info.durationMs > 0) lines.push(`  duration:       ${formatDuration(info.durationMs)}`);
  lines.push(
    `  ${isSingleSnapshot(f.format) && !info.series ? 'traced:       ' : 'peak memory:  '}  ${formatBytes(summary.peakBytes, units)}${info.series ? ` in ${seriesMoment(info.series, summary.peakTimeMs)}` : summary.peakTimeMs > 0 ? ` at ${formatDuration(summary.peakTimeMs)}` : ''}`,
  );
  // Aggregated captures and snapshot dumps keep no allocation history, and some formats no leaks.
  if (info.capabilities.allAllocations)
    lines.push(
      `  allocations:    ${summary.totalAllocations.toLocaleString('en-US')} (${formatBytes(summary.totalBytesAllocated, units)} allocated)`,
    );
  // A series' last dump is what was alive then, not what leaked when tracking stopped.
  if (info.capabilities.leaks && info.capabilities.timeline && !info.series)
    lines.push(
      `  ${range ? 'alive at end:  ' : 'leaked:        '} ${formatBytes(summary.leakedBytes, units)} in ${summary.leakedCount.toLocaleString('en-US')} allocations${range ? ' made in the range' : ''}`,
    );
  if (summary.rssAtEndBytes !== undefined)
    lines.push(`  RSS at end:     ${formatBytes(summary.rssAtEndBytes, units)}`);
  if (summary.temporary && !range)
    lines.push(temporaryLine(summary.temporary, summary.totalAllocations, units));
  if (info.truncated)
    lines.push(
      `  TRUNCATED:      ${info.truncationReason ?? 'the capture ends early'}${info.truncatedAtByte !== undefined ? ` (at ${f.compressed ? 'decoded ' : ''}byte ${info.truncatedAtByte}; every record before it is used)` : ''}`,
    );
  // The reader also words the cut as a warning; the TRUNCATED line above already says it.
  for (const w of info.warnings.filter((w) => !restatesTruncation(w, info)))
    lines.push(`  warning:        ${w}`);
  const sites = summary.topSites.slice(0, top);
  if (sites.length > 0) {
    // Scalene's sites are bytes allocated over the run, not a share of the peak (topSitesBasis).
    const basis = topSitesBasis(summary, !!range);
    lines.push(
      '',
      `${basis.heading.replace(/^Top /, `Top ${sites.length} `)} (own bytes, share ${basis.shareOf}):`,
    );
    for (const s of sites) {
      const where = s.line > 0 ? `${s.file}:${s.line}` : s.file;
      const share = ownShare(s, basis);
      lines.push(
        `  ${formatBytes(s.ownBytes, units).padStart(10)}  ${formatPercent(share).padStart(6)}  ${s.function}  ${where}`,
      );
    }
  }
  if (summary.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const finding of summary.findings) lines.push(`  [${finding.severity}] ${finding.text}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A moment of a series: its dump (on a dump axis `timeMs` is the dump's index). */
function seriesMoment(series: NonNullable<CaptureInfo['series']>, timeMs: number): string {
  const timed = series.order === 'name-timestamp';
  let index = 0;
  series.dumps.forEach((d, i) => {
    if ((timed ? (d.timeMs ?? 0) : i) <= timeMs) index = i;
  });
  const d = series.dumps[index];
  return `dump ${index + 1} of ${series.dumps.length} (${d.fileName}${timed ? `, +${formatDuration(d.timeMs ?? 0)}` : ''})`;
}

/** Whether a warning only repeats the truncation that the summary's TRUNCATED line reports. */
function restatesTruncation(warning: string, info: Summary['info']): boolean {
  return info.truncated && !!info.truncationReason && warning.includes(info.truncationReason);
}

const EXPORT_FORMATS = ['memray-csv', 'csv', 'json', 'speedscope', 'html'] as const;
type CliExportFormat = (typeof EXPORT_FORMATS)[number];

function parseTemporary(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new CliError(`--temporary "${text}": expected a threshold N (0, 1, 2, 4, 8, 16 or 32)`);
  return n;
}

async function growthCommand(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'growth', 1, 1, 'one FILE');
  const top = ctx.values.top !== undefined ? parsePositiveInt('top', ctx.values.top) : 20;
  const info = await openOne(ctx.engine, file);
  if (!info.capabilities.growth)
    throw new CliError(
      `${info.facts.fileName}: growth needs an all-allocations memray capture with memory records (${info.facts.format}${info.facts.fileFormat === 'aggregated' ? ', aggregated' : ''})`,
    );
  const result = await ctx.engine.growth({ captureId: info.id, limit: top });
  ctx.io.stdout(ctx.values.json ? `${toJsonText(result)}\n` : formatGrowth(result, top, ctx.units));
  return 0;
}

async function exportCommand(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'export', 1, 1, 'one FILE');
  const format = ctx.values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(
      `export needs --format ${EXPORT_FORMATS.join('|')}${format ? ` (got "${format}")` : ''}`,
    );
  }
  if (ctx.values.output) await refuseOverwritingInput(ctx.values.output, [file]);
  const info = await openOne(ctx.engine, file);
  if (ctx.values.output) await refuseOverwritingInput(ctx.values.output, inputFiles(info));
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  if (ctx.values.leaks && ctx.values.temporary !== undefined)
    throw new CliError('--leaks and --temporary ask for different snapshots; give one');
  const temporary = ctx.values.temporary !== undefined ? parseTemporary(ctx.values.temporary) : undefined;
  const snapshot: SnapshotSpec | undefined = ctx.values.leaks
    ? { kind: 'leaks' }
    : temporary !== undefined
      ? { kind: 'temporary', threshold: temporary }
      : range
        ? { kind: 'range', ...range, measure: 'peak' }
        : undefined;
  const result = await ctx.engine.export({
    format: format as CliExportFormat,
    captureId: info.id,
    ...(snapshot && { snapshot }),
    ...(range && { range }),
    ...(ctx.values.redact && { redact: true }),
    units: ctx.units,
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
  else {
    // Two moments: say which, as chosen (ms, like --from/--to) and which memory record answered.
    const moments = twoMoments ? `moments: old = ${oldTotals.label}; new = ${newTotals.label}\n` : '';
    ctx.io.stdout(moments + formatDiff(json, top ?? 20, ctx.units));
  }
  return 0;
}

function formatDiff(json: DiffJson, top: number, units: UnitSystem): string {
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
    `old: ${formatBytes(json.old.totalSize, units)} in ${json.old.traceCount.toLocaleString('en-US')} blocks`,
    `new: ${formatBytes(json.new.totalSize, units)} in ${json.new.traceCount.toLocaleString('en-US')} blocks`,
    // Ordered as tracemalloc's compare_to(): by the size of the change, grown or shrunk.
    `${json.groupCount} groups; the ${Math.min(top, json.diff.length)} largest changes (+ grew, - shrank):`,
  ];
  for (const row of json.diff.slice(0, top)) {
    const sign = row.sizeDiff >= 0 ? '+' : '';
    lines.push(
      `  ${where(row)}: size=${formatBytes(row.size, units)} (${sign}${formatBytes(row.sizeDiff, units)}), count=${row.count} (${row.countDiff >= 0 ? '+' : ''}${row.countDiff})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function report(ctx: Context): Promise<number> {
  const [file] = expectFiles(ctx, 'report', 1, 1, 'one FILE');
  if (!ctx.values.output) throw new CliError('report needs -o OUT.html');
  const named = ctx.values.baseline ? [file, ctx.values.baseline] : [file];
  await refuseOverwritingInput(ctx.values.output, named);
  const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
  const [info, baseline] = await Promise.all([
    openOne(ctx.engine, file),
    ctx.values.baseline ? openOne(ctx.engine, ctx.values.baseline) : Promise.resolve(undefined),
  ]);
  await refuseOverwritingInput(ctx.values.output, inputFiles(info, baseline));
  const result = await ctx.engine.export({
    format: 'html',
    captureId: info.id,
    ...(baseline && { baseline: { captureId: baseline.id, snapshot: { kind: 'peak' } } }),
    ...(range && { range }),
    ...(ctx.values.redact && { redact: true }),
    units: ctx.units,
    ...(ctx.values.limit !== undefined && { limitBytes: parseSizeOption('limit', ctx.values.limit) }),
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
  if (values.junit)
    await refuseOverwritingInput(values.junit, values.baseline ? [file, values.baseline] : [file]);
  const [info, baseline] = await Promise.all([
    openOne(ctx.engine, file),
    values.baseline ? openOne(ctx.engine, values.baseline) : Promise.resolve(undefined),
  ]);
  if (values.junit) await refuseOverwritingInput(values.junit, inputFiles(info, baseline));
  const result = await runCheck(ctx.engine, {
    capture: info,
    ...(baseline && { baseline }),
    limits,
    units: ctx.units,
  });
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
  const start = (listenPort: number): ReturnType<typeof startServer> =>
    startServer({
      engine: ctx.engine,
      port: listenPort,
      host,
      files: ctx.args,
      log: (line) => ctx.io.stderr(`${line}\n`),
    });
  // Another heapscope (or anything else) on the default port must not stop a plain `npm start`:
  // unless a --port was asked for, a free port is taken instead.
  const server = await start(port).catch((error: NodeJS.ErrnoException) => {
    if (ctx.values.port !== undefined || error.code !== 'EADDRINUSE') throw error;
    ctx.io.stderr(`heapscope: port ${port} is in use; serving on a free port instead\n`);
    return start(0);
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
