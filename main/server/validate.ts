/**
 * Shape checks for API arguments arriving from outside the process (browser mode's HTTP bodies,
 * Electron's IPC). A malformed request is answered with a clear bad-input message here, at the
 * boundary, instead of surfacing later as an internal error from deep inside a query.
 * Keys the checks do not know are left alone: the engine ignores them.
 */
import type { ApiMethod } from '../../shared/ipc';

/** The reason `args` cannot be passed to `method`, or undefined when they can. */
export function checkApiArgs(method: ApiMethod, args: readonly unknown[]): string | undefined {
  const first = args[0];
  switch (method) {
    case 'list':
      return undefined;
    case 'cancel':
    case 'close':
      return typeof first === 'string' && first.length > 0
        ? undefined
        : `${method} needs a capture id (a string)`;
    default:
      return objectProblem(method, first) ?? CHECKS[method](first as Fields);
  }
}

type Fields = Record<string, unknown>;
type Check = (value: Fields) => string | undefined;

function objectProblem(method: string, value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? undefined
    : `${method} needs a request object`;
}

/** The first problem of a list of checks. */
function first(...problems: (string | undefined)[]): string | undefined {
  return problems.find((p) => p !== undefined);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function requiredString(where: string, o: Fields, key: string): string | undefined {
  return typeof o[key] === 'string' && (o[key] as string).length > 0
    ? undefined
    : `${where}: ${key} must be a non-empty string`;
}

function optional(
  where: string,
  o: Fields,
  key: string,
  ok: (v: unknown) => boolean,
  what: string,
): string | undefined {
  return o[key] === undefined || ok(o[key]) ? undefined : `${where}: ${key} must be ${what}`;
}

function optionalBoolean(where: string, o: Fields, key: string): string | undefined {
  return optional(where, o, key, (v) => typeof v === 'boolean', 'true or false');
}

function oneOf(values: readonly string[]): (v: unknown) => boolean {
  return (v) => typeof v === 'string' && values.includes(v);
}

function quoted(values: readonly string[]): string {
  return `one of ${values.map((v) => `'${v}'`).join(', ')}`;
}

function isRecord(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RANGE_MEASURES = ['peak', 'live-at-end', 'allocated'] as const;
const GROUP_BY = ['function', 'line', 'file', 'module', 'traceback'] as const;
const SORT_BY = ['bytes', 'count', 'ownBytes', 'name'] as const;
const EXPORT_FORMATS = ['html', 'csv', 'json', 'speedscope', 'memray-csv'] as const;

function rangeProblem(where: string, v: unknown): string | undefined {
  if (!isRecord(v)) return `${where} must be an object {fromMs, toMs}`;
  if (!isFiniteNumber(v.fromMs) || !isFiniteNumber(v.toMs))
    return `${where}: fromMs and toMs must be numbers`;
  return undefined;
}

export function snapshotProblem(where: string, v: unknown): string | undefined {
  if (!isRecord(v)) return `${where} must be a snapshot object such as {"kind": "peak"}`;
  switch (v.kind) {
    case 'peak':
    case 'leaks':
    case 'all':
      return undefined;
    case 'temporary':
      return first(
        optional(where, v, 'threshold', isCount, 'a whole number ≥ 0'),
        // a brushed range: both ends or neither
        v.fromMs === undefined && v.toMs === undefined ? undefined : rangeProblem(where, v),
      );
    case 'at':
      return isFiniteNumber(v.timeMs) ? undefined : `${where}: an 'at' snapshot needs timeMs (a number)`;
    case 'range':
      return first(
        rangeProblem(where, v),
        oneOf(RANGE_MEASURES)(v.measure) ? undefined : `${where}: measure must be ${quoted(RANGE_MEASURES)}`,
      );
    default:
      return `${where}: kind must be one of 'peak', 'leaks', 'all', 'at', 'range', 'temporary'`;
  }
}

function filterProblem(where: string, o: Fields): string | undefined {
  const f = o.filter;
  if (f === undefined) return undefined;
  if (!isRecord(f)) return `${where}: filter must be an object`;
  const w = `${where}: filter`;
  return first(
    optional(w, f, 'threads', (v) => Array.isArray(v) && v.every(isCount), 'a list of thread ids'),
    optional(
      w,
      f,
      'allocators',
      (v) => Array.isArray(v) && v.every((a) => typeof a === 'string'),
      'a list of allocator names',
    ),
    optionalBoolean(w, f, 'mergeThreads'),
    optionalBoolean(w, f, 'hideImportSystem'),
    optionalBoolean(w, f, 'hideInternals'),
    optionalBoolean(w, f, 'pythonOnly'),
  );
}

function sideProblem(where: string, v: unknown): string | undefined {
  if (!isRecord(v)) return `${where} must be an object {captureId, snapshot}`;
  return first(requiredString(where, v, 'captureId'), snapshotProblem(`${where}.snapshot`, v.snapshot));
}

function layoutMomentProblem(where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) return `${where} must be a moment such as {"kind": "peak"}`;
  if (v.kind === 'peak' || v.kind === 'end') return undefined;
  if (v.kind === 'at')
    return isFiniteNumber(v.timeMs) && v.timeMs >= 0
      ? undefined
      : `${where}: an 'at' moment needs timeMs (ms from the start, ≥ 0)`;
  return `${where}: kind must be one of 'peak', 'end', 'at'`;
}

function isAddress(v: unknown): boolean {
  return isCount(v);
}

function layoutRegionProblem(where: string, v: unknown): string | undefined {
  if (!isRecord(v)) return `${where} must be a region such as {"kind": "arena", "address": 140…}`;
  switch (v.kind) {
    case 'arena':
    case 'pool':
      return isAddress(v.address) ? undefined : `${where}: address must be a whole number ≥ 0`;
    case 'sparse-arenas':
      return undefined;
    case 'heap-range':
      return isAddress(v.fromAddress) &&
        isAddress(v.toAddress) &&
        (v.toAddress as number) >= (v.fromAddress as number)
        ? undefined
        : `${where}: fromAddress ≤ toAddress must be whole numbers ≥ 0`;
    default:
      return `${where}: kind must be one of 'arena', 'pool', 'sparse-arenas', 'heap-range'`;
  }
}

const CHECKS: Record<Exclude<ApiMethod, 'list' | 'cancel' | 'close'>, Check> = {
  open: (o) =>
    first(
      requiredString('open', o, 'path'),
      optionalBoolean('open', o, 'withForkChildren'),
      optional('open', o, 'detail', oneOf(['full', 'totals']), "'full' or 'totals'"),
      optional(
        'open',
        o,
        'series',
        (v) => Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p.length > 0),
        'a list of file paths',
      ),
    ),
  summary: (o) =>
    first(
      requiredString('summary', o, 'captureId'),
      o.range === undefined ? undefined : rangeProblem('summary: range', o.range),
      optional('summary', o, 'limitBytes', (v) => isFiniteNumber(v) && v > 0, 'a positive number of bytes'),
    ),
  growth: (o) =>
    first(
      requiredString('growth', o, 'captureId'),
      optional('growth', o, 'limit', isCount, 'a whole number ≥ 0'),
      optional('growth', o, 'threads', (v) => Array.isArray(v) && v.every(isCount), 'a list of thread ids'),
    ),
  layout: (o) =>
    first(
      requiredString('layout', o, 'captureId'),
      layoutMomentProblem('layout: at', o.at),
      optional('layout', o, 'maxArenas', isCount, 'a whole number ≥ 0'),
      optional('layout', o, 'units', oneOf(['si', 'iec']), "'si' or 'iec'"),
    ),
  layoutSites: (o) =>
    first(
      requiredString('layoutSites', o, 'captureId'),
      layoutMomentProblem('layoutSites: at', o.at),
      layoutRegionProblem('layoutSites: region', o.region),
      optional('layoutSites', o, 'limit', isCount, 'a whole number ≥ 0'),
    ),
  layoutBands: (o) => requiredString('layoutBands', o, 'captureId'),
  lastSeconds: (o) =>
    first(
      requiredString('lastSeconds', o, 'captureId'),
      optional('lastSeconds', o, 'windowMs', (v) => isFiniteNumber(v) && v > 0, 'a positive number of ms'),
      optional(
        'lastSeconds',
        o,
        'limitBytes',
        (v) => isFiniteNumber(v) && v > 0,
        'a positive number of bytes',
      ),
      optional('lastSeconds', o, 'limit', isCount, 'a whole number ≥ 0'),
      optional('lastSeconds', o, 'groupBy', oneOf(['line', 'function']), "'line' or 'function'"),
    ),
  flamegraph: (o) =>
    first(
      requiredString('flamegraph', o, 'captureId'),
      snapshotProblem('flamegraph: snapshot', o.snapshot),
      filterProblem('flamegraph', o),
      optionalBoolean('flamegraph', o, 'inverted'),
      optional(
        'flamegraph',
        o,
        'sandwich',
        (v) => isRecord(v) && typeof v.name === 'string' && typeof v.file === 'string',
        'an object {name, file}',
      ),
      optional('flamegraph', o, 'maxNodes', (v) => isCount(v) && v > 0, 'a positive whole number'),
      optional('flamegraph', o, 'focusKey', (v) => typeof v === 'string', "a table row's key"),
    ),
  timeline: (o) =>
    first(
      requiredString('timeline', o, 'captureId'),
      optional('timeline', o, 'maxPoints', (v) => isCount(v) && v > 0, 'a positive whole number'),
      optional('timeline', o, 'temporaryThreshold', isCount, 'a whole number ≥ 0'),
    ),
  allocators: (o) =>
    first(
      requiredString('allocators', o, 'captureId'),
      snapshotProblem('allocators: snapshot', o.snapshot),
      filterProblem('allocators', o),
    ),
  table: (o) =>
    first(
      requiredString('table', o, 'captureId'),
      snapshotProblem('table: snapshot', o.snapshot),
      filterProblem('table', o),
      oneOf(GROUP_BY)(o.groupBy) ? undefined : `table: groupBy must be ${quoted(GROUP_BY)}`,
      optional('table', o, 'sortBy', oneOf(SORT_BY), quoted(SORT_BY)),
      optionalBoolean('table', o, 'descending'),
      optional('table', o, 'search', (v) => typeof v === 'string', 'a string'),
      optional('table', o, 'offset', isCount, 'a whole number ≥ 0'),
      optional('table', o, 'limit', isCount, 'a whole number ≥ 0'),
    ),
  diff: (o) => {
    const groups = GROUP_BY.filter((g) => g !== 'module');
    return first(
      sideProblem('diff: base', o.base),
      sideProblem('diff: target', o.target),
      oneOf(groups)(o.groupBy) ? undefined : `diff: groupBy must be ${quoted(groups)}`,
      filterProblem('diff', o),
      optionalBoolean('diff', o, 'cumulative'),
      optional('diff', o, 'limit', isCount, 'a whole number ≥ 0'),
    );
  },
  export: (o) =>
    first(
      requiredString('export', o, 'captureId'),
      oneOf(EXPORT_FORMATS)(o.format) ? undefined : `export: format must be ${quoted(EXPORT_FORMATS)}`,
      o.baseline === undefined ? undefined : sideProblem('export: baseline', o.baseline),
      o.snapshot === undefined ? undefined : snapshotProblem('export: snapshot', o.snapshot),
      o.range === undefined ? undefined : rangeProblem('export: range', o.range),
      filterProblem('export', o),
      optionalBoolean('export', o, 'redact'),
      optional('export', o, 'limitBytes', (v) => isFiniteNumber(v) && v > 0, 'a positive number of bytes'),
      optional('export', o, 'outputPath', (v) => typeof v === 'string' && v.length > 0, 'a file path'),
    ),
  lineSamples: (o) =>
    first(
      requiredString('lineSamples', o, 'captureId'),
      requiredString('lineSamples', o, 'file'),
      isCount(o.line) ? undefined : 'lineSamples: line must be a whole number ≥ 0',
    ),
};
