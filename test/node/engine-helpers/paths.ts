import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const WORKER_URL = new URL('../../../out/node/worker.js', import.meta.url);
export const CLI = join(REPO, 'bin', 'heapscope.js');

/** test/fixtures/REL; the tests use only fixtures inside the repository, so CI needs nothing else. */
export function requireFixture(rel: string): string {
  const path = join(REPO, 'test', 'fixtures', rel);
  if (!existsSync(path)) throw new Error(`fixture test/fixtures/${rel} is missing`);
  return path;
}

export function requireBuilt(): void {
  if (!existsSync(fileURLToPath(WORKER_URL)))
    throw new Error('out/node/worker.js is missing: run `npm run build` first');
}
