/**
 * Scalene's JSON profile, normalised: every key optional (the format grew from 2021 to 2026),
 * numbers defaulted to 0, arrays to [], unknown keys ignored. See docs/formats/scalene-format.md.
 */
import { basename } from 'node:path';
import { InputError } from '../../model/capture-model';
import type {
  ScaleneFile,
  ScaleneFrame,
  ScaleneLeak,
  ScaleneLine,
  ScaleneProfile,
  ScaleneStack,
} from '../../model/scalene/profile';

/** Keys that only Scalene writes; a non-empty object with none of them is not a Scalene profile. */
export const SCALENE_TOP_LEVEL_KEYS = new Set([
  'alloc_samples',
  'args',
  'async_profile',
  'combined_stacks',
  'combined_stacks_timeline',
  'elapsed_time_sec',
  'entrypoint_dir',
  'filename',
  'files',
  'gpu',
  'gpu_device',
  'growth_rate',
  'main_thread_id',
  'max_footprint_fname',
  'max_footprint_lineno',
  'max_footprint_mb',
  'max_footprint_python_fraction',
  'memory',
  'memory_stacks',
  'native_allocations_mb',
  'program',
  'samples',
  'stacks',
  'start_time_absolute',
  'start_time_perf',
]);

/** Arrays we never use and that dominate large profiles: dropped while streaming. */
export const SKIPPED_KEYS = new Set(['cpu_samples_list', 'combined_stacks_timeline', 'async_task_names']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Non-finite numbers (Python's NaN/Infinity tokens) would poison every sum: treat them as 0. */
function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function optNum(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Scalene replaces `&`, `<`, `>` in source lines with the 6-character text `\u0026` etc. (after
 * JSON decoding). Only these three are undone: any other `\uXXXX` text is the program's own.
 */
export function unescapeSourceLine(text: string): string {
  return text.replace(/\\u00(26|3[cC]|3[eE])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function timePoints(v: unknown): [number, number][] {
  if (!Array.isArray(v)) return [];
  const out: [number, number][] = [];
  for (const p of v) {
    if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
      out.push([num(p[0]), num(p[1])]);
  }
  return out;
}

function parseStack(entry: unknown): ScaleneStack | undefined {
  if (!Array.isArray(entry) || !Array.isArray(entry[0])) return undefined;
  const frames: ScaleneFrame[] = [];
  for (const f of entry[0] as unknown[]) {
    if (isObject(f)) {
      const kind = f.kind === 'native' ? 'native' : 'py';
      frames.push({
        kind,
        name: optStr(f.display_name) ?? '',
        file: optStr(f.filename_or_module) ?? '',
        line: kind === 'py' ? num(f.line) : null,
      });
    } else if (typeof f === 'string') {
      // Legacy `stacks` frame: "<abs file> <qualified function>:<line>;"
      const m = /^(.*) (\S+):(\d+);?$/.exec(f);
      if (m) frames.push({ kind: 'py', file: m[1], name: m[2], line: Number(m[3]) });
    }
  }
  const w = entry[1];
  const weight = typeof w === 'number' ? num(w) : isObject(w) ? num(w.count) : 0;
  return { frames, weight };
}

function parseStacks(v: unknown): ScaleneStack[] {
  if (!Array.isArray(v)) return [];
  const out: ScaleneStack[] = [];
  for (const e of v) {
    const s = parseStack(e);
    if (s && s.frames.length > 0) out.push(s);
  }
  return out;
}

/**
 * A line's function from the file's `functions` entries alone (name and `def` line), for profiles
 * whose line records carry no function range: the last function defined at or above the line.
 * Code written at column 0 below the functions (`if __name__ == "__main__":`, decorators) is module
 * level, and so is everything above the first `def`. Without end lines, an indented line of a
 * module-level block after the last function still goes to that function: the profile does not say.
 */
export function functionAtDefLine(defs: readonly [number, string][], lineno: number, text: string): string {
  let name = '<module>';
  let defLine = 0;
  for (const [def, fn] of defs) {
    if (def > lineno) break;
    [name, defLine] = [fn, def];
  }
  // A line at column 0 is outside every function, unless it is a listed function's own `def`.
  const atColumnZero = text.length > 0 && !/^\s/.test(text);
  if (atColumnZero && defLine !== lineno) return '<module>';
  return name;
}

function parseFile(path: string, raw: Json): ScaleneFile {
  const functionsByLine = new Map<number, string>();
  if (Array.isArray(raw.functions)) {
    for (const f of raw.functions) {
      if (isObject(f) && typeof f.lineno === 'number' && typeof f.line === 'string')
        functionsByLine.set(f.lineno, f.line);
    }
  }
  const lines: ScaleneLine[] = [];
  const rawLines = Array.isArray(raw.lines) ? raw.lines : [];
  // Scalene 2.1+ gives each line its function's range; older files (1.5.x) only name functions.
  const hasRanges = rawLines.some((l) => isObject(l) && 'start_function_line' in l);
  const defs = [...functionsByLine].sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < rawLines.length; i++) {
    const l: unknown = rawLines[i];
    if (!isObject(l)) continue;
    const startFunction = num(l.start_function_line);
    const lineno = num(l.lineno, i + 1);
    const text = unescapeSourceLine(optStr(l.line) ?? '').replace(/\r?\n$/, '');
    lines.push({
      file: path,
      lineno,
      text,
      functionName: hasRanges
        ? ((startFunction > 0 ? functionsByLine.get(startFunction) : undefined) ?? '<module>')
        : functionAtDefLine(defs, lineno, text),
      mallocMb: num(l.n_malloc_mb),
      mallocs: num(l.n_mallocs),
      avgMb: num(l.n_avg_mb),
      // n_growth_mb is the pre-Dec-2021 name of the same number.
      peakMb: num(l.n_peak_mb, num(l.n_growth_mb)),
      pythonFraction: num(l.n_python_fraction),
      usageFraction: optNum(l.n_usage_fraction),
      copyMbPerSec: num(l.n_copy_mb_s),
      memorySamples: timePoints(l.memory_samples),
    });
  }
  const leaks: ScaleneLeak[] = [];
  if (isObject(raw.leaks)) {
    for (const [key, v] of Object.entries(raw.leaks)) {
      const lineno = Number(key);
      if (!Number.isInteger(lineno) || !isObject(v)) continue;
      leaks.push({
        file: path,
        lineno,
        likelihood: num(v.likelihood),
        velocityMbPerSec: num(v.velocity_mb_s),
      });
    }
    leaks.sort((a, b) => a.lineno - b.lineno);
  }
  return {
    path,
    percentCpu: num(raw.percent_cpu_time),
    imports: Array.isArray(raw.imports) ? raw.imports.filter((s): s is string => typeof s === 'string') : [],
    lines,
    leaks,
  };
}

/**
 * Turns the parsed root object into a profile. `offsets` are the byte offsets of the root values,
 * so a wrongly typed key is reported where it is.
 */
export function normaliseProfile(
  root: unknown,
  path: string,
  offsets: Map<string, number>,
  rootOffset: number,
): ScaleneProfile {
  const name = basename(path);
  if (!isObject(root)) {
    throw new InputError(`${name}: not a Scalene profile: the JSON is not an object`, path, rootOffset);
  }
  const keys = Object.keys(root);
  // Scalene writes `{}` when nothing was sampled; that is a valid, empty profile.
  if (keys.length > 0 && !keys.some((k) => SCALENE_TOP_LEVEL_KEYS.has(k))) {
    throw new InputError(
      `${name}: a JSON object, but not a Scalene profile: none of Scalene's keys (files, samples, max_footprint_mb, …) is present`,
      path,
      rootOffset,
    );
  }
  const wrongType = (key: string, expected: string): never => {
    throw new InputError(
      `${name}: not a valid Scalene profile: "${key}" should be ${expected}`,
      path,
      offsets.get(key) ?? rootOffset,
    );
  };
  if (root.files !== undefined && !isObject(root.files)) wrongType('files', 'an object keyed by source path');
  for (const key of ['samples', 'memory_stacks', 'combined_stacks', 'stacks']) {
    if (root[key] !== undefined && !Array.isArray(root[key])) wrongType(key, 'an array');
  }

  const files: ScaleneFile[] = [];
  if (isObject(root.files)) {
    for (const [filePath, raw] of Object.entries(root.files)) {
      if (isObject(raw)) files.push(parseFile(filePath, raw));
    }
  }
  const samples = timePoints(root.samples);
  const memoryStacks = parseStacks(root.memory_stacks);
  const combined = parseStacks(root.combined_stacks);
  const legacy = combined.length > 0 ? [] : parseStacks(root.stacks);
  const maxFootprintMb = num(root.max_footprint_mb);
  const memory =
    typeof root.memory === 'boolean'
      ? root.memory
      : maxFootprintMb > 0 ||
        samples.length > 0 ||
        memoryStacks.length > 0 ||
        files.some((f) => f.lines.some((l) => l.mallocMb > 0));
  return {
    memory,
    elapsedSec: num(root.elapsed_time_sec),
    startTimeAbsoluteSec: optNum(root.start_time_absolute),
    program: optStr(root.program),
    programDir: optStr(root.filename) ?? optStr(root.entrypoint_dir),
    args: Array.isArray(root.args) ? root.args.filter((a): a is string => typeof a === 'string') : undefined,
    allocSamples: num(root.alloc_samples),
    maxFootprintMb,
    maxFootprintPythonFraction: optNum(root.max_footprint_python_fraction),
    maxFootprintFile: optStr(root.max_footprint_fname),
    maxFootprintLine: optNum(root.max_footprint_lineno),
    growthRatePercent: num(root.growth_rate),
    nativeAllocationsMb: num(root.native_allocations_mb),
    gpuDevice: optStr(root.gpu_device),
    samples,
    files,
    memoryStacks,
    cpuStacks: combined.length > 0 ? combined : legacy,
    cpuStacksSource: combined.length > 0 ? 'combined_stacks' : legacy.length > 0 ? 'stacks' : undefined,
  };
}
