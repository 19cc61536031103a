/**
 * Reads `memray transform csv` output (also what `heapscope export --format memray-csv` writes)
 * into a MemrayCsvModel (main/model/memray-csv): one aggregated snapshot, no time axis.
 *
 * Columns (memray/reporters/transform.py): allocator, num_allocations, size, tid, thread_name,
 * stack_trace. `stack_trace` is `function;file;line` frames joined by `|`, MOST RECENT FIRST
 * (basic.py's leak reads `leak_5mb;…/basic.py;35|main;…/basic.py;43|<module>;…`).
 */
import { basename } from 'node:path';
import { quoteInput } from '../../../shared/quote';
import type { CaptureInfo, FrameKind } from '../../../shared/api';
import {
  InputError,
  SNAPSHOT_ONLY_CAPABILITIES,
  type CaptureLoader,
  type LoadOptions,
} from '../../model/capture-model';
import { FrameTable } from '../../model/frame-table';
import { MemrayCsvModel } from '../../model/memray-csv/model';
import { MEMRAY_CSV_COLUMNS } from '../../model/memray/vocabulary';
import { SnapshotBuilder } from '../../model/snapshot';
import { StackTrie } from '../../model/stack-trie';
import { InputFile, throwIfCancelled } from '../input';
import { CsvRowReader, type CsvRow } from './rows';

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

export const loadMemrayCsv: CaptureLoader = async (path: string, options: LoadOptions = {}) => {
  throwIfCancelled(options.signal);
  return InputFile.use(path, (input) => readCsv(input, options));
};

async function readCsv(input: InputFile, options: LoadOptions): Promise<MemrayCsvModel> {
  const { path, size } = input;
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
  await input.readAll(options, {
    records: () => records,
    consume: (chunk) => reader.push(chunk),
  });
  if (reader.inQuotes)
    throw new InputError(
      `memray CSV row ${rowNumber + 1}: the file ends inside a quoted field (a closing " is missing)`,
      path,
      input.bytesRead,
    );
  reader.end();
  if (!columns) throw new InputError('empty file (expected memray "transform csv" output)', path, 0);

  const threads = [...threadLabels].sort((a, b) => a[0] - b[0]).map(([id, label]) => ({ id, label }));
  info.threads = threads;
  info.records = records;
  info.capabilities.threads = threads.length > 1;
  info.capabilities.native = native;
  options.onProgress?.({ bytesDone: size, bytesTotal: size, records });
  return new MemrayCsvModel(info, frames, stacks, threads, allocators, builder.build());
}
