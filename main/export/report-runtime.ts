import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Injected by scripts/build-node.mjs (esbuild `define`) so the bundled CLI carries the report
// page's script inside itself and needs no file next to it.
declare const __HEAPSCOPE_REPORT_RUNTIME__: string | undefined;

let cached: string | undefined;

/**
 * The report page's script (renderer/report/main.ts bundled as one IIFE). Sources, first hit
 * wins: the build-time constant (CLI / worker bundles); the TypeScript source bundled with
 * esbuild when both are present (a source checkout: dev, tests and electron-vite builds, so an
 * edited page script is never shadowed by a stale build); `report-runtime.js` beside this
 * bundle or in out/node (the Electron main bundle lives in out/main).
 */
export function reportRuntime(): string {
  if (cached !== undefined) return cached;
  if (typeof __HEAPSCOPE_REPORT_RUNTIME__ === 'string') return (cached = __HEAPSCOPE_REPORT_RUNTIME__);
  const entry = fileURLToPath(new URL('../../renderer/report/main.ts', import.meta.url));
  if (existsSync(entry)) {
    const esbuild = loadEsbuild();
    if (esbuild) return (cached = bundleReportRuntime(esbuild, entry));
  }
  for (const rel of [
    './report-runtime.js',
    '../node/report-runtime.js',
    '../../out/node/report-runtime.js',
  ]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return (cached = readFileSync(path, 'utf8'));
  }
  throw new Error('the report page script is missing: run `npm run build:node`');
}

function loadEsbuild(): typeof import('esbuild') | undefined {
  try {
    return createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  } catch {
    return undefined;
  }
}

/** The same options as scripts/build-node.mjs: one minified IIFE for browsers. */
export function bundleReportRuntime(esbuild: typeof import('esbuild'), entry: string): string {
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}
