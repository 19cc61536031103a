// The first screen before the whole index (LoadPreview), through the real built worker
// (out/node/worker.js): run after `npm run build`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadPreview, Progress, Timeline } from '../../shared/api';
import { Engine } from '../../main/engine/engine';
import { writeGrowingCapture } from './engine-helpers/growing-capture';
import { requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const MEMRAY_FORK = requireFixture('memray/v12-memray1.19.3-py311/fork.bin');
const SCALENE = requireFixture('scalene/leak.json');
const TRACEMALLOC = requireFixture('tracemalloc/py311/inventory-after.pickle.gz');
const MEMRAY_CSV = requireFixture('memray-csv/v12-memray1.19.3-py311/native.hwm.csv');

let dir = '';
/** 3000 memory records 10 ms apart: more than one preview's 1500 points, so later ones are reduced. */
let GROWING = '';
/** The live bytes after each memory record, as the generator's program counts them. */
let live: number[] = [];
let engine: Engine | undefined;

beforeAll(async () => {
  requireBuilt();
  dir = await mkdtemp(join(tmpdir(), 'heapscope-preview-'));
  GROWING = join(dir, 'growing.bin');
  live = await writeGrowingCapture(GROWING, 3000);
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await engine?.closeAll();
  engine = undefined;
});

/** Opens `path` on a slow engine (tiny reads, a preview on every progress report). */
async function openWatching(path: string, open: Partial<Parameters<Engine['open']>[0]> = {}) {
  engine = new Engine({ workerUrl: WORKER_URL, chunkSize: 64, previewIntervalMs: 0 });
  const previews: LoadPreview[] = [];
  const order: string[] = [];
  engine.onPreview((p) => {
    previews.push(p);
    order.push('preview');
  });
  engine.onProgress((p: Progress) => order.push(p.phase));
  const info = await engine.open({ path, ...open });
  return { info, previews, order };
}

/** The finished capture's memory-record points (the heap line's other points carry no RSS). */
function memoryRecordPoints(t: Timeline): [number, number, number | null][] {
  return t.timeMs
    .map((ms, i): [number, number, number | null] => [ms, t.heapBytes[i], t.rssBytes[i]])
    .filter((p) => p[2] !== null);
}

describe('previews while a memray capture indexes', () => {
  it('posts the header facts and the heap line so far before ready, each a first part of the final timeline', async () => {
    const { info, previews, order } = await openWatching(GROWING);
    expect(previews.length).toBeGreaterThan(0);
    // every preview comes before 'done' (which travels with ready)
    expect(order.lastIndexOf('preview')).toBeLessThan(order.indexOf('done'));

    // the final model's full-resolution timeline, by the query the Timeline view uses
    const final = await engine!.timeline({ captureId: info.id, maxPoints: 1e9 });
    const points = memoryRecordPoints(final);
    expect(points.length).toBe(3000);
    // and the heap at each memory record is what the generator's program holds live then
    expect(points.map((p) => p[1])).toEqual(live);

    const size = (await stat(GROWING)).size;
    let partial = 0;
    let previousRecords = 0;
    let sawLine = false;
    for (const p of previews) {
      expect(p.captureId).toBe(info.id);
      // the header's facts, as the generator wrote them (test/generator/memray-capture.ts)
      expect(p.info.facts).toMatchObject({
        format: 'memray',
        commandLine: 'python3 -m memray run generated.py',
        pid: 4242,
        pythonVersion: '3.11.2',
        fileFormat: 'all',
        nativeTraces: false,
        startTimeMs: 1_700_000_000_000,
        sizeBytes: size,
      });
      expect(p.bytesTotal).toBe(size);
      expect(p.records).toBeGreaterThanOrEqual(previousRecords);
      expect(p.records).toBeLessThanOrEqual(info.records);
      previousRecords = p.records;

      // null before the first memory record is read (shared/api.ts LoadPreview): on a slow
      // machine the first preview can come that early (a clean-clone CI run saw it); after a
      // line, every preview has one
      const t = p.timeline;
      if (t === null) {
        expect(sawLine).toBe(false);
        continue;
      }
      sawLine = true;
      expect(t.timeMs.length).toBeLessThanOrEqual(1500);
      const shown = t.timeMs.map((ms, i) => [ms, t.heapBytes[i], t.rssBytes[i]]);
      // The line ends at the last memory record read: the final timeline's point k.
      const k = points.findIndex((q) => q[0] === t.timeMs.at(-1));
      expect(k).toBeGreaterThanOrEqual(0);
      if (k + 1 <= 1500) {
        // not reduced yet: exactly the first k+1 memory records
        expect(shown).toEqual(points.slice(0, k + 1));
      } else {
        // reduced: in order, every point one of the first k+1, the first and the highest kept
        let at = 0;
        for (const s of shown) {
          while (at <= k && (points[at][0] !== s[0] || points[at][1] !== s[1] || points[at][2] !== s[2]))
            at++;
          expect(at, `point ${JSON.stringify(s)} in the final timeline's first ${k + 1}`).toBeLessThanOrEqual(
            k,
          );
          at++;
        }
        expect(shown[0]).toEqual(points[0]);
        const highest = Math.max(...points.slice(0, k + 1).map((q) => q[1]));
        expect(Math.max(...t.heapBytes)).toBe(highest);
      }
      if (k + 1 < points.length) partial++;
      // the axis spans the header's duration (a cleanly closed file): the line grows across it
      expect(t.durationMs).toBe(info.durationMs);
    }
    // A load of this size on 64-byte reads takes many progress reports: some show a part only.
    expect(partial).toBeGreaterThan(0);
  });

  it('stops previews when the open is cancelled', async () => {
    engine = new Engine({ workerUrl: WORKER_URL, chunkSize: 16, previewIntervalMs: 0 });
    const order: string[] = [];
    engine.onPreview(() => order.push('preview'));
    engine.onProgress((p) => order.push(p.phase));
    const opening = engine.open({ path: GROWING });
    const captureId = await new Promise<string>((resolve) => {
      const off = engine!.onPreview((p) => {
        off();
        resolve(p.captureId);
      });
    });
    await engine.cancel(captureId);
    await expect(opening).rejects.toMatchObject({ code: 'cancelled' });
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toContain('cancelled');
    expect(order.slice(order.indexOf('cancelled'))).not.toContain('preview');
  });

  it('posts none for other formats, nor for a parent merged with its fork children', async () => {
    for (const path of [SCALENE, TRACEMALLOC, MEMRAY_CSV]) {
      const { previews } = await openWatching(path);
      expect(previews, path).toEqual([]);
      await engine!.closeAll();
    }
    const merged = await openWatching(MEMRAY_FORK, { withForkChildren: true });
    expect(merged.info.processes).toBeGreaterThan(1);
    expect(merged.previews).toEqual([]);
  });

  it('computes none for an open started with nobody listening (the CLI)', async () => {
    engine = new Engine({ workerUrl: WORKER_URL, chunkSize: 64, previewIntervalMs: 0 });
    const opening = engine.open({ path: GROWING });
    const previews: LoadPreview[] = [];
    engine.onPreview((p) => previews.push(p));
    await opening;
    expect(previews).toEqual([]);
  });
});
