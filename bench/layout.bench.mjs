#!/usr/bin/env node
/**
 * Memory-layout benchmark (issue 14) on the large v12 capture of ../shared/fixtures/memray
 * (15.06 M records, --trace-python-allocators):
 *
 *   open, layout off   the full open (what the app does) with the layout's page table switched off:
 *                      the JS class's methods made no-ops, and the WebAssembly loop (which does
 *                      the per-record work on v12/v13) recompiled here from a copy of its sources
 *                      whose pagesSmall() is false and pagesAtPeak() returns at once, so no
 *                      page, peak-block log or tie set is kept (the few allocator checks stay)
 *   open, layout on    the same open as shipped
 *   layout <moment>    one layout query at the peak, the end and a mid-capture checkpoint, the
 *                      first time (nothing cached), as the engine's worker answers it
 *   layoutSites, bands the stacks of the sparse arenas (end) and the RSS bands, first time
 *
 * Each open runs in its own process, off and on alternating; the least CPU of --runs wins
 * (load only ever adds time). Targets: on ≤ 1.20 × off (CPU), every layout query ≤ 200 ms.
 * Beside that verdict it prints the median of the paired ratios (run i's on / run i's off):
 * the machine's speed drifts by several per cent over a minute, and a pair shares the drift.
 *
 * --parts adds a third open, "no peak log": as shipped but without the log of the blocks live
 * at the peak that left since (peak-blocks.ts), so the log's share of the added cost is measured
 * rather than guessed (its own stores, the chunks' copy to JavaScript, and what its stream of
 * writes costs the heap replay's other tables in the cache).
 *
 *   node bench/layout.bench.mjs [--runs 3] [--strict] [--parts]
 *
 * Without the shared fixtures or GNU time it says so and exits 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, megabytesOfKiB, skipper } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const LARGE = resolve(root, '..', 'shared', 'fixtures', 'memray', 'v12-memray1.19.3-py311', 'large.bin');
const GNU_TIME = '/usr/bin/time';
const { args, runs: RUNS, strict: STRICT } = benchArgs(3);
const PARTS = args.includes('--parts');
const TARGET_OPEN_RATIO = 1.2;
const TARGET_QUERY_MS = 200;

const skip = skipper('layout');
if (!existsSync(LARGE)) skip(`no large capture at ${LARGE}`);
if (spawnSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' }).status !== 0)
  skip(`no GNU time at ${GNU_TIME}`);

const work = mkdtempSync(join(tmpdir(), 'heapscope-layout-bench-'));
const runner = join(work, 'layout-runner.mjs');
const runnerOff = join(work, 'layout-runner-off.mjs');
const runnerNoLog = join(work, 'layout-runner-nolog.mjs');
const WASM_DIR = join(root, 'main', 'formats', 'memray', 'wasm');

/**
 * full.wasm compiled from a copy of assembly/ with pages.ts's text replaced as `edits` say
 * ([from, to] pairs; each `from` must be there).
 */
async function fullWasmVariant(name, edits) {
  const { compileModule, moduleText } = await import(join(root, 'scripts', 'build-wasm.mjs'));
  const dir = join(work, `wasm-${name}`);
  mkdirSync(join(dir, 'assembly'), { recursive: true });
  for (const f of readdirSync(join(WASM_DIR, 'assembly'))) {
    let text = readFileSync(join(WASM_DIR, 'assembly', f), 'utf8');
    if (f === 'pages.ts')
      for (const [from, to] of edits) {
        if (!text.includes(from))
          throw new Error(`pages.ts changed: update the layout bench's "${name}" variant`);
        text = text.replace(from, to);
      }
    writeFileSync(join(dir, 'assembly', f), text);
  }
  return moduleText('full', await compileModule('full', dir));
}

/** The page table does nothing (the "off" open). */
function fullWasmWithoutPages() {
  const small = 'export function pagesSmall(allocator: i32, size: u64): bool {\n';
  const atPeak = 'export function pagesAtPeak(fine: i32): void {\n';
  return fullWasmVariant('off', [
    [small, `${small}  if (allocator >= 0) return false;\n`],
    [atPeak, `${atPeak}  if (fine >= 0) return;\n`],
  ]);
}

/** As shipped, but no block that leaves after the peak is logged (--parts). */
function fullWasmWithoutPeakLog() {
  return fullWasmVariant('nolog', [
    ['  if (pbSeen && liveAtPeak(lo, hi, birthLow, fine)) logPush(lo, hi, size, key);\n', ''],
  ]);
}
{
  const entry = join(work, 'layout-entry.ts');
  writeFileSync(
    entry,
    `import { loadMemrayModel } from ${JSON.stringify(join(root, 'main/formats/memray/index.ts'))};
import { PymallocPageTable } from ${JSON.stringify(join(root, 'main/model/memray/layout/page-table.ts'))};
import { layoutHandlers } from ${JSON.stringify(join(root, 'main/engine/layout-handlers.ts'))};
const [mode, file] = process.argv.slice(2);
if (mode === 'off') for (const m of ['add', 'remove', 'atPeak', 'memoryRecord']) PymallocPageTable.prototype[m] = () => undefined;
const t0 = performance.now();
const model = await loadMemrayModel(file, {});
const out = { openMs: performance.now() - t0, peak: model.b.peak, pageTableBytes: model.b.pymallocPages.approxBytes() };
if (mode === 'queries') {
  const time = (fn) => { const s = performance.now(); const r = fn(); return [performance.now() - s, r]; };
  const moments = layoutHandlers.layout(model, { at: { kind: 'end' }, maxArenas: 0 }).moments;
  const mid = moments.filter((m) => m.kind === 'at')[Math.floor(moments.length / 3)];
  out.queries = {};
  // distinct arguments each time: nothing cached from an earlier call
  for (const [name, at] of [['peak', { kind: 'peak' }], ['end', { kind: 'end' }], [\`checkpoint \${mid.timeMs} ms\`, { kind: 'at', timeMs: mid.timeMs }]]) {
    const [ms, l] = time(() => layoutHandlers.layout(model, { at, maxArenas: 4096 }));
    out.queries['layout ' + name] = { ms, pools: l.pymalloc.pools, arenas: l.pymalloc.arenas, liveBytes: l.pymalloc.liveBytes };
  }
  const [sitesMs] = time(() => layoutHandlers.layoutSites(model, { region: { kind: 'sparse-arenas' } }));
  out.queries['layoutSites sparse arenas (end)'] = { ms: sitesMs };
  const [bandsMs, bands] = time(() => layoutHandlers.layoutBands(model));
  out.queries['layoutBands'] = { ms: bandsMs, points: bands.timeMs.length };
}
console.log(JSON.stringify(out));
`,
  );
  const { build } = await import('esbuild');
  mkdirSync(work, { recursive: true });
  const options = {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules')],
    banner: {
      js: "import { createRequire as __hsCreateRequire } from 'node:module'; const require = __hsCreateRequire(import.meta.url);",
    },
  };
  await build({ ...options, outfile: runner });
  const swapFullWasm = (contents) => ({
    name: 'full-wasm-variant',
    setup(b) {
      b.onLoad({ filter: /[\\/]memray[\\/]wasm[\\/]full\.wasm\.ts$/ }, () => ({ contents, loader: 'ts' }));
    },
  });
  const offModule = await fullWasmWithoutPages();
  await build({ ...options, outfile: runnerOff, plugins: [swapFullWasm(offModule)] });
  if (PARTS)
    await build({
      ...options,
      outfile: runnerNoLog,
      plugins: [swapFullWasm(await fullWasmWithoutPeakLog())],
    });
  // a base64 line only the recompiled module has must be in the "off" runner, and only there
  const shipped = new Set(readFileSync(join(WASM_DIR, 'full.wasm.ts'), 'utf8').split('\n'));
  const own = offModule.split('\n').find((l) => l.startsWith("  '") && !shipped.has(l));
  const inOff = own !== undefined && readFileSync(runnerOff, 'utf8').includes(own.trim().slice(1, -4));
  if (!inOff || readFileSync(runner, 'utf8').includes(own.trim().slice(1, -4)))
    throw new Error('the "off" runner does not hold the recompiled module');
}

function timed(mode) {
  const script = mode === 'off' ? runnerOff : mode === 'nolog' ? runnerNoLog : runner;
  const r = spawnSync(GNU_TIME, ['-f', 'TIME %e %U %S %M', process.execPath, script, mode, LARGE], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const line = r.stderr
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || !line) throw new Error(`${mode} run failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [wall, user, sys, rssKb] = line.slice(5).split(' ').map(Number);
  return {
    wall,
    cpu: user + sys,
    rssMb: megabytesOfKiB(rssKb),
    out: JSON.parse(r.stdout.trim().split('\n').pop()),
  };
}

const MODES = PARTS ? ['off', 'on', 'nolog'] : ['off', 'on'];
const LABEL = { off: 'open, layout off', on: 'open, layout on ', nolog: 'open, no peak log' };
const best = {};
const cpus = Object.fromEntries(MODES.map((m) => [m, []]));
for (let i = 0; i < RUNS; i++)
  for (const mode of MODES) {
    const r = timed(mode);
    cpus[mode].push(r.cpu);
    if (!best[mode] || r.cpu < best[mode].cpu) best[mode] = r;
  }
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Median over the runs of mode's CPU / the same round's "off" CPU. */
const pairedRatio = (mode) => median(cpus[mode].map((c, i) => c / cpus.off[i]));
const ratio = best.on.cpu / best.off.cpu;
console.log(`layout bench: ${LARGE} (best of ${RUNS} runs each, CPU seconds)`);
for (const mode of MODES)
  console.log(
    `  ${LABEL[mode]}  ${best[mode].cpu.toFixed(2)} s CPU  ${best[mode].wall.toFixed(2)} s wall  peak RSS ${best[mode].rssMb.toFixed(0)} MB  page table ${(best[mode].out.pageTableBytes / 1e6).toFixed(1)} MB`,
  );
const okOpen = ratio <= TARGET_OPEN_RATIO;
const pct = (r) => `${((r - 1) * 100).toFixed(1)} %`;
console.log(
  `  added to the open: ${pct(ratio)} (target ≤ ${((TARGET_OPEN_RATIO - 1) * 100).toFixed(0)} %) ${okOpen ? 'ok' : 'MISSED'}; median of the ${RUNS} paired ratios: ${pct(pairedRatio('on'))}`,
);
if (PARTS)
  console.log(
    `  without the peak log: ${pct(pairedRatio('nolog'))} added (paired median), so the log costs ${((pairedRatio('on') - pairedRatio('nolog')) * 100).toFixed(1)} points of the ${pct(pairedRatio('on'))}`,
  );

let worst = 0;
let q;
for (let i = 0; i < RUNS; i++) {
  const r = timed('queries').out.queries;
  if (!q) q = r;
  else for (const k of Object.keys(r)) if (r[k].ms < q[k].ms) q[k] = r[k];
}
for (const [name, v] of Object.entries(q)) {
  const { ms, ...rest } = v;
  if (name.startsWith('layout ')) worst = Math.max(worst, ms);
  console.log(`  ${name.padEnd(34)} ${ms.toFixed(0).padStart(5)} ms  ${JSON.stringify(rest)}`);
}
const okQuery = worst <= TARGET_QUERY_MS;
console.log(
  `  slowest moment: ${worst.toFixed(0)} ms (target ≤ ${TARGET_QUERY_MS} ms) ${okQuery ? 'ok' : 'MISSED'}`,
);
if (STRICT && !(okOpen && okQuery)) process.exit(1);
