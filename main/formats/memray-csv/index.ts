/**
 * `memray transform csv` output (also what `heapscope export --format memray-csv` writes) as a
 * capture of its own: one aggregated snapshot (the high-water mark, or the leaks with --leaks),
 * enough for flamegraphs, tables and diffs, with no time axis.
 *
 * Columns (memray/reporters/transform.py): allocator, num_allocations, size, tid, thread_name,
 * stack_trace. `stack_trace` is `function;file;line` frames joined by `|`, MOST RECENT FIRST
 * (basic.py's leak reads `leak_5mb;…/basic.py;35|main;…/basic.py;43|<module>;…`).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { quoteInput } from '../../../shared/quote';
import type {
  AllocatorBreakdown,
  CaptureInfo,
  FrameKind,
  SnapshotSpec,
  StackFilter,
  Summary,
  ThreadInfo,
} from '../../../shared/api';
import type { MemrayCsvStatsJson } from '../../../shared/stats';
import {
  InputError,
  SNAPSHOT_ONLY_CAPABILITIES,
  UnsupportedQuery,
  type CaptureLoader,
  type CaptureModel,
  type LoadOptions,
  type StatsOptions,
} from '../../model/capture-model';
import { FrameTable } from '../../model/frame-table';
import { SnapshotBuilder, snapshotTotals, type Snapshot, type SnapshotRows } from '../../model/snapshot';
import { StackTrie } from '../../model/stack-trie';
import {
  allocatorFamily,
  familyTotals,
  PYMALLOC_THRESHOLD_BYTES,
  sizeHistogram,
} from '../../query/allocator-family';
import { selectRows } from '../../model/tracemalloc/filters';
import { groupSnapshot, normalizeKeyType, statisticJson } from '../../query/groups';
import { CsvRowReader, type CsvRow } from './rows';

export const MEMRAY_CSV_COLUMNS = [
  'allocator',
  'num_allocations',
  'size',
  'tid',
  'thread_name',
  'stack_trace',
] as const;

const PROGRESS_INTERVAL_MS = 50;

export interface ParsedFrame {
  function: string;
  file: string;
  line: number;
}

/**
 * Splits memray's stack string into frames, most recent first. A frame ends in `;<digits>`;
 * a `|` inside a function name (C++ `operator|`) is kept by joining pieces until one ends so.
 * The function is everything before the last two `;`, so names with `;` survive too.
 */
export function parseStackTrace(text: string): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let acc: string | undefined;
  for (const piece of text.split('|')) {
    acc = acc === undefined ? piece : `${acc}|${piece}`;
    // An empty piece is the trailing separator memray writes after native stacks.
    if (acc === '') {
      acc = undefined;
      continue;
    }
    const last = acc.lastIndexOf(';');
    const mid = last > 0 ? acc.lastIndexOf(';', last - 1) : -1;
    if (mid < 0 || last === acc.length - 1 || !/^\d+$/.test(acc.slice(last + 1))) continue;
    out.push({
      function: acc.slice(0, mid),
      file: acc.slice(mid + 1, last),
      line: Number(acc.slice(last + 1)),
    });
    acc = undefined;
  }
  if (acc !== undefined) throw new StackTraceError(acc);
  return out;
}

/** A stack_trace piece that is not `function;file;line` (its text is kept for the message). */
export class StackTraceError extends Error {
  constructor(readonly piece: string) {
    super(`cannot parse stack frame ${quoteInput(piece)}`);
    this.name = 'StackTraceError';
  }
}

/** A count or size column: a whole number, 0 or more (memray writes plain integers). */
function isCount(text: string, value: number): boolean {
  return text.trim() !== '' && Number.isFinite(value) && value >= 0 && Number.isInteger(value);
}

export function frameKind(file: string): FrameKind {
  if (/\.py[wc]?$/.test(file)) return 'python';
  if (file.startsWith('<') && file !== '<unknown>') return 'python';
  return 'native';
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export class MemrayCsvModel implements CaptureModel {
  private readonly full: Snapshot;
  private readonly totals: { bytes: number; count: number };

  constructor(
    private readonly captureInfo: CaptureInfo,
    frames: FrameTable,
    stacks: StackTrie,
    threads: ThreadInfo[],
    allocators: string[],
    rows: SnapshotRows,
  ) {
    this.full = { frames, stacks, threads, allocators, rows, label: captureInfo.facts.fileName };
    this.totals = snapshotTotals(rows);
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    // The CSV holds one aggregated set (memray chose hwm or leaks when writing it).
    if (spec.kind !== 'peak' && spec.kind !== 'leaks' && spec.kind !== 'all') {
      throw new UnsupportedQuery(
        `a memray CSV has no time axis, so ${spec.kind} snapshots are not available`,
      );
    }
    const threads = filter?.threads;
    const allocs = filter?.allocators;
    if (!threads && !allocs) return this.full;
    const rows = this.full.rows;
    const keepAlloc = this.full.allocators.map((name) => !allocs || allocs.includes(name));
    const keep = new Uint8Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      keep[r] = keepAlloc[rows.allocator[r]] && (!threads || threads.includes(rows.thread[r])) ? 1 : 0;
    }
    return { ...this.full, rows: selectRows(rows, keep) };
  }

  summary(range?: { fromMs: number; toMs: number }): Omit<Summary, 'info' | 'topSites' | 'findings'> {
    if (range) throw new UnsupportedQuery('a memray CSV has no time axis');
    return {
      peakBytes: this.totals.bytes,
      peakTimeMs: 0,
      totalAllocations: this.totals.count,
      totalBytesAllocated: this.totals.bytes,
      leakedBytes: this.totals.bytes,
      leakedCount: this.totals.count,
    };
  }

  timeline(): undefined {
    return undefined;
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const snap = this.snapshot(spec, filter);
    const per = new Map<string, { bytes: number; count: number }>();
    const avg: number[] = [];
    const counts: number[] = [];
    for (let r = 0; r < snap.rows.length; r++) {
      const name = snap.allocators[snap.rows.allocator[r]];
      const e = per.get(name) ?? { bytes: 0, count: 0 };
      e.bytes += snap.rows.bytes[r];
      e.count += snap.rows.count[r];
      per.set(name, e);
      if (snap.rows.count[r] > 0) {
        avg.push(snap.rows.bytes[r] / snap.rows.count[r]);
        counts.push(snap.rows.count[r]);
      }
    }
    const byAllocator = [...per]
      .map(([name, e]) => ({ name, family: allocatorFamily(name), ...e }))
      .sort((a, b) => b.bytes - a.bytes);
    return {
      byAllocator,
      byFamily: familyTotals(byAllocator),
      histogram: sizeHistogram(avg, counts),
      pymallocThresholdBytes: PYMALLOC_THRESHOLD_BYTES,
      attributionNote:
        'A memray CSV aggregates allocations per stack; the size histogram uses each row’s average size.',
    };
  }

  statsJson(options: StatsOptions): MemrayCsvStatsJson {
    if (options.range) throw new UnsupportedQuery('a memray CSV has no time axis');
    const groupBy = normalizeKeyType(options.groupBy ?? 'lineno');
    const groups = groupSnapshot(this.full, { groupBy, cumulative: options.cumulative ?? false });
    const top = options.top !== undefined && options.top >= 0 ? groups.slice(0, options.top) : groups;
    const breakdown = this.allocators({ kind: 'peak' });
    return {
      format: 'memray-csv',
      totalBytes: this.totals.bytes,
      totalAllocations: this.totals.count,
      rows: this.full.rows.length,
      threads: this.full.threads.map((t) => ({ ...t })),
      allocators: breakdown.byAllocator.map(({ name, bytes, count }) => ({ name, bytes, count })),
      groupBy,
      cumulative: options.cumulative ?? false,
      groupCount: groups.length,
      statistics: top.map(statisticJson),
    };
  }

  /** Writes the rows back in memray's own CSV shape (Python csv module quoting, CRLF). */
  exportTable(kind: 'memray-csv'): string {
    if (kind !== 'memray-csv') throw new UnsupportedQuery(`cannot export ${String(kind)}`);
    const { frames, stacks, rows, threads, allocators } = this.full;
    const label = new Map(threads.map((t) => [t.id, t.label]));
    const lines = [MEMRAY_CSV_COLUMNS.join(',')];
    for (let r = 0; r < rows.length; r++) {
      const path = rows.stack[r] === 0 ? [] : stacks.path(rows.stack[r]).reverse();
      const stack = path.map((f) => `${frames.names[f]};${frames.files[f]};${frames.lines[f]}`).join('|');
      const tid = rows.thread[r];
      lines.push(
        [
          allocators[rows.allocator[r]],
          String(rows.count[r]),
          String(rows.bytes[r]),
          String(tid),
          label.get(tid) ?? `0x${tid.toString(16)}`,
          stack,
        ]
          .map(csvField)
          .join(','),
      );
    }
    return `${lines.join('\r\n')}\r\n`;
  }
}

function abortError(): Error {
  const error = new Error('loading was cancelled');
  error.name = 'AbortError';
  return error;
}

export const loadMemrayCsv: CaptureLoader = async (path: string, options: LoadOptions = {}) => {
  const { signal } = options;
  if (signal?.aborted) throw abortError();
  const size = (await stat(path)).size;
  if (size === 0) throw new InputError('empty file (expected memray "transform csv" output)', path, 0);

  const info: CaptureInfo = {
    id: path,
    facts: { format: 'memray-csv', path, fileName: basename(path), sizeBytes: size },
    capabilities: { ...SNAPSHOT_ONLY_CAPABILITIES },
    truncated: false,
    warnings: [],
    threads: [],
    durationMs: 0,
    records: 0,
  };

  const frames = new FrameTable();
  const stacks = new StackTrie();
  const builder = new SnapshotBuilder();
  const allocatorIndex = new Map<string, number>();
  const allocators: string[] = [];
  const threadLabels = new Map<number, string>();
  const stackCache = new Map<string, number>();
  let native = false;
  let records = 0;
  let bytesDone = 0;
  let lastProgress = performance.now();
  let columns: number[] | undefined;

  let rowNumber = 0;
  const refuse = (row: CsvRow, column: number, expected: string): never => {
    const name = MEMRAY_CSV_COLUMNS[column];
    const found = row.fields[columns![column]];
    throw new InputError(
      `memray CSV row ${rowNumber}, column ${name}: expected ${expected}, found ${quoteInput(found)}`,
      path,
      row.offset,
    );
  };
  const handleRow = (row: CsvRow): void => {
    rowNumber++;
    const fields = row.fields;
    if (!columns) {
      const names = fields.map((c) => c.trim());
      columns = MEMRAY_CSV_COLUMNS.map((c) => names.indexOf(c));
      const missing = MEMRAY_CSV_COLUMNS.filter((_, i) => columns![i] < 0);
      if (missing.length > 0) {
        throw new InputError(
          `not memray "transform csv" output: the header lacks ${missing.join(', ')}`,
          path,
          0,
        );
      }
      options.onHeader?.(info);
      return;
    }
    const [cAlloc, cNum, cSize, cTid, cThread, cStack] = columns;
    const needed = Math.max(...columns) + 1;
    if (fields.length < needed) {
      throw new InputError(
        `memray CSV row ${rowNumber}: expected ${needed} columns (${MEMRAY_CSV_COLUMNS.join(',')}), found ${fields.length}`,
        path,
        row.offset,
      );
    }
    const count = Number(fields[cNum]);
    if (!isCount(fields[cNum], count)) refuse(row, 1, 'a whole number of allocations (0 or more)');
    const bytes = Number(fields[cSize]);
    if (!isCount(fields[cSize], bytes)) refuse(row, 2, 'a size in bytes (a whole number, 0 or more)');
    const tid = Number(fields[cTid]);
    if (fields[cTid].trim() === '' || !Number.isSafeInteger(tid))
      refuse(row, 3, 'a thread id (a whole number)');
    let alloc = allocatorIndex.get(fields[cAlloc]);
    if (alloc === undefined) {
      alloc = allocators.length;
      allocators.push(fields[cAlloc]);
      allocatorIndex.set(fields[cAlloc], alloc);
    }
    if (!threadLabels.has(tid)) threadLabels.set(tid, fields[cThread]);
    const text = fields[cStack];
    let leaf = stackCache.get(text);
    if (leaf === undefined) {
      let parsed: ParsedFrame[];
      try {
        parsed = parseStackTrace(text);
      } catch (e) {
        if (!(e instanceof StackTraceError)) throw e;
        throw new InputError(
          `memray CSV row ${rowNumber}, column stack_trace: expected frames "function;file;line" joined by "|", found ${quoteInput(e.piece)}`,
          path,
          row.offset,
        );
      }
      // memray lists the most recent frame first; the trie stores the outermost first.
      leaf = 0;
      for (let i = parsed.length - 1; i >= 0; i--) {
        const f = parsed[i];
        const kind = frameKind(f.file);
        if (kind === 'native') native = true;
        leaf = stacks.child(leaf, frames.intern(f.function, f.file, f.line, kind));
      }
      stackCache.set(text, leaf);
    }
    builder.add(leaf, tid, alloc, bytes, count);
    records++;
  };

  const reader = new CsvRowReader(handleRow);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, Math.max(1, options.chunkSize ?? 1 << 20)));
    while (bytesDone < size) {
      if (signal?.aborted) throw abortError();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - bytesDone), bytesDone);
      if (bytesRead === 0) break;
      reader.push(buf.subarray(0, bytesRead));
      bytesDone += bytesRead;
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        options.onProgress({ bytesDone, bytesTotal: size, records });
      }
    }
    if (reader.inQuotes)
      throw new InputError(
        `memray CSV row ${rowNumber + 1}: the file ends inside a quoted field (a closing " is missing)`,
        path,
        bytesDone,
      );
    reader.end();
  } finally {
    await fh.close();
  }
  if (signal?.aborted) throw abortError();
  if (!columns) throw new InputError('empty file (expected memray "transform csv" output)', path, 0);

  const threads = [...threadLabels].sort((a, b) => a[0] - b[0]).map(([id, label]) => ({ id, label }));
  info.threads = threads;
  info.records = records;
  info.capabilities.threads = threads.length > 1;
  info.capabilities.native = native;
  options.onProgress?.({ bytesDone: size, bytesTotal: size, records });
  return new MemrayCsvModel(info, frames, stacks, threads, allocators, builder.build());
};
