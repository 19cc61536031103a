/**
 * The command line: every flag `heapscope` knows, and the checks that turn a flag's text into a
 * value or a one-line CliError. Which flags a command takes is said by the command
 * (commands/<command>.ts, `options`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import type { SymbolSearch } from '../../shared/api';
import { parseSize, parseUnitSystem, type UnitSystem } from '../../shared/units';
import { CliError } from './errors';

export const OPTIONS = {
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
  'max-held': { type: 'string' },
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

export type OptionName = keyof typeof OPTIONS;

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

/** Where native frames' libraries and debug files are searched (every command that shows them). */
export const SYMBOL_OPTIONS = ['sysroot', 'debug-dir'] as const satisfies readonly OptionName[];

/** The flags and positionals of a command line; throws parseArgs' own error for an unknown flag. */
export function parseCommandLine(argv: string[]): { values: Values; positionals: string[] } {
  return parseArgs({
    args: normalizeTemporaryFlag(argv),
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
}

/**
 * `--temporary [N]`: the flag with an optional number. parseArgs wants a value for a string
 * option, so `--temporary` not followed by a number becomes `--temporary=1` (memray's
 * `--temporary-allocations`).
 */
export function normalizeTemporaryFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--temporary') {
      out.push(argv[i]);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      out.push(`--temporary=${next}`);
      i++;
    } else out.push('--temporary=1');
  }
  return out;
}

/** --sysroot / --debug-dir: repeatable, made absolute; absent means the defaults. */
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

/** --range T1:T2, ms from the start of the capture. */
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

/** --from / --to of `diff`: a moment, ms from the start. */
export function parseMs(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new CliError(`--${name} "${text}": expected milliseconds from the start, e.g. 1500`);
  return value;
}

/** --last: the final window of `stats`, in ms. */
export function parseLastMs(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new CliError(`--last "${text}": expected the window in milliseconds, e.g. 5000`);
  return value;
}

export function parsePositiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new CliError(`--${name} "${text}": expected a positive whole number`);
  return value;
}

/** --top N, or undefined when not given. */
export function topOption(values: Pick<Values, 'top'>): number | undefined {
  return values.top !== undefined ? parsePositiveInt('top', values.top) : undefined;
}

/** A SIZE read as labelled (shared/units parseSize): 24MB, 24MiB, 4096. */
export function parseSizeOption(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    throw new CliError(`--${name}: ${(error as Error).message}`);
  }
}

export function parseUnitsOption(text: string | undefined): UnitSystem {
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

/** tracemalloc's statistics() / compare_to() key_type. */
export type StatsGroupBy = 'filename' | 'lineno' | 'traceback';

export function parseGroupBy(text: string | undefined): StatsGroupBy | undefined {
  if (text === undefined) return undefined;
  if (text === 'filename' || text === 'lineno' || text === 'traceback') return text;
  throw new CliError(`--group-by "${text}": expected filename, lineno or traceback`);
}

/** --temporary N: memray's temporary-allocation threshold. */
export function parseTemporary(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new CliError(`--temporary "${text}": expected a threshold N (0, 1, 2, 4, 8, 16 or 32)`);
  return n;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port "${text}": expected a port number 0–65535`);
  return port;
}
