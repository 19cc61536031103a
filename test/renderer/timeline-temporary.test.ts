// The timeline's temporary-allocation rate (issue 15 §1): memray's temporaries per second on their
// own axis beside the allocation rate, named with their threshold, drawn by ECharts itself.
import { describe, expect, it } from 'vitest';
import * as echarts from 'echarts';
import type { Timeline } from '@shared/api';
import { PALETTES } from '../../renderer/charts/palette';
import { buildTimelineOption, TIMELINE_SERIES, temporaryRateName } from '../../renderer/charts/timeline';

function timeline(temporaryCount?: number[]): Timeline {
  const timeMs = [0, 500, 1000, 1500, 2000];
  return {
    timeMs,
    heapBytes: [0, 10, 20, 10, 0],
    rssBytes: timeMs.map(() => 100),
    allocatedBytes: [0, 100, 100, 100, 100],
    allocationCount: [0, 1, 1, 1, 1],
    ...(temporaryCount && { temporaryCount, temporaryThreshold: 8 }),
    peak: { timeMs: 1000, bytes: 20 },
    durationMs: 2000,
  };
}

type Series = { id?: string; name?: string; yAxisIndex?: number; data?: [number, number][] };

describe('timeline temporary-allocation rate', () => {
  it('is a per-second rate of each interval’s temporaries, on a third axis', () => {
    const option = buildTimelineOption(timeline([0, 5, 0, 50, 10]), { palette: PALETTES.light });
    const series = (option.series as Series[]).find((s) => s.id === TIMELINE_SERIES.temporary);
    expect(series?.name).toBe(temporaryRateName(8));
    expect(series?.yAxisIndex).toBe(2);
    // 5 in the 500 ms ending at 500 ms is 10/s; 50 in the next-but-one half second is 100/s
    expect(series?.data?.map((p) => p[1])).toEqual([0, 10, 0, 100, 20]);
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 400 });
    chart.setOption({ ...option, animation: false });
    const svg = chart.renderToSVGString();
    chart.dispose();
    expect(svg).toContain('temp/s');
    expect(svg).toContain('Temporary allocs/s (N = 8)');
  });

  it('is left out when the capture has no temporaries', () => {
    for (const t of [timeline(), timeline([0, 0, 0, 0, 0])]) {
      const option = buildTimelineOption(t, { palette: PALETTES.light });
      expect((option.series as Series[]).some((s) => s.id === TIMELINE_SERIES.temporary)).toBe(false);
      expect((option.yAxis as unknown[]).length).toBe(2);
    }
  });
});
