// `heapscope stats … | head`: the reader closing the pipe early is not an error.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, requireBuilt, requireFixture } from './engine-helpers/paths';

describe('CLI output into a closed pipe', () => {
  it('exits quietly when stdout is closed early', async () => {
    requireBuilt();
    const child = spawn(process.execPath, [
      CLI,
      'stats',
      requireFixture('tracemalloc/py313/inventory-after.pickle.gz'),
      '--json',
      '--top',
      '100000',
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read one chunk, then close our end, as `head -c` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
