// Bundles the plain-Node half of Heapscope (CLI, HTTP server, engine worker) into out/node/.
// The Electron half is built by electron-vite; both use the same sources under main/ and shared/.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies (papaparse) need require() inside an ES module.
  banner: { js: "import { createRequire as __hsCreateRequire } from 'node:module'; const require = __hsCreateRequire(import.meta.url);" },
};

await build({
  ...common,
  entryPoints: { cli: 'main/cli/index.ts', worker: 'main/engine/worker.ts' },
  outdir: 'out/node',
  outExtension: { '.js': '.js' },
});
