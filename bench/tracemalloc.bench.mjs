#!/usr/bin/env node
/**
 * tracemalloc benchmark: the large pair of ../shared/fixtures/tracemalloc/large (≥ 1 M traces
 * each) against CPython measured in the same run, interleaved so machine load hits both alike.
 *
 *   line table: python3 -c "…Snapshot.load(P); s.statistics('lineno')"  vs  heapscope stats P --json
 *   diff:       python3 -c "…load both; new.compare_to(old, 'lineno')"   vs  heapscope diff OLD NEW --json
 *
 * Also times a direct in-process run (loader + groupSnapshot, no engine workers) to show what
 * the CLI's process/worker set-up costs. Wall and CPU time and peak RSS come from GNU time.
 * Heapscope's output is checked against the oracles CPython wrote beside the dumps.
 *
 *   node bench/tracemalloc.bench.mjs [--runs 5] [--strict]
 *
 * --strict exits 1 when a target is missed: issue 16's CPU ratios to CPython (line table ≤ 0.25×,
 * diff ≤ 0.5×), the first targets' wall speed-up (≥ 2× faster), peak RSS ≤ CPython's.
 * Without the shared fixtures or python3 it says so and exits 0. Needs `npm run build:node`.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, skipper } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const LARGE = resolve(root, '..', 'shared', 'fixtures', 'tracemalloc', 'large');
const OLD = join(LARGE, 'large-before.pickle');
const NEW = join(LARGE, 'large-after.pickle');
const CLI = join(root, 'bin', 'heapscope.js');
const GNU_TIME = '/usr/bin/time';

const { runs: RUNS, strict: STRICT } = benchArgs(5);
const TARGET_SPEEDUP = 2;
/** Issue 16: heapscope's CPU as a fraction of CPython's (load both + compare_to, line table). */
const TARGET_CPU_RATIO = { lineTable: 0.25, diff: 0.5 };

const skip = skipper('tracemalloc');

if (!existsSync(OLD) || !existsSync(NEW)) skip(`no large pair at ${LARGE}`);
if (spawnSync('python3', ['-c', 'import tracemalloc'], { stdio: 'ignore' }).status !== 0)
  skip('no python3 with tracemalloc');
if (!existsSync(join(root, 'out', 'node', 'cli.js'))) skip('the CLI is not built (npm run build:node)');
const haveGnuTime = spawnSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' }).status === 0;

// The direct runner: the reader and the query functions bundled as one script, in one thread.
const work = mkdtempSync(join(tmpdir(), 'heapscope-tm-bench-'));
const direct = join(work, 'direct.mjs');
{
  const entry = join(work, 'direct-entry.ts');
  writeFileSync(
    entry,
    `import { loadTracemalloc } from ${JSON.stringify(join(root, 'main/formats/tracemalloc/index.ts'))};
import { groupSnapshot } from ${JSON.stringify(join(root, 'main/model/groups.ts'))};
import { diffJson } from ${JSON.stringify(join(root, 'main/query/diff.ts'))};
const [a, b] = process.argv.slice(2);
if (!b) {
  const m = await loadTracemalloc(a, {});
  process.stdout.write(JSON.stringify(m.statsJson({ groupBy: 'lineno' })));
} else {
  const [ma, mb] = await Promise.all([loadTracemalloc(a, {}), loadTracemalloc(b, {})]);
  const j = diffJson(groupSnapshot(ma.fullSnapshot(), { groupBy: 'lineno' }), groupSnapshot(mb.fullSnapshot(), { groupBy: 'lineno' }));
  process.stdout.write(JSON.stringify(j));
}
`,
  );
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: direct,
    logLevel: 'warning',
  });
}

const PY_STATS = `import sys, tracemalloc
s = tracemalloc.Snapshot.load(sys.argv[1])
s.statistics('lineno')`;
const PY_DIFF = `import sys, tracemalloc
old = tracemalloc.Snapshot.load(sys.argv[1])
new = tracemalloc.Snapshot.load(sys.argv[2])
new.compare_to(old, 'lineno')`;

const COMMANDS = {
  'python stats': ['python3', '-c', PY_STATS, OLD],
  'heapscope stats': ['node', CLI, 'stats', OLD, '--json'],
  'direct stats': ['node', direct, OLD],
  'python diff': ['python3', '-c', PY_DIFF, OLD, NEW],
  'heapscope diff': ['node', CLI, 'diff', OLD, NEW, '--json'],
  'direct diff': ['node', direct, OLD, NEW],
};

/** One run: wall (s), CPU user+sys (s), peak RSS (KiB), stdout. */
function measure([cmd, ...rest]) {
  const outFile = join(work, 'out.json');
  const timeFile = join(work, 'time.txt');
  const started = process.hrtime.bigint();
  const argv = haveGnuTime ? [GNU_TIME, '-o', timeFile, '-f', '%e %U %S %M', cmd, ...rest] : [cmd, ...rest];
  const res = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallNs = Number(process.hrtime.bigint() - started);
  if (res.status !== 0) throw new Error(`${[cmd, ...rest].join(' ')} failed (${res.status}): ${res.stderr}`);
  writeFileSync(outFile, res.stdout);
  if (!haveGnuTime) return { wall: wallNs / 1e9, cpu: NaN, rssKiB: NaN, stdout: res.stdout.toString() };
  const [wall, user, sys, rss] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(/\s+/)
    .map(Number);
  return { wall, cpu: user + sys, rssKiB: rss, stdout: res.stdout.toString() };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
const outputs = {};
console.log(`tracemalloc bench: ${RUNS} interleaved runs of each command on ${LARGE}`);
for (let run = 0; run < RUNS; run++) {
  for (const [name, argv] of Object.entries(COMMANDS)) {
    const r = measure(argv);
    samples[name].push(r);
    outputs[name] = r.stdout;
  }
}
const loadavg = (await import('node:os')).loadavg();
rmSync(work, { recursive: true, force: true });

// Correctness: heapscope's numbers are CPython's numbers.
const oracleOld = JSON.parse(readFileSync(join(LARGE, 'large-before.oracle.json'), 'utf8'));
const oracleNew = JSON.parse(readFileSync(join(LARGE, 'large-after.oracle.json'), 'utf8'));
const stats = JSON.parse(outputs['heapscope stats']);
const diff = JSON.parse(outputs['heapscope diff']);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const pyDiff = (rows) =>
  rows.map(({ sizeDiff, countDiff, size, count, ...where }) => ({
    ...where,
    size,
    size_diff: sizeDiff,
    count,
    count_diff: countDiff,
  }));
const checks = {
  statsTotals: stats.traceCount === oracleOld.trace_count && stats.totalSize === oracleOld.total_size,
  statsLinenoTop100:
    same(stats.statistics.slice(0, 100), oracleOld.statistics_lineno_top100) &&
    stats.groupCount === oracleOld.statistics_lineno_len,
  diffLinenoTop100:
    same(pyDiff(diff.diff.slice(0, 100)), oracleNew.compare_to.lineno_top100) &&
    diff.groupCount === oracleNew.compare_to.lineno_len,
  directStatsEqualsCli: same(JSON.parse(outputs['direct stats']).statistics, stats.statistics),
  directDiffEqualsCli: same(JSON.parse(outputs['direct diff']).diff, diff.diff),
};

const summary = Object.fromEntries(
  Object.entries(samples).map(([name, runs]) => [
    name,
    {
      wallS: median(runs.map((r) => r.wall)),
      cpuS: median(runs.map((r) => r.cpu)),
      peakRssMiB: median(runs.map((r) => r.rssKiB)) / 1024,
      wallRunsS: runs.map((r) => r.wall),
    },
  ]),
);
const ratio = (py, hs, key) => summary[py][key] / summary[hs][key];
const results = {
  runs: RUNS,
  loadavg,
  files: ['large/large-before.pickle', 'large/large-after.pickle'],
  summary,
  speedup: {
    statsWall: ratio('python stats', 'heapscope stats', 'wallS'),
    statsCpu: ratio('python stats', 'heapscope stats', 'cpuS'),
    diffWall: ratio('python diff', 'heapscope diff', 'wallS'),
    diffCpu: ratio('python diff', 'heapscope diff', 'cpuS'),
    directStatsWall: ratio('python stats', 'direct stats', 'wallS'),
    directDiffWall: ratio('python diff', 'direct diff', 'wallS'),
  },
  rss: {
    statsRatio: summary['heapscope stats'].peakRssMiB / summary['python stats'].peakRssMiB,
    diffRatio: summary['heapscope diff'].peakRssMiB / summary['python diff'].peakRssMiB,
  },
  checks,
  targets: { speedup: TARGET_SPEEDUP, cpuRatio: TARGET_CPU_RATIO, rssRatioMax: 1 },
};

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
console.log('\n  command           wall s (median)   cpu s   peak RSS MiB');
for (const [name, s] of Object.entries(summary)) {
  console.log(
    `  ${name.padEnd(17)} ${f2(s.wallS).padStart(8)}          ${f2(s.cpuS).padStart(6)}   ${s.peakRssMiB.toFixed(0).padStart(6)}`,
  );
}
const sp = results.speedup;
console.log(
  `\n  line table: heapscope ${f2(sp.statsWall)}× faster than CPython (wall), ${f2(sp.statsCpu)}× (CPU); direct ${f2(sp.directStatsWall)}×`,
);
console.log(
  `  diff:       heapscope ${f2(sp.diffWall)}× faster than CPython (wall), ${f2(sp.diffCpu)}× (CPU); direct ${f2(sp.directDiffWall)}×`,
);
console.log(
  `  peak RSS:   stats ${f2(results.rss.statsRatio)}× CPython's, diff ${f2(results.rss.diffRatio)}× CPython's`,
);
console.log(
  `  load average during the run: ${loadavg.map((x) => x.toFixed(1)).join(' ')} (wall times suffer on a busy machine)`,
);
console.log(
  `  oracle checks: ${Object.entries(checks)
    .map(([k, v]) => `${k}=${v ? 'ok' : 'MISMATCH'}`)
    .join(' ')}`,
);

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'tracemalloc.json'), `${JSON.stringify(results, null, 2)}\n`);

const missed = [];
if (!Object.values(checks).every(Boolean)) missed.push('oracle mismatch');
if (sp.statsWall < TARGET_SPEEDUP) missed.push(`line table ${f2(sp.statsWall)}× < ${TARGET_SPEEDUP}×`);
if (sp.diffWall < TARGET_SPEEDUP) missed.push(`diff ${f2(sp.diffWall)}× < ${TARGET_SPEEDUP}×`);
console.log(
  `  CPU vs CPython: line table ${f2(1 / sp.statsCpu)}× (target ≤ ${TARGET_CPU_RATIO.lineTable}×), diff ${f2(1 / sp.diffCpu)}× (target ≤ ${TARGET_CPU_RATIO.diff}×)`,
);
if (1 / sp.statsCpu > TARGET_CPU_RATIO.lineTable)
  missed.push(`line table CPU ${f2(1 / sp.statsCpu)}× CPython's > ${TARGET_CPU_RATIO.lineTable}×`);
if (1 / sp.diffCpu > TARGET_CPU_RATIO.diff)
  missed.push(`diff CPU ${f2(1 / sp.diffCpu)}× CPython's > ${TARGET_CPU_RATIO.diff}×`);
if (results.rss.statsRatio > 1 || results.rss.diffRatio > 1) missed.push('peak RSS above CPython');
if (missed.length) console.log(`  targets missed: ${missed.join('; ')}`);
else console.log('  all targets met');
if (STRICT && missed.length) process.exit(1);
