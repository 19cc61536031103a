#!/usr/bin/env node
/**
 * Full-open benchmark (issue 16): what a user waits for when the app opens a memray capture —
 * the full index every view reads — against the yardsticks measured in the same run.
 *
 *   large.bin     ../shared/fixtures/memray/v12-memray1.19.3-py311/large.bin (15.06 M ALLOCATION
 *                 records, 14 MB lz4). Yardstick: twenty `lz4 -d -c` of it. Target ≤ 2×.
 *   synth-1g.bin  `synth_memray.py --records 230000000 --lz4` (~1 GB decoded). Yardstick: one
 *                 `lz4 -d -c`. Target ≤ 25×, peak RSS ≤ 250 MB.
 *   synth-6g.bin  `synth_memray.py --records 1500000000 --lz4` (~6.3 GB decoded). Target ≤ 60 s
 *                 wall on this machine (the ratio is printed too), bounded memory.
 *
 * Rows: `heapscope stats FILE` (the CLI's full open + its summary, engine worker included: the
 * app's open plus a few display-sized queries), and the loader alone in one thread ("direct"),
 * whose model numbers are checked against memray's stats JSON / the generator's expect.json.
 * When the loader has a JavaScript-only full loop (`jsFull`), it is measured beside the default.
 *
 * The synthetic captures are big and slow to generate (~2 and ~12 min), so they are looked for in
 * HEAPSCOPE_BENCH_SYNTH_DIR (default: $TMPDIR/heapscope-bench-synth) and made there only with
 * --generate. A capture that is absent is reported as skipped.
 *
 *   node bench/open.bench.mjs [--runs 3] [--strict] [--generate] [--no-6g]
 *
 * Without the shared fixtures, lz4 or GNU time it says so and exits 0. Needs `npm run build:node`
 * for the CLI rows (skipped with a note otherwise).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, megabytesOfKiB, skipper } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const FIX = resolve(root, '..', 'shared', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const LARGE = join(FIX, 'large.bin');
const SYNTH_TOOL = resolve(root, '..', 'shared', 'tools', 'synth_memray.py');
const SYNTH_DIR = process.env.HEAPSCOPE_BENCH_SYNTH_DIR ?? join(tmpdir(), 'heapscope-bench-synth');
const CLI = join(root, 'bin', 'heapscope.js');
const GNU_TIME = '/usr/bin/time';

const { args, runs: RUNS, strict: STRICT } = benchArgs(3);
const GENERATE = args.includes('--generate');
const SKIP_6G = args.includes('--no-6g');
const TARGET_LARGE = 2;
const TARGET_1G = 25;
const TARGET_1G_RSS_MB = 250;
const TARGET_6G_WALL_S = 60;

const skip = skipper('open');
if (!existsSync(LARGE)) skip(`no large capture at ${LARGE}`);
if (spawnSync('lz4', ['--version'], { stdio: 'ignore' }).status !== 0)
  skip('no lz4 command (Debian package lz4)');
if (spawnSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' }).status !== 0)
  skip(`no GNU time at ${GNU_TIME}`);
const haveCli = existsSync(join(root, 'out', 'node', 'cli.js'));
if (!haveCli) console.log('note: out/node/cli.js missing (npm run build:node); CLI rows skipped.');

// The direct runner: the memray loader bundled as one script; prints the full model's numbers.
const work = mkdtempSync(join(tmpdir(), 'heapscope-open-bench-'));
const direct = join(work, 'direct.mjs');
{
  const entry = join(work, 'direct-entry.ts');
  writeFileSync(
    entry,
    `import { loadMemrayModel } from ${JSON.stringify(join(root, 'main/formats/memray/index.ts'))};
const [mode, file] = process.argv.slice(2);
const t0 = performance.now();
const m = await loadMemrayModel(file, { detail: 'full', ...(mode === 'js' && { jsFull: true }) });
const s = m.statsJson({ top: 10 });
console.log(JSON.stringify({ ms: performance.now() - t0, records: m.info().records, peak: s.peakMemory, total: s.totalAllocations, bytes: s.totalBytesAllocated, leaked: s.leakedBytes, keys: m.b.keys.count }));
`,
  );
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: direct,
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules')],
    banner: {
      js: "import { createRequire as __hsCreateRequire } from 'node:module'; const require = __hsCreateRequire(import.meta.url);",
    },
  });
}
// Whether the loader knows `jsFull` (a JavaScript-only full loop beside the default one).
const hasJsFull = readFileSync(join(root, 'main/formats/memray/index.ts'), 'utf8').includes('jsFull');

/** Runs a command under GNU time; returns wall/CPU seconds, peak RSS (MB) and stdout. */
function timed(cmd, cmdArgs) {
  const r = spawnSync(GNU_TIME, ['-f', 'TIME %e %U %S %M', cmd, ...cmdArgs], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const line = r.stderr
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || !line)
    throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [wall, user, sys, rssKb] = line.slice(5).split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: megabytesOfKiB(rssKb), stdout: r.stdout };
}

/** The best (least CPU) of `runs` runs: machine load only ever adds time. */
function best(runs, fn) {
  let b;
  for (let i = 0; i < runs; i++) {
    const r = fn();
    if (!b || r.cpu < b.cpu) b = r;
  }
  return b;
}

const rows = [];
const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 2) => (x === undefined ? '' : x.toFixed(d));
function report(label, r, yard, extra = '') {
  rows.push({ label, wall: r.wall, cpu: r.cpu, rssMb: r.rssMb, ratio: r.cpu / yard });
  console.log(
    `${pad(label, 46)} ${pad(num(r.wall), 7)} ${pad(num(r.cpu), 7)} ${pad(num(r.cpu / yard), 7)} ${pad(num(r.rssMb, 0), 8)}${extra}`,
  );
}
const header = () =>
  console.log(
    `${pad('run', 46)} ${pad('wall s', 7)} ${pad('CPU s', 7)} ${pad('×yard', 7)} ${pad('RSS MB', 8)}`,
  );

/** The direct rows (default loop, and the JS loop when there is one) with their numbers checked. */
function directRows(file, runs, yard, expect, name) {
  const out = {};
  for (const mode of hasJsFull ? ['default', 'js'] : ['default']) {
    const r = best(runs, () => timed('node', [direct, mode, file]));
    const j = JSON.parse(r.stdout);
    const ok = j.peak === expect.peak && j.total === expect.total && j.bytes === expect.bytes;
    report(
      `${name}: direct full open${mode === 'js' ? ' (JS loop)' : ''}`,
      r,
      yard,
      `  numbers ${ok ? 'equal' : 'DIFFER FROM'} ${expect.source}`,
    );
    out[mode] = { ...r, ok };
  }
  return out;
}

// ---------------------------------------------------------------- large.bin
const oracle = JSON.parse(readFileSync(join(FIX, 'large.stats.json'), 'utf8'));
const yard = best(RUNS, () =>
  timed('bash', ['-c', `for i in $(seq 20); do lz4 -d -c '${LARGE}' >/dev/null; done`]),
);
console.log(`\nfull open — large.bin (${(statSync(LARGE).size / 1e6).toFixed(1)} MB lz4), best of ${RUNS}`);
header();
report('yardstick: 20× lz4 -d -c', yard, yard.cpu);
let cliLarge;
if (haveCli) {
  cliLarge = best(RUNS, () => timed('node', [CLI, 'stats', LARGE]));
  report('heapscope stats large.bin (CLI: full open)', cliLarge, yard.cpu);
}
const largeDirect = directRows(
  LARGE,
  RUNS,
  yard.cpu,
  {
    peak: oracle.metadata.peak_memory,
    total: oracle.total_num_allocations,
    bytes: oracle.total_bytes_allocated,
    source: 'large.stats.json',
  },
  'large.bin',
);
const largeRatio = (cliLarge ?? largeDirect.default).cpu / yard.cpu;
console.log(`large.bin full open: ${largeRatio.toFixed(2)}× the yardstick's CPU (target ≤ ${TARGET_LARGE}×)`);

// ---------------------------------------------------------------- synthetic captures
const result = { date: new Date().toISOString(), runs: RUNS, rows, largeRatio };
let failed = largeRatio > TARGET_LARGE || largeDirect.default.ok === false;

function synth(name, records) {
  const file = join(SYNTH_DIR, `${name}.bin`);
  const expectFile = join(SYNTH_DIR, `${name}.expect.json`);
  if (!existsSync(file) || !existsSync(expectFile)) {
    if (!GENERATE) {
      console.log(`\n${name}: not in ${SYNTH_DIR} (run with --generate to make it); skipped.`);
      return undefined;
    }
    const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    if (
      !existsSync(SYNTH_TOOL) ||
      spawnSync(py, ['-c', 'import lz4.frame'], { stdio: 'ignore' }).status !== 0
    ) {
      console.log(`\n${name}: no generator (${SYNTH_TOOL}) or no python3-lz4; skipped.`);
      return undefined;
    }
    mkdirSync(SYNTH_DIR, { recursive: true });
    console.log(`\n${name}: generating ${records.toLocaleString('en-US')} records (this takes a while)…`);
    const g = spawnSync(py, [SYNTH_TOOL, '--records', String(records), '--lz4', '--quiet', file], {
      stdio: 'inherit',
    });
    if (g.status !== 0) {
      console.log(`${name}: generator failed; skipped.`);
      return undefined;
    }
  }
  const exp = JSON.parse(readFileSync(expectFile, 'utf8'));
  return {
    file,
    exp,
    expect: {
      peak: exp.peak_memory,
      total: exp.total_num_allocations,
      bytes: exp.total_bytes_allocated,
      source: `${name}.expect.json`,
    },
  };
}

const one = synth('synth-1g', 230_000_000);
if (one) {
  const lz4 = timed('bash', ['-c', `lz4 -d -c '${one.file}' >/dev/null`]);
  console.log(
    `\nfull open — synth-1g.bin (${(statSync(one.file).size / 1e6).toFixed(0)} MB lz4, ${(one.exp.file.raw_size / 1e6).toFixed(0)} MB raw), one run each`,
  );
  header();
  report('yardstick: one lz4 -d -c', lz4, lz4.cpu);
  const d = directRows(one.file, 1, lz4.cpu, one.expect, 'synth-1g');
  let cli;
  if (haveCli) {
    cli = timed('node', [CLI, 'stats', one.file]);
    report('heapscope stats synth-1g.bin (CLI: full open)', cli, lz4.cpu);
  }
  const main = cli ?? d.default;
  const ratio = main.cpu / lz4.cpu;
  console.log(
    `synth-1g full open: ${ratio.toFixed(1)}× one lz4 -d (target ≤ ${TARGET_1G}×), peak RSS ${main.rssMb.toFixed(0)} MB (target ≤ ${TARGET_1G_RSS_MB} MB)`,
  );
  result.synth1g = {
    ratio,
    rssMb: main.rssMb,
    cpu: main.cpu,
    wall: main.wall,
    lz4Cpu: lz4.cpu,
    ok: d.default.ok,
  };
  failed ||= ratio > TARGET_1G || main.rssMb > TARGET_1G_RSS_MB || !d.default.ok;
}

const six = SKIP_6G ? undefined : synth('synth-6g', 1_500_000_000);
if (six) {
  const lz4 = timed('bash', ['-c', `lz4 -d -c '${six.file}' >/dev/null`]);
  console.log(
    `\nfull open — synth-6g.bin (${(statSync(six.file).size / 1e9).toFixed(2)} GB lz4, ${(six.exp.file.raw_size / 1e9).toFixed(2)} GB raw), one run`,
  );
  header();
  report('yardstick: one lz4 -d -c', lz4, lz4.cpu);
  const r = timed('node', [direct, 'default', six.file]);
  const j = JSON.parse(r.stdout);
  const ok = j.peak === six.expect.peak && j.total === six.expect.total && j.bytes === six.expect.bytes;
  report(
    'synth-6g: direct full open',
    r,
    lz4.cpu,
    `  numbers ${ok ? 'equal' : 'DIFFER FROM'} synth-6g.expect.json`,
  );
  console.log(
    `synth-6g full open: ${r.wall.toFixed(0)} s wall (target ≤ ${TARGET_6G_WALL_S} s), ${(r.cpu / lz4.cpu).toFixed(1)}× one lz4 -d, peak RSS ${r.rssMb.toFixed(0)} MB`,
  );
  result.synth6g = { wall: r.wall, cpu: r.cpu, ratio: r.cpu / lz4.cpu, rssMb: r.rssMb, lz4Cpu: lz4.cpu, ok };
  failed ||= r.wall > TARGET_6G_WALL_S || !ok;
}

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'open.json'), `${JSON.stringify(result, null, 2)}\n`);
rmSync(work, { recursive: true, force: true });
if (STRICT && failed) process.exit(1);
