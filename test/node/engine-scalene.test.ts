// Scalene's per-line columns and samples reach the app through the engine's generic queries.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Engine } from '../../main/engine/engine';
import { requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const LEAK = requireFixture('scalene/leak.json');
const MIB = 1024 * 1024;

let engine: Engine;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await engine?.closeAll();
});

/** leak.py:9 as Scalene itself wrote it in the profile. */
async function line9(): Promise<{ file: string; peakMb: number; line: string; samples: number }> {
  const profile = JSON.parse(await readFile(LEAK, 'utf8'));
  for (const [file, data] of Object.entries<{
    lines: { lineno: number; n_peak_mb: number; line: string; memory_samples: unknown[] }[];
  }>(profile.files)) {
    const row = data.lines.find((l) => l.lineno === 9);
    if (row && file.endsWith('leak.py'))
      return { file, peakMb: row.n_peak_mb, line: row.line, samples: row.memory_samples.length };
  }
  throw new Error('leak.py:9 not in the profile');
}

describe('Scalene through the engine', () => {
  it('fills peak and source text into line-grouped table rows', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: LEAK });
    const expected = await line9();
    const table = await engine.table({ captureId: info.id, snapshot: { kind: 'peak' }, groupBy: 'line' });
    const row = table.rows.find((r) => r.file === expected.file && r.line === 9);
    expect(row).toBeDefined();
    expect(row!.peakBytes).toBe(Math.round(expected.peakMb * MIB));
    // The table shows the line without its trailing newline.
    expect(row!.sourceLine).toBe(expected.line.replace(/\r?\n$/, ''));
  });

  it("answers a selected line's memory samples, and null for formats without them", async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: LEAK });
    const expected = await line9();
    const samples = await engine.lineSamples({ captureId: info.id, file: expected.file, line: 9 });
    expect(samples).not.toBeNull();
    expect(samples!.timeMs.length).toBe(expected.samples);
    expect(samples!.heapBytes.length).toBe(expected.samples);
    expect(samples!.leak?.likelihood).toBeGreaterThan(0.5);

    const memray = await engine.open({ path: requireFixture('memray/v12-memray1.19.3-py311/basic.bin') });
    expect(await engine.lineSamples({ captureId: memray.id, file: 'x.py', line: 1 })).toBeNull();
  });
});
