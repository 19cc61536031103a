import { describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, DiffQuery, DiffResult } from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useDiffStore } from '../../renderer/src/stores/diff';
import { useViewStore } from '../../renderer/src/stores/view';

const cap = (id: string) =>
  ({
    id,
    facts: { format: 'memray', path: `${id}.bin`, fileName: `${id}.bin`, sizeBytes: 1 },
    durationMs: 4000,
  }) as unknown as CaptureInfo;

/** A fake engine whose diff is target − base over two tiny "captures", so swap must negate. */
const sizes: Record<string, number> = { a: 100, b: 250 };
function fake(calls: DiffQuery[]): ViewClient {
  return {
    onProgress: () => undefined,
    list: async () => [cap('a'), cap('b')],
    diff: async (q: DiffQuery): Promise<DiffResult> => {
      calls.push(q);
      const size = (s: DiffQuery['base']) =>
        s.snapshot.kind === 'at' ? s.snapshot.timeMs : sizes[s.captureId];
      const base = size(q.base);
      const target = size(q.target);
      return {
        base: { totalBytes: base, totalCount: 1, label: 'base' },
        target: { totalBytes: target, totalCount: 1, label: 'target' },
        groupCount: 1,
        rows: [
          {
            key: 'k',
            function: 'f',
            file: 'x.py',
            line: 1,
            size: target,
            sizeDiff: target - base,
            count: 1,
            countDiff: 0,
            status: target > base ? 'grown' : target < base ? 'shrunk' : 'same',
            sizeDiffRatio: (target - base) / base,
          },
        ],
        flame: {
          frames: [],
          parent: [-1],
          frame: [-1],
          baseBytes: [base],
          targetBytes: [target],
          baseCount: [1],
          targetCount: [1],
        },
        matching: 'heuristic-prefix',
        matchingNote: 'paths matched by common prefix',
      };
    },
  } as unknown as ViewClient;
}

async function setup(calls: DiffQuery[]) {
  setActivePinia(createPinia());
  setClient(fake(calls));
  await useCapturesStore().refreshList();
  return { view: useViewStore(), diff: useDiffStore() };
}

describe('diff store', () => {
  it('needs a baseline, then compares it with the active capture', async () => {
    const calls: DiffQuery[] = [];
    const { view, diff } = await setup(calls);
    expect(view.captureId).toBe('a');
    expect(diff.query).toBeNull();
    view.baselineId = 'b';
    diff.groupBy = 'file';
    await diff.load();
    expect(calls[0]).toMatchObject({
      base: { captureId: 'b', snapshot: { kind: 'peak' } },
      target: { captureId: 'a', snapshot: { kind: 'peak' } },
      groupBy: 'file',
    });
    expect(diff.result?.rows[0].sizeDiff).toBe(-150);
    expect(diff.rows.map((r) => r.status)).toEqual(['shrunk']);
    expect(diff.flame?.layout.n).toBe(1);
  });

  it('swap exchanges the sides and negates every delta', async () => {
    const calls: DiffQuery[] = [];
    const { view, diff } = await setup(calls);
    view.baselineId = 'b';
    await diff.load();
    const before = diff.result!.rows[0].sizeDiff;
    diff.swap();
    await diff.load();
    expect(calls[1].base.captureId).toBe('a');
    expect(calls[1].target.captureId).toBe('b');
    expect(diff.result!.rows[0].sizeDiff).toBe(-before);
    expect(view.captureId).toBe('a');
  });

  it('a range brush is not carried to another capture', async () => {
    const calls: DiffQuery[] = [];
    const { view, diff } = await setup(calls);
    view.baselineId = 'b';
    view.setSnapshotKind('leaks');
    view.setRange({ fromMs: 1, toMs: 2 });
    expect(diff.query?.base.snapshot).toEqual({ kind: 'leaks' });
    expect(diff.query?.target.snapshot).toEqual({ kind: 'leaks' });
  });

  it('two moments of one capture use at-snapshots on both sides', async () => {
    const calls: DiffQuery[] = [];
    const { view, diff } = await setup(calls);
    diff.setMode('moments');
    diff.setMoments(500, 1500);
    await diff.load();
    expect(calls[0].base).toEqual({ captureId: 'a', snapshot: { kind: 'at', timeMs: 500 } });
    expect(calls[0].target).toEqual({ captureId: 'a', snapshot: { kind: 'at', timeMs: 1500 } });
    expect(diff.result?.rows[0].sizeDiff).toBe(1000);
    diff.swap();
    expect(diff.query?.base.snapshot).toEqual({ kind: 'at', timeMs: 1500 });
    // Choosing the capture itself as baseline also means moments.
    diff.setMode('captures');
    view.baselineId = 'a';
    expect(diff.mode).toBe('moments');
  });

  it('a capture without a timeline (a tracemalloc dump) only compares with other captures', async () => {
    setActivePinia(createPinia());
    const client = fake([]);
    client.list = async () => [
      { ...cap('a'), capabilities: { timeline: false } } as unknown as CaptureInfo,
      cap('b'),
    ];
    setClient(client);
    await useCapturesStore().refreshList();
    const diff = useDiffStore();
    diff.setMode('moments');
    expect(diff.mode).toBe('captures');
    expect(diff.query).toBeNull();
  });
});
