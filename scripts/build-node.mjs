// Bundles the plain-Node half of Heapscope (CLI, HTTP server, engine worker) into out/node/.
// The Electron half is built by electron-vite; both use the same sources under main/ and shared/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies (papaparse) need require() inside an ES module.
  banner: {
    js: "import { createRequire as __hsCreateRequire } from 'node:module'; const require = __hsCreateRequire(import.meta.url);",
  },
};

// The exported HTML report's page script: one browser IIFE that html-report.ts inlines. It is
// compiled into the CLI/worker as a constant and also written beside them, where the Electron
// main bundle (out/main) finds it at ../node/report-runtime.js.
const reportRuntime = await build({
  entryPoints: ['renderer/report/main.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const reportRuntimeText = reportRuntime.outputFiles[0].text;
mkdirSync('out/node', { recursive: true });
writeFileSync('out/node/report-runtime.js', reportRuntimeText);

await build({
  ...common,
  define: { __HEAPSCOPE_REPORT_RUNTIME__: JSON.stringify(reportRuntimeText) },
  entryPoints: { cli: 'main/cli/index.ts', worker: 'main/engine/worker.ts' },
  outdir: 'out/node',
  outExtension: { '.js': '.js' },
});
