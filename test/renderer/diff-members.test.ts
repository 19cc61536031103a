import { describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, DiffQuery } from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useDiffStore } from '../../renderer/src/stores/diff';
import { useViewStore } from '../../renderer/src/stores/view';

/**
 * The Diff view's picker of two members of an open series: the sides it asks the engine for.
 * A memray capture is named by its span on the series' axis (the model answers a whole span
 * with that capture's own peak, leaks, allocations or temporaries); a tracemalloc dump by its
 * place on the axis (its time, or its index on a dump axis).
 */

const memraySeries = {
  id: 'runs',
  facts: { format: 'memray', path: '/runs', fileName: 'runs (3 memray captures)', sizeBytes: 1 },
  capabilities: { timeline: true, ranges: true, temporaryThresholds: [0, 1, 8] },
  durationMs: 900,
  captureSeries: {
    order: 'start-time',
    orderNote: 'Ordered by the start time in each capture’s header.',
    program: 'job.py',
    captures: [
      {
        fileName: 'a.bin',
        path: '/runs/a.bin',
        fromMs: 0,
        toMs: 300,
        peakBytes: 1,
        leakedBytes: 1,
        truncated: false,
      },
      {
        fileName: 'b.bin',
        path: '/runs/b.bin',
        fromMs: 300,
        toMs: 500,
        peakBytes: 1,
        leakedBytes: 1,
        truncated: false,
      },
      {
        fileName: 'c.bin',
        path: '/runs/c.bin',
        fromMs: 500,
        toMs: 900,
        peakBytes: 1,
        leakedBytes: 1,
        truncated: false,
      },
    ],
  },
} as unknown as CaptureInfo;

const dumps = (order: 'name-number' | 'name-timestamp') =>
  ({
    id: `dumps-${order}`,
    facts: { format: 'tracemalloc', path: '/dumps', fileName: 'dumps (3 dumps)', sizeBytes: 1 },
    capabilities: { timeline: true, ranges: false },
    durationMs: 2,
    series: {
      order,
      orderNote: '',
      dumps: [0, 60_000, 120_000].map((t, i) => ({
        fileName: `d.${i + 1}.pickle`,
        path: `/dumps/d.${i + 1}.pickle`,
        ...(order === 'name-timestamp' && { timeMs: t }),
        totalBytes: 1,
        traceCount: 1,
      })),
    },
  }) as unknown as CaptureInfo;

const plain = {
  id: 'one',
  facts: { format: 'memray', path: '/one.bin', fileName: 'one.bin', sizeBytes: 1 },
  durationMs: 100,
} as unknown as CaptureInfo;

async function setup(infos: CaptureInfo[]) {
  setActivePinia(createPinia());
  const calls: DiffQuery[] = [];
  setClient({
    onProgress: () => undefined,
    list: async () => infos,
    diff: async (q: DiffQuery) => {
      calls.push(q);
      throw new Error('not needed');
    },
  } as unknown as ViewClient);
  await useCapturesStore().refreshList();
  return { view: useViewStore(), diff: useDiffStore(), calls };
}

describe('diff of two members of a series', () => {
  it('a memray series: first vs last at the toolbar’s kind, each named by its span', async () => {
    const { view, diff } = await setup([memraySeries]);
    expect(diff.isSeries).toBe(true);
    expect(diff.mode).toBe('members');
    expect(diff.members.map((m) => m.label)).toEqual(['1: a.bin', '2: b.bin', '3: c.bin']);
    expect(diff.query?.base.snapshot).toEqual({ kind: 'range', fromMs: 0, toMs: 300, measure: 'peak' });
    expect(diff.query?.target.snapshot).toEqual({ kind: 'range', fromMs: 500, toMs: 900, measure: 'peak' });
    view.setSnapshotKind('leaks');
    diff.setMembers(1, 0);
    expect(diff.query?.base.snapshot).toEqual({
      kind: 'range',
      fromMs: 300,
      toMs: 500,
      measure: 'live-at-end',
    });
    expect(diff.query?.target.snapshot).toEqual({
      kind: 'range',
      fromMs: 0,
      toMs: 300,
      measure: 'live-at-end',
    });
    diff.swap();
    expect(diff.query?.base.snapshot).toMatchObject({ fromMs: 0, toMs: 300 });
    diff.swap();
    view.setSnapshotKind('temporary');
    view.setTemporaryThreshold(8);
    expect(diff.query?.base.snapshot).toEqual({ kind: 'temporary', threshold: 8, fromMs: 300, toMs: 500 });
    view.setSnapshotKind('all');
    expect(diff.query?.target.snapshot).toEqual({
      kind: 'range',
      fromMs: 0,
      toMs: 300,
      measure: 'allocated',
    });
    // both sides are the series itself
    expect(diff.query?.base.captureId).toBe('runs');
    expect(diff.query?.target.captureId).toBe('runs');
  });

  it('a tracemalloc series: a dump is its index on a dump axis, its time on a time axis', async () => {
    for (const order of ['name-number', 'name-timestamp'] as const) {
      const { diff } = await setup([dumps(order)]);
      expect(diff.mode).toBe('members');
      diff.setMembers(1, 2);
      const at = (i: number) => (order === 'name-number' ? i : i * 60_000);
      expect(diff.query?.base.snapshot).toEqual({ kind: 'at', timeMs: at(1) });
      expect(diff.query?.target.snapshot).toEqual({ kind: 'at', timeMs: at(2) });
    }
  });

  it('the other modes stay: two captures, two moments; a capture that is no series has no members', async () => {
    const { view, diff } = await setup([memraySeries, plain]);
    diff.setMode('captures');
    expect(diff.mode).toBe('captures');
    view.baselineId = 'one';
    expect(diff.query?.base).toEqual({ captureId: 'one', snapshot: { kind: 'peak' } });
    diff.setMode('members');
    expect(diff.mode).toBe('members');
    view.captureId = 'one';
    expect(diff.isSeries).toBe(false);
    expect(diff.mode).toBe('captures');
    view.captureId = 'runs';
    // another capture and back: first vs last again
    expect(diff.query?.base.snapshot).toMatchObject({ fromMs: 0, toMs: 300 });
  });
});
