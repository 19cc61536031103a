import { describe, expect, it } from 'vitest';
import type { Timeline } from '@shared/api';
import { PALETTES } from '../../renderer/charts/palette';
import { buildTimelineOption, dumpPointLabel, limitLabel, niceCeil } from '../../renderer/charts/timeline';
import { parseMemoryLimit } from '../../renderer/src/stores/settings';

const palette = PALETTES.dark;

function timeline(patch: Partial<Timeline> = {}): Timeline {
  return {
    timeMs: [0, 1, 2],
    heapBytes: [100, 300, 200],
    rssBytes: [null, null, null],
    allocatedBytes: [0, 0, 0],
    allocationCount: [0, 0, 0],
    peak: { timeMs: 1, bytes: 300 },
    durationMs: 2,
    ...patch,
  };
}

type Series = {
  id?: string;
  markLine?: { data: { yAxis?: number; name: string }[] };
  markArea?: { data: { xAxis: number }[][] };
};

describe('the memory limit and the last window on the timeline', () => {
  it('a limit is a horizontal mark line, and the y axis always reaches above it', () => {
    const limit = 2 * 2 ** 30;
    const o = buildTimelineOption(timeline(), { palette, limitBytes: limit });
    const heap = (o.series as Series[]).find((s) => s.id === 'heap')!;
    expect(heap.markLine!.data.find((d) => d.name === 'limit')?.yAxis).toBe(limit);
    const max = (o.yAxis as { max?: (v: { max: number }) => number }[])[0].max!;
    expect(max({ max: 300 })).toBeGreaterThan(limit);
    expect(max({ max: 3 * limit })).toBeGreaterThanOrEqual(3 * limit);
    expect(limitLabel(limit, 'si')).toBe('limit 2 GiB');
    expect(limitLabel(1_500_000_000, 'si')).toBe('limit 1.5 GB');
    expect(niceCeil(2.1e9)).toBe(2.5e9);
  });

  it('no limit: no line and the axis is ECharts’ own', () => {
    const o = buildTimelineOption(timeline(), { palette });
    const heap = (o.series as Series[]).find((s) => s.id === 'heap')!;
    expect(heap.markLine!.data).toEqual([]);
    expect((o.yAxis as { max?: unknown }[])[0].max).toBeUndefined();
  });

  it('the last window is shaded from its start to the end', () => {
    const o = buildTimelineOption(timeline(), { palette, lastWindow: { fromMs: 1, toMs: 2 } });
    const heap = (o.series as Series[]).find((s) => s.id === 'heap')!;
    expect(heap.markArea!.data[0].map((p) => p.xAxis)).toEqual([1, 2]);
  });

  it('a series on a dump axis names dumps, not times', () => {
    const t = timeline({
      series: {
        axis: 'dump',
        labels: ['a.1', 'a.2', 'a.3'],
        order: 'name-number',
        orderNote: '',
        growth: [],
        siteCount: 0,
      },
    });
    expect(dumpPointLabel(t, 1)).toBe('dump 2: a.2');
    const o = buildTimelineOption(t, { palette });
    const x = (o.xAxis as { axisLabel: { formatter: (v: number) => string } }[])[0];
    expect(x.axisLabel.formatter(0)).toBe('#1');
    expect(x.axisLabel.formatter(0.5)).toBe('');
  });

  it('the limit field reads sizes as labelled and refuses a bare suffix', () => {
    expect(parseMemoryLimit('2GiB')).toEqual({ bytes: 2 * 2 ** 30, error: null });
    expect(parseMemoryLimit('1.5 GB').bytes).toBe(1_500_000_000);
    expect(parseMemoryLimit('')).toEqual({ bytes: null, error: null });
    expect(parseMemoryLimit('2G').error).toMatch(/.+/);
  });
});
