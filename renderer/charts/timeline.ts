import type { LineSamples, Timeline } from '@shared/api';
import { tooltipStyle, type ChartPalette } from './palette';
import type { ChartOption } from './types';
import { escapeHtml, formatBytes, formatMs } from './format';

export interface TimelineOptions {
  palette: ChartPalette;
  /** A source line's own samples (Scalene), drawn as points on the heap chart. */
  lineSamples?: LineSamples | null;
  /** How the picked line is named in the legend. */
  lineLabel?: string;
}

/** Series ids, so the component and the tests find series without relying on their order. */
export const TIMELINE_SERIES = {
  heap: 'heap',
  rss: 'rss',
  rate: 'rate',
  lineSamples: 'line-samples',
} as const;

/**
 * Allocation rate in bytes per second for each interval. allocatedBytes[i] covers the interval
 * ending at timeMs[i]; the first interval starts at 0. A zero-length interval carries its bytes
 * into the next one rather than dividing by zero.
 */
export function allocationRate(t: Pick<Timeline, 'timeMs' | 'allocatedBytes'>): number[] {
  const out: number[] = new Array(t.timeMs.length);
  let carried = 0;
  let prev = 0;
  for (let i = 0; i < t.timeMs.length; i++) {
    const dt = t.timeMs[i] - prev;
    const bytes = (t.allocatedBytes[i] ?? 0) + carried;
    if (dt > 0) {
      out[i] = (bytes * 1000) / dt;
      carried = 0;
      prev = t.timeMs[i];
    } else {
      out[i] = i > 0 ? out[i - 1] : 0;
      carried = bytes;
    }
  }
  return out;
}

/** Heap and RSS over time on top, allocation rate below, brushable along x. */
export function buildTimelineOption(
  t: Timeline,
  { palette, lineSamples, lineLabel }: TimelineOptions,
): ChartOption {
  const samplesName = lineSamples ? `Samples at ${lineLabel ?? `line ${lineSamples.line}`}` : null;
  const heap = t.timeMs.map((ms, i) => [ms, t.heapBytes[i]]);
  const hasRss = t.rssBytes.some((v) => v != null);
  const rss = t.rssBytes.map((v, i) => [t.timeMs[i], v]);
  // Profiles that only sample the footprint (Scalene) carry no allocation volume: no rate grid.
  const hasRate = t.allocatedBytes.some((v) => v > 0);
  const rateValues = allocationRate(t);
  const rate = t.timeMs.map((ms, i) => [ms, rateValues[i]]);
  const maxX = Math.max(t.durationMs, t.timeMs[t.timeMs.length - 1] ?? 0);

  const axisCommon = {
    type: 'value' as const,
    min: 0,
    max: maxX,
    axisLine: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.subtext, formatter: (v: number) => formatMs(v), hideOverlap: true },
    splitLine: { show: false },
  };

  const markLineData: { xAxis: number; name: string; label: { formatter: string } }[] = [];
  if (t.truncatedAtMs != null) {
    markLineData.push({
      xAxis: t.truncatedAtMs,
      name: 'truncated',
      label: { formatter: `capture cut at ${formatMs(t.truncatedAtMs)}` },
    });
  }

  return {
    animation: false,
    textStyle: { color: palette.text },
    legend: {
      top: 4,
      right: 12,
      textStyle: { color: palette.text },
      data: [
        'Heap',
        ...(hasRss ? ['RSS'] : []),
        ...(hasRate ? ['Allocation rate'] : []),
        ...(samplesName ? [samplesName] : []),
      ],
    },
    tooltip: {
      trigger: 'axis',
      ...tooltipStyle(palette),
      formatter: (params: unknown) => {
        const items = (Array.isArray(params) ? params : [params]) as {
          seriesName: string;
          value: [number, number | null];
          color: string;
        }[];
        if (!items.length) return '';
        const head = `<b>${escapeHtml(formatMs(items[0].value[0]))}</b>`;
        const rows = items
          .filter((p) => p.value[1] != null)
          .map((p) => {
            const v = p.value[1] as number;
            const text = p.seriesName === 'Allocation rate' ? `${formatBytes(v)}/s` : formatBytes(v);
            return `<span style="color:${p.color}">●</span> ${escapeHtml(p.seriesName)}: ${escapeHtml(text)}`;
          });
        return [head, ...rows].join('<br/>');
      },
    },
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: palette.axis } },
    grid: hasRate
      ? [
          { left: 72, right: 24, top: 36, height: '56%' },
          { left: 72, right: 24, top: '72%', bottom: 36 },
        ]
      : [{ left: 72, right: 24, top: 36, bottom: 36 }],
    xAxis: hasRate
      ? [
          { ...axisCommon, gridIndex: 0, axisLabel: { show: false } },
          { ...axisCommon, gridIndex: 1 },
        ]
      : [{ ...axisCommon, gridIndex: 0 }],
    yAxis: [
      {
        type: 'value',
        gridIndex: 0,
        name: 'memory',
        nameTextStyle: { color: palette.subtext },
        axisLabel: { color: palette.subtext, formatter: (v: number) => formatBytes(v, 0) },
        splitLine: { lineStyle: { color: palette.split } },
      },
      ...(hasRate
        ? [
            {
              type: 'value' as const,
              gridIndex: 1,
              name: 'alloc/s',
              nameTextStyle: { color: palette.subtext },
              splitNumber: 2,
              axisLabel: { color: palette.subtext, formatter: (v: number) => `${formatBytes(v, 0)}/s` },
              splitLine: { lineStyle: { color: palette.split } },
            },
          ]
        : []),
    ],
    brush: {
      xAxisIndex: 'all',
      brushLink: 'all',
      brushType: 'lineX',
      brushMode: 'single',
      // The brush is driven from code; without this ECharts adds its own toolbox buttons.
      toolbox: [],
      transformable: true,
      throttleType: 'debounce',
      throttleDelay: 250,
      brushStyle: { borderWidth: 1, color: 'rgba(120,140,180,0.18)', borderColor: palette.axis },
      outOfBrush: { colorAlpha: 0.35 },
    },
    series: [
      {
        id: TIMELINE_SERIES.heap,
        name: 'Heap',
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        showSymbol: false,
        sampling: 'lttb',
        lineStyle: { width: 1.5, color: palette.heap },
        itemStyle: { color: palette.heap },
        areaStyle: { opacity: 0.15, color: palette.heap },
        data: heap,
        markPoint: {
          symbol: 'pin',
          symbolSize: 44,
          itemStyle: { color: palette.peak },
          label: { color: '#fff', fontSize: 10, formatter: 'peak' },
          data: [{ name: 'peak', coord: [t.peak.timeMs, t.peak.bytes], value: t.peak.bytes }],
        },
        markLine: {
          symbol: 'none',
          silent: true,
          lineStyle: { color: palette.truncation, type: 'dashed', width: 2 },
          // Low on the line: a capture cut by a kill usually peaks right at the cut, under the pin.
          label: { color: palette.truncation, position: 'insideStartTop' },
          data: markLineData,
        },
      },
      ...(hasRss
        ? [
            {
              id: TIMELINE_SERIES.rss,
              name: 'RSS',
              type: 'line' as const,
              xAxisIndex: 0,
              yAxisIndex: 0,
              showSymbol: false,
              connectNulls: false,
              lineStyle: { width: 1.5, color: palette.rss },
              itemStyle: { color: palette.rss },
              data: rss,
            },
          ]
        : []),
      ...(lineSamples && samplesName
        ? [
            {
              id: TIMELINE_SERIES.lineSamples,
              name: samplesName,
              type: 'line' as const,
              xAxisIndex: 0,
              yAxisIndex: 0,
              // Points, not a line: samples are where the profiler happened to look.
              lineStyle: { width: 0 },
              symbol: 'circle',
              symbolSize: 6,
              showSymbol: true,
              itemStyle: { color: palette.samples },
              data: lineSamples.timeMs.map((ms, i) => [ms, lineSamples.heapBytes[i]]),
            },
          ]
        : []),
      ...(hasRate
        ? [
            {
              id: TIMELINE_SERIES.rate,
              name: 'Allocation rate',
              type: 'line' as const,
              xAxisIndex: 1,
              yAxisIndex: 1,
              step: 'end' as const,
              showSymbol: false,
              sampling: 'max' as const,
              lineStyle: { width: 1, color: palette.rate },
              itemStyle: { color: palette.rate },
              areaStyle: { opacity: 0.25, color: palette.rate },
              data: rate,
            },
          ]
        : []),
    ],
  };
}

/** The brush area that shows a range chosen elsewhere (or restored after a re-render). */
export function brushAreasFor(
  range: { fromMs: number; toMs: number } | null,
): { brushType: 'lineX'; xAxisIndex: number; coordRange: [number, number] }[] {
  return range ? [{ brushType: 'lineX', xAxisIndex: 0, coordRange: [range.fromMs, range.toMs] }] : [];
}

/**
 * Reads a brushEnd/brushSelected event's area into a range. ECharts gives coordRange in data
 * units for lineX on a value axis; a vanishingly small drag is a click, not a selection.
 */
export function rangeFromBrushAreas(
  areas: { coordRange?: unknown }[] | undefined,
  durationMs: number,
): { fromMs: number; toMs: number } | null {
  const area = areas?.[0];
  const cr = area?.coordRange;
  if (!Array.isArray(cr) || cr.length < 2) return null;
  const a = Number(cr[0]);
  const b = Number(cr[1]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  const fromMs = Math.max(0, Math.min(a, b));
  const toMs = Math.min(Math.max(a, b), durationMs > 0 ? durationMs : Math.max(a, b));
  if (toMs - fromMs <= Math.max(durationMs, 1) * 1e-4) return null;
  return { fromMs: Math.round(fromMs * 1000) / 1000, toMs: Math.round(toMs * 1000) / 1000 };
}
