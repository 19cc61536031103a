import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { AllocatorBreakdown, DiffRow, Timeline } from '../../shared/api';
import { buildTable } from '../query/table';
import { diffRowsToCsv, joinCsvTables, sitesToCsv, tablesToCsv, timelineToCsv } from './csv';
import { readFixture, snapshotFromMemrayCsv } from './testing/fixtures';

const parse = (csv: string) =>
  Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;

describe('CSV exports', () => {
  const snap = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
  const sites = buildTable(snap, { groupBy: 'traceback' }).rows;

  it('round-trips the sites table', () => {
    const rows = parse(sitesToCsv(sites));
    expect(rows).toHaveLength(sites.length);
    expect(rows.map((r) => Number(r.bytes))).toEqual(sites.map((s) => s.bytes));
    expect(rows[0].function).toBe(sites[0].function);
    expect(rows[0].traceback.split(' <- ')[0]).toBe(
      `${sites[0].function} at ${sites[0].file}:${sites[0].line}`,
    );
  });

  it('neutralises spreadsheet formulas and keeps quotes/commas', () => {
    const csv = sitesToCsv([{ ...sites[0], function: '=HYPERLINK("x","y")', file: 'a,b.py' }]);
    const row = parse(csv)[0];
    expect(row.function.startsWith("'=")).toBe(true);
    expect(row.file).toBe('a,b.py');
  });

  it('exports timeline, allocators and diff rows', () => {
    const t: Timeline = {
      timeMs: [0, 10],
      heapBytes: [1, 2],
      rssBytes: [null, 5],
      allocatedBytes: [1, 1],
      allocationCount: [1, 1],
      peak: { timeMs: 10, bytes: 2 },
      durationMs: 10,
      byFamily: [{ family: 'malloc', bytes: [1, 2] }],
    };
    const tl = parse(timelineToCsv(t));
    expect(tl[0].rss_bytes).toBe('');
    expect(tl[1].malloc_bytes).toBe('2');
    const d: DiffRow[] = [
      {
        key: 'k',
        function: 'f',
        file: 'a.py',
        line: 1,
        size: 10,
        sizeDiff: 10,
        count: 1,
        countDiff: 1,
        status: 'new',
        sizeDiffRatio: Infinity,
      },
    ];
    expect(parse(diffRowsToCsv(d))[0].size_diff_ratio).toBe('inf');
    const a: AllocatorBreakdown = {
      byAllocator: [{ name: 'MALLOC', family: 'malloc', bytes: 5, count: 1 }],
      byFamily: [{ family: 'malloc', bytes: 5, count: 1 }],
      histogram: [{ minBytes: 0, maxBytes: 8, count: 1 }],
      pymallocThresholdBytes: 512,
    };
    const all = tablesToCsv({ sites, allocators: a, timeline: t, diff: d });
    expect(all.map((x) => x.name)).toEqual([
      'sites',
      'allocators',
      'allocator-families',
      'size-histogram',
      'timeline',
      'diff',
    ]);
    expect(joinCsvTables(all)).toContain('# allocators\nallocator,family,bytes,count\nMALLOC,malloc,5,1');
  });
});
