import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Reference fixtures beside the repository (not part of it); tests prefer copies in test/fixtures. */
export const SHARED_FIXTURES = join(REPO, '..', 'shared', 'fixtures');
export const WORKER_URL = new URL('../../../out/node/worker.js', import.meta.url);
export const CLI = join(REPO, 'bin', 'heapscope.js');

/** test/fixtures/REL when present, else ../shared/fixtures/REL, else undefined. */
export function fixture(rel: string): string | undefined {
  for (const base of [join(REPO, 'test', 'fixtures'), SHARED_FIXTURES]) {
    const path = join(base, rel);
    if (existsSync(path)) return path;
  }
  return undefined;
}

export function requireFixture(rel: string): string {
  const path = fixture(rel);
  if (!path) throw new Error(`fixture ${rel} is missing (looked in test/fixtures and ../shared/fixtures)`);
  return path;
}

export function requireBuilt(): void {
  if (!existsSync(fileURLToPath(WORKER_URL)))
    throw new Error('out/node/worker.js is missing: run `npm run build` first');
}
