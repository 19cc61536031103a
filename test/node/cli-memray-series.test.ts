// `heapscope series A.bin B.bin …` and `stats DIR` on memray captures of one program, through the
// built CLI (the engine's worker), against memray's own `stats --json` and leaks CSV of each one.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../main/formats/memray/oracles';
import type { MemraySeriesStatsJson } from '../../shared/stats';
import { CLI, requireBuilt, requireFixture } from './engine-helpers/paths';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

const CAPTURES = ['v13-memray1.20.0-py313', 'v12-memray1.19.3-py311', 'v10-memray1.10.0-py310'].map(
  (folder) => {
    const base = requireFixture(`memray/${folder}/basic.bin`).replace(/\.bin$/, '');
    const gz = (suffix: string) => gunzipSync(readFileSync(`${base}.${suffix}.gz`)).toString('utf8');
    const stats = JSON.parse(readFileSync(`${base}.stats.json`, 'utf8')) as {
      total_num_allocations: number;
      total_bytes_allocated: number;
      metadata: { peak_memory: number };
    };
    return {
      path: `${base}.bin`,
      start: Number(/ start_time=(\d+)/.exec(gz('parse.txt'))![1]),
      stats,
      leaked: parseCsv(gz('leaks.csv')).reduce((s, r) => s + Number(r.size), 0),
    };
  },
);
const ORDERED = [...CAPTURES].sort((a, b) => a.start - b.start);

beforeAll(() => requireBuilt());

describe('heapscope series on memray captures', () => {
  it('--json: the series in header start-time order, each capture’s numbers memray’s own', async () => {
    const json = JSON.parse(
      (await cli('series', ...CAPTURES.map((c) => c.path), '--json')).stdout,
    ) as MemraySeriesStatsJson;
    expect(json.format).toBe('memray-series');
    expect(json.series.order).toBe('start-time');
    expect(json.captures.map((c) => c.startTimeMs)).toEqual(ORDERED.map((c) => c.start));
    expect(json.captures.map((c) => [c.peakMemory, c.totalAllocations, c.totalBytesAllocated])).toEqual(
      ORDERED.map((c) => [
        c.stats.metadata.peak_memory,
        c.stats.total_num_allocations,
        c.stats.total_bytes_allocated,
      ]),
    );
    expect(json.peakMemory).toBe(Math.max(...ORDERED.map((c) => c.stats.metadata.peak_memory)));
    expect(json.totalAllocations).toBe(ORDERED.reduce((s, c) => s + c.stats.total_num_allocations, 0));
    expect(json.leakedBytes).toBe(ORDERED[2].leaked);
  });

  it('--from I --to J [--at leaks]: two captures compared, each side memray’s total', async () => {
    const files = CAPTURES.map((c) => c.path);
    const peak = JSON.parse((await cli('series', ...files, '--from', '1', '--to', '3', '--json')).stdout) as {
      old: { totalSize: number };
      new: { totalSize: number };
    };
    expect([peak.old.totalSize, peak.new.totalSize]).toEqual([
      ORDERED[0].stats.metadata.peak_memory,
      ORDERED[2].stats.metadata.peak_memory,
    ]);
    const leaks = JSON.parse(
      (await cli('series', ...files, '--from', '3', '--to', '2', '--at', 'leaks', '--json')).stdout,
    ) as { old: { totalSize: number }; new: { totalSize: number } };
    expect([leaks.old.totalSize, leaks.new.totalSize]).toEqual([ORDERED[2].leaked, ORDERED[1].leaked]);
    const text = (await cli('series', ...files, '--from', '1', '--to', '2')).stdout;
    expect(text).toMatch(
      /^old = capture 1 of 3 \(basic\.bin\): peak; new = capture 2 of 3 \(basic\.bin\): peak\n/,
    );
  });

  it('stats DIR: the captures of a folder as one series, the order and the growth said', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-cli-runs-'));
    CAPTURES.forEach((c, i) => copyFileSync(c.path, join(dir, `run-${i}.bin`)));
    const { stdout } = await cli('stats', dir);
    expect(stdout).toMatch(/peak memory: +\S+ MB in capture \d of 3 \(run-\d\.bin\) at \d+ ms/);
    expect(stdout).toMatch(
      /Series of 3 memray captures of "\/srv\/app\/service\/workloads\/basic\.py"\. Ordered by the start time/,
    );
    expect(stdout).toMatch(/Leak suspects by growth: \d+ sites over .* \(3 points;/);
  });

  it('refuses captures of another program, and --at on tracemalloc dumps', async () => {
    const threads = requireFixture('memray/v13-memray1.20.0-py313/threads.bin');
    await expect(cli('series', CAPTURES[0].path, threads)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/threads\.bin: a capture of another program/),
    });
    const dumps = ['service.1.pickle', 'service.2.pickle'].map((f) =>
      requireFixture(`tracemalloc/series/${f}`),
    );
    await expect(cli('series', ...dumps, '--from', '1', '--to', '2', '--at', 'leaks')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--at applies to a series of memray captures/),
    });
  });
});
