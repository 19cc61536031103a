import { describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { Timeline } from '@shared/api';
import { PALETTES } from '../../renderer/charts/palette';
import { buildTimelineOption, capturePointLabel } from '../../renderer/charts/timeline';
import { useViewStore } from '../../renderer/src/stores/view';

/** A series of memray captures on the timeline, and a brushed range on the temporary snapshot. */

const series: Timeline = {
  timeMs: [0, 100, 300, 300, 450, 500],
  heapBytes: [0, 500, 200, 0, 900, 100],
  rssBytes: [null, null, null, null, null, null],
  allocatedBytes: [0, 0, 0, 0, 0, 0],
  allocationCount: [0, 0, 0, 0, 0, 0],
  peak: { timeMs: 450, bytes: 900 },
  durationMs: 500,
  captures: [
    { label: '#1 a.bin', fromMs: 0, toMs: 300 },
    { label: '#2 b.bin', fromMs: 300, toMs: 500 },
  ],
};

type Series = { id?: string; markLine?: { data: { xAxis?: number; name: string }[] } };

describe('a series of memray captures on the timeline', () => {
  it('marks where each capture starts, named, and names a moment by its capture', () => {
    const o = buildTimelineOption(series, { palette: PALETTES.light });
    const heap = (o.series as Series[]).find((s) => s.id === 'heap')!;
    const marks = heap.markLine!.data.filter((d) => d.name.startsWith('#'));
    expect(marks).toEqual([
      expect.objectContaining({ xAxis: 0, name: '#1 a.bin' }),
      expect.objectContaining({ xAxis: 300, name: '#2 b.bin' }),
    ]);
    expect(capturePointLabel(series, 450)).toBe('#2 b.bin · 150 ms');
    // a shared boundary is the end of the earlier capture
    expect(capturePointLabel(series, 300)).toBe('#1 a.bin · 300 ms');
  });
});

describe('the temporary snapshot of a brushed range', () => {
  it('carries the range, like the other kinds do', () => {
    setActivePinia(createPinia());
    const view = useViewStore();
    view.setSnapshotKind('temporary');
    view.setTemporaryThreshold(8);
    expect(view.effectiveSnapshot).toEqual({ kind: 'temporary', threshold: 8 });
    view.setRange({ fromMs: 250, toMs: 100 });
    expect(view.effectiveSnapshot).toEqual({ kind: 'temporary', threshold: 8, fromMs: 100, toMs: 250 });
    view.setSnapshotKind('leaks');
    expect(view.effectiveSnapshot).toEqual({ kind: 'range', fromMs: 100, toMs: 250, measure: 'live-at-end' });
    view.setRange(null);
    view.setSnapshotKind('temporary');
    expect(view.effectiveSnapshot).toEqual({ kind: 'temporary', threshold: 8 });
  });
});
