// `npm run fuzz`: bundles the fuzzer (TypeScript) with esbuild, then runs it. See cli.ts.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const outfile = `${repo}out/fuzz/cli.mjs`;
await build({
  entryPoints: [`${repo}test/fuzz/cli.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
const { main } = await import(outfile);
process.exitCode = await main(repo, process.argv.slice(2));
