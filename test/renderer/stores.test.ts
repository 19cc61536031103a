import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { HeapscopeError } from '@shared/api-error';
import { setClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useViewStore } from '../../renderer/src/stores/view';
import { useSummaryStore } from '../../renderer/src/stores/summary';
import { TIMELINE_POINTS, useTimelineStore } from '../../renderer/src/stores/timeline';
import { useAllocatorsStore } from '../../renderer/src/stores/allocators';
import { useTableStore } from '../../renderer/src/stores/table';
import { useSettingsStore } from '../../renderer/src/stores/settings';
import { FakeClient, captureInfo } from './fake-client';

let client: FakeClient;

beforeEach(() => {
  client = new FakeClient();
  setClient(client);
  setActivePinia(createPinia());
});

async function openOne(path = '/data/basic.bin') {
  const captures = useCapturesStore();
  await captures.init();
  const info = await captures.open(path);
  return { captures, info: info! };
}

describe('view store', () => {
  it('turns a brushed range into a range snapshot whose measure follows the selector', () => {
    const view = useViewStore();
    expect(view.effectiveSnapshot).toEqual({ kind: 'peak' });
    view.setRange({ fromMs: 900, toMs: 100 });
    expect(view.range).toEqual({ fromMs: 100, toMs: 900 });
    expect(view.effectiveSnapshot).toEqual({ kind: 'range', fromMs: 100, toMs: 900, measure: 'peak' });
    view.setSnapshotKind('leaks');
    expect(view.effectiveSnapshot).toMatchObject({ measure: 'live-at-end' });
    view.setSnapshotKind('all');
    expect(view.effectiveSnapshot).toMatchObject({ measure: 'allocated' });
    view.resetSelection();
    expect(view.effectiveSnapshot).toEqual({ kind: 'all' });
  });

  it('keeps filter defaults and treats an empty thread list as all threads', () => {
    const view = useViewStore();
    view.setFilter({ threads: [2] });
    expect(view.filter).toEqual({
      mergeThreads: true,
      hideImportSystem: false,
      hideInternals: true,
      threads: [2],
    });
    view.setFilter({ threads: [] });
    expect(view.filter.threads).toBeUndefined();
    view.setFilter({ threads: undefined, pythonOnly: true });
    expect('threads' in view.filter).toBe(false);
    expect(view.filter.pythonOnly).toBe(true);
  });
});

describe('captures store', () => {
  it('opens a capture, makes it active, remembers it and reports it ready', async () => {
    const { captures, info } = await openOne();
    const view = useViewStore();
    expect(client.calls.open).toEqual([{ path: '/data/basic.bin' }]);
    expect(view.captureId).toBe(info.id);
    expect(captures.active?.facts.fileName).toBe('basic.bin');
    expect(captures.status(info.id)).toBe('ready');
    expect(captures.recent[0]).toBe('/data/basic.bin');
    expect(captures.pending).toEqual([]);
  });

  it('shows progress of an open before the engine answers, and cancels by the id it carries', async () => {
    const captures = useCapturesStore();
    await captures.init();
    client.delays.open = () => 30;
    const opening = captures.open('/data/big.bin');
    client.emit({
      captureId: 'c1',
      phase: 'reading',
      bytesDone: 50,
      bytesTotal: 100,
      records: 10,
      elapsedMs: 100,
    });
    expect(captures.pending.map((p) => p.path)).toEqual(['/data/big.bin']);
    expect(captures.pendingProgress?.bytesDone).toBe(50);
    await captures.cancel(captures.pendingProgress!.captureId);
    expect(client.calls.cancel).toEqual(['c1']);
    await opening;
    expect(captures.pendingProgress).toBeNull();
  });

  it('shows header facts while the records load, without querying a half-read capture', async () => {
    let headerCb: ((info: ReturnType<typeof captureInfo>) => void) | undefined;
    const withHeader = Object.assign(client, {
      onHeader(cb: (info: ReturnType<typeof captureInfo>) => void) {
        headerCb = cb;
      },
    });
    setClient(withHeader);
    const captures = useCapturesStore();
    await captures.init();
    client.delays.open = () => 30;
    const opening = captures.open('/data/x.bin');
    const header = captureInfo('c1', { facts: { ...captureInfo('c1').facts, path: '/data/x.bin' } });
    headerCb!(header);
    expect(useViewStore().captureId).toBe('c1');
    expect(captures.status('c1')).toBe('loading');
    expect(captures.activeReady).toBe(false);
    expect(useSummaryStore().query).toBeNull();
    await opening;
    expect(captures.status('c1')).toBe('ready');
    expect(useSummaryStore().query).toEqual({ captureId: 'c1', units: 'si' });
  });

  it('reports an engine error as a sentence on the pending open', async () => {
    const captures = useCapturesStore();
    await captures.init();
    client.openError = new HeapscopeError({
      code: 'bad-input',
      message: 'not a memray file',
      file: '/data/bad.bin',
    });
    expect(await captures.open('/data/bad.bin')).toBeNull();
    expect(captures.pending[0].error).toContain('not a memray file');
    expect(captures.captures).toEqual([]);
  });

  it('closing the active capture activates another and drops it as a baseline', async () => {
    const { captures } = await openOne('/data/a.bin');
    const second = await captures.open('/data/b.bin');
    const view = useViewStore();
    view.baselineId = 'c1';
    expect(view.captureId).toBe(second!.id);
    await captures.close('c1');
    expect(view.baselineId).toBeNull();
    await captures.close(second!.id);
    expect(view.captureId).toBeNull();
    expect(client.calls.close).toEqual(['c1', second!.id]);
  });
});

describe('query stores', () => {
  it('summary asks for the brushed range and drops an answer that arrives after a newer one', async () => {
    await openOne();
    const view = useViewStore();
    const summary = useSummaryStore();
    // The first (older) range answers last.
    client.delays.summary = (q) => ((q as { range?: { toMs: number } }).range?.toMs === 1000 ? 40 : 5);
    view.setRange({ fromMs: 0, toMs: 1000 });
    const first = summary.load();
    view.setRange({ fromMs: 0, toMs: 300 });
    const second = summary.load();
    await Promise.all([first, second]);
    expect(client.calls.summary.map((q) => q.range)).toEqual([
      { fromMs: 0, toMs: 1000 },
      { fromMs: 0, toMs: 300 },
    ]);
    expect(summary.summary?.peakBytes).toBe(300);
  });

  it('does not re-send a query whose answer it already has', async () => {
    await openOne();
    const summary = useSummaryStore();
    await summary.load();
    await summary.load();
    expect(client.calls.summary).toHaveLength(1);
    await summary.load(true);
    expect(client.calls.summary).toHaveLength(2);
  });

  it('timeline is not asked for captures without one', async () => {
    const { captures } = await openOne();
    const timeline = useTimelineStore();
    await timeline.load();
    expect(client.calls.timeline).toEqual([{ captureId: 'c1', maxPoints: TIMELINE_POINTS }]);
    captures.captures = captures.captures.map((c) => ({
      ...c,
      capabilities: { ...c.capabilities, timeline: false },
    }));
    expect(timeline.query).toBeNull();
  });

  it("asks for a picked line's samples and forgets the line on another capture", async () => {
    const { captures } = await openOne();
    const view = useViewStore();
    const timeline = useTimelineStore();
    view.selectedLine = { file: '/src/leak.py', line: 9, label: 'leak.py:9' };
    await timeline.load();
    expect(client.calls.lineSamples).toEqual([{ captureId: 'c1', file: '/src/leak.py', line: 9 }]);
    expect(timeline.lineSamples?.timeMs).toEqual([100, 900]);
    // A format without per-line samples answers null and nothing is drawn.
    view.selectedLine = { file: '/src/other.py', line: 3, label: 'other.py:3' };
    await timeline.load();
    expect(timeline.lineSamples).toBeNull();
    await captures.open('/data/b.bin');
    expect(view.selectedLine).toBeNull();
    expect(timeline.samplesQuery).toBeNull();
  });

  it('allocators query follows the snapshot, range and filters of the toolbar', async () => {
    await openOne();
    const view = useViewStore();
    const allocators = useAllocatorsStore();
    view.setSnapshotKind('leaks');
    view.setFilter({ threads: [2] });
    view.setRange({ fromMs: 5, toMs: 50 });
    await allocators.load();
    expect(client.calls.allocators.at(-1)).toEqual({
      captureId: 'c1',
      snapshot: { kind: 'range', fromMs: 5, toMs: 50, measure: 'live-at-end' },
      filter: { mergeThreads: true, hideImportSystem: false, hideInternals: true, threads: [2] },
    });
    expect(allocators.breakdown?.byFamily[0].family).toBe('malloc');
  });
});

describe('allocators store while a new answer loads', () => {
  it("keeps drawing the previous answer for the same capture, but never another capture's", async () => {
    const { captures } = await openOne('/data/a.bin');
    const view = useViewStore();
    const allocators = useAllocatorsStore();
    await allocators.load();
    expect(allocators.settled).toBe(true);
    const first = allocators.shown;
    view.setSnapshotKind('leaks');
    expect(allocators.breakdown).toBeNull();
    expect(allocators.settled).toBe(false);
    expect(allocators.shown).toBe(first);
    await captures.open('/data/b.bin');
    expect(allocators.shown).toBeNull();
    await allocators.load();
    expect(allocators.settled).toBe(true);
    expect(client.calls.allocators.at(-1)).toMatchObject({ captureId: 'c2', snapshot: { kind: 'leaks' } });
  });
});

describe('table store', () => {
  it('sorts by header clicks: same column flips, name starts ascending', async () => {
    await openOne();
    const table = useTableStore();
    expect([table.sortBy, table.descending]).toEqual(['bytes', true]);
    table.sortOn('bytes');
    expect([table.sortBy, table.descending]).toEqual(['bytes', false]);
    table.sortOn('name');
    expect([table.sortBy, table.descending]).toEqual(['name', false]);
    table.sortOn('count');
    expect([table.sortBy, table.descending]).toEqual(['count', true]);
    await table.load();
    expect(client.calls.table.at(-1)).toMatchObject({
      groupBy: 'function',
      sortBy: 'count',
      descending: true,
      offset: 0,
      limit: 50,
    });
  });

  it('pages through rows and goes back to the first page when the search changes', async () => {
    await openOne();
    const table = useTableStore();
    await table.load();
    expect(table.pageCount).toBe(3);
    table.setPage(2);
    await table.load();
    expect(client.calls.table.at(-1)).toMatchObject({ offset: 100, limit: 50 });
    expect(table.shownRows.map((r) => r.key)).toEqual(Array.from({ length: 20 }, (_, i) => `k${100 + i}`));
    table.setPage(99);
    expect(table.page).toBe(2);
    table.search = '  leak ';
    await nextTick();
    expect(table.page).toBe(0);
    await table.load();
    expect(client.calls.table.at(-1)).toMatchObject({ search: 'leak', offset: 0 });
  });
});

describe('settings store', () => {
  it('switches size units, remembers the choice, and asks for the findings in them', async () => {
    const stored = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
    });
    try {
      const settings = useSettingsStore();
      expect(settings.units).toBe('si');
      await openOne();
      const summary = useSummaryStore();
      await summary.load();
      expect(client.calls.summary.at(-1)).toMatchObject({ units: 'si' });
      client.delays.summary = () => 20;
      settings.toggleUnits();
      await nextTick();
      expect(stored.get('heapscope.units')).toBe(JSON.stringify('iec'));
      const reload = summary.load();
      // The numbers stay on screen while the findings are worded again.
      expect(summary.summary?.peakBytes).toBe(5000);
      await reload;
      expect(client.calls.summary.at(-1)).toMatchObject({ captureId: 'c1', units: 'iec' });
      expect(summary.summary).not.toBeNull();
      // A new session starts with the remembered choice; anything else stored falls back to SI.
      setActivePinia(createPinia());
      expect(useSettingsStore().units).toBe('iec');
      stored.set('heapscope.units', JSON.stringify('binary'));
      setActivePinia(createPinia());
      expect(useSettingsStore().units).toBe('si');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('toggles the theme and lists a shortcut for every tab', () => {
    const settings = useSettingsStore();
    const before = settings.theme;
    settings.toggleTheme();
    expect(settings.theme).not.toBe(before);
    for (const [i, t] of settings.tabs.entries()) {
      expect(settings.shortcuts.find((s) => s.keys === String(i + 1))?.description).toContain(t.label);
    }
  });
});
