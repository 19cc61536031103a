// `heapscope layout` and `check --max-held` as users run them: the built CLI on crafted captures.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MemoryLayout } from '../../shared/api';
import { ARENA, A1, A2, CHURN_ARENAS, POOL, craft } from '../generator/layout-program';
import { encodeCapture } from '../generator/memray-capture';
import { CLI, REPO, requireBuilt, requireFixture } from './engine-helpers/paths';

const tmp = mkdtempSync(join(tmpdir(), 'heapscope-layout-cli-'));
const CRAFTED = join(tmp, 'crafted.bin');
const AGGREGATED = requireFixture('memray/v12-memray1.19.3-py311/basic-aggregate.bin');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`heapscope ${args.join(' ')} did not exit`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('heapscope layout', () => {
  beforeAll(() => {
    requireBuilt();
    writeFileSync(CRAFTED, encodeCapture(craft().program));
  });

  it('prints the layout at the end: arenas as rows of pools, the pinning code, the heap top, findings', async () => {
    const r = await run(['layout', CRAFTED, '--at', 'end']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Memory layout of crafted\.bin at end of tracking/);
    expect(r.stdout).toMatch(/pymalloc: CPython 3\.11\.2 \(capture header\): 16 KiB pools in 1 MiB arenas/);
    expect(r.stdout).toMatch(new RegExp(`arenas \\(inferred\\)  ${1 + CHURN_ARENAS} × 1\\.0 MB`));
    expect(r.stdout).toContain(`0x${A1.toString(16)}`);
    expect(r.stdout).toContain(`0x${A2.toString(16)}`);
    expect(r.stdout).toMatch(/churn at \/srv\/app\/work\.py:41/);
    expect(r.stdout).toMatch(/top pinned by\s+4\.1 kB MALLOC/);
    expect(r.stdout).toMatch(/\[warning\] pymalloc holds|\[info\] pymalloc holds/);
  });

  it('--json gives the API result; --at MS says which checkpoint answered', async () => {
    const r = await run(['layout', CRAFTED, '--json', '--at', '25']);
    expect(r.code).toBe(0);
    const layout = JSON.parse(r.stdout) as MemoryLayout;
    expect(layout.moment).toMatchObject({ kind: 'at', timeMs: 20, requestedMs: 25 });
    // at the peak checkpoint every pool of the churn arenas is in use
    expect(layout.pymalloc.pools).toBe(2 + CHURN_ARENAS * (ARENA / POOL));
    expect(layout.pymalloc.rules.length).toBeGreaterThan(3);
    expect(layout.limits.map((l) => l.part)).toContain('malloc-heap');
  });

  it('refuses what it cannot lay out, in one line', async () => {
    const agg = await run(['layout', AGGREGATED]);
    expect(agg.code).toBe(2);
    expect(agg.stderr).toMatch(
      /^heapscope: basic-aggregate\.bin: a memory layout needs an all-allocations memray capture .*aggregated/,
    );
    const bad = await run(['layout', CRAFTED, '--at', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--at "soon": expected milliseconds/);
  });
});

describe('heapscope check --max-held', () => {
  beforeAll(() => {
    requireBuilt();
    writeFileSync(CRAFTED, encodeCapture(craft().program));
  });

  it('fails above the limit, naming the moment and what holds the memory; passes below', async () => {
    const json = JSON.parse((await run(['layout', CRAFTED, '--json', '--at', 'end'])).stdout) as MemoryLayout;
    // the crafted capture holds the most at its end: eleven sparse arenas and the brk hole
    const fail = await run(['check', CRAFTED, '--max-held', '5MB']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(
      /memory held by allocators beyond live blocks \(estimate\) was at most .*, at end of tracking/,
    );
    expect(fail.stderr).toMatch(/above the limit of 5\.0 MB/);
    expect(fail.stderr).toMatch(/live blocks from churn/);
    const pass = await run(['check', CRAFTED, '--max-held', `${json.heldBytes}`]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/within the limit/);
    const iec = await run(['check', CRAFTED, '--max-held', '5MiB', '--units', 'iec']);
    expect(iec.stderr).toMatch(/above the limit of 5\.0 MiB/);
  });

  it('reads sizes as labelled and refuses ambiguous ones', async () => {
    const r = await run(['check', CRAFTED, '--max-held', '24M']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-held: .*ambiguous/);
  });
});
