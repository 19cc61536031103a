// `heapscope stats` / `export --temporary [N]` / `growth` / `report` as users run them (issue 15).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CLI, REPO, requireBuilt, requireFixture } from './engine-helpers/paths';
import { temporariesFromDump, type Tally } from '../memray-temporary-oracle';
import { encodeCapture } from '../generator/memray-capture';
import { leakAndCache } from '../generator/growth-program';

const MEMRAY = 'memray/v12-memray1.19.3-py311';
const BASIC = requireFixture(`${MEMRAY}/basic.bin`);
const AGGREGATED = requireFixture(`${MEMRAY}/basic-aggregate.bin`);
const DUMP = gunzipSync(readFileSync(requireFixture(`${MEMRAY}/basic.parse.txt.gz`))).toString('utf8');
const dir = mkdtempSync(join(tmpdir(), 'heapscope-cli-growth-'));
const LRULEAK = join(dir, 'lruleak.bin');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const total = (t: Tally) =>
  [...t.values()].reduce((s, v) => ({ count: s.count + v.count, bytes: s.bytes + v.bytes }), {
    count: 0,
    bytes: 0,
  });

beforeAll(() => {
  requireBuilt();
  writeFileSync(LRULEAK, encodeCapture(leakAndCache(12, 180, 1000).program));
});

describe('temporary allocations on the command line', () => {
  it('stats says how many allocations were temporary, by which rule', async () => {
    const r = await run(['stats', BASIC]);
    expect(r.code).toBe(0);
    const want = total(temporariesFromDump(DUMP, 1).byAllocator);
    expect(r.stdout).toContain(`temporary:      ${want.count.toLocaleString('en-US')} allocations (`);
    expect(r.stdout).toMatch(/freed after ≤ 1 other allocation on their thread \(memray's rule\)/);
  });

  it('export --temporary N --format json: the temporary sites, totals equal to memray’s rule', async () => {
    for (const [flag, n] of [
      [['--temporary'], 1],
      [['--temporary', '8'], 8],
    ] as const) {
      const r = await run(['export', BASIC, ...flag, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { snapshot: string; totalBytes: number; totalCount: number };
      const want = total(temporariesFromDump(DUMP, n).byAllocator);
      expect(json.snapshot).toContain(`≤ ${n} other`);
      expect({ bytes: json.totalBytes, count: json.totalCount }).toEqual(want);
    }
  });

  it('refuses what it cannot answer exactly, in one line', async () => {
    const odd = await run(['export', BASIC, '--temporary', '3', '--format', 'json']);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/threshold 3 is not offered; use one of 0, 1, 2, 4, 8, 16, 32/);
    const csv = await run(['export', BASIC, '--temporary', '--format', 'memray-csv']);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toMatch(/memray-csv holds the peak or the leaks/);
    const agg = await run(['export', AGGREGATED, '--temporary', '--format', 'json']);
    expect(agg.code).toBe(2);
    expect(agg.stderr).toMatch(/aggregated/);
    for (const r of [odd, csv, agg]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('heapscope growth', () => {
  it('ranks the steady leak first; --json carries the numbers', async () => {
    const text = await run(['growth', LRULEAK]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[1]).toMatch(/\+3\.9\d? MB\/min +100% grew +R² 1\.00 +growing .*leaky_handler/);
    expect(text.stdout).toMatch(/flat .*lru_cache_fill/);
    const json = await run(['growth', LRULEAK, '--json']);
    const result = JSON.parse(json.stdout) as { sites: { function: string; verdict: string }[] };
    expect(result.sites.map((s) => [s.function, s.verdict])).toEqual([
      ['leaky_handler', 'growing'],
      ['lru_cache_fill', 'flat'],
    ]);
  });

  it('an aggregated capture has no time index: a clear refusal', async () => {
    const r = await run(['growth', AGGREGATED]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/growth needs an all-allocations memray capture with memory records/);
  });

  it('report: a temporary-allocations flame graph and the growth section', async () => {
    const out = join(dir, 'report.html');
    const r = await run(['report', LRULEAK, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('"id":"temporary"');
    expect(html).toMatch(/"growth":\{"points":\d+/);
  });
});
