// Issue 15 §3 and §4 through the engine (worker) and the CLI: a series of tracemalloc dumps
// against CPython's own numbers, and the last seconds of a killed memray capture against an
// independent replay of memray's own record dump.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { LastSeconds } from '../../shared/api';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Engine } from '../../main/engine/engine';
import { startServer, TOKEN_HEADER } from '../../main/server/index';
import { compareGroups } from '../../main/query/diff';
import { orderDumpNames, numberInName, timestampInName } from '../../main/formats/tracemalloc/series-order';
import { growthShare, linearFit } from '../../main/query/growth';
import { rankSiteGrowth } from '../../main/query/series-growth';
import { lastWindow, limitFindings } from '../../main/query/last-seconds';
import { parseSize } from '../../shared/units';
import { replayDump } from '../memray-dump-replay';
import { replaySites, siteKey } from '../memray-dump-sites';
import { CLI, requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const run = promisify(execFile);
const SERIES = requireFixture('tracemalloc/series');
const KILLED = 'memray/v12-memray1.19.3-py311/killed';

interface OracleRow {
  filename: string;
  lineno: number;
  size: number;
  count: number;
  size_diff?: number;
  count_diff?: number;
}
interface SeriesOracle {
  dumps: {
    file: string;
    total_size: number;
    trace_count: number;
    statistics_lineno: OracleRow[];
    compare_to_previous_lineno?: OracleRow[];
  }[];
  compare_first_last_lineno: OracleRow[];
}

let engine: Engine;
let oracle: SeriesOracle;

beforeAll(async () => {
  requireBuilt();
  engine = new Engine({ workerUrl: WORKER_URL });
  oracle = JSON.parse(await readFile(join(SERIES, 'series-oracle.json'), 'utf8')) as SeriesOracle;
});

afterAll(async () => {
  await engine?.closeAll();
});

describe('the order of a series', () => {
  it('numbers in the names: dump.2 before dump.10 (name order would not)', () => {
    const names = ['s.10.pickle', 's.2.pickle', 's.1.pickle'];
    const o = orderDumpNames(names);
    expect(o.order).toBe('name-number');
    expect(o.indices.map((i) => names[i])).toEqual(['s.1.pickle', 's.2.pickle', 's.10.pickle']);
    expect(o.note).toMatch(/number in each file name.*modification times are not used/);
    expect(numberInName('heap_py311_07.pickle.gz')).toBe(7);
  });

  it('timestamps in the names give the order and the time axis', () => {
    const names = [
      'heap-20240501T120010Z.pickle',
      'heap-20240501T115950Z.pickle',
      'heap-2024-05-01_12-00-00.pickle',
    ];
    const o = orderDumpNames(names);
    expect(o.order).toBe('name-timestamp');
    expect(o.indices).toEqual([1, 2, 0]);
    expect(o.timesMs).toEqual([0, 10_000, 20_000]);
    expect(timestampInName('dump-1714564800.pickle')).toBe(1714564800_000);
    // A month 13 is no date; a counter is no epoch.
    expect(timestampInName('x-20241301T000000.pickle')).toBeUndefined();
    expect(timestampInName('dump.12.pickle')).toBeUndefined();
  });

  it('names without a number in every one: plain name order, said so', () => {
    const o = orderDumpNames(['b.pickle', 'a1.pickle', 'c.pickle']);
    expect(o.order).toBe('name');
    expect(o.indices).toEqual([1, 0, 2]);
    expect(o.note).toMatch(/^Ordered by file name/);
  });
});

describe('growth ranking (pure)', () => {
  it('slope equals the closed-form least squares; rising share counts rises', () => {
    const x = [0, 1, 2, 3, 4];
    const y = [10, 30, 20, 50, 60];
    const n = x.length;
    const sx = x.reduce((a, b) => a + b);
    const sy = y.reduce((a, b) => a + b);
    const sxy = x.reduce((a, xi, i) => a + xi * y[i], 0);
    const sxx = x.reduce((a, xi) => a + xi * xi, 0);
    expect(linearFit(x, y).slope).toBeCloseTo((n * sxy - sx * sy) / (n * sxx - sx * sx), 12);
    expect(growthShare(y)).toBe(3 / 4);
    const ranked = rankSiteGrowth(x, [
      { key: 'flat', bytes: [5, 5, 5, 5, 5], site: 'flat' },
      { key: 'up', bytes: y, site: 'up' },
      { key: 'down', bytes: [9, 7, 5, 3, 1], site: 'down' },
    ]);
    expect(ranked.map((r) => r.key)).toEqual(['up', 'flat', 'down']);
  });
});

describe('a folder of tracemalloc dumps as one series', () => {
  it('timeline: one point per dump, Σ trace sizes as CPython counts them, in the numbered order', async () => {
    const info = await engine.open({ path: SERIES });
    expect(info.series?.order).toBe('name-number');
    expect(info.series?.dumps.map((d) => d.fileName)).toEqual(oracle.dumps.map((d) => d.file));
    expect(info.warnings.join(' ')).toMatch(/2 files are in the folder but not tracemalloc dumps/);
    const t = await engine.timeline({ captureId: info.id });
    expect(t.heapBytes).toEqual(oracle.dumps.map((d) => d.total_size));
    expect(info.series?.dumps.map((d) => d.traceCount)).toEqual(oracle.dumps.map((d) => d.trace_count));
    expect(t.series?.axis).toBe('dump');
    expect(t.timeMs).toEqual(oracle.dumps.map((_, i) => i));
    const peak = Math.max(...oracle.dumps.map((d) => d.total_size));
    expect(t.peak.bytes).toBe(peak);
  });

  it('growth per site: every dump’s bytes equal statistics("lineno"); slope and share by brute force', async () => {
    const info = await engine.open({ path: SERIES });
    const t = await engine.timeline({ captureId: info.id });
    const growth = t.series!.growth;
    const sites = new Map<string, number[]>();
    oracle.dumps.forEach((d, i) => {
      for (const r of d.statistics_lineno) {
        const key = `${r.filename}:${r.lineno}`;
        if (!sites.has(key))
          sites.set(
            key,
            oracle.dumps.map(() => 0),
          );
        sites.get(key)![i] = r.size;
      }
    });
    expect(t.series!.siteCount).toBe(sites.size);
    for (const g of growth) {
      const expected = sites.get(`${g.file}:${g.line}`);
      expect(expected, `${g.file}:${g.line}`).toBeDefined();
      expect(g.bytes).toEqual(expected);
      // Brute force: the slope minimising Σ (y − (a + b·x))², searched on the normal equations' grid.
      const n = expected!.length;
      const xs = expected!.map((_, i) => i);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const mx = mean(xs);
      const my = mean(expected!);
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        num += (xs[i] - mx) * (expected![i] - my);
        den += (xs[i] - mx) ** 2;
      }
      expect(g.slopeBytes).toBeCloseTo(num / den, 6);
      let rose = 0;
      for (let i = 1; i < n; i++) if (expected![i] > expected![i - 1]) rose++;
      expect(g.grewShare).toBe(rose / (n - 1));
    }
    // The leak (jobs.py:7, kept forever) leads; the odd-step scratch block (line 17) comes last.
    expect(`${growth[0].file}:${growth[0].line}`).toBe('service/jobs.py:7');
    expect(growth[0].grewShare).toBe(1);
    expect(growth.at(-1)!.line).toBe(17);
  });

  it('the diff of any two dumps equals compare_to (first→last and every step)', async () => {
    const info = await engine.open({ path: SERIES });
    const pairs: [number, number, OracleRow[]][] = [
      [0, oracle.dumps.length - 1, oracle.compare_first_last_lineno],
    ];
    oracle.dumps.forEach((d, i) => {
      if (i > 0) pairs.push([i - 1, i, d.compare_to_previous_lineno!]);
    });
    for (const [a, b, expected] of pairs) {
      const side = (i: number) => ({ captureId: info.id, snapshot: { kind: 'at' as const, timeMs: i } });
      const groups = await engine.matchedGroups(side(a), side(b), { groupBy: 'lineno' });
      const rows = compareGroups(groups.base, groups.target).map((r) => ({
        filename: r.file,
        lineno: r.line,
        size: r.size,
        size_diff: r.sizeDiff,
        count: r.count,
        count_diff: r.countDiff,
      }));
      expect(rows, `${a + 1} → ${b + 1}`).toEqual(expected);
      const diff = await engine.diff({ base: side(a), target: side(b), groupBy: 'line' });
      expect(diff.base.totalBytes).toBe(oracle.dumps[a].total_size);
      expect(diff.target.totalBytes).toBe(oracle.dumps[b].total_size);
      expect(diff.target.label).toBe(`dump ${b + 1} of ${oracle.dumps.length} (${oracle.dumps[b].file})`);
    }
  });

  it('`heapscope series A B C` (named files) and `stats DIR --json` say the order and the totals', async () => {
    const files = ['service.10.pickle', 'service.2.pickle', 'service.1.pickle'].map((f) => join(SERIES, f));
    const text = await run(process.execPath, [CLI, 'series', ...files]);
    expect(text.stdout).toMatch(/Ordered by the number in each file name/);
    const order = [...text.stdout.matchAll(/^\s+\d+\s+\S+ \S+\s+\d+ traces\s+(\S+)$/gm)].map((m) => m[1]);
    expect(order).toEqual(['service.1.pickle', 'service.2.pickle', 'service.10.pickle']);
    const json = JSON.parse((await run(process.execPath, [CLI, 'stats', SERIES, '--json'])).stdout) as {
      format: string;
      dumps: { file: string; totalSize: number; traceCount: number }[];
    };
    expect(json.format).toBe('tracemalloc-series');
    expect(json.dumps.map((d) => [d.file, d.totalSize, d.traceCount])).toEqual(
      oracle.dumps.map((d) => [d.file, d.total_size, d.trace_count]),
    );
    const diff = JSON.parse(
      (await run(process.execPath, [CLI, 'series', ...files, '--from', '1', '--to', '3', '--json'])).stdout,
    ) as { diff: { filename: string; lineno: number; size: number; sizeDiff: number }[] };
    expect(diff.diff.map((r) => [r.filename, r.lineno, r.size, r.sizeDiff])).toEqual(
      oracle.compare_first_last_lineno.map((r) => [r.filename, r.lineno, r.size, r.size_diff]),
    );
  });

  it('a series refuses a file that is not a tracemalloc dump, naming it', async () => {
    const memray = requireFixture(`${KILLED}.bin`);
    await expect(
      engine.open({
        path: join(SERIES, 'service.1.pickle'),
        series: [join(SERIES, 'service.1.pickle'), memray],
      }),
    ).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/killed\.bin: a memray capture, not a tracemalloc dump/),
    });
  });
});

describe('browser mode: `serve DIR` and the allowlist', () => {
  it('a folder of dumps named on `serve` opens as its series; a series reaching outside is refused', async () => {
    const own = new Engine({ workerUrl: WORKER_URL });
    const server = await startServer({ engine: own, port: 0, files: [SERIES], rendererDir: SERIES });
    try {
      const open = (body: unknown) =>
        fetch(`${server.origin}/api/open`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: server.token },
          body: JSON.stringify([body]),
        });
      await expect
        .poll(async () => (await own.list()).map((i) => i.series?.dumps.length), { timeout: 30_000 })
        .toEqual([10]);
      const inside = ['service.1.pickle', 'service.2.pickle'].map((f) => join(SERIES, f));
      const ok = await open({ path: inside[0], series: inside });
      expect(ok.status).toBe(200);
      const outside = requireFixture('tracemalloc/nframe/deep-nframe50-py313.pickle');
      const refused = await open({ path: inside[0], series: [inside[0], outside] });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toMatch(
        /^refused: .*deep-nframe50-py313\.pickle is not a file named/,
      );
    } finally {
      await server.close();
      await own.closeAll();
    }
  });
});

describe('the last seconds of a killed memray capture', () => {
  let dump: string;
  beforeAll(async () => {
    dump = gunzipSync(await readFile(requireFixture(`${KILLED}.parse.txt.gz`))).toString('utf8');
  });

  it('the window is 5 s or 10 % of the run; it starts at a memory record', async () => {
    expect(lastWindow(1910)).toMatchObject({ fromMs: 1719, toMs: 1910 });
    expect(lastWindow(120_000)).toMatchObject({ fromMs: 115_000, toMs: 120_000 });
    expect(lastWindow(1000, 400)).toMatchObject({ fromMs: 600, toMs: 1000 });
  });

  it('per-site growth, heap and RSS equal an independent replay of memray’s record dump', async () => {
    const info = await engine.open({ path: requireFixture(`${KILLED}.bin`) });
    expect(info.truncated).toBe(true);
    const last = await engine.lastSeconds({ captureId: info.id, groupBy: 'function', limit: 1000 });
    const heap = replayDump(dump);
    const sites = replaySites(dump);
    // Names in the dump hold no spaces, which the replay's field parsing relies on.
    expect(dump).not.toMatch(/CODE_OBJECT .*function_name=\S* \S*=\S* filename=\S* \S+ firstlineno/);
    const v = sites.recordMs.indexOf(last.fromMs);
    expect(v, `a memory record at ${last.fromMs} ms`).toBeGreaterThanOrEqual(0);
    expect(last.toMs).toBe(sites.recordMs.at(-1));
    expect(last.heapAtStartBytes).toBe(heap.records[v].heap);
    expect(last.heapAtEndBytes).toBe(heap.finalHeap);
    expect(last.rssAtCutBytes).toBe(heap.records.at(-1)!.rss);
    expect(last.peakRssBytes).toBe(Math.max(...heap.records.map((r) => r.rss)));
    expect(last.peakHeapBytes).toBe(heap.peak);
    // Every site whose live bytes changed in the window, with the change; none left out.
    const expected = new Map<string, { sizeDiff: number; countDiff: number }>();
    for (const key of new Set([...sites.atRecord[v].keys(), ...sites.atEnd.keys()])) {
      const a = sites.atRecord[v].get(key) ?? { bytes: 0, count: 0 };
      const b = sites.atEnd.get(key) ?? { bytes: 0, count: 0 };
      if (b.bytes !== a.bytes || b.count !== a.count)
        expected.set(key, { sizeDiff: b.bytes - a.bytes, countDiff: b.count - a.count });
    }
    const got = new Map(
      last.sites.map((s) => [siteKey(s.function, s.file), { sizeDiff: s.sizeDiff, countDiff: s.countDiff }]),
    );
    expect(got).toEqual(expected);
    const seconds = (last.toMs - last.fromMs) / 1000;
    for (const s of last.sites) expect(s.bytesPerSecond).toBeCloseTo(s.sizeDiff / seconds, 6);
    expect(last.sites[0].function).toBe('grow_step');
    expect(last.sites[0].sizeDiff).toBeGreaterThan(0);
  });

  it('the limit: headroom from the replayed peaks; near it "consistent with an OOM kill", far below "probably not"', async () => {
    const info = await engine.open({ path: requireFixture(`${KILLED}.bin`) });
    const heap = replayDump(dump);
    const rssCut = heap.records.at(-1)!.rss;
    const peakRss = Math.max(...heap.records.map((r) => r.rss));
    const near = await engine.lastSeconds({ captureId: info.id, limitBytes: parseSize('700MiB') });
    expect(near.rssHeadroomBytes).toBe(700 * 2 ** 20 - peakRss);
    expect(near.heapHeadroomBytes).toBe(700 * 2 ** 20 - heap.peak);
    expect(near.findings.find((f) => f.code === 'oom-consistent')?.text).toMatch(
      /^RSS was 662\.9 MB of a 700 MiB limit \(90%\) at the last measurement before the cut: consistent with an OOM kill\.$/,
    );
    const far = await engine.lastSeconds({ captureId: info.id, limitBytes: parseSize('2GiB') });
    expect(far.findings.map((f) => f.code)).toContain('kill-not-oom');
    expect(far.findings.find((f) => f.code === 'kill-not-oom')?.text).toMatch(
      /of a 2 GiB limit \(31%\).*probably not the OOM killer/,
    );
    expect(rssCut / parseSize('2GiB')).toBeLessThan(0.6);
    // The summary carries the same findings when the limit is given.
    const summary = await engine.summary({ captureId: info.id, limitBytes: parseSize('2GiB') });
    expect(summary.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['kill-not-oom', 'limit-headroom']),
    );
  });

  it('`report FILE --limit` carries the last seconds and the limit findings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heapscope-last-'));
    try {
      const out = join(dir, 'r.html');
      await run(process.execPath, [
        CLI,
        'report',
        requireFixture(`${KILLED}.bin`),
        '--limit',
        '700MiB',
        '-o',
        out,
      ]);
      const html = await readFile(out, 'utf8');
      const json = /<script type="application\/json" id="hs-data">([^<]*)<\/script>/.exec(html)![1];
      const data = JSON.parse(json) as {
        lastSeconds: LastSeconds;
        summary: { findings: { code: string }[] };
      };
      const heap = replayDump(dump);
      expect(data.lastSeconds.heapAtEndBytes).toBe(heap.finalHeap);
      expect(data.lastSeconds.limitBytes).toBe(700 * 2 ** 20);
      expect(data.summary.findings.map((f) => f.code)).toContain('oom-consistent');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('limitFindings: a clean end never speaks of a kill', () => {
    const f = limitFindings({
      limitBytes: 1000,
      truncated: false,
      endMs: 10,
      peakRssBytes: 950,
      peakHeapBytes: 800,
    });
    expect(f.map((x) => x.code)).toEqual(['limit-headroom']);
    expect(f[0].severity).toBe('warning');
  });

  it('`stats FILE --limit 2GiB` prints headroom and the last-seconds section', async () => {
    const { stdout } = await run(process.execPath, [
      CLI,
      'stats',
      requireFixture(`${KILLED}.bin`),
      '--limit',
      '2GiB',
    ]);
    expect(stdout).toMatch(/^Last seconds: .*the capture was cut short$/m);
    expect(stdout).toMatch(/^ {2}limit: {10}2 GiB$/m);
    expect(stdout).toMatch(/^ {2}headroom: {7}RSS .* left at its peak 662\.9 MB \(31% of the limit\)$/m);
    expect(stdout).toMatch(/what grew in the last .*\n\s+\+\S+ MB\s+\S+ MB\/s\s+\+\d+ blocks\s+grow_step/);
    expect(stdout).toMatch(/\[warning\] RSS was 662\.9 MB of a 2 GiB limit.*probably not the OOM killer/);
    const bad = await run(process.execPath, [
      CLI,
      'stats',
      requireFixture(`${KILLED}.bin`),
      '--limit',
      '2G',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/^heapscope: --limit: /);
  });
});
