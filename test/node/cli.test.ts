// The `heapscope` command as users run it: `node bin/heapscope.js …` against the built bundle.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CLI, REPO, requireBuilt, requireFixture } from './engine-helpers/paths';

const MEMRAY = 'memray/v12-memray1.19.3-py311';
const BASIC = requireFixture(`${MEMRAY}/basic.bin`);
const BASIC_STATS = requireFixture(`${MEMRAY}/basic.stats.json`);
const TM_BEFORE = requireFixture('tracemalloc/py311/inventory-before.pickle.gz');
const TM_AFTER = requireFixture('tracemalloc/py311/inventory-after.pickle.gz');
const TM_AFTER_ORACLE = requireFixture('tracemalloc/py311/inventory-after.oracle.json');
const SCALENE = requireFixture('scalene/leak.json');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`heapscope ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** One line, no stack frames: what a user sees for bad input. */
function expectOneLineError(r: Run): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^heapscope: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let tmp: string;

beforeAll(async () => {
  requireBuilt();
  tmp = await mkdtemp(join(tmpdir(), 'heapscope-cli-'));
  return () => rm(tmp, { recursive: true, force: true });
});

describe('heapscope CLI basics', () => {
  it('--help lists every command and says what a bare FILE does', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['stats', 'export', 'diff', 'report', 'check', 'serve'])
      expect(r.stdout).toContain(`heapscope ${command}`);
    expect(r.stdout).toMatch(/heapscope FILE\s+same as `heapscope stats FILE`/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('rejects unknown options and commands with exit 2', async () => {
    expectOneLineError(await run(['stats', BASIC, '--bogus']));
    expectOneLineError(await run(['frobnicate', 'x', 'y']));
    // No arguments at all serve the sample capture (test/e2e/setup.test.ts), like `npm start`.
    const r = await run(['stats', BASIC, '--range', 'abc']);
    expectOneLineError(r);
    expect(r.stderr).toContain('T1:T2');
    expectOneLineError(await run(['export', BASIC, '--format', 'pdf']));
    expectOneLineError(await run(['diff', BASIC]));
    expectOneLineError(await run(['check', BASIC]));
    expectOneLineError(await run(['check', BASIC, '--max-peak', 'lots']));
  });

  it('names the file and the byte offset for input of no known format', async () => {
    const path = join(tmp, 'not-a-capture.dat');
    await writeFile(path, Buffer.from('\x00\x01\x02garbage that is no capture'));
    const r = await run(['stats', path]);
    expectOneLineError(r);
    expect(r.stderr).toContain('not-a-capture.dat');
    expect(r.stderr).toContain('at byte 0');
    expect(r.stderr).toMatch(/expected a memray capture/);
  });

  it('reports a missing file in one line', async () => {
    const r = await run(['stats', join(tmp, 'missing.bin')]);
    expectOneLineError(r);
    expect(r.stderr).toContain('no such file');
  });
});

describe('heapscope stats', () => {
  it('--json prints memray-compatible numbers', async () => {
    const oracle = JSON.parse(await readFile(BASIC_STATS, 'utf8')) as {
      total_num_allocations: number;
      total_bytes_allocated: number;
      metadata: { peak_memory: number };
    };
    const r = await run(['stats', BASIC, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      format: string;
      totalAllocations: number;
      totalBytesAllocated: number;
      peakMemory: number;
    };
    expect(json.format).toBe('memray');
    expect(json.totalAllocations).toBe(oracle.total_num_allocations);
    expect(json.totalBytesAllocated).toBe(oracle.total_bytes_allocated);
    expect(json.peakMemory).toBe(oracle.metadata.peak_memory);
  });

  it('without --json prints a readable summary; a bare FILE means stats', async () => {
    const r = await run(['stats', BASIC]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('basic.bin');
    // memray's peak_memory for basic.bin is 52,468,461 bytes: 52.5 MB (SI, as memray ≥ 1.18 prints).
    expect(r.stdout).toMatch(/peak memory:\s+52\.5 MB/);
    expect(r.stdout).toContain('make_big_buffer');
    const bare = await run([BASIC]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(r.stdout);
  });

  it('a tracemalloc dump is "traced", never a "peak" (a snapshot has no history)', async () => {
    const r = await run(['stats', TM_AFTER]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/traced:\s+6\.3 MB/);
    expect(r.stdout).not.toMatch(/peak|leaked/i);
  });

  it('--units iec prints binary sizes with IEC labels, and no decimal label anywhere', async () => {
    const oracle = JSON.parse(await readFile(BASIC_STATS, 'utf8')) as { metadata: { peak_memory: number } };
    expect(oracle.metadata.peak_memory).toBe(52_468_461);
    const r = await run(['stats', BASIC, '--units', 'iec']);
    expect(r.code).toBe(0);
    // 52,468,461 / 2^20 = 50.04
    expect(r.stdout).toMatch(/peak memory:\s+50\.0 MiB/);
    expect(r.stdout).toMatch(/\d (KiB|MiB)\b/);
    expect(r.stdout).not.toMatch(/\d (kB|KB|MB|GB)\b/);
    const si = await run(['stats', BASIC, '--units', 'si']);
    expect(si.stdout).not.toMatch(/\d (KiB|MiB|GiB)\b/);
    expectOneLineError(await run(['stats', BASIC, '--units', 'binary']));
  });

  it('reads Scalene profiles through the same command', async () => {
    const r = await run(['stats', SCALENE, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { format: string }).format).toBe('scalene');
  });

  it('exits promptly after printing (workers are terminated)', async () => {
    const r = await run(['stats', SCALENE]);
    expect(r.code).toBe(0);
    // Well under the 1 s safety timer in the entry point: nothing kept the process waiting.
    expect(r.ms).toBeLessThan(5000);
  });
});

describe('heapscope diff', () => {
  it('diffs two tracemalloc dumps like compare_to', async () => {
    const oracle = JSON.parse(await readFile(TM_AFTER_ORACLE, 'utf8')) as {
      compare_to: {
        old_total_size: number;
        lineno_len: number;
        lineno_top100: {
          filename: string;
          lineno: number;
          size: number;
          size_diff: number;
          count: number;
          count_diff: number;
        }[];
      };
      total_size: number;
    };
    const r = await run(['diff', TM_BEFORE, TM_AFTER, '--json', '--group-by', 'lineno', '--top', '10']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      old: { totalSize: number };
      new: { totalSize: number };
      groupCount: number;
      diff: {
        filename: string;
        lineno: number;
        size: number;
        sizeDiff: number;
        count: number;
        countDiff: number;
      }[];
    };
    expect(json.old.totalSize).toBe(oracle.compare_to.old_total_size);
    expect(json.new.totalSize).toBe(oracle.total_size);
    expect(json.groupCount).toBe(oracle.compare_to.lineno_len);
    expect(json.diff).toHaveLength(10);
    const expected = oracle.compare_to.lineno_top100.slice(0, 10);
    expect(json.diff.map((d) => [d.filename, d.lineno, d.size, d.sizeDiff, d.count, d.countDiff])).toEqual(
      expected.map((e) => [e.filename, e.lineno, e.size, e.size_diff, e.count, e.count_diff]),
    );
  });

  it('prints totals in the units asked for: MB are 10^6 bytes, MiB 2^20', async () => {
    const oracle = JSON.parse(await readFile(TM_AFTER_ORACLE, 'utf8')) as {
      compare_to: { old_total_size: number };
      total_size: number;
    };
    const [oldSize, newSize] = [oracle.compare_to.old_total_size, oracle.total_size];
    const si = await run(['diff', TM_BEFORE, TM_AFTER, '--top', '3']);
    expect(si.code).toBe(0);
    expect(si.stdout).toContain(`old: ${(oldSize / 1e6).toFixed(1)} MB in `);
    expect(si.stdout).toContain(`new: ${(newSize / 1e6).toFixed(1)} MB in `);
    const iec = await run(['diff', TM_BEFORE, TM_AFTER, '--top', '3', '--units', 'iec']);
    expect(iec.code).toBe(0);
    expect(iec.stdout).toContain(`old: ${(oldSize / 2 ** 20).toFixed(1)} MiB in `);
    expect(iec.stdout).toContain(`new: ${(newSize / 2 ** 20).toFixed(1)} MiB in `);
    expect(iec.stdout).not.toMatch(/\d (kB|MB|GB)\b/);
  });

  it('diffs one memray capture between two moments, and a capture with itself is all zeros', async () => {
    const self = await run(['diff', BASIC, BASIC, '--json']);
    expect(self.code).toBe(0);
    const json = JSON.parse(self.stdout) as { diff: { sizeDiff: number; countDiff: number }[] };
    expect(json.diff.length).toBeGreaterThan(0);
    expect(json.diff.every((d) => d.sizeDiff === 0 && d.countDiff === 0)).toBe(true);

    const moments = await run(['diff', BASIC, '--from', '0', '--to', '100000', '--json']);
    expect(moments.code).toBe(0);
    const m = JSON.parse(moments.stdout) as { old: { totalSize: number }; new: { totalSize: number } };
    expect(m.old.totalSize).toBe(0);
    expect(m.new.totalSize).toBeGreaterThan(0);
  });
});

describe('heapscope diff across checkouts', () => {
  it('matches the same code in captures recorded from different directories', async () => {
    const v13 = requireFixture('memray/v13-memray1.20.0-py313/basic.bin');
    const r = await run(['diff', BASIC, v13, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      diff: { filename: string; lineno: number; size: number; sizeDiff: number }[];
    };
    // The 50 MiB buffer of basic.py:14 is the same site on both sides, so it did not "move".
    const big = json.diff.filter((d) => d.filename.endsWith('/basic.py') && d.lineno === 14);
    expect(big).toHaveLength(1);
    expect(big[0].size).toBeGreaterThan(50 * 1024 * 1024);
    expect(big[0].sizeDiff).toBe(0);
    const readable = await run(['diff', BASIC, v13]);
    expect(readable.stderr).toMatch(/note: .*matched/);
  });
});

describe('heapscope export', () => {
  it('writes memray CSV with memray transform csv columns to -o', async () => {
    const out = join(tmp, 'basic.csv');
    const r = await run(['export', BASIC, '--format', 'memray-csv', '-o', out]);
    expect(r.code).toBe(0);
    const csv = await readFile(out, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe('allocator,num_allocations,size,tid,thread_name,stack_trace');
    const oracle = gunzipSync(await readFile(requireFixture(`${MEMRAY}/basic.hwm.csv.gz`))).toString('utf8');
    const rows = (text: string) => text.split(/\r?\n/).filter((l) => l.length > 0).length;
    expect(rows(csv)).toBe(rows(oracle));
  });

  it('writes speedscope JSON whose weights sum to the peak', async () => {
    const r = await run(['export', BASIC, '--format', 'speedscope']);
    expect(r.code).toBe(0);
    const file = JSON.parse(r.stdout) as { profiles: { weights: number[] }[] };
    const peak = (JSON.parse(await readFile(BASIC_STATS, 'utf8')) as { metadata: { peak_memory: number } })
      .metadata.peak_memory;
    expect(file.profiles[0].weights.reduce((a, b) => a + b, 0)).toBe(peak);
  });
});

describe('heapscope report', () => {
  it('writes one self-contained HTML file with the summary numbers', async () => {
    const out = join(tmp, 'report.html');
    const r = await run(['report', BASIC, '-o', out]);
    expect(r.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('basic.bin');
    // Self-contained: no external scripts, styles or fetches.
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/i);
    const peak = (JSON.parse(await readFile(BASIC_STATS, 'utf8')) as { metadata: { peak_memory: number } })
      .metadata.peak_memory;
    expect(html).toContain(`"peakBytes":${peak}`);
    // Sizes on the page are SI unless asked otherwise: 52,468,461 B is 52.5 MB.
    expect(html).toContain('"units":"si"');
    expect(html).toContain('"title":"Peak (52.5 MB)"');
  });

  it('--units iec writes the report in KiB / MiB', async () => {
    const out = join(tmp, 'report-iec.html');
    const r = await run(['report', BASIC, '--units', 'iec', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote the report to .* \([\d.]+ (KiB|MiB)\)/);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('"units":"iec"');
    expect(html).toContain('"title":"Peak (50.0 MiB)"');
  });

  it('--redact leaves no absolute path, and a baseline adds the diff', async () => {
    const out = join(tmp, 'report-redacted.html');
    const r = await run(['report', TM_AFTER, '--baseline', TM_BEFORE, '--redact', '-o', out]);
    expect(r.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).not.toMatch(/\/(srv|opt|home|usr|tmp|work)\//);
    expect(html).toContain('"diff":');
  });

  it('needs -o', async () => {
    expectOneLineError(await run(['report', BASIC]));
  });
});

describe('heapscope check', () => {
  it('exits 1 with a one-paragraph reason naming the top site when the peak limit is broken', async () => {
    const junit = join(tmp, 'check.xml');
    const r = await run(['check', BASIC, '--max-peak', '10MB', '--junit', junit]);
    expect(r.code).toBe(1);
    const paragraph = r.stderr.trim();
    expect(paragraph.split('\n')).toHaveLength(1);
    expect(paragraph).toContain('exceeds the limit');
    expect(paragraph).toContain('make_big_buffer');
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<testsuites[^>]* failures="1"/);
    expect(xml).toContain('<failure type="max-peak"');
  });

  it('exits 0 when every limit holds, and writes a passing junit', async () => {
    const junit = join(tmp, 'check-ok.xml');
    const r = await run(['check', BASIC, '--max-peak', '1.5GB', '--max-leaked', '50MB', '--junit', junit]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('passed');
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/tests="2" failures="0"/);
  });

  it('reads --max-peak as labelled: 24MB = 24,000,000 bytes fails a 24.7 MB peak, 24MiB passes it', async () => {
    // The case: a peak of 24,712,697 B (24.7 MB, 23.6 MiB), between 24MB and 24MiB.
    const csv = join(tmp, 'lruleak.hwm.csv');
    await writeFile(
      csv,
      'allocator,num_allocations,size,tid,thread_name,stack_trace\n' +
        'MALLOC,1,24712697,1,0x1,grow;/srv/app/lru.py;12|main;/srv/app/lru.py;30\n',
    );
    const decimal = await run(['check', csv, '--max-peak', '24MB']);
    expect(decimal.code).toBe(1);
    expect(decimal.stderr.trim()).toMatch(
      /^heapscope check FAILED: lruleak\.hwm\.csv: peak memory 24\.7 MB exceeds the limit of 24\.0 MB\./,
    );
    expect((await run(['check', csv, '--max-peak', '24000000'])).code).toBe(1);
    const binary = await run(['check', csv, '--max-peak', '24MiB']);
    expect(binary.code).toBe(0);
    expect(binary.stdout).toContain('peak memory 24.7 MB is within the limit of 25.2 MB');
    const inIec = await run(['check', csv, '--max-peak', '24MB', '--units', 'iec']);
    expect(inIec.code).toBe(1);
    expect(inIec.stderr).toContain('peak memory 23.6 MiB exceeds the limit of 22.9 MiB');
    // A real capture: basic.bin's peak of 52,468,461 B is above 52MB and below 52MiB.
    expect((await run(['check', BASIC, '--max-peak', '52MB'])).code).toBe(1);
    expect((await run(['check', BASIC, '--max-peak', '52MiB'])).code).toBe(0);
  });

  it('refuses a size whose unit could be read either way', async () => {
    const r = await run(['check', BASIC, '--max-peak', '24M']);
    expectOneLineError(r);
    expect(r.stderr).toContain(
      'ambiguous size: "24M" (write 24MB for 24,000,000 bytes or 24MiB for 25,165,824)',
    );
    expectOneLineError(await run(['check', BASIC, '--max-peak', '24 megs']));
  });

  it('checks growth over a baseline', async () => {
    const grew = await run(['check', TM_AFTER, '--baseline', TM_BEFORE, '--max-growth', '10%']);
    expect(grew.code).toBe(1);
    expect(grew.stderr).toMatch(/grew \+\d/);
    const same = await run(['check', TM_AFTER, '--baseline', TM_AFTER, '--max-growth', '0%']);
    expect(same.code).toBe(0);
  });
});
