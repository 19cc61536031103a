/**
 * Format registry: recognises a capture by its content (never by its extension, since users
 * rename dumps freely) and hands it to that format's loader.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CaptureFormat } from '../../shared/api';
import { InputError, type CaptureLoader, type CaptureModel, type LoadOptions } from '../model/capture-model';
import { MEMRAY_CSV_COLUMNS } from '../model/memray/vocabulary';
import { InputFile, inflatePrefix, unreadable } from './input';

/**
 * Every format's reader. A `Record` over `CaptureFormat`: a format added to shared/api.ts
 * without a reader here does not compile. Each is imported when a file of its format opens, so
 * a tracemalloc dump never initialises the memray reader (the bundle is one file: see
 * cli/commands/index.ts for why).
 */
export const LOADERS: Readonly<Record<CaptureFormat, CaptureLoader>> = {
  memray: async (path, options) => (await import('./memray/index')).loadMemray(path, options),
  tracemalloc: async (path, options) => (await import('./tracemalloc/index')).loadTracemalloc(path, options),
  'memray-csv': async (path, options) => (await import('./memray-csv/index')).loadMemrayCsv(path, options),
  scalene: async (path, options) => (await import('./scalene/index')).loadScalene(path, options),
};

/** How many leading bytes the sniffer looks at; enough for a Scalene key list or a CSV header. */
export const SNIFF_BYTES = 64 * 1024;

export const MEMRAY_CSV_HEADER = MEMRAY_CSV_COLUMNS.join(',');

const LZ4_FRAME_MAGIC = [0x04, 0x22, 0x4d, 0x18];
const MEMRAY_MAGIC = [0x6d, 0x65, 0x6d, 0x72, 0x61, 0x79, 0x00];
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Keys that only a Scalene profile has at the top level. Scalene sorts keys, so the early ones
 * (alloc_samples, args, async_profile) appear within the first bytes even for large profiles.
 */
const SCALENE_KEYS = [
  'alloc_samples',
  'async_profile',
  'max_footprint_mb',
  'elapsed_time_sec',
  'growth_rate',
  'memory_stacks',
  'combined_stacks',
  'entrypoint_dir',
  'start_time_perf',
];

export const EXPECTED_FORMATS =
  'a memray capture (LZ4 frame 04 22 4D 18 or "memray\\0"), a tracemalloc dump (pickle protocol 2–5, ' +
  'or its gzip), memray "transform csv" output ' +
  `(first line "${MEMRAY_CSV_HEADER}") or a Scalene JSON profile`;

export interface SniffResult {
  format: CaptureFormat;
  /** The file is gzip-compressed (tracemalloc dumps users gzip for transfer). */
  gzip?: boolean;
}

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    // Control bytes other than tab/newline/CR mean binary; UTF-8 multibyte sequences are text.
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  }
  return true;
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/^\uFEFF/, '');
}

/** Protocol-0 pickles (`pickle.dump(s, f, protocol=0)`) start with GLOBAL "c…\n" or MARK "(". */
function looksLikeProtocol0Pickle(text: string): boolean {
  return /^c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(text) || /^\((?:[cdlItSVFNL(]|lp|dp)/.test(text);
}

function sniffUncompressed(head: Uint8Array): CaptureFormat | undefined {
  if (startsWith(head, LZ4_FRAME_MAGIC) || startsWith(head, MEMRAY_MAGIC)) return 'memray';
  // Every binary pickle starts with PROTO; the tracemalloc loader reports unsupported protocols itself.
  if (head[0] === 0x80 && head.length > 1 && head[1] >= 0x02 && head[1] <= 0x10) return 'tracemalloc';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  if (firstLine(text).trim() === MEMRAY_CSV_HEADER) return 'memray-csv';
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    if (/^\{\s*\}\s*$/.test(trimmed)) return 'scalene';
    for (const key of SCALENE_KEYS) if (trimmed.includes(`"${key}"`)) return 'scalene';
    return undefined;
  }
  if (looksLikeProtocol0Pickle(text)) return 'tracemalloc';
  return undefined;
}

/**
 * Recognises a capture from its first bytes. `inflate` unpacks a gzip prefix (injected so the
 * pure function can be unit-tested without files).
 */
export function sniffBytes(
  head: Uint8Array,
  inflate: (gz: Uint8Array) => Uint8Array = (gz) => inflatePrefix(gz, 4096),
): SniffResult | undefined {
  if (startsWith(head, GZIP_MAGIC)) {
    const inner = inflate(head);
    const format = sniffUncompressed(inner);
    // Only tracemalloc dumps are gzipped in practice; the other loaders stream their own bytes.
    return format === 'tracemalloc' ? { format, gzip: true } : undefined;
  }
  const format = sniffUncompressed(head);
  return format ? { format } : undefined;
}

/**
 * Says what a file that is no capture looks like without quoting any of it: the file may be a
 * secret (a .env, a key) and browser mode sends this message to a page.
 */
export function describeUnrecognised(path: string, head: Uint8Array): string {
  const what =
    head.length === 0
      ? 'the file is empty'
      : looksLikeText(head)
        ? 'found text that starts like none of these'
        : 'found binary data that starts like none of these';
  const gz = startsWith(head, GZIP_MAGIC) ? ' (gzip-compressed, but not a tracemalloc dump inside)' : '';
  const hint = head.length > 0 && looksLikeText(head) ? ' — not a pickle (looks like text)' : '';
  return `${basename(path)}: not a capture Heapscope can read: expected ${EXPECTED_FORMATS}; ${what}${gz}${hint}`;
}

export function readHead(path: string, n = SNIFF_BYTES): Promise<Uint8Array> {
  return InputFile.use(path, (input) => input.head(n));
}

export async function sniffFile(path: string): Promise<SniffResult> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(path, e);
  });
  if (info.isDirectory()) throw new InputError(`${path}: is a directory, expected a capture file`, path);
  if (info.size === 0)
    throw new InputError(`${basename(path)}: empty file (expected ${EXPECTED_FORMATS})`, path, 0);
  const head = await readHead(path);
  const result = sniffBytes(head);
  if (!result) throw new InputError(describeUnrecognised(path, head), path, 0);
  return result;
}

export interface OpenCaptureOptions extends LoadOptions {
  withForkChildren?: boolean;
  /** tracemalloc dumps to open as one series; `path` then only names it. */
  series?: readonly string[];
}

/**
 * Every file of a series must be of one format: tracemalloc dumps, or memray captures (of one
 * program: formats/memray/series.ts); says which one is not, and what it is. A folder opens as
 * the series of the dumps directly in it, or, with none, of the memray captures in it.
 */
async function openSeries(path: string, options: OpenCaptureOptions): Promise<CaptureModel | undefined> {
  if (options.series) {
    // one format for the whole series: tracemalloc dumps, or memray captures of one program
    const kind = (await sniffFile(options.series[0])).format === 'memray' ? 'memray' : 'tracemalloc';
    for (const member of options.series) {
      const { format } = await sniffFile(member);
      if (format !== kind)
        throw new InputError(
          `${basename(member)}: a ${format} capture, not a ${kind === 'memray' ? 'memray capture' : 'tracemalloc dump'}; a series holds tracemalloc dumps, or memray captures of one program`,
          member,
        );
    }
    if (kind === 'memray')
      return (await import('./memray/series')).loadMemraySeries(options.series, { ...options, label: path });
    return (await import('./tracemalloc/series')).loadTracemallocSeries(options.series, {
      ...options,
      label: path,
    });
  }
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return undefined;
  const { listSeriesFolder, loadTracemallocSeries } = await import('./tracemalloc/series');
  const { dumps, skipped, memray } = await listSeriesFolder(path, sniffFile);
  if (dumps.length === 0 && memray.length > 0) {
    const { loadMemraySeries, memraySeriesFolder } = await import('./memray/series');
    const { captures, forkChildren } = memraySeriesFolder(memray);
    return loadMemraySeries(captures, {
      ...options,
      label: path,
      skipped: skipped - memray.length + forkChildren,
      ...(forkChildren > 0 && {
        skippedNote: 'fork children NAME.bin.PID: open their parent alone to merge them',
      }),
    });
  }
  if (dumps.length === 0)
    throw new InputError(
      `${path}: no tracemalloc dumps or memray captures in this folder (a folder opens as a series of either; ${skipped} other file${skipped === 1 ? '' : 's'})`,
      path,
    );
  return loadTracemallocSeries(dumps, { ...options, label: path, skipped });
}

/** Sniffs and loads one capture (or a memray parent with its fork children, or a series). */
export async function loadCapture(path: string, options: OpenCaptureOptions = {}): Promise<CaptureModel> {
  const series = await openSeries(path, options);
  if (series) return series;
  const { format } = await sniffFile(path);
  if (format === 'memray' && options.withForkChildren) {
    const children = await (await import('./memray/fork-children')).findForkChildren(path);
    if (children.length > 0)
      return (await import('./memray/index')).loadMemrayMultiProcess(path, children, options);
  }
  return LOADERS[format](path, options);
}
