// The engine through its real, built worker (out/node/worker.js): run after `npm run build`.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Progress } from '../../shared/api';
import { HeapscopeError } from '../../shared/api-error';
import { Engine } from '../../main/engine/engine';
import { writeBigMemrayCsv } from './engine-helpers/big-capture';
import { requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const SCALENE = requireFixture('scalene/leak.json');
const SCALENE_THREADS = requireFixture('scalene/threads.json');
const MEMRAY_BASIC = requireFixture('memray/v12-memray1.19.3-py311/basic.bin');
/** A generated memray CSV of a million rows (about 60 MB): a read that takes seconds. */
let LARGE = '';
let largeDir = '';

let engine: Engine;

beforeAll(async () => {
  requireBuilt();
  largeDir = await mkdtemp(join(tmpdir(), 'heapscope-large-'));
  LARGE = join(largeDir, 'large.hwm.csv');
  await writeBigMemrayCsv(LARGE, 1_000_000);
  return () => rm(largeDir, { recursive: true, force: true });
});
afterEach(async () => {
  await engine?.closeAll();
});

async function rejection(promise: Promise<unknown>): Promise<HeapscopeError> {
  try {
    await promise;
  } catch (error) {
    return error as HeapscopeError;
  }
  throw new Error('expected the promise to reject');
}

describe('Engine', () => {
  it("lists a capture by the time its 'done' event is heard (a page refreshes its tabs on it)", async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const listedAtDone: boolean[] = [];
    engine.onProgress((p) => {
      // list() answers from the engine's own state: checked inside the listener, synchronously
      if (p.phase === 'done')
        void engine.list().then((l) => listedAtDone.push(l.some((c) => c.id === p.captureId)));
    });
    await Promise.all([engine.open({ path: SCALENE }), engine.open({ path: MEMRAY_BASIC })]);
    await new Promise((r) => setTimeout(r, 0));
    expect(listedAtDone).toEqual([true, true]);
    await engine.closeAll();
  });

  it("with transport 'in-thread', loads the first capture here and the next in a worker, with the same answers", async () => {
    const reference = new Engine({ workerUrl: WORKER_URL });
    const [refA, refB] = await Promise.all([
      reference.open({ path: MEMRAY_BASIC }),
      reference.open({ path: SCALENE }),
    ]);
    const expected = [
      await reference.summary({ captureId: refA.id }),
      await reference.summary({ captureId: refB.id }),
    ];
    await reference.closeAll();
    engine = new Engine({ workerUrl: WORKER_URL, transport: 'in-thread' });
    const [a, b] = await Promise.all([engine.open({ path: MEMRAY_BASIC }), engine.open({ path: SCALENE })]);
    // White-box: which port each capture's session sits behind (a diff's two loads use two cores).
    const ports = (engine as unknown as { captures: Map<string, { worker: object }> }).captures;
    expect(ports.get(a.id)!.worker.constructor.name).toBe('InThreadCapture');
    expect(ports.get(b.id)!.worker.constructor.name).toBe('Worker');
    expect([await engine.summary({ captureId: a.id }), await engine.summary({ captureId: b.id })]).toEqual(
      expected,
    );
  });

  it('opens a capture in a worker, reports progress and answers queries', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const events: Progress[] = [];
    engine.onProgress((p) => events.push(p));
    const info = await engine.open({ path: SCALENE });
    expect(info.id).toMatch(/^c\d+$/);
    expect(info.facts.format).toBe('scalene');
    expect(info.facts.fileName).toBe('leak.json');
    expect(engine.workerCount).toBe(1);

    const size = (await stat(SCALENE)).size;
    const mine = events.filter((p) => p.captureId === info.id);
    expect(mine[0].phase).toBe('header');
    const last = mine.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.bytesTotal).toBe(size);
    expect(last.bytesDone).toBe(size);
    expect(last.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(mine.every((p) => p.path === SCALENE)).toBe(true);

    const summary = await engine.summary({ captureId: info.id });
    expect(summary.info.id).toBe(info.id);
    // The scalene fixture's MANIFEST: max_footprint_mb 400.0 (MiB).
    expect(Math.round(summary.peakBytes / 1024 / 1024)).toBe(400);
    expect(summary.topSites.length).toBeGreaterThan(0);
    expect(summary.topSites[0].line).toBe(9);

    const stats = (await engine.statsJson(info.id)) as { format: string };
    expect(stats.format).toBe('scalene');
    expect(await engine.list()).toEqual([info]);
  });

  it('opening the same path twice shares one worker', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const [a, b] = await Promise.all([engine.open({ path: SCALENE }), engine.open({ path: SCALENE })]);
    expect(a.id).toBe(b.id);
    expect(engine.workerCount).toBe(1);
    const c = await engine.open({ path: SCALENE_THREADS });
    expect(c.id).not.toBe(a.id);
    expect(engine.workerCount).toBe(2);
  });

  it('keeps captures apart: one worker per capture, each answering for its own file', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const [a, b] = await Promise.all([
      engine.open({ path: SCALENE }),
      engine.open({ path: SCALENE_THREADS }),
    ]);
    const [sa, sb] = await Promise.all([
      engine.summary({ captureId: a.id }),
      engine.summary({ captureId: b.id }),
    ]);
    expect(sa.info.facts.fileName).toBe('leak.json');
    expect(sb.info.facts.fileName).toBe('threads.json');
    expect(sa.peakBytes).not.toBe(sb.peakBytes);
  });

  it('turns a file of no known format into a bad-input ApiError naming the file and offset', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const dir = await mkdtemp(join(tmpdir(), 'heapscope-engine-'));
    try {
      const path = join(dir, 'corrupt.bin');
      await writeFile(path, Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8]));
      const events: Progress[] = [];
      engine.onProgress((p) => events.push(p));
      const error = await rejection(engine.open({ path }));
      expect(error).toBeInstanceOf(HeapscopeError);
      expect(error.code).toBe('bad-input');
      expect(error.file).toContain('corrupt.bin');
      expect(error.offset).toBe(0);
      expect(error.message).toMatch(/expected a memray capture/);
      expect(events.at(-1)?.phase).toBe('error');
      // A failed open frees its worker.
      expect(engine.workerCount).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing file as not-found', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const error = await rejection(engine.open({ path: join(tmpdir(), 'heapscope-no-such-file.bin') }));
    expect(error.code).toBe('bad-input');
    expect(error.message).toMatch(/no such file/);
  });

  it('rejects queries for unknown captures with not-found', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const error = await rejection(engine.summary({ captureId: 'nope' }));
    expect(error.code).toBe('not-found');
  });

  it('returns unsupported, not a crash, for a query the format cannot answer', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: SCALENE });
    const error = await rejection(engine.exportTable(info.id, 'memray-csv', false));
    expect(error.code).toBe('unsupported');
    // The worker is still alive and answering.
    expect((await engine.summary({ captureId: info.id })).info.id).toBe(info.id);
  });

  it('a totals-only open answers stats --json through the worker and refuses the rest', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const full = await engine.open({ path: MEMRAY_BASIC });
    const totals = await engine.open({ path: MEMRAY_BASIC, detail: 'totals' });
    // a different detail is a different capture (its own worker), not the full one reused
    expect(totals.id).not.toBe(full.id);
    expect(await engine.statsJson(totals.id, { top: 10 })).toEqual(
      await engine.statsJson(full.id, { top: 10 }),
    );
    expect((await rejection(engine.summary({ captureId: totals.id }))).code).toBe('unsupported');
    expect((await rejection(engine.statsJson(totals.id, { range: { fromMs: 0, toMs: 10 } }))).code).toBe(
      'unsupported',
    );
    const bad = await rejection(engine.open({ path: MEMRAY_BASIC, detail: 'some' as 'full' }));
    expect(bad.code).toBe('bad-input');
  });

  it('close terminates the worker and forgets the capture', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const info = await engine.open({ path: SCALENE });
    expect(engine.workerCount).toBe(1);
    await engine.close(info.id);
    expect(engine.workerCount).toBe(0);
    expect(await engine.list()).toEqual([]);
    const error = await rejection(engine.summary({ captureId: info.id }));
    expect(error.code).toBe('not-found');
  });

  it('a worker that dies becomes an internal ApiError, and the engine keeps working', async () => {
    engine = new Engine({ workerUrl: new URL('./engine-helpers/crash-worker.mjs', import.meta.url) });
    const error = await rejection(engine.open({ path: SCALENE }));
    expect(error).toBeInstanceOf(HeapscopeError);
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/worker crashed on purpose/);
    expect(engine.workerCount).toBe(0);
  });

  it('cancel terminates a worker stuck in a long synchronous stretch', async () => {
    engine = new Engine({
      workerUrl: new URL('./engine-helpers/stuck-worker.mjs', import.meta.url),
      cancelGraceMs: 300,
    });
    const events: Progress[] = [];
    engine.onProgress((p) => events.push(p));
    const opening = rejection(engine.open({ path: SCALENE }));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await engine.cancel((await waitForCapture(events)).captureId);
    const error = await opening;
    expect(error.code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(engine.workerCount).toBe(0);
    expect(events.at(-1)?.phase).toBe('cancelled');
  });
});

async function waitForCapture(events: Progress[]): Promise<Progress> {
  for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  if (events.length === 0) throw new Error('no progress event arrived');
  return events[0];
}

describe('Engine with large and memray captures', () => {
  it('streams a large capture with reading progress while the calling thread stays free', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const events: Progress[] = [];
    engine.onProgress((p) => events.push(p));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const info = await engine.open({ path: LARGE });
    clearInterval(timer);
    expect(info.facts.format).toBe('memray-csv');
    expect(info.records).toBe(1_000_000);
    const reading = events.filter((p) => p.phase === 'reading');
    expect(reading.length).toBeGreaterThan(1);
    // Progress only moves forward.
    for (let i = 1; i < reading.length; i++)
      expect(reading[i].bytesDone).toBeGreaterThanOrEqual(reading[i - 1].bytesDone);
    expect(reading.at(-1)!.records).toBeGreaterThan(0);
    // The main thread kept running timers during the whole parse.
    expect(ticks).toBeGreaterThan(5);
  });

  it('cancel stops a big open: the read ends early and the worker is freed', async () => {
    engine = new Engine({ workerUrl: WORKER_URL, cancelGraceMs: 5000 });
    const events: Progress[] = [];
    engine.onProgress((p) => events.push(p));
    const opening = rejection(engine.open({ path: LARGE }));
    const first = await new Promise<Progress>((resolve) => {
      const off = engine.onProgress((p) => {
        if (p.phase === 'reading') {
          off();
          resolve(p);
        }
      });
    });
    const started = Date.now();
    await engine.cancel(first.captureId);
    const error = await opening;
    expect(error.code).toBe('cancelled');
    // Well inside the 5 s grace period: the loader saw the abort, nothing had to be terminated.
    expect(Date.now() - started).toBeLessThan(3000);
    const last = events.at(-1)!;
    expect(last.phase).toBe('cancelled');
    // The worker stopped by itself (AbortSignal), well before the end of the file.
    const reading = events.filter((p) => p.phase === 'reading');
    expect(reading.at(-1)!.bytesDone).toBeLessThan(reading.at(-1)!.bytesTotal);
    expect(engine.workerCount).toBe(0);
  });

  it('diffs a capture with itself to all zeros, assembled from two workers', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const a = await engine.open({ path: MEMRAY_BASIC });
    const diff = await engine.diff({
      base: { captureId: a.id, snapshot: { kind: 'peak' } },
      target: { captureId: a.id, snapshot: { kind: 'peak' } },
      groupBy: 'line',
    });
    expect(diff.rows.length).toBeGreaterThan(0);
    expect(diff.rows.every((r) => r.sizeDiff === 0 && r.countDiff === 0)).toBe(true);
    expect(diff.base.totalBytes).toBe(diff.target.totalBytes);
    expect(diff.flame.baseBytes[0]).toBe(diff.flame.targetBytes[0]);
  });

  it('diffs two captures from different checkouts, says how stacks were matched, and swap negates', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const [a, b] = await Promise.all([
      engine.open({ path: MEMRAY_BASIC }),
      engine.open({ path: requireFixture('memray/v13-memray1.20.0-py313/basic.bin') }),
    ]);
    const side = (captureId: string) => ({ captureId, snapshot: { kind: 'peak' as const } });
    const forward = await engine.diff({ base: side(a.id), target: side(b.id), groupBy: 'line' });
    expect(forward.matching).toBe('heuristic-prefix');
    expect(forward.matchingNote).toMatch(/different directories/);
    const backward = await engine.diff({ base: side(b.id), target: side(a.id), groupBy: 'line' });
    const byKey = new Map(backward.rows.map((r) => [r.key, r]));
    for (const row of forward.rows) expect(byKey.get(row.key)!.sizeDiff + row.sizeDiff, row.key).toBe(0);
    expect(forward.target.totalBytes - forward.base.totalBytes).toBe(
      backward.base.totalBytes - backward.target.totalBytes,
    );
  });

  it('opens a memray parent with its fork children as one capture, in its own worker', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const fork = requireFixture('memray/v12-memray1.19.3-py311/fork.bin');
    const single = await engine.open({ path: fork });
    const multi = await engine.open({ path: fork, withForkChildren: true });
    expect(multi.id).not.toBe(single.id);
    expect(engine.workerCount).toBe(2);
    expect(single.forkChildren?.length).toBeGreaterThan(0);
    expect(multi.threads.some((t) => t.label.startsWith('pid '))).toBe(true);
    const [s1, s2] = await Promise.all([
      engine.summary({ captureId: single.id }),
      engine.summary({ captureId: multi.id }),
    ]);
    // The child's 20 MiB are counted only when the children are included.
    expect(s2.totalBytesAllocated).toBeGreaterThan(s1.totalBytesAllocated! + 20 * 1024 * 1024 - 1);
  });

  it('passes the read size to the loader: 7-byte chunks give the same capture', async () => {
    engine = new Engine({ workerUrl: WORKER_URL });
    const normal = await engine.open({ path: MEMRAY_BASIC });
    const tiny = new Engine({ workerUrl: WORKER_URL, chunkSize: 7 });
    try {
      const small = await tiny.open({ path: MEMRAY_BASIC });
      const [a, b] = await Promise.all([
        engine.summary({ captureId: normal.id }),
        tiny.summary({ captureId: small.id }),
      ]);
      expect(b.peakBytes).toBe(a.peakBytes);
      expect(b.totalAllocations).toBe(a.totalAllocations);
      expect(b.leakedBytes).toBe(a.leakedBytes);
      expect(small.records).toBe(normal.records);
    } finally {
      await tiny.closeAll();
    }
  });
});
