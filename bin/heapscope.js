#!/usr/bin/env node
// The CLI is built into out/node by `npm run build` (run automatically by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/node/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'heapscope: not built yet. Run `npm install` (or `npm run build`) in the heapscope folder.\n',
  );
  process.exit(2);
}
await import(cli.href);
