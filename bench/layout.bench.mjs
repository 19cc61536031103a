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
 *
 *   node bench/layout.bench.mjs [--runs 3] [--strict]
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
const { runs: RUNS, strict: STRICT } = benchArgs(3);
const TARGET_OPEN_RATIO = 1.2;
const TARGET_QUERY_MS = 200;

const skip = skipper('layout');
if (!existsSync(LARGE)) skip(`no large capture at ${LARGE}`);
if (spawnSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' }).status !== 0)
  skip(`no GNU time at ${GNU_TIME}`);

const work = mkdtempSync(join(tmpdir(), 'heapscope-layout-bench-'));
const runner = join(work, 'layout-runner.mjs');
const runnerOff = join(work, 'layout-runner-off.mjs');
const WASM_DIR = join(root, 'main', 'formats', 'memray', 'wasm');

/** full.wasm compiled from a copy of assembly/ whose page table does nothing (the "off" open). */
async function fullWasmWithoutPages() {
  const { compileModule, moduleText } = await import(join(root, 'scripts', 'build-wasm.mjs'));
  const dir = join(work, 'wasm-off');
  mkdirSync(join(dir, 'assembly'), { recursive: true });
  for (const f of readdirSync(join(WASM_DIR, 'assembly'))) {
    let text = readFileSync(join(WASM_DIR, 'assembly', f), 'utf8');
    if (f === 'pages.ts') {
      const small = 'export function pagesSmall(allocator: i32, size: u64): bool {\n';
      const atPeak = 'export function pagesAtPeak(fine: i32): void {\n';
      if (!text.includes(small) || !text.includes(atPeak))
        throw new Error('pages.ts changed: update the layout bench\'s "off" variant');
      text = text
        .replace(small, `${small}  if (allocator >= 0) return false;\n`)
        .replace(atPeak, `${atPeak}  if (fine >= 0) return;\n`);
    }
    writeFileSync(join(dir, 'assembly', f), text);
  }
  return moduleText('full', await compileModule('full', dir));
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
  const offModule = await fullWasmWithoutPages();
  const swapFullWasm = {
    name: 'full-wasm-without-pages',
    setup(b) {
      b.onLoad({ filter: /[\\/]memray[\\/]wasm[\\/]full\.wasm\.ts$/ }, () => ({
        contents: offModule,
        loader: 'ts',
      }));
    },
  };
  await build({ ...options, outfile: runnerOff, plugins: [swapFullWasm] });
  // a base64 line only the recompiled module has must be in the "off" runner, and only there
  const shipped = new Set(readFileSync(join(WASM_DIR, 'full.wasm.ts'), 'utf8').split('\n'));
  const own = offModule.split('\n').find((l) => l.startsWith("  '") && !shipped.has(l));
  const inOff = own !== undefined && readFileSync(runnerOff, 'utf8').includes(own.trim().slice(1, -4));
  if (!inOff || readFileSync(runner, 'utf8').includes(own.trim().slice(1, -4)))
    throw new Error('the "off" runner does not hold the recompiled module');
}

function timed(mode) {
  const script = mode === 'off' ? runnerOff : runner;
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

const best = { off: undefined, on: undefined };
for (let i = 0; i < RUNS; i++)
  for (const mode of ['off', 'on']) {
    const r = timed(mode);
    if (!best[mode] || r.cpu < best[mode].cpu) best[mode] = r;
  }
const ratio = best.on.cpu / best.off.cpu;
console.log(`layout bench: ${LARGE} (best of ${RUNS} runs each, CPU seconds)`);
for (const mode of ['off', 'on'])
  console.log(
    `  open, layout ${mode.padEnd(3)}  ${best[mode].cpu.toFixed(2)} s CPU  ${best[mode].wall.toFixed(2)} s wall  peak RSS ${best[mode].rssMb.toFixed(0)} MB  page table ${(best[mode].out.pageTableBytes / 1e6).toFixed(1)} MB`,
  );
const okOpen = ratio <= TARGET_OPEN_RATIO;
console.log(
  `  added to the open: ${((ratio - 1) * 100).toFixed(1)} % (target ≤ ${((TARGET_OPEN_RATIO - 1) * 100).toFixed(0)} %) ${okOpen ? 'ok' : 'MISSED'}`,
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
