// Set-up and first-run details (issue 12): the sample capture that `npm start` and `heapscope`
// alone open, what `package.json` asks npm to do, and CLI wording that misled (a truncation said
// twice, a diff header that claimed growth while listing shrinking sites).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCli } from '../../main/cli/run';
import { REPO, WORKER_URL, requireBuilt, requireFixture } from './engine-helpers/paths';

const SAMPLE = join(REPO, 'samples', 'memray-threads.bin');
const V13 = 'memray/v13-memray1.20.0-py313';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), progress: false };
  const code = await runCli(argv, io, WORKER_URL);
  return { code, stdout, stderr };
}

beforeAll(() => requireBuilt());

describe('the sample capture', () => {
  it("is memray's own capture, byte for byte the fixture whose oracles the reader is tested on", () => {
    expect(readFileSync(SAMPLE).equals(readFileSync(requireFixture(`${V13}/threads.bin`)))).toBe(true);
  });

  it('shows a peak, four named threads and what was alive at the end, as memray counts them', async () => {
    const oracle = JSON.parse(readFileSync(requireFixture(`${V13}/threads.stats.json`), 'utf8'));
    // memray transform csv --leaks: one row per site, size in column 3.
    const leakRows = gunzipSync(readFileSync(requireFixture(`${V13}/threads.leaks.csv.gz`)))
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1);
    const leakedBytes = leakRows.reduce((sum, row) => sum + Number(row.split(',')[2]), 0);
    const { code, stdout } = await cli(['stats', SAMPLE, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.peakMemory).toBe(oracle.metadata.peak_memory);
    expect(json.totalAllocations).toBe(oracle.total_num_allocations);
    expect(json.leakedBytes).toBe(leakedBytes);
    expect(leakedBytes).toBeGreaterThan(0);
    expect(json.threads.map((t: { label: string }) => t.label)).toEqual([
      '0x1',
      '0x2 (loader)',
      '0x3 (parser)',
      '0x4 (writer)',
    ]);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

  it('lets `npm install` survive a failed Electron download and start without one', () => {
    // An optional dependency whose install step fails is dropped instead of failing the install.
    expect(pkg.optionalDependencies?.electron).toBeDefined();
    expect(pkg.devDependencies?.electron).toBeUndefined();
    expect(pkg.dependencies?.electron).toBeUndefined();
    expect(pkg.scripts.postinstall).toBe('node scripts/electron-package.mjs');
    expect(pkg.scripts.start).toBe('node scripts/start.mjs');
  });

  it('pins in the lockfile the electron that scripts/electron-package.mjs restores', () => {
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
    const locked = lock.packages['node_modules/electron'];
    expect(locked.optional).toBe(true);
    expect(lock.packages[''].optionalDependencies.electron).toBe(pkg.optionalDependencies.electron);
  });
});

describe('CLI wording', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heapscope-setup-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  it('reports a truncated capture once, with where it was cut', async () => {
    // A raw capture whose records turn to garbage at byte 8000: the reader keeps what came before.
    const bytes = Buffer.from(readFileSync(requireFixture(`${V13}/basic-nocompress.bin`)));
    bytes.fill(0xff, 8000, 8064);
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, bytes);
    for (const file of [cut, requireFixture(`${V13}/killed.bin`)]) {
      const { code, stdout } = await cli([file]);
      expect(code).toBe(0);
      const mentions = stdout.split('\n').filter((line) => /truncat/i.test(line));
      expect(mentions, stdout).toHaveLength(1);
      expect(mentions[0]).toMatch(/^ {2}TRUNCATED: .+ \(at byte \d+; every record before it is used\)$/);
    }
  });

  it('heads a diff with what it lists: the largest changes, grown or shrunk, in compare_to order', async () => {
    const before = requireFixture('tracemalloc/py311/inventory-before.pickle.gz');
    const after = requireFixture('tracemalloc/py311/inventory-after.pickle.gz');
    const top = 8;
    const text = (await cli(['diff', before, after, '--group-by', 'lineno', '--top', String(top)])).stdout;
    const json = JSON.parse((await cli(['diff', before, after, '--json', '--group-by', 'lineno'])).stdout);
    const listed = json.diff.slice(0, top) as { filename: string; lineno: number; size_diff?: number }[];
    const rows = text.split('\n').filter((line) => line.startsWith('  '));
    expect(rows.map((r) => r.trim().split(': size=')[0])).toEqual(
      listed.map((d) => `${d.filename}:${d.lineno}`),
    );
    // This pair has a site that shrank among the largest changes; the header must not say growth.
    expect(rows.some((r) => /\(-[\d.]+ \w?B\)/.test(r))).toBe(true);
    expect(text).not.toMatch(/by growth/);
    expect(text).toContain(`the ${top} largest changes (+ grew, - shrank):`);
  });
});
