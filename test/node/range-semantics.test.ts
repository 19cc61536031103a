// What a time range means at the edges: nothing after the capture's end, and no exit-time claims.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const BASIC = requireFixture('memray/v13-memray1.20.0-py313/basic.bin');

let engine: Engine;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await engine?.closeAll();
});

describe('range summaries', () => {
  it('refuse a range that starts after the capture ends instead of reusing the last bucket', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: BASIC });
    const after = info.durationMs + 500;
    await expect(
      engine.summary({ captureId: info.id, range: { fromMs: after, toMs: after + 1000 } }),
    ).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/after the capture ends/),
    });
    // A range that overlaps the end still answers.
    const tail = await engine.summary({ captureId: info.id, range: { fromMs: 0, toMs: after } });
    expect(tail.peakBytes).toBeGreaterThan(0);
  });

  it('do not call what is alive at the end of a range a leak at the end of tracking', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: BASIC });
    const whole = await engine.summary({ captureId: info.id });
    // The 50 MiB buffer is alive at the peak and freed later: over a range around the peak, the
    // bytes alive at the range's end are far more than what leaked at exit.
    const t = whole.peakTimeMs!;
    const ranged = await engine.summary({ captureId: info.id, range: { fromMs: t - 1, toMs: t } });
    expect(ranged.leakedBytes).toBeGreaterThan(whole.leakedBytes!);
    expect(ranged.findings.map((f) => f.code)).not.toContain('large-leaks');
    expect(ranged.findings.map((f) => f.code)).not.toContain('rss-exceeds-heap');
  });
});
