/**
 * The tracemalloc reader, statistics and compare_to against the oracles CPython computed for each
 * dump (test/fixtures/tracemalloc, copied from ../shared/fixtures/tracemalloc; larger dumps are
 * stored gzipped, which the reader opens transparently).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../model/capture-model';
import type { TracemallocModel } from '../../model/tracemalloc/model';
import { compareGroups, diffJson } from '../../query/diff';
import { groupSnapshot, statisticJson } from '../../model/groups';
import { loadTracemalloc } from './index';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/tracemalloc/', import.meta.url));

interface Oracle {
  file: string;
  traceback_limit: number;
  trace_tuple_len: number;
  trace_count: number;
  total_size: number;
  max_total_nframe: number;
  truncated_traces: number;
  domains: { domain: number; size: number; count: number }[];
  statistics_lineno_len: number;
  statistics_lineno_top100: unknown[];
  statistics_filename: unknown[];
  statistics_traceback_len: number;
  statistics_traceback_top20: unknown[];
  statistics_lineno_cumulative_len: number;
  statistics_lineno_cumulative_top50: unknown[];
  compare_to?: {
    old_file: string;
    old_total_size: number;
    old_trace_count: number;
    lineno_len: number;
    lineno_top100: unknown[];
    traceback_len: number;
    traceback_top20: unknown[];
    filename: unknown[];
  };
}

function oracleFiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(ROOT)) {
    const full = join(ROOT, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full)) if (f.endsWith('.oracle.json')) out.push(join(dir, f));
  }
  return out.sort();
}

/** A dump is stored as itself or gzipped (`NAME.gz`). */
function dumpPath(dir: string, file: string): string {
  const plain = join(ROOT, dir, file);
  if (existsSync(plain)) return plain;
  const gz = `${plain}.gz`;
  if (existsSync(gz)) return gz;
  throw new Error(`fixture ${dir}/${file} is missing`);
}

const models = new Map<string, Promise<TracemallocModel>>();
function load(path: string): Promise<TracemallocModel> {
  let m = models.get(path);
  if (!m) {
    m = loadTracemalloc(path, {}) as Promise<TracemallocModel>;
    models.set(path, m);
  }
  return m;
}

/** Oracle diff rows use Python's attribute names. */
function pyDiffRows(rows: Record<string, unknown>[]): unknown[] {
  return rows.map(({ sizeDiff, countDiff, ...rest }) => {
    const { size, count, ...where } = rest;
    return { ...where, size, size_diff: sizeDiff, count, count_diff: countDiff };
  });
}

const ORACLES = oracleFiles();

describe('tracemalloc oracles', () => {
  it('finds every oracle of the shared corpus that the fixtures hold', () => {
    // All 26 shared oracles but the large pair, which bench/tracemalloc.bench.mjs checks instead.
    expect(ORACLES.length).toBe(24);
  });

  for (const rel of ORACLES) {
    const dir = rel.split('/')[0];
    const oracle = JSON.parse(readFileSync(join(ROOT, rel), 'utf8')) as Oracle;
    const path = dumpPath(dir, oracle.file);

    if (oracle.file.includes('protocol0')) {
      it(`${dir}/${oracle.file}: says clearly that protocol 0 is not supported`, async () => {
        await expect(loadTracemalloc(path, {})).rejects.toThrow(/pickle protocol 0 is not supported/);
      });
      continue;
    }

    describe(`${dir}/${oracle.file}`, () => {
      it('totals, domains and traceback facts', async () => {
        const m = await load(path);
        const s = m.statsJson({ groupBy: 'lineno', top: 0 });
        expect(s.traceCount).toBe(oracle.trace_count);
        expect(s.totalSize).toBe(oracle.total_size);
        expect(s.tracebackLimit).toBe(oracle.traceback_limit);
        expect(s.domains).toEqual(oracle.domains);
        expect(s.traceTupleLen).toBe(oracle.trace_tuple_len);
        expect(s.truncatedTraces).toBe(oracle.truncated_traces);
        expect(s.maxTotalNframe).toBe(oracle.max_total_nframe);
        expect(m.info().facts.tracebackLimit).toBe(oracle.traceback_limit);
        expect(m.summary().peakBytes).toBe(oracle.total_size);
      });

      it("statistics('lineno') top 100, in order", async () => {
        const s = (await load(path)).statsJson({ groupBy: 'lineno', top: 100 });
        expect(s.groupCount).toBe(oracle.statistics_lineno_len);
        expect(s.statistics).toEqual(oracle.statistics_lineno_top100);
      });

      it("statistics('filename'), all of it", async () => {
        const s = (await load(path)).statsJson({ groupBy: 'filename' });
        expect(s.statistics).toEqual(oracle.statistics_filename);
      });

      it("statistics('traceback') top 20, frames oldest first", async () => {
        const s = (await load(path)).statsJson({ groupBy: 'traceback', top: 20 });
        expect(s.groupCount).toBe(oracle.statistics_traceback_len);
        expect(s.statistics).toEqual(oracle.statistics_traceback_top20);
      });

      it("statistics('lineno', cumulative=True) top 50", async () => {
        const s = (await load(path)).statsJson({ groupBy: 'lineno', cumulative: true, top: 50 });
        expect(s.groupCount).toBe(oracle.statistics_lineno_cumulative_len);
        expect(s.statistics).toEqual(oracle.statistics_lineno_cumulative_top50);
      });

      const cmp = oracle.compare_to;
      if (cmp) {
        it(`compare_to(${cmp.old_file}): lineno top 100, traceback top 20, filename`, async () => {
          const oldModel = await load(dumpPath(dir, cmp.old_file));
          const newModel = await load(path);
          const oldSnap = oldModel.fullSnapshot();
          const newSnap = newModel.fullSnapshot();

          const lineno = diffJson(
            groupSnapshot(oldSnap, { groupBy: 'lineno' }),
            groupSnapshot(newSnap, { groupBy: 'lineno' }),
            { top: 100 },
          );
          expect(lineno.old).toEqual({ totalSize: cmp.old_total_size, traceCount: cmp.old_trace_count });
          expect(lineno.new).toEqual({ totalSize: oracle.total_size, traceCount: oracle.trace_count });
          expect(lineno.groupCount).toBe(cmp.lineno_len);
          expect(pyDiffRows(lineno.diff)).toEqual(cmp.lineno_top100);

          const tb = diffJson(
            groupSnapshot(oldSnap, { groupBy: 'traceback' }),
            groupSnapshot(newSnap, { groupBy: 'traceback' }),
            { top: 20 },
          );
          expect(tb.groupCount).toBe(cmp.traceback_len);
          expect(pyDiffRows(tb.diff)).toEqual(cmp.traceback_top20);

          const fn = diffJson(
            groupSnapshot(oldSnap, { groupBy: 'filename' }),
            groupSnapshot(newSnap, { groupBy: 'filename' }),
          );
          expect(pyDiffRows(fn.diff)).toEqual(cmp.filename);
        });
      }
    });
  }
});

describe('compare_to rows for the app', () => {
  it('marks new, gone, grown and shrunk sites (py312 inventory pair)', async () => {
    const oldModel = await load(dumpPath('py312', 'inventory-before.pickle'));
    const newModel = await load(dumpPath('py312', 'inventory-after.pickle'));
    const rows = compareGroups(
      groupSnapshot(oldModel.fullSnapshot(), { groupBy: 'lineno' }),
      groupSnapshot(newModel.fullSnapshot(), { groupBy: 'lineno' }),
    );
    const oracle = JSON.parse(
      readFileSync(join(ROOT, 'py312/inventory-after.oracle.json'), 'utf8'),
    ) as Oracle;
    const top = oracle.compare_to!.lineno_top100 as {
      filename: string;
      lineno: number;
      size: number;
      size_diff: number;
      count_diff: number;
    }[];
    top.forEach((o, i) => {
      const r = rows[i];
      expect([r.file, r.line, r.size, r.sizeDiff]).toEqual([o.filename, o.lineno, o.size, o.size_diff]);
      const expected =
        o.size === 0 && o.size_diff < 0
          ? 'gone'
          : o.size === o.size_diff && o.count_diff > 0 && o.size > 0
            ? 'new'
            : undefined;
      if (expected) expect(r.status).toBe(expected);
      else if (o.size_diff > 0) expect(['grown', 'new']).toContain(r.status);
      else if (o.size_diff < 0) expect(r.status).toBe('shrunk');
    });
    // The deliberate leak (cache.py:25) grows the most.
    expect(rows[0].file.endsWith('invsvc/cache.py')).toBe(true);
    expect(rows[0].line).toBe(25);
    expect(rows[0].status).toBe('grown');
    expect(rows.some((r) => r.status === 'gone')).toBe(true);
    expect(rows.some((r) => r.status === 'new' && r.sizeDiffRatio === Infinity)).toBe(true);
  });
});

describe('streaming', () => {
  const SMALL = [
    ['edge', 'edge-encodings-py312.snap'],
    ['nframe', 'deep-nframe50-py313.pickle'],
    ['numpy', 'numpy-domainfilter.pickle'],
    ['variants', 'deep-py313-protocol4.pickle'],
    ['variants', 'deep-py313-protocol2.pickle'],
    ['bad', 'valid-dump.pickle.gz'],
  ] as const;

  for (const [dir, file] of SMALL) {
    it(`${dir}/${file}: 7-byte (and other) chunks give the same result as one big read`, async () => {
      const path = file.endsWith('.gz') ? join(ROOT, dir, file) : dumpPath(dir, file);
      const whole = await loadTracemalloc(path, { chunkSize: 1 << 22 });
      // 7 bytes cuts nearly every opcode; the others cut long strings and the joined-head logic.
      for (const chunkSize of [7, 100, 4093, 65537]) {
        const cut = await loadTracemalloc(path, { chunkSize });
        for (const groupBy of ['lineno', 'filename', 'traceback'] as const) {
          expect(cut.statsJson({ groupBy })).toEqual(whole.statsJson({ groupBy }));
        }
        expect(cut.statsJson({ groupBy: 'lineno', cumulative: true })).toEqual(
          whole.statsJson({ groupBy: 'lineno', cumulative: true }),
        );
      }
    });
  }

  it('a gzipped dump equals the oracle of the dump inside it', async () => {
    const oracle = JSON.parse(
      readFileSync(join(ROOT, 'nframe/deep-nframe50-py313.oracle.json'), 'utf8'),
    ) as Oracle;
    const m = (await loadTracemalloc(join(ROOT, 'bad/valid-dump.pickle.gz'), {
      chunkSize: 7,
    })) as TracemallocModel;
    expect(m.info().facts.compressed).toBe(true);
    const s = m.statsJson({ groupBy: 'lineno', top: 100 });
    expect([s.traceCount, s.totalSize, s.tracebackLimit]).toEqual([
      oracle.trace_count,
      oracle.total_size,
      oracle.traceback_limit,
    ]);
    expect(s.statistics).toEqual(oracle.statistics_lineno_top100);
    expect(m.statsJson({ groupBy: 'filename' }).statistics).toEqual(oracle.statistics_filename);
    expect(m.statsJson({ groupBy: 'traceback', top: 20 }).statistics).toEqual(
      oracle.statistics_traceback_top20,
    );
  });

  it('reports the header early, progress at most every ~50 ms, and the final byte count', async () => {
    const path = dumpPath('nframe', 'deep-nframe50-py313.pickle');
    const size = statSync(path).size;
    const events: string[] = [];
    const progress: { bytesDone: number; bytesTotal: number; records: number }[] = [];
    await loadTracemalloc(path, {
      chunkSize: 64,
      onHeader: (info) => {
        events.push(`header:${info.facts.format}:${info.facts.fileName}`);
      },
      onProgress: (p) => {
        progress.push(p);
      },
    });
    expect(events).toEqual(['header:tracemalloc:deep-nframe50-py313.pickle']);
    expect(progress.length).toBeGreaterThan(0);
    const last = progress[progress.length - 1];
    expect(last).toEqual({ bytesDone: size, bytesTotal: size, records: 2082 });
    for (let i = 1; i < progress.length; i++)
      expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);
  });

  it('cancels between chunks with an AbortError', async () => {
    const controller = new AbortController();
    const path = dumpPath('nframe', 'deep-nframe50-py313.pickle');
    const run = loadTracemalloc(path, {
      chunkSize: 7,
      signal: controller.signal,
      onHeader: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('bad inputs (bad/MANIFEST rows)', () => {
  const PWNED = '/var/heapscope-pwned';
  const cases: [string, RegExp, number][] = [
    ['empty.pickle', /empty file/, 0],
    ['random-bytes.pickle', /not a pickle \/ not a tracemalloc dump/, 0],
    ['text-statistics.txt.pickle', /not a pickle \(looks like text/, 0],
    ['unrelated-dict.pickle', /pickle is not a tracemalloc\.Snapshot/, 11],
    ['malicious-os-system.pickle', /unexpected global "os\.system"/, 25],
    ['malicious-global-posix-system.pickle', /unexpected global "posix\.system"/, 2],
    ['malicious-embedded-eval.pickle', /unexpected global "builtins\.eval"/, 101],
    ['huge-binunicode-length.pickle', /string length 2147483632 exceeds file/, 90],
    [
      'frame-length-exceeds-file.pickle',
      /truncated at byte 4096: frame length 1099511627776 at byte 2 exceeds file/,
      4096,
    ],
    ['protocol-6.pickle', /unsupported pickle protocol 6/, 0],
  ];

  // Cut dumps open with the traces read before the cut, marked as cut where it happened.
  const cut: [string, RegExp, number][] = [
    ['truncated-50pct.pickle', /truncated at byte 138395/, 138395],
    ['truncated-99pct.pickle', /truncated at byte 274022/, 274022],
    ['truncated-no-stop.pickle', /truncated at byte 276789/, 276789],
  ];

  it('covers every file in bad/ (the gzip one is a valid dump, tested above)', () => {
    const files = readdirSync(join(ROOT, 'bad')).filter((f) => !f.endsWith('.oracle.json'));
    expect(files.sort()).toEqual(
      [...cases.map((c) => c[0]), ...cut.map((c) => c[0]), 'valid-dump.pickle.gz'].sort(),
    );
  });

  for (const [file, reason, offset] of cut) {
    for (const chunkSize of [undefined, 7]) {
      it(`${file}${chunkSize ? ' (7-byte chunks)' : ''}: opens, marked cut at byte ${offset}`, async () => {
        const model = await loadTracemalloc(join(ROOT, 'bad', file), { chunkSize });
        const info = model.info();
        expect(info.truncated).toBe(true);
        expect(info.truncatedAtByte).toBe(offset);
        expect(info.truncationReason).toMatch(reason);
        expect(info.warnings.join(' ')).toMatch(/Truncated dump: only the \d+ traces before the cut/);
      });
    }
  }

  for (const [file, message, offset] of cases) {
    for (const chunkSize of [undefined, 7]) {
      it(`${file}${chunkSize ? ' (7-byte chunks)' : ''}: ${message.source} at byte ${offset}`, async () => {
        const pwnedBefore = existsSync(PWNED);
        const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
        const error = await loadTracemalloc(join(ROOT, 'bad', file), { chunkSize }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InputError);
        const e = error as InputError;
        expect(e.message).toMatch(message);
        expect(e.offset).toBe(offset);
        expect(e.message).toContain(`(at byte ${offset})`);
        // Nothing named in the file ran, and no length field was believed.
        expect(existsSync(PWNED)).toBe(pwnedBefore);
        expect(process.memoryUsage().arrayBuffers - arrayBuffersBefore).toBeLessThan(64 * 1024 * 1024);
      });
    }
  }

  it('a cut dump still offers what was read, labelled partial (no-STOP cut = the whole oracle)', async () => {
    const oracle = JSON.parse(
      readFileSync(join(ROOT, 'nframe/deep-nframe50-py313.oracle.json'), 'utf8'),
    ) as Oracle;
    const whole = (await loadTracemalloc(join(ROOT, 'bad/truncated-no-stop.pickle'), {})) as TracemallocModel;
    expect(whole.info().truncated).toBe(true);
    expect(whole.info().truncatedAtByte).toBe(276789);
    const s = whole.statsJson({ groupBy: 'lineno', top: 100 });
    expect([s.traceCount, s.totalSize, s.tracebackLimit]).toEqual([
      oracle.trace_count,
      oracle.total_size,
      oracle.traceback_limit,
    ]);
    expect(s.statistics).toEqual(oracle.statistics_lineno_top100);
    expect(whole.statsJson({ groupBy: 'filename' }).statistics).toEqual(oracle.statistics_filename);

    const part = (await loadTracemalloc(join(ROOT, 'bad/truncated-50pct.pickle'), {
      chunkSize: 7,
    })) as TracemallocModel;
    const read = Number(/(\d+) traces read/.exec(part.info().truncationReason!)![1]);
    const ps = part.statsJson({ groupBy: 'filename' });
    expect(ps.traceCount).toBe(read);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(oracle.trace_count);
    // A prefix of the traces: no file gains bytes or blocks.
    const full = new Map(
      (oracle.statistics_filename as { filename: string; size: number; count: number }[]).map((r) => [
        r.filename,
        r,
      ]),
    );
    for (const row of ps.statistics as { filename: string; size: number; count: number }[]) {
      expect(row.size).toBeLessThanOrEqual(full.get(row.filename)!.size);
      expect(row.count).toBeLessThanOrEqual(full.get(row.filename)!.count);
    }
  });

  it('gzip: a cut gzip stream and gzipped text get their own errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-tm-'));
    try {
      const gz = readFileSync(join(ROOT, 'bad/valid-dump.pickle.gz'));
      const cut = join(dir, 'cut.pickle.gz');
      writeFileSync(cut, gz.subarray(0, gz.length >> 1));
      const opened = await loadTracemalloc(cut, {});
      expect(opened.info().truncated).toBe(true);
      expect(opened.info().truncationReason).toMatch(/the gzip data ends early; truncated at byte \d+/);
      // Cut inside the gzip header: nothing inflates, so nothing can be shown.
      const head = join(dir, 'head.pickle.gz');
      writeFileSync(head, gz.subarray(0, 12));
      await expect(loadTracemalloc(head, {})).rejects.toBeInstanceOf(InputError);
      const text = join(dir, 'text.gz');
      writeFileSync(text, gzipSync(readFileSync(join(ROOT, 'bad/text-statistics.txt.pickle'))));
      await expect(loadTracemalloc(text, {})).rejects.toThrow(
        /not a pickle \(looks like text inside the gzip data/,
      );
      // The 2 GB string length of huge-binunicode-length, gzipped: refused before any buffering.
      const huge = join(dir, 'huge.pickle.gz');
      writeFileSync(huge, gzipSync(readFileSync(join(ROOT, 'bad/huge-binunicode-length.pickle'))));
      await expect(loadTracemalloc(huge, {})).rejects.toMatchObject({
        name: 'InputError',
        offset: 90,
        message: expect.stringMatching(/string length 2147483632 exceeds what a compressed dump may declare/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the decoder has no way to run code: no eval, Function, child_process or dynamic import', () => {
    for (const f of ['pickle-decoder.ts', 'index.ts', 'wtf8.ts']) {
      const src = readFileSync(fileURLToPath(new URL(`./${f}`, import.meta.url)), 'utf8');
      expect(src).not.toMatch(/\beval\s*\(|new Function|child_process|import\s*\(/);
    }
  });
});

describe('filters (Snapshot.filter_traces)', () => {
  it('the filters/ fixture: exclusions plus an all_frames inclusion reproduce the filtered dump', async () => {
    const source = await load(dumpPath('filtered', 'inventory-unfiltered-py310.pickle'));
    const oracle = JSON.parse(
      readFileSync(join(ROOT, 'filtered/inventory-filtered-py310.oracle.json'), 'utf8'),
    ) as Oracle;
    const filtered = source.filterTraces([
      { inclusive: false, filenamePattern: '<frozen importlib._bootstrap>' },
      { inclusive: false, filenamePattern: '<frozen importlib._bootstrap_external>' },
      { inclusive: false, filenamePattern: '/opt/pythons/versions/3.10.13/lib/python3.10/tracemalloc.py' },
      { inclusive: true, filenamePattern: '*/invsvc/*', allFrames: true },
    ]);
    const lineno = groupSnapshot(filtered, { groupBy: 'lineno' });
    expect(lineno.reduce((a, g) => a + g.count, 0)).toBe(oracle.trace_count);
    expect(lineno.reduce((a, g) => a + g.size, 0)).toBe(oracle.total_size);
    expect(lineno.length).toBe(oracle.statistics_lineno_len);
    expect(lineno.slice(0, 100).map(statisticJson)).toEqual(oracle.statistics_lineno_top100);
    expect(groupSnapshot(filtered, { groupBy: 'filename' }).map(statisticJson)).toEqual(
      oracle.statistics_filename,
    );
    const tb = groupSnapshot(filtered, { groupBy: 'traceback' });
    expect(tb.length).toBe(oracle.statistics_traceback_len);
    expect(tb.slice(0, 20).map(statisticJson)).toEqual(oracle.statistics_traceback_top20);
    const cumulative = groupSnapshot(filtered, { groupBy: 'lineno', cumulative: true });
    expect(cumulative.slice(0, 50).map(statisticJson)).toEqual(oracle.statistics_lineno_cumulative_top50);
  });

  it('DomainFilter(True, 389047) on numpy.pickle reproduces numpy-domainfilter', async () => {
    const source = await load(dumpPath('numpy', 'numpy.pickle'));
    const oracle = JSON.parse(
      readFileSync(join(ROOT, 'numpy/numpy-domainfilter.oracle.json'), 'utf8'),
    ) as Oracle;
    const filtered = source.filterTraces([{ kind: 'domain', inclusive: true, domain: 389047 }]);
    const lineno = groupSnapshot(filtered, { groupBy: 'lineno' });
    expect(lineno.reduce((a, g) => a + g.size, 0)).toBe(oracle.total_size);
    expect(lineno.slice(0, 100).map(statisticJson)).toEqual(oracle.statistics_lineno_top100);
    expect(groupSnapshot(filtered, { groupBy: 'filename' }).map(statisticJson)).toEqual(
      oracle.statistics_filename,
    );
    expect(groupSnapshot(filtered, { groupBy: 'traceback' }).slice(0, 20).map(statisticJson)).toEqual(
      oracle.statistics_traceback_top20,
    );
    // Same selection through groupSnapshot's own filter option, and through a domain-restricted Filter.
    const viaOption = groupSnapshot(source.fullSnapshot(), {
      groupBy: 'filename',
      filter: [{ kind: 'domain', inclusive: true, domain: 389047 }],
    });
    expect(viaOption.map(statisticJson)).toEqual(oracle.statistics_filename);
    const viaFilter = groupSnapshot(source.fullSnapshot(), {
      groupBy: 'filename',
      filter: [{ inclusive: true, filenamePattern: '*', domain: 389047 }],
    });
    expect(viaFilter.map(statisticJson)).toEqual(oracle.statistics_filename);
  });

  it('the allocator view shows domains by name and pymalloc vs raw size classes', async () => {
    const m = await load(dumpPath('numpy', 'numpy.pickle'));
    const oracle = JSON.parse(readFileSync(join(ROOT, 'numpy/numpy.oracle.json'), 'utf8')) as Oracle;
    const a = m.allocators({ kind: 'peak' });
    expect(a.byAllocator.map((x) => [x.name, x.bytes, x.count])).toEqual(
      oracle.domains.map((d) => [
        d.domain === 389047 ? 'NumPy (389047)' : `domain ${d.domain}`,
        d.size,
        d.count,
      ]),
    );
    const families = Object.fromEntries(a.byFamily.map((f) => [f.family, f]));
    const d0 = oracle.domains.find((d) => d.domain === 0)!;
    expect(families.pymalloc.bytes + families.malloc.bytes).toBe(d0.size);
    expect(families.pymalloc.count + families.malloc.count).toBe(d0.count);
    expect(families.other.bytes).toBe(oracle.total_size - d0.size);
    expect(a.histogram.reduce((s, b) => s + b.count, 0)).toBe(oracle.trace_count);
    expect(a.pymallocThresholdBytes).toBe(512);
    // Domain selection narrows the snapshot to that domain's rows.
    const numpyOnly = m.snapshot({ kind: 'peak' }, { allocators: ['NumPy (389047)'] });
    const total = Array.from(numpyOnly.rows.bytes).reduce((s, b) => s + b, 0);
    expect(total).toBe(oracle.domains.find((d) => d.domain === 389047)!.size);
    expect(() => m.snapshot({ kind: 'range', fromMs: 0, toMs: 1, measure: 'peak' })).toThrow(
      /single snapshot/,
    );
    expect(m.timeline()).toBeUndefined();
  });
});
