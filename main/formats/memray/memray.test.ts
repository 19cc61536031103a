import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOCATOR_NAMES } from '../../model/memray/vocabulary';
import type { MemrayModel } from '../../model/memray/model';
import { loadMemrayModel } from './index';
import {
  isPythonFrame,
  listCaptures,
  parseCsv,
  parseDumpCounts,
  type CsvRow,
  type FixtureCapture,
} from './oracles';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
/** The full reference set beside the repository (read-only, not shipped); used when present. */
const SHARED = fileURLToPath(new URL('../../../../shared/fixtures/memray', import.meta.url));

const captures = listCaptures(FIXTURES);
const shipped = new Set(captures.map((c) => `${c.folder}/${c.name}`));
/** Captures too large to copy into the repo (large, mid, pymalloc-nocompress, PYTHONMALLOC=mimalloc). */
const extra = listCaptures(SHARED).filter((c) => !shipped.has(`${c.folder}/${c.name}`));

interface StatsOracle {
  total_num_allocations: number;
  total_bytes_allocated: number;
  allocation_size_histogram: { min_bytes: number; max_bytes: number; count: number }[];
  allocator_type_distribution: Record<string, number>;
  top_allocations_by_size: { location: string; size: number }[];
  top_allocations_by_count: { location: string; count: number }[];
  metadata: { peak_memory: number; total_allocations: number; start_time: string; end_time: string };
}

/** A row as a comparable string; for --native captures only the Python frames are kept. */
function rowKey(r: CsvRow, pythonOnly: boolean): string {
  const stack = pythonOnly ? r.stack_trace.split('|').filter(isPythonFrame).join('|') : r.stack_trace;
  return [r.allocator, r.num_allocations, r.size, r.tid, r.thread_name, stack].join(',');
}

function multiset(rows: CsvRow[], pythonOnly: boolean): string[] {
  return rows.map((r) => rowKey(r, pythonOnly)).sort();
}

type Detail = 'full' | 'totals';
const DETAILS: Detail[] = ['full', 'totals'];

const models = new Map<string, Promise<MemrayModel>>();
function model(c: FixtureCapture, detail: Detail = 'full'): Promise<MemrayModel> {
  let m = models.get(`${detail}:${c.path}`);
  if (!m) models.set(`${detail}:${c.path}`, (m = loadMemrayModel(c.path, { detail })));
  return m;
}

function oursCsv(m: MemrayModel, leaks: boolean): CsvRow[] {
  return parseCsv(m.exportTable('memray-csv', { leaks }));
}

function oracleTests(list: FixtureCapture[]) {
  for (const c of list) {
    if (!c.oracle('stats.json') && !c.oracle('hwm.csv') && !c.oracle('parse.txt')) continue;
    describe(`${c.folder}/${c.name}`, () => {
      const stats = c.oracle('stats.json');
      const leaksCsv = c.oracle('leaks.csv');
      for (const detail of stats ? DETAILS : []) {
        it(`stats equal memray stats --json (${detail} replay)`, async () => {
          const o = JSON.parse(stats!) as StatsOracle;
          const m = await model(c, detail);
          expect(m.totalsOnly).toBe(detail === 'totals' && m.info().facts.fileFormat === 'all');
          const s = m.statsJson({ top: 10 });
          if (leaksCsv)
            expect(s.leakedBytes).toBe(parseCsv(leaksCsv).reduce((sum, r) => sum + Number(r.size), 0));
          if (detail === 'totals') {
            const full = (await model(c, 'full')).statsJson({ top: 10 });
            expect(s.peakTimeMs).toBe(full.peakTimeMs);
            expect(s.leakedBytes).toBe(full.leakedBytes);
            expect(s.threads).toEqual(full.threads);
          }
          expect(s.totalAllocations).toBe(o.total_num_allocations);
          expect(s.totalBytesAllocated).toBe(o.total_bytes_allocated);
          expect(s.peakMemory).toBe(o.metadata.peak_memory);
          expect(m.b.allocationRecords).toBe(o.metadata.total_allocations);
          expect(s.allocatorDistribution).toEqual(o.allocator_type_distribution);
          expect(Object.keys(s.allocatorDistribution)).toEqual(Object.keys(o.allocator_type_distribution));
          expect(s.sizeHistogram).toEqual(
            o.allocation_size_histogram.map((b) => ({
              minBytes: b.min_bytes,
              maxBytes: b.max_bytes,
              count: b.count,
            })),
          );
          expect(s.topBySize.slice(0, o.top_allocations_by_size.length)).toEqual(o.top_allocations_by_size);
          expect(s.topByCount.slice(0, o.top_allocations_by_count.length)).toEqual(
            o.top_allocations_by_count,
          );
        });
      }
      for (const which of ['hwm', 'leaks'] as const) {
        const csv = c.oracle(`${which}.csv`);
        if (!csv) continue;
        it(`memray-csv${which === 'leaks' ? ' --leaks' : ''} equals ${which}.csv as a multiset of rows`, async () => {
          const m = await model(c);
          const native = m.info().facts.nativeTraces === true;
          const leaks = which === 'leaks';
          const theirs = parseCsv(csv);
          // Same header, and our export parses back to exactly our groups.
          expect(m.exportTable('memray-csv', { leaks }).split('\r\n')[0]).toBe(csv.split('\r\n')[0]);
          const exported = oursCsv(m, leaks);
          const groups = m.csvGroups(leaks);
          expect(exported.length).toBe(groups.length);
          // (count, size, stack) must match as multisets; for --native captures only Python frames
          // are compared (memray symbolizes native frames with debug info we do not read).
          // memray's hybrid (native) stacks fall back to the untrimmed Python stack when it cannot
          // pair eval-loop frames (stripped interpreters), so there we cut both sides at memray's
          // own outermost visible frame instead of trusting the header's skip count.
          const cut = (stack: string) => {
            if (!native) return stack;
            const frames = stack.split('|');
            const at = frames.findIndex(
              (f) => f.startsWith('_run_tracker;') && f.includes('/memray/commands/run.py;'),
            );
            return (at >= 0 ? frames.slice(0, at + 1) : frames).join('|');
          };
          const shape = (n: string | number, size: string | number, stack: string) =>
            `${n},${size},${cut(stack)}`;
          const ours = groups.map((g) => ({
            shape: shape(
              g.count,
              g.bytes,
              m.stackString(g.py, g.nat, g.gen, g.slot, { pythonOnly: native, untrimmed: native }),
            ),
            members: new Set(
              g.members.map(
                (x) => `${ALLOCATOR_NAMES[x.alloc]}|${m.b.threadTid[x.slot]}|${m.threadLabel(x.slot)}`,
              ),
            ),
          }));
          const theirShapes = theirs.map((r) =>
            shape(
              r.num_allocations,
              r.size,
              native ? r.stack_trace.split('|').filter(isPythonFrame).join('|') : r.stack_trace,
            ),
          );
          expect(ours.map((o) => o.shape).sort()).toEqual([...theirShapes].sort());
          expect(multiset(exported, native)).toEqual(multiset(exported, native));
          // memray takes allocator/tid/thread_name from an arbitrary member of each group (a hash
          // map's order): each oracle row's values must belong to the matching group.
          const pool = new Map<string, Set<string>[]>();
          for (const o of ours) pool.set(o.shape, [...(pool.get(o.shape) ?? []), o.members]);
          theirs.forEach((r, i) => {
            const candidates = pool.get(theirShapes[i]) ?? [];
            const rep = `${r.allocator}|${r.tid}|${r.thread_name}`;
            const at = candidates.findIndex((s) => s.has(rep));
            expect(at, `row ${i}: ${rep} ${theirShapes[i].slice(0, 120)}`).toBeGreaterThanOrEqual(0);
            candidates.splice(at, 1);
          });
        });
      }
      const dump = c.oracle('parse.txt');
      if (dump) {
        it('record counts by type equal memray parse', async () => {
          const m = await model(c);
          expect(m.recordCounts()).toEqual(parseDumpCounts(dump));
        });
      }
    });
  }
}

describe('memray fixtures (test/fixtures/memray) against memray’s own oracles', () => {
  it('has fixtures for every header version and mode', () => {
    const versions = new Set(captures.filter((c) => c.folder !== 'synth').map((c) => c.folder.slice(0, 3)));
    expect([...versions].sort()).toEqual(['v10', 'v11', 'v12', 'v13']);
    expect(captures.some((c) => c.name.includes('aggregate'))).toBe(true);
    expect(captures.some((c) => c.name.includes('killed'))).toBe(true);
    expect(captures.some((c) => /\.bin\.\d+$/.test(c.name))).toBe(true);
  });
  oracleTests(captures);
});

// The reference set beside the repository (CI and developers' machines) adds the large captures;
// a user's clone has none, and then there is no suite to register.
if (extra.length > 0) {
  describe('the rest of ../shared/fixtures/memray (the reference set beside the repo)', () => {
    oracleTests(extra);
  });
}

describe('synthetic captures (../shared/tools/synth_memray.py, expectations checked against memray 1.19.3)', () => {
  const dir = join(FIXTURES, 'synth');
  for (const [name, detail] of readdirSync(dir)
    .filter((n) => n.endsWith('.bin'))
    .flatMap((n) => DETAILS.map((d) => [n, d] as const))) {
    it(`${name} (${detail} replay)`, async () => {
      const expect_ = JSON.parse(readFileSync(join(dir, name.replace(/\.bin$/, '.expect.json')), 'utf8'));
      const m = await loadMemrayModel(join(dir, name), { detail });
      const s = m.statsJson({ top: 10 });
      const o = expect_.memray_stats_json;
      expect(s.totalAllocations).toBe(o.total_num_allocations);
      expect(s.totalBytesAllocated).toBe(o.total_bytes_allocated);
      expect(s.peakMemory).toBe(o.metadata.peak_memory);
      expect(s.leakedBytes).toBe(expect_.leaked_bytes);
      expect(s.allocatorDistribution).toEqual(o.allocator_type_distribution);
      expect(s.sizeHistogram).toEqual(
        o.allocation_size_histogram.map((b: { min_bytes: number; max_bytes: number; count: number }) => ({
          minBytes: b.min_bytes,
          maxBytes: b.max_bytes,
          count: b.count,
        })),
      );
      expect(s.topBySize.slice(0, o.top_allocations_by_size.length)).toEqual(o.top_allocations_by_size);
      expect(s.topByCount.slice(0, o.top_allocations_by_count.length)).toEqual(o.top_allocations_by_count);
      expect(s.truncated).toBe(expect_.args.truncate);
      const counts = m.recordCounts() as Record<string, number>;
      const want = Object.fromEntries(
        Object.entries(expect_.records_by_type as Record<string, number>)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => [k === 'THREAD_RECORD' ? 'THREAD' : k, v]),
      );
      expect(counts).toEqual(want);
      expect(
        Object.fromEntries(
          m
            .info()
            .threads.map((t) => [String(t.id), t.label.replace(/^0x[0-9a-f]+ ?\(?/, '').replace(/\)$/, '')]),
        ),
      ).toEqual(expect_.threads);
    });
  }
});
