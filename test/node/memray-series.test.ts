// Issue 15 §3 (last bullet): several memray captures of one program as one series, against
// memray's own outputs for each capture — its record dump (`memray parse`: heap replayed by
// test/memray-dump-replay.ts), `memray stats --json` and `memray transform csv --leaks` — never
// against the model's own numbers for a single capture.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCapture } from '../../main/formats/index';
import { listCaptures, parseCsv, type FixtureCapture } from '../../main/formats/memray/oracles';
import { programCommand } from '../../main/formats/memray/series';
import type { MemraySeriesModel } from '../../main/model/memray/series';
import { handlers } from '../../main/engine/handlers';
import { rankGrowth } from '../../main/query/growth';
import { seriesMembers, seriesMemberSnapshot } from '../../shared/series-members';
import { endEpochMs, peakEpochMs, replayDump, type DumpReplay } from '../memray-dump-replay';

const FIXTURES = new URL('../fixtures/memray', import.meta.url).pathname;
const all = listCaptures(FIXTURES);
const fixture = (folder: string, name: string): FixtureCapture =>
  all.find((c) => c.folder.startsWith(folder) && c.name === name)!;

/**
 * Five captures of workloads/basic.py by four memray versions (one --aggregate, one
 * --no-compress), renamed so that name order is not start-time order.
 */
const MEMBERS: { name: string; from: FixtureCapture }[] = [
  { name: 'run-a.bin', from: fixture('v10', 'basic.bin') },
  { name: 'run-b.bin', from: fixture('v12-memray1.19.3-py311', 'basic.bin') },
  { name: 'run-c.bin', from: fixture('v13', 'basic.bin') },
  { name: 'run-d.bin', from: fixture('v12-memray1.19.3-py312', 'basic-nocompress.bin') },
  { name: 'run-e.bin', from: fixture('v11', 'basic-aggregate.bin') },
];
const startOf = (c: FixtureCapture) => Number(/ start_time=(\d+)/.exec(c.oracle('parse.txt')!)![1]);
/** Series order by the headers' start times, read from memray's dumps. */
const ORDER = [...MEMBERS].sort((a, b) => startOf(a.from) - startOf(b.from));

const dir = mkdtempSync(join(tmpdir(), 'heapscope-memray-series-'));
const paths = MEMBERS.map((m) => {
  copyFileSync(m.from.path, join(dir, m.name));
  return join(dir, m.name);
});

let model: MemraySeriesModel;
beforeAll(async () => {
  model = (await loadCapture(paths[0], { series: paths })) as MemraySeriesModel;
});

interface Oracle {
  replay?: DumpReplay;
  stats: { total_num_allocations: number; total_bytes_allocated: number; metadata: { peak_memory: number } };
  /** memray transform csv --leaks, by innermost frame "function\0file\0line". */
  leaks: Map<string, number>;
  aggregated: boolean;
}

function oracle(c: FixtureCapture): Oracle {
  const aggregated = /aggregate/.test(c.name);
  const leaks = new Map<string, number>();
  for (const row of parseCsv(c.oracle('leaks.csv')!)) {
    const [fn, file, line] =
      row.stack_trace === ''
        ? ['<stack trace unavailable>', '', '0']
        : row.stack_trace.split('|')[0].split(';');
    const key = `${fn}\0${file}\0${line}`;
    leaks.set(key, (leaks.get(key) ?? 0) + Number(row.size));
  }
  const statsFile = c.oracle('stats.json') ?? fixture(c.folder, 'basic.bin').oracle('stats.json')!;
  return {
    ...(!aggregated && { replay: replayDump(c.oracle('parse.txt')!) }),
    stats: JSON.parse(statsFile),
    leaks,
    aggregated,
  };
}

describe("memray run's command line: the program without memray's own options", () => {
  it('leaves out memray, run and its options; keeps -m/-c and the program’s arguments', () => {
    const memray = '/venv/lib/python3.12/site-packages/memray/__main__.py';
    expect(programCommand(`${memray} run -o captures/a.bin /srv/app.py --workers 2`)).toBe(
      '/srv/app.py --workers 2',
    );
    expect(programCommand(`${memray} run --native --follow-fork --output=captures/b.bin app.py`)).toBe(
      'app.py',
    );
    expect(programCommand(`${memray} run -fq -o x.bin -m service.main -v`)).toBe('-m service.main -v');
    expect(programCommand(`/usr/bin/memray run -ox.bin --live-port 9001 -c print(1)`)).toBe('-c print(1)');
    expect(programCommand(`memray run --aggregate -o out.bin job.py -o kept`)).toBe('job.py -o kept');
    // the Tracker API in the program, or memray attach: the program's own command line
    expect(programCommand('/usr/bin/python3 service.py --port 80')).toBe(
      '/usr/bin/python3 service.py --port 80',
    );
    expect(programCommand('/srv/memray-tools/run.py run x')).toBe('/srv/memray-tools/run.py run x');
  });
});

describe('a series of memray captures of one program', () => {
  it('orders by the start time in each header, and says so', () => {
    const s = model.info().captureSeries!;
    expect(s.order).toBe('start-time');
    expect(s.orderNote).toMatch(
      /^Ordered by the start time in each capture’s header\. The timeline lays the captures end to end/,
    );
    expect(s.captures.map((c) => c.fileName)).toEqual(ORDER.map((m) => m.name));
    expect(s.captures.map((c) => c.startTimeMs)).toEqual(ORDER.map((m) => startOf(m.from)));
    expect(s.program).toBe('/srv/app/service/workloads/basic.py');
    expect(model.info().facts.fileName).toBe('run-a.bin (5 memray captures)');
    expect(seriesMembers(model.info()).map((m) => m.label)).toEqual(
      ORDER.map((m, i) => `${i + 1}: ${m.name}`),
    );
  });

  it('lays the captures end to end: each one’s span is its own length, its peak and end memray’s', () => {
    const s = model.info().captureSeries!;
    let at = 0;
    s.captures.forEach((c, i) => {
      const o = oracle(ORDER[i].from);
      expect(c.fromMs).toBe(at);
      if (o.replay) {
        expect(c.toMs - c.fromMs).toBe(endEpochMs(o.replay) - o.replay.startEpochMs);
        expect(c.leakedBytes, c.fileName).toBe(o.replay.finalHeap);
      }
      expect(c.peakBytes, c.fileName).toBe(o.stats.metadata.peak_memory);
      at = c.toMs;
    });
    expect(model.info().durationMs).toBe(at);
  });

  it('timeline: every memory record of every capture at its place, the series peak memray’s highest', () => {
    const t = model.timeline()!;
    const s = model.info().captureSeries!;
    expect(t.captures?.map((c) => [c.fromMs, c.toMs])).toEqual(s.captures.map((c) => [c.fromMs, c.toMs]));
    ORDER.forEach((m, i) => {
      const o = oracle(m.from);
      if (!o.replay) return;
      for (const r of o.replay.records) {
        const x = s.captures[i].fromMs + r.epochMs - o.replay.startEpochMs;
        const hit = t.timeMs.some((ms, k) => ms === x && t.heapBytes[k] === r.heap);
        expect(hit, `${m.name} record at ${x} ms: heap ${r.heap}`).toBe(true);
      }
    });
    const peaks = ORDER.map((m) => oracle(m.from).stats.metadata.peak_memory);
    const top = peaks.lastIndexOf(Math.max(...peaks));
    expect(t.peak.bytes).toBe(peaks[top]);
    const o = oracle(ORDER[top].from);
    if (o.replay)
      expect(t.peak.timeMs).toBe(s.captures[top].fromMs + peakEpochMs(o.replay) - o.replay.startEpochMs);
    expect(t.end?.bytes).toBe(oracle(ORDER[ORDER.length - 1].from).replay?.finalHeap ?? t.end?.bytes);
  });

  it('snapshots: the series peak, the last capture’s end, and any capture of any kind by its span', () => {
    const s = model.info().captureSeries!;
    const total = (spec: Parameters<MemraySeriesModel['snapshot']>[0]) => {
      const r = model.snapshot(spec).rows;
      let b = 0;
      for (let i = 0; i < r.length; i++) b += r.bytes[i];
      return b;
    };
    const peaks = ORDER.map((m) => oracle(m.from).stats.metadata.peak_memory);
    expect(total({ kind: 'peak' })).toBe(Math.max(...peaks));
    const lastO = oracle(ORDER[ORDER.length - 1].from);
    expect(total({ kind: 'leaks' })).toBe([...lastO.leaks.values()].reduce((a, v) => a + v, 0));
    ORDER.forEach((m, i) => {
      const o = oracle(m.from);
      const info = model.info();
      expect(total(seriesMemberSnapshot(info, i, 'peak')), `${m.name} peak`).toBe(
        o.stats.metadata.peak_memory,
      );
      expect(total(seriesMemberSnapshot(info, i, 'leaks')), `${m.name} leaks`).toBe(
        [...o.leaks.values()].reduce((a, v) => a + v, 0),
      );
      if (!o.aggregated)
        expect(total(seriesMemberSnapshot(info, i, 'all')), `${m.name} all`).toBe(
          o.stats.total_bytes_allocated,
        );
      else expect(() => model.snapshot(seriesMemberSnapshot(info, i, 'all'))).toThrow(/aggregated/);
      // a moment inside a capture: its heap at that memory record
      if (o.replay) {
        const r = o.replay.records[Math.floor(o.replay.records.length / 2)];
        const local = r.epochMs - o.replay.startEpochMs;
        expect(total({ kind: 'at', timeMs: s.captures[i].fromMs + local }), `${m.name} at ${local}`).toBe(
          r.heap,
        );
      }
    });
    // a range over two whole captures: their allocations together; its peak the higher one's
    const [a, b] = [0, 1];
    const range = { fromMs: s.captures[a].fromMs, toMs: s.captures[b].toMs };
    const oa = oracle(ORDER[a].from);
    const ob = oracle(ORDER[b].from);
    expect(total({ kind: 'range', ...range, measure: 'allocated' })).toBe(
      oa.stats.total_bytes_allocated + ob.stats.total_bytes_allocated,
    );
    expect(total({ kind: 'range', ...range, measure: 'peak' })).toBe(
      Math.max(oa.stats.metadata.peak_memory, ob.stats.metadata.peak_memory),
    );
    expect(model.snapshot({ kind: 'range', ...range, measure: 'allocated' }).label).toBe(
      'allocated in captures 1–2',
    );
    // every allocation of the series: the captures that hold them, the aggregated one said
    const every = ORDER.map((m) => oracle(m.from)).filter((o) => !o.aggregated);
    expect(total({ kind: 'all' })).toBe(every.reduce((x, o) => x + o.stats.total_bytes_allocated, 0));
    expect(model.snapshot({ kind: 'all' }).label).toMatch(
      /^all allocations of the 5 captures \(without run-e\.bin: aggregated/,
    );
  });

  it('allocators of one capture: memray stats’ allocator distribution of that capture', () => {
    ORDER.forEach((m, i) => {
      const o = oracle(m.from) as Oracle & { stats: { allocator_type_distribution: Record<string, number> } };
      if (o.aggregated) return;
      const rows = model.allocators(seriesMemberSnapshot(model.info(), i, 'all')).byAllocator;
      const got = Object.fromEntries(rows.filter((r) => r.count > 0).map((r) => [r.name, r.count]));
      expect(got, m.name).toEqual(o.stats.allocator_type_distribution);
    });
  });

  it('summary: the series peak, totals over every capture, the last capture’s leaks', () => {
    const s = handlers.summary(model, {}, { captureId: 'x' });
    const os = ORDER.map((m) => oracle(m.from));
    expect(s.peakBytes).toBe(Math.max(...os.map((o) => o.stats.metadata.peak_memory)));
    const last = os[os.length - 1];
    expect(s.leakedBytes).toBe([...last.leaks.values()].reduce((a, v) => a + v, 0));
  });

  it('growth: one point per capture, each site as memray’s leaks CSV has it, ranked by the one ranking', () => {
    const g = model.growthSeries()!;
    const os = ORDER.map((m) => oracle(m.from));
    // each capture's end on the wall clock, from the first start
    const t0 = startOf(ORDER[0].from);
    const s = model.info().captureSeries!;
    expect(Array.from(g.timeMs)).toEqual(
      ORDER.map((m, i) => startOf(m.from) - t0 + (s.captures[i].toMs - s.captures[i].fromMs)),
    );
    const want = new Map<string, number[]>();
    os.forEach((o, i) => {
      for (const [key, bytes] of o.leaks) {
        const row = want.get(key) ?? new Array<number>(os.length).fill(0);
        row[i] += bytes;
        want.set(key, row);
      }
    });
    const got = new Map(
      g.sites.map((site) => [`${site.function}\0${site.file}\0${site.line}`, Array.from(site.live)] as const),
    );
    const nonZero = (m: Map<string, number[]>) =>
      [...m].filter(([, r]) => r.some((v) => v !== 0)).sort(([x], [y]) => (x < y ? -1 : 1));
    expect(nonZero(got)).toEqual(nonZero(want));
    const ranked = handlers.growth(model, { limit: 10 }, { captureId: 'x' });
    expect(ranked).toEqual(rankGrowth(g, 10));
    expect(ranked.points).toBe(5);
  });

  it('the diff of any two captures: each side memray’s own totals', () => {
    const info = model.info();
    for (const [a, b] of [
      [0, 4],
      [3, 1],
    ]) {
      const base = model.snapshot(seriesMemberSnapshot(info, a, 'leaks'));
      const target = model.snapshot(seriesMemberSnapshot(info, b, 'leaks'));
      const sum = (x: typeof base) => {
        let t = 0;
        for (let i = 0; i < x.rows.length; i++) t += x.rows.bytes[i];
        return t;
      };
      expect(sum(base)).toBe([...oracle(ORDER[a].from).leaks.values()].reduce((x, v) => x + v, 0));
      expect(sum(target)).toBe([...oracle(ORDER[b].from).leaks.values()].reduce((x, v) => x + v, 0));
      expect(target.label).toMatch(new RegExp(`^capture ${b + 1} of 5 \\(${ORDER[b].name}\\): `));
    }
  });

  it('stats --json: the series’ numbers and each capture’s, as memray stats has them', () => {
    const j = model.statsJson({});
    const os = ORDER.map((m) => oracle(m.from));
    expect(j.format).toBe('memray-series');
    expect(j.series.order).toBe('start-time');
    expect(j.captures.map((c) => c.peakMemory)).toEqual(os.map((o) => o.stats.metadata.peak_memory));
    expect(j.peakMemory).toBe(Math.max(...os.map((o) => o.stats.metadata.peak_memory)));
    // an aggregated capture has no allocation totals: nor has the series then
    expect(j.totalAllocations).toBeNull();
    expect(j.captures.filter((_, i) => !os[i].aggregated).map((c) => c.totalAllocations)).toEqual(
      os.filter((o) => !o.aggregated).map((o) => o.stats.total_num_allocations),
    );
  });
});

describe('what a series refuses', () => {
  it('captures of another program, named, before any capture is read', async () => {
    const threads = fixture('v13', 'threads.bin').path;
    await expect(loadCapture(paths[0], { series: [paths[0], threads] })).rejects.toThrow(
      /^threads\.bin: a capture of another program \("\/srv\/app\/service\/workloads\/threads\.py", while run-a\.bin ran "\/srv\/app\/service\/workloads\/basic\.py"\); a series holds captures of one program/,
    );
  });

  it('a tracemalloc dump among memray captures', async () => {
    const dump = new URL('../fixtures/tracemalloc/series/service.1.pickle', import.meta.url).pathname;
    await expect(loadCapture(paths[0], { series: [paths[0], dump] })).rejects.toThrow(
      /^service\.1\.pickle: a tracemalloc capture, not a memray capture; a series holds tracemalloc dumps, or memray captures of one program/,
    );
  });

  it('a folder: its memray captures as the series, fork children and other files left out and counted', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'heapscope-memray-folder-'));
    for (const m of MEMBERS.slice(0, 3)) copyFileSync(m.from.path, join(folder, m.name));
    copyFileSync(MEMBERS[3].from.path, join(folder, 'run-a.bin.4242'));
    writeFileSync(join(folder, 'notes.txt'), 'three runs\n');
    const m = (await loadCapture(folder, {})) as MemraySeriesModel;
    expect(
      m
        .info()
        .captureSeries!.captures.map((c) => c.fileName)
        .sort(),
    ).toEqual(['run-a.bin', 'run-b.bin', 'run-c.bin']);
    expect(m.info().warnings[0]).toBe(
      '2 files are in the folder but not memray captures of the series; left out (fork children NAME.bin.PID: open their parent alone to merge them)',
    );
  });
});
