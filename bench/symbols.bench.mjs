#!/usr/bin/env node
/**
 * Native symbolization benchmark: labelling the visible flamegraph of native.bin (its peak
 * snapshot's tree, and source lines for every native frame in it) once each object has had its
 * first lookup (ELF read, copy and debug file found and checked), and the cold first view
 * including those lookups. Target: ≤ 200 ms for the former.
 *
 *   node bench/symbols.bench.mjs [--runs 5] [--strict]
 *
 * It uses test/fixtures' native.bin (a Debian 12 capture: how much resolves depends on the
 * libraries and debug packages of this machine, which the output lists). --strict exits 1 when
 * the target is missed. Results go to bench/results/symbols.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchArgs, skipper } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const skip = skipper('symbols');
const { runs, strict } = benchArgs(5);
const TARGET_MS = 200;
const CAPTURE = join(root, 'test/fixtures/memray/v12-memray1.19.3-py311/native.bin');
if (!existsSync(CAPTURE)) skip(`no ${CAPTURE}`);

// The model, flamegraph and symbolizer bundled from source, inside the repo so the bundle
// finds node_modules (the demangler's WebAssembly file) the way out/node does.
const outDir = join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, 'symbols-entry.ts');
const bundle = join(outDir, 'symbols.mjs');
writeFileSync(
  entry,
  `export { loadMemrayModel } from ${JSON.stringify(join(root, 'main/formats/memray/index.ts'))};
export { buildFlameTree } from ${JSON.stringify(join(root, 'main/query/flamegraph.ts'))};
export { NativeSymbolizer } from ${JSON.stringify(join(root, 'main/symbols/index.ts'))};
`,
);
const { build } = await import('esbuild');
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});
const { loadMemrayModel, buildFlameTree, NativeSymbolizer } = await import(pathToFileURL(bundle).href);

/** Every mapped object of the capture, as the model hands them to the symbolizer. */
function objectsOf(model) {
  const out = new Map();
  model.b.maps.generations.forEach((segs) => {
    for (const s of segs) {
      const key = `${s.file}\0${s.loadAddr}`;
      if (out.has(key)) continue;
      const segments = segs
        .filter((x) => x.file === s.file && x.loadAddr === s.loadAddr)
        .map((x) => [x.start - x.loadAddr, x.end - x.start]);
      out.set(key, { path: s.file, segments });
    }
  });
  return [...out.values()];
}

/** Wraps the symbolizer's two entry points to add up the time spent in them. */
function timed(symbolizer) {
  const spent = { ms: 0 };
  for (const method of ['nativeName', 'sources']) {
    const original = symbolizer[method].bind(symbolizer);
    symbolizer[method] = (...args) => {
      const t = performance.now();
      try {
        return original(...args);
      } finally {
        spent.ms += performance.now() - t;
      }
    };
  }
  return spent;
}

function view(model, symbolizer, kind) {
  const tree = buildFlameTree(model.snapshot({ kind }), {});
  symbolizer.annotate(tree.frames);
  return tree;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
let note;
// peak: the flamegraph the app opens on; all: every allocation's stacks (the most frames).
for (const kind of ['peak', 'all']) {
  const cold = [];
  const warm = [];
  let tree;
  for (let r = 0; r < runs; r++) {
    // Cold: a fresh symbolizer; the first view pays each object's first lookup.
    const s1 = new NativeSymbolizer({});
    const spent1 = timed(s1);
    view(await loadMemrayModel(CAPTURE, { symbolizer: s1 }), s1, kind);
    cold.push(spent1.ms);
    // Warm objects: every object looked up once (one address each), then a fresh model's view.
    const s2 = new NativeSymbolizer({});
    const model = await loadMemrayModel(CAPTURE, { symbolizer: s2 });
    for (const o of objectsOf(model)) s2.nativeName(o, 0);
    const spent2 = timed(s2);
    tree = view(model, s2, kind);
    warm.push(spent2.ms);
    note = s2.note();
  }
  const native = tree.frames.filter((f) => f.kind === 'native');
  rows.push({
    snapshot: kind,
    nativeFramesShown: native.length,
    named: native.filter((f) => !/\+0x[0-9a-f]+$/.test(f.name)).length,
    withSource: native.filter((f) => f.source).length,
    visibleAfterFirstLookupMs: Number(median(warm).toFixed(1)),
    coldFirstViewMs: Number(median(cold).toFixed(1)),
  });
}
const result = {
  capture: 'test/fixtures/memray/v12-memray1.19.3-py311/native.bin',
  runs,
  lineTool: note.lineTool ?? null,
  objectsWithLines: note.objects.filter((o) => o.lines).map((o) => o.path),
  rows,
  targetMs: TARGET_MS,
};
console.log(
  `native.bin (line tool: ${result.lineTool ?? 'none'}; DWARF lines here for ${result.objectsWithLines.join(', ') || 'no object'})`,
);
for (const r of rows)
  console.log(
    `  ${r.snapshot.padEnd(4)} flamegraph: ${r.nativeFramesShown} native frames, ${r.named} named, ${r.withSource} with source; ` +
      `symbolized in ${r.visibleAfterFirstLookupMs} ms after each object's first lookup (target ≤ ${TARGET_MS} ms), ` +
      `${r.coldFirstViewMs} ms cold`,
  );
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'symbols.json'), JSON.stringify(result, null, 2) + '\n');
if (strict && rows.some((r) => r.visibleAfterFirstLookupMs > TARGET_MS)) {
  console.log(`symbols bench: target missed`);
  process.exit(1);
}
