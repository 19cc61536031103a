/**
 * Format registry: recognises a capture by its content (never by its extension, since users
 * rename dumps freely) and hands it to that format's loader.
 */
import { open as openFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CaptureFormat } from '../../shared/api';
import { InputError, type CaptureLoader, type CaptureModel, type LoadOptions } from '../model/capture-model';
import { listSeriesFolder, loadTracemallocSeries } from './tracemalloc/series';

/** How many leading bytes the sniffer looks at; enough for a Scalene key list or a CSV header. */
export const SNIFF_BYTES = 64 * 1024;

export const MEMRAY_CSV_HEADER = 'allocator,num_allocations,size,tid,thread_name,stack_trace';

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
  inflate: (gz: Uint8Array) => Uint8Array = peekGunzip,
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

/** Inflates as much of a gzip prefix as the bytes allow (a truncated stream is expected here). */
function peekGunzip(gz: Uint8Array): Uint8Array {
  try {
    return gunzipSync(gz, { finishFlush: 2 /* Z_SYNC_FLUSH: tolerate the cut at SNIFF_BYTES */ }).subarray(
      0,
      4096,
    );
  } catch {
    return new Uint8Array(0);
  }
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

export async function readHead(path: string, n = SNIFF_BYTES): Promise<Uint8Array> {
  const handle = await openFile(path, 'r');
  try {
    const buffer = new Uint8Array(n);
    const { bytesRead } = await handle.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function sniffFile(path: string): Promise<SniffResult> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, path);
  });
  if (info.isDirectory()) throw new InputError(`${path}: is a directory, expected a capture file`, path);
  if (info.size === 0)
    throw new InputError(`${basename(path)}: empty file (expected ${EXPECTED_FORMATS})`, path, 0);
  const head = await readHead(path);
  const result = sniffBytes(head);
  if (!result) throw new InputError(describeUnrecognised(path, head), path, 0);
  return result;
}

interface LoaderModule {
  [name: string]: unknown;
}

const LOADER_EXPORTS: Record<CaptureFormat, string> = {
  memray: 'loadMemray',
  tracemalloc: 'loadTracemalloc',
  'memray-csv': 'loadMemrayCsv',
  scalene: 'loadScalene',
};

export class LoaderUnavailable extends Error {
  constructor(format: string, detail: string) {
    super(`the ${format} reader is not available yet in this build (${detail})`);
    this.name = 'LoaderUnavailable';
  }
}

async function importFormat(format: CaptureFormat): Promise<LoaderModule> {
  try {
    // A template import: bundlers include whichever format folders exist, and a missing one fails
    // here, at run time, with a message instead of breaking the whole build.
    return (await import(`./${format}/index.ts`)) as LoaderModule;
  } catch (error) {
    throw new LoaderUnavailable(format, error instanceof Error ? error.message : String(error));
  }
}

export async function getLoader(
  format: CaptureFormat,
  exportName = LOADER_EXPORTS[format],
): Promise<CaptureLoader> {
  const module = await importFormat(format);
  const loader = module[exportName];
  if (typeof loader !== 'function')
    throw new LoaderUnavailable(format, `main/formats/${format} does not export ${exportName}`);
  return loader as CaptureLoader;
}

/** Fork children `NAME.bin.PID` written by `memray run --follow-fork` beside a parent capture. */
export async function findForkChildren(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((n) => join(dir, n));
}

export interface OpenCaptureOptions extends LoadOptions {
  withForkChildren?: boolean;
  /** tracemalloc dumps to open as one series; `path` then only names it. */
  series?: readonly string[];
}

type MultiProcessLoader = (path: string, children: string[], options: LoadOptions) => Promise<CaptureModel>;

/**
 * Every dump of a series must be a tracemalloc dump: says which one is not, and what it is.
 * A folder opens as the series of the dumps directly in it.
 */
async function openSeries(path: string, options: OpenCaptureOptions): Promise<CaptureModel | undefined> {
  if (options.series) {
    for (const member of options.series) {
      const { format } = await sniffFile(member);
      if (format !== 'tracemalloc')
        throw new InputError(
          `${basename(member)}: a ${format} capture, not a tracemalloc dump; a series holds tracemalloc dumps only`,
          member,
        );
    }
    return loadTracemallocSeries(options.series, { ...options, label: path });
  }
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return undefined;
  const { dumps, skipped } = await listSeriesFolder(path, sniffFile);
  if (dumps.length === 0)
    throw new InputError(
      `${path}: no tracemalloc dumps in this folder (a folder opens as a series of tracemalloc dumps; ${skipped} other file${skipped === 1 ? '' : 's'})`,
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
    const children = await findForkChildren(path);
    if (children.length > 0) {
      const module = await importFormat('memray');
      const multi = module.loadMemrayMultiProcess;
      if (typeof multi !== 'function')
        throw new LoaderUnavailable('memray multi-process', 'loadMemrayMultiProcess is not exported');
      return (multi as MultiProcessLoader)(path, children, options);
    }
  }
  const loader = await getLoader(format);
  return loader(path, options);
}
