import Papa from 'papaparse';
import { locationText } from '../../shared/source-location';
import type {
  AllocatorBreakdown,
  DiffRow,
  SiteRow,
  SourceLocation,
  SymbolsNote,
  Timeline,
} from '../../shared/api';

// Cells starting with = + - @ would run as formulas when a reviewer opens the CSV in a
// spreadsheet; papaparse prefixes them with a quote.
const UNPARSE = { escapeFormulae: true, newline: '\n' } as const;

const frameText = (frames?: { file: string; line: number; function: string; source?: SourceLocation }[]) =>
  frames ? frames.map((f) => `${f.function} at ${locationText(f)}`).join(' <- ') : '';

/** The source columns of a native row: its file:line from DWARF, blank when none was found. */
const SOURCE_FIELDS = ['source_file', 'source_line'];
const sourceCells = (r: { source?: SourceLocation }) => [r.source?.file ?? '', r.source?.line ?? ''];

export function sitesToCsv(rows: readonly SiteRow[]): string {
  return Papa.unparse(
    {
      fields: [
        'function',
        'file',
        'line',
        'module',
        'own_bytes',
        'own_count',
        'bytes',
        'count',
        'share',
        'traceback',
        ...SOURCE_FIELDS,
      ],
      data: rows.map((r) => [
        r.function,
        r.file,
        r.line,
        r.module ?? '',
        r.ownBytes,
        r.ownCount,
        r.bytes,
        r.count,
        r.share,
        frameText(r.frames ? [...r.frames].reverse() : undefined),
        ...sourceCells(r),
      ]),
    },
    UNPARSE,
  );
}

export function allocatorsToCsv(b: AllocatorBreakdown): string {
  return Papa.unparse(
    {
      fields: ['allocator', 'family', 'bytes', 'count'],
      data: b.byAllocator.map((a) => [a.name, a.family, a.bytes, a.count]),
    },
    UNPARSE,
  );
}

export function allocatorFamiliesToCsv(b: AllocatorBreakdown): string {
  return Papa.unparse(
    {
      fields: ['family', 'bytes', 'count', 'all_bytes', 'all_count'],
      // A family seen only over the whole run (e.g. mmap freed before the peak) keeps its row.
      data: [
        ...b.byFamily,
        ...(b.byFamilyAll ?? [])
          .filter((a) => !b.byFamily.some((f) => f.family === a.family))
          .map((a) => ({ family: a.family, bytes: 0, count: 0 })),
      ].map((f) => {
        const all = b.byFamilyAll?.find((x) => x.family === f.family);
        return [f.family, f.bytes, f.count, all?.bytes ?? '', all?.count ?? ''];
      }),
    },
    UNPARSE,
  );
}

export function sizeHistogramToCsv(b: AllocatorBreakdown): string {
  return Papa.unparse(
    {
      fields: ['min_bytes', 'max_bytes', 'count'],
      data: b.histogram.map((h) => [h.minBytes, h.maxBytes, h.count]),
    },
    UNPARSE,
  );
}

export function timelineToCsv(t: Timeline): string {
  const families = t.byFamily ?? [];
  return Papa.unparse(
    {
      fields: [
        'time_ms',
        'heap_bytes',
        'rss_bytes',
        'allocated_bytes',
        'allocation_count',
        ...families.map((f) => `${f.family}_bytes`),
      ],
      data: t.timeMs.map((time, i) => [
        time,
        t.heapBytes[i],
        t.rssBytes[i] ?? '',
        t.allocatedBytes[i],
        t.allocationCount[i],
        ...families.map((f) => f.bytes[i]),
      ]),
    },
    UNPARSE,
  );
}

export function diffRowsToCsv(rows: readonly DiffRow[]): string {
  return Papa.unparse(
    {
      fields: [
        'status',
        'function',
        'file',
        'line',
        'size',
        'size_diff',
        'size_diff_ratio',
        'count',
        'count_diff',
        'traceback',
        ...SOURCE_FIELDS,
      ],
      data: rows.map((r) => [
        r.status,
        r.function,
        r.file,
        r.line,
        r.size,
        r.sizeDiff,
        Number.isFinite(r.sizeDiffRatio) ? r.sizeDiffRatio : r.sizeDiffRatio > 0 ? 'inf' : '',
        r.count,
        r.countDiff,
        frameText(r.frames ? [...r.frames].reverse() : undefined),
        ...sourceCells(r),
      ]),
    },
    UNPARSE,
  );
}

export interface CsvTables {
  sites?: readonly SiteRow[];
  allocators?: AllocatorBreakdown;
  timeline?: Timeline;
  diff?: readonly DiffRow[];
  /** Native captures: what became of each object the shown frames fall in. */
  symbols?: SymbolsNote;
}

/** One row per mapped object: found, refused (and why) or missing, and where lines came from. */
export function symbolsToCsv(note: SymbolsNote): string {
  return Papa.unparse(
    {
      fields: ['object', 'status', 'copy', 'build_id', 'debug_file', 'lines', 'not_used'],
      data: note.objects.map((o) => [
        o.path,
        o.status,
        o.copy ?? '',
        o.buildId ?? '',
        o.debugFile ?? '',
        o.lines ? (note.lineTool ?? 'yes') : 'no',
        (o.refused ?? []).map((r) => `${r.path}: ${r.why}`).join('; '),
      ]),
    },
    UNPARSE,
  );
}

/** Every available table as `{name, csv}`; `name` is a file-name stem (e.g. "sites"). */
export function tablesToCsv(tables: CsvTables): { name: string; csv: string }[] {
  const out: { name: string; csv: string }[] = [];
  if (tables.sites) out.push({ name: 'sites', csv: sitesToCsv(tables.sites) });
  if (tables.allocators) {
    out.push({ name: 'allocators', csv: allocatorsToCsv(tables.allocators) });
    out.push({ name: 'allocator-families', csv: allocatorFamiliesToCsv(tables.allocators) });
    out.push({ name: 'size-histogram', csv: sizeHistogramToCsv(tables.allocators) });
  }
  if (tables.timeline) out.push({ name: 'timeline', csv: timelineToCsv(tables.timeline) });
  if (tables.diff) out.push({ name: 'diff', csv: diffRowsToCsv(tables.diff) });
  if (tables.symbols) out.push({ name: 'symbols', csv: symbolsToCsv(tables.symbols) });
  return out;
}

/** One text holding several tables, each preceded by a `# name` line (for stdout). */
export function joinCsvTables(tables: { name: string; csv: string }[]): string {
  return tables.map((t) => `# ${t.name}\n${t.csv}\n`).join('\n');
}
