// The timeline's time axis, drawn by ECharts itself (server-side SVG): its end label never runs
// into the last round tick ("12 s12.3 s" was one string on screen).
import { describe, expect, it } from 'vitest';
import * as echarts from 'echarts';
import type { Timeline } from '@shared/api';
import { PALETTES } from '../../renderer/charts/palette';
import { buildTimelineOption, END_LABEL_GAP, timeTickLabel } from '../../renderer/charts/timeline';

function timeline(durationMs: number): Timeline {
  const timeMs = Array.from({ length: 50 }, (_, i) => Math.round((durationMs * i) / 49));
  return {
    timeMs,
    heapBytes: timeMs.map((_, i) => 1000 * (i % 7)),
    rssBytes: timeMs.map(() => 9000),
    allocatedBytes: timeMs.map((_, i) => 100 * i),
    allocationCount: timeMs.map(() => 1),
    peak: { timeMs: timeMs[6], bytes: 6000 },
    durationMs,
  };
}

/** The x-axis labels ECharts draws at `width` px, left to right, with their x positions. */
function drawnTimeLabels(durationMs: number, width: number): { text: string; x: number }[] {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height: 400 });
  chart.setOption({
    ...buildTimelineOption(timeline(durationMs), { palette: PALETTES.dark }),
    animation: false,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const labels: { text: string; x: number }[] = [];
  for (const m of svg.matchAll(
    /<text[^>]*transform="translate\(([\d.]+) ([\d.]+)\)"[^>]*>([^<]*)<\/text>/g,
  )) {
    if (/^\d+(\.\d+)? (ms|s|min)$/.test(m[3])) labels.push({ text: m[3], x: Number(m[1]) });
  }
  return labels.sort((a, b) => a.x - b.x);
}

describe('timeline time axis', () => {
  it.each([
    [12_300, 1100],
    [12_300, 800],
    [150, 1100],
    [4_950, 900],
    [61_900, 1000],
  ])('labels a %d ms capture at %d px without two labels running together', (durationMs, width) => {
    const labels = drawnTimeLabels(durationMs, width);
    expect(labels.length).toBeGreaterThan(2);
    // The end is labelled, as the capture's length.
    expect(labels.at(-1)!.text).toBe(timeTickLabel(durationMs, durationMs));
    for (let i = 1; i < labels.length; i++) {
      // Labels are centred on their ticks: two of ~6 characters need about 45 px between centres.
      expect(labels[i].x - labels[i - 1].x, labels.map((l) => l.text).join(' | ')).toBeGreaterThanOrEqual(45);
    }
  });

  it('drops only the round tick next to the end', () => {
    expect(timeTickLabel(12_000, 12_300)).toBe('');
    expect(timeTickLabel(12_300, 12_300)).toBe('12.3 s');
    expect(timeTickLabel(10_000, 12_300)).toBe('10 s');
    expect(timeTickLabel(12_300 * (1 - END_LABEL_GAP) - 1, 12_300)).not.toBe('');
  });
});

/** The memory and the rate grids' rectangles as ECharts lays them out at `height` px. */
function gridRects(height: number, heightPx?: number) {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height });
  chart.setOption({
    ...buildTimelineOption(timeline(5_000), { palette: PALETTES.dark, heightPx }),
    animation: false,
  });
  const model = (
    chart as unknown as { getModel(): { getComponent(t: string, i: number): unknown } }
  ).getModel();
  const rect = (i: number) =>
    (
      model.getComponent('grid', i) as { coordinateSystem: { getRect(): { y: number; height: number } } }
    ).coordinateSystem.getRect();
  const r = [rect(0), rect(1)];
  chart.dispose();
  return { gap: r[1].y - (r[0].y + r[0].height), rateHeight: r[1].height, memoryHeight: r[0].height };
}

describe('timeline grids', () => {
  it.each([520, 800, 1200])('keep a 48 px gap above the rate grid in a %d px chart', (height) => {
    const g = gridRects(height, height);
    expect(g.gap).toBe(48);
    expect(g.rateHeight).toBe(Math.max(90, Math.round(height / 4)));
    expect(g.memoryHeight).toBe(height - 36 - 36 - 48 - g.rateHeight);
  });

  it('fall back to proportions when the height is not known (the report)', () => {
    const g = gridRects(1000);
    expect(g.memoryHeight).toBeCloseTo(560, 0);
    expect(g.gap).toBeCloseTo(0.16 * 1000 - 36, 0);
  });
});
