import type { LayoutBands, LineSamples, Timeline } from '@shared/api';
import { tooltipStyle, type ChartPalette } from './palette';
import type { ChartOption } from './types';
import {
  escapeHtml,
  formatBytes,
  formatBytesTick,
  formatExactBytes,
  formatMs,
  type UnitSystem,
} from './format';

export interface TimelineOptions {
  palette: ChartPalette;
  /** A source line's own samples (Scalene), drawn as points on the heap chart. */
  lineSamples?: LineSamples | null;
  /** How the picked line is named in the legend. */
  lineLabel?: string;
  /** Units of the axes and tooltip (default 'si'). */
  units?: UnitSystem;
  /** The container's memory limit (bytes): a horizontal line the axis always reaches. */
  limitBytes?: number | null;
  /** The final window of a capture cut short, shaded on the chart. */
  lastWindow?: { fromMs: number; toMs: number } | null;
  /** RSS split into bands at the layout checkpoints (live heap, held by allocators, the rest). */
  bands?: LayoutBands | null;
  /**
   * A preview of a capture still indexing (LoadPreview): the line ends where the read has got
   * to, marked there; no peak pin, since the capture's peak is not known yet.
   */
  soFar?: boolean;
  /**
   * The chart's height in pixels, when known (the app): the allocation-rate grid then takes a
   * quarter of it and the gap above it stays 48 px. In percentages alone the gap was 16 % of the
   * height less 36 px: 125 px of blank in a 1,000 px chart.
   */
  heightPx?: number;
}

/** Space between the memory grid and the rate grid (the rate axis's name sits in it). */
const GRID_GAP_PX = 48;

/** How the limit line is labelled: binary units when it is a whole number of MiB (as typed). */
export function limitLabel(bytes: number, units: UnitSystem): string {
  const text = bytes % (1024 * 1024) === 0 ? formatBytes(bytes, 'iec') : formatBytes(bytes, units);
  return `limit ${text.replace(/\.0 /, ' ')}`;
}

/** The memory grid above the allocation-rate grid (TimelineOptions.heightPx). */
function rateGrids(heightPx: number | undefined, right: number): Record<string, number | string>[] {
  if (heightPx === undefined || !(heightPx > 0))
    return [
      { left: 72, right, top: 36, height: '56%' },
      { left: 72, right, top: '72%', bottom: 36 },
    ];
  const rate = Math.max(90, Math.round(heightPx / 4));
  return [
    { left: 72, right, top: 36, bottom: 36 + rate + GRID_GAP_PX },
    { left: 72, right, height: rate, bottom: 36 },
  ];
}

/** The next round axis end at or above `v`: 1, 2, 2.5 or 5 × a power of ten. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A point of a series on a dump axis: its number and file (`timeMs` holds the dump's index). */
export function dumpPointLabel(t: Timeline, x: number): string {
  const labels = t.series?.labels ?? [];
  const i = Math.round(x);
  return labels[i] !== undefined ? `dump ${i + 1}: ${labels[i]}` : `dump ${i + 1}`;
}

/**
 * A moment of a series of memray captures laid end to end: which capture and how far into it
 * (`captures` are their spans on the axis; a shared boundary is the end of the earlier one).
 */
export function capturePointLabel(t: Timeline, x: number): string {
  const c = t.captures?.find((s) => x <= s.toMs) ?? t.captures?.at(-1);
  return c ? `${c.label} · ${formatMs(Math.max(0, x - c.fromMs))}` : formatMs(x);
}

/** Series ids, so the component and the tests find series without relying on their order. */
export const TIMELINE_SERIES = {
  heap: 'heap',
  rss: 'rss',
  rate: 'rate',
  temporary: 'temporary-rate',
  lineSamples: 'line-samples',
  bandHeap: 'band-heap',
  bandHeld: 'band-held',
  bandRest: 'band-rest',
} as const;

/** Legend names of the RSS bands: the held band is an estimate and says so. */
export const BAND_NAMES = {
  heap: 'Live tracked heap',
  held: 'Held by allocators (estimate)',
  rest: 'Rest of RSS',
} as const;

/** The three bands as stacked area series, lowest first (heap, held, rest); none without points. */
export function bandSeries(bands: LayoutBands | null | undefined, palette: ChartPalette) {
  if (!bands || bands.timeMs.length === 0) return [];
  const hasRest = bands.restBytes.some((v) => v != null);
  const band = (id: string, name: string, color: string, values: (number | null)[], opacity: number) => ({
    id,
    name,
    type: 'line' as const,
    xAxisIndex: 0,
    yAxisIndex: 0,
    stack: 'rss-bands',
    // The points are the layout's checkpoints: drawn, and a click on one opens its layout.
    showSymbol: true,
    symbol: 'circle',
    symbolSize: 5,
    connectNulls: false,
    lineStyle: { width: 0.8, color, opacity: 0.9 },
    itemStyle: { color },
    areaStyle: { color, opacity },
    emphasis: { disabled: true },
    z: 1,
    data: bands.timeMs.map((ms, i) => [ms, values[i]]),
  });
  return [
    band(TIMELINE_SERIES.bandHeap, BAND_NAMES.heap, palette.heap, bands.heapBytes, 0.3),
    band(TIMELINE_SERIES.bandHeld, BAND_NAMES.held, palette.samples, bands.heldBytes, 0.45),
    ...(hasRest
      ? [band(TIMELINE_SERIES.bandRest, BAND_NAMES.rest, palette.subtext, bands.restBytes, 0.22)]
      : []),
  ];
}

/** The legend name of memray's temporary allocations per second (threshold N). */
export function temporaryRateName(threshold: number): string {
  return `Temporary allocs/s (N = ${threshold})`;
}

/** Series id of process `i`'s own heap line in a multi-process capture. */
export const processSeriesId = (i: number): string => `process-${i}`;

/**
 * Allocation rate in bytes per second for each interval. allocatedBytes[i] covers the interval
 * ending at timeMs[i]; the first interval starts at 0. Points at the same time (a peak between
 * memory records is dated by the record after it) share one interval and one rate, whichever of
 * them carries the bytes. A zero-length interval carries its bytes into the next one rather than
 * dividing by zero.
 */
export function allocationRate(t: Pick<Timeline, 'timeMs' | 'allocatedBytes'>): number[] {
  const n = t.timeMs.length;
  const out: number[] = new Array(n);
  let carried = 0;
  let prev = 0;
  let last = 0;
  for (let i = 0; i < n;) {
    let j = i;
    let bytes = carried;
    while (j < n && t.timeMs[j] === t.timeMs[i]) bytes += t.allocatedBytes[j++] ?? 0;
    const dt = t.timeMs[i] - prev;
    if (dt > 0) {
      last = (bytes * 1000) / dt;
      carried = 0;
      prev = t.timeMs[i];
    } else carried = bytes;
    out.fill(last, i, j);
    i = j;
  }
  return out;
}

/**
 * The highest point of the heap series and its last point, read from a built option: what
 * ECharts is given to draw (for the view's data attributes and the tests).
 */
export function heapExtremes(option: ChartOption): { max: [number, number]; end: [number, number] } | null {
  const series = (option.series ?? []) as { id?: string; data?: [number, number][] }[];
  const data = series.find((x) => x.id === TIMELINE_SERIES.heap)?.data ?? [];
  if (data.length === 0) return null;
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i][1] >= data[best][1]) best = i;
  return { max: data[best], end: data[data.length - 1] };
}

/** Colours for the processes' own lines, apart from the heap (sum), RSS and rate colours. */
function processColor(palette: ChartPalette, i: number): string {
  const f = palette.families;
  const colours = [f.mmap, f.mimalloc, f.other, f.jemalloc];
  return colours[i % colours.length];
}

/** Heap and RSS over time on top, allocation rate below, brushable along x. */
/** A tick label must stay this share of the axis away from the end label (about 60 px at 1000 px). */
export const END_LABEL_GAP = 0.06;

/**
 * The time axis ends at the capture's end, which is rarely a round tick, so ECharts adds an end
 * label right after the last round one ("12 s12.3 s"; hideOverlap leaves both). The round tick
 * too close to the end gives way: the end keeps its label.
 */
export function timeTickLabel(ms: number, endMs: number): string {
  if (ms !== endMs && endMs - ms < endMs * END_LABEL_GAP) return '';
  return formatMs(ms);
}

export function buildTimelineOption(
  t: Timeline,
  {
    palette,
    lineSamples,
    lineLabel,
    units = 'si',
    limitBytes,
    lastWindow,
    bands,
    soFar,
    heightPx,
  }: TimelineOptions,
): ChartOption {
  const rssBands = bandSeries(bands, palette);
  // A series of snapshots: one point per dump; on a dump axis x is the dump's index, not a time.
  const dumpAxis = t.series?.axis === 'dump';
  const xLabel = (v: number): string =>
    dumpAxis ? dumpPointLabel(t, v) : t.captures ? capturePointLabel(t, v) : formatMs(v);
  const samplesName = lineSamples ? `Samples at ${lineLabel ?? `line ${lineSamples.line}`}` : null;
  const heap = t.timeMs.map((ms, i) => [ms, t.heapBytes[i]]);
  const processes = t.processes ?? [];
  const heapName = t.series
    ? 'Traced memory (Σ trace sizes per dump)'
    : processes.length > 1
      ? `Heap (sum of ${processes.length} processes)`
      : 'Heap';
  const hasRss = t.rssBytes.some((v) => v != null);
  const rss = t.rssBytes.map((v, i) => [t.timeMs[i], v]);
  // Profiles that only sample the footprint (Scalene) carry no allocation volume: no rate grid.
  const hasRate = t.allocatedBytes.some((v) => v > 0);
  const rateValues = allocationRate(t);
  const rate = t.timeMs.map((ms, i) => [ms, rateValues[i]]);
  // memray's temporary allocations per second, on their own axis at the right of the rate grid
  const tmpCounts = hasRate && t.temporaryCount?.some((v) => v > 0) ? t.temporaryCount : undefined;
  const tmpName = temporaryRateName(t.temporaryThreshold ?? 1);
  const tmpValues = tmpCounts ? allocationRate({ timeMs: t.timeMs, allocatedBytes: tmpCounts }) : [];
  const tmpRate = t.timeMs.map((ms, i) => [ms, tmpValues[i]]);
  const maxX = Math.max(t.durationMs, t.timeMs[t.timeMs.length - 1] ?? 0);

  const axisCommon = {
    type: 'value' as const,
    min: 0,
    max: maxX,
    axisLine: { lineStyle: { color: palette.axis } },
    axisLabel: {
      color: palette.subtext,
      formatter: (v: number) =>
        dumpAxis ? (Number.isInteger(v) ? `#${v + 1}` : '') : timeTickLabel(v, maxX),
      hideOverlap: true,
    },
    splitLine: { show: false },
    // A dump axis counts whole dumps.
    ...(dumpAxis && { minInterval: 1 }),
  };

  const markLineData: (
    | { xAxis: number; name: string; label: { formatter: string } }
    | {
        xAxis: number;
        name: string;
        label: { formatter: string; position: 'insideEndTop' | 'end'; color: string };
        lineStyle: { color: string; type: 'dotted'; width: number };
      }
    | {
        yAxis: number;
        name: string;
        label: { formatter: string; position: 'insideStartTop' };
        lineStyle: { color: string; type: 'solid'; width: number };
      }
  )[] = [];
  if (limitBytes != null && limitBytes > 0) {
    markLineData.push({
      yAxis: limitBytes,
      name: 'limit',
      // At the line's start: the end is where a kill's window and peak pin are drawn.
      label: { formatter: limitLabel(limitBytes, units), position: 'insideStartTop' },
      lineStyle: { color: palette.peak, type: 'solid', width: 1.5 },
    });
  }
  // A series of memray captures: where each one starts, named at the top of its line.
  for (const c of t.captures ?? [])
    markLineData.push({
      xAxis: c.fromMs,
      name: c.label,
      label: { formatter: c.label, position: 'insideEndTop', color: palette.subtext },
      lineStyle: { color: palette.axis, type: 'dotted', width: 1 },
    });
  const readToMs = soFar ? t.timeMs[t.timeMs.length - 1] : undefined;
  if (readToMs !== undefined && readToMs < maxX) {
    markLineData.push({
      xAxis: readToMs,
      name: 'read so far',
      // Level, above the grid: along the line it would cross the heap and RSS near their ends.
      // Unnamed near the axis start, where it would sit on the y axis' name (the panel says it).
      label: {
        formatter: readToMs < maxX * 0.1 ? '' : `read to ${formatMs(readToMs)}`,
        position: 'end',
        color: palette.subtext,
      },
      lineStyle: { color: palette.axis, type: 'dotted', width: 1 },
    });
  }
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
        heapName,
        ...processes.map((p) => p.label),
        ...(hasRss ? [processes.length > 1 ? 'RSS (sum)' : 'RSS'] : []),
        ...rssBands.map((b) => b.name),
        ...(hasRate ? ['Allocation rate'] : []),
        ...(tmpCounts ? [tmpName] : []),
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
        const head = `<b>${escapeHtml(xLabel(items[0].value[0]))}</b>`;
        const bandNames: string[] = Object.values(BAND_NAMES);
        const rows = items
          .filter((p) => p.value[1] != null)
          .map((p) => {
            const v = p.value[1] as number;
            // A band's nearest point is a layout checkpoint, usually not at the hovered time.
            const at =
              bandNames.includes(p.seriesName) && p.value[0] !== items[0].value[0]
                ? ` at ${formatMs(p.value[0])}`
                : '';
            const text =
              p.seriesName === 'Allocation rate'
                ? `${formatBytes(v, units)}/s`
                : p.seriesName === tmpName
                  ? `${Math.round(v).toLocaleString('en-US')}/s (freed after ≤ ${t.temporaryThreshold ?? 1} other allocations on their thread)`
                  : `${formatBytes(v, units)} (${formatExactBytes(v)})${at}`;
            return `<span style="color:${p.color}">●</span> ${escapeHtml(p.seriesName)}: ${escapeHtml(text)}`;
          });
        return [head, ...rows].join('<br/>');
      },
    },
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: palette.axis } },
    grid: hasRate ? rateGrids(heightPx, tmpCounts ? 56 : 24) : [{ left: 72, right: 24, top: 36, bottom: 36 }],
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
        axisLabel: { color: palette.subtext, formatter: (v: number) => formatBytesTick(v, units) },
        splitLine: { lineStyle: { color: palette.split } },
        // A mark line does not widen the axis: the limit must stay in view above the data.
        ...(limitBytes != null &&
          limitBytes > 0 && { max: (v: { max: number }) => niceCeil(Math.max(v.max, limitBytes) * 1.05) }),
      },
      ...(hasRate
        ? [
            {
              type: 'value' as const,
              gridIndex: 1,
              name: 'alloc/s',
              nameTextStyle: { color: palette.subtext },
              splitNumber: 2,
              axisLabel: {
                color: palette.subtext,
                formatter: (v: number) => `${formatBytesTick(v, units)}/s`,
              },
              splitLine: { lineStyle: { color: palette.split } },
            },
          ]
        : []),
      ...(tmpCounts
        ? [
            {
              type: 'value' as const,
              gridIndex: 1,
              position: 'right' as const,
              name: 'temp/s',
              nameTextStyle: { color: palette.subtext },
              splitNumber: 2,
              axisLabel: { color: palette.subtext, formatter: (v: number) => formatCountTick(v) },
              splitLine: { show: false },
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
      ...rssBands,
      {
        id: TIMELINE_SERIES.heap,
        name: heapName,
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        // A series of dumps: each point is a dump, so each is drawn.
        showSymbol: !!t.series,
        symbolSize: 6,
        // No sampling here: the engine's level of detail already kept every column's highest and
        // lowest point (M4), and ECharts' LTTB would drop the peak between them.
        lineStyle: { width: 1.5, color: palette.heap },
        itemStyle: { color: palette.heap },
        // Under the bands the heap's own shading would double the live band's.
        ...(rssBands.length === 0 && { areaStyle: { opacity: 0.15, color: palette.heap } }),
        z: 3,
        data: heap,
        markPoint: {
          symbol: 'pin',
          symbolSize: 44,
          itemStyle: { color: palette.peak },
          label: { color: '#fff', fontSize: 10, formatter: 'peak' },
          data: soFar ? [] : [{ name: 'peak', coord: [t.peak.timeMs, t.peak.bytes], value: t.peak.bytes }],
        },
        markLine: {
          symbol: 'none',
          silent: true,
          lineStyle: { color: palette.truncation, type: 'dashed', width: 2 },
          // Low on the line: a capture cut by a kill usually peaks right at the cut, under the pin.
          label: { color: palette.truncation, position: 'insideStartTop' },
          data: markLineData,
        },
        ...(lastWindow && {
          markArea: {
            silent: true,
            itemStyle: { color: palette.truncation, opacity: 0.12 },
            label: { color: palette.truncation, position: 'insideTop' as const },
            data: [
              [
                { name: `last ${formatMs(lastWindow.toMs - lastWindow.fromMs)}`, xAxis: lastWindow.fromMs },
                { xAxis: lastWindow.toMs },
              ],
            ],
          },
        }),
      },
      ...processes.map((p, i) => ({
        id: processSeriesId(i),
        name: p.label,
        type: 'line' as const,
        xAxisIndex: 0,
        yAxisIndex: 0,
        showSymbol: false,
        // A process's line stops where it is not running (null).
        connectNulls: false,
        lineStyle: {
          width: 1,
          type: i === 0 ? ('solid' as const) : ('dashed' as const),
          color: processColor(palette, i),
        },
        itemStyle: { color: processColor(palette, i) },
        data: t.timeMs.map((ms, k) => [ms, p.heapBytes[k]]),
      })),
      ...(hasRss
        ? [
            {
              id: TIMELINE_SERIES.rss,
              name: processes.length > 1 ? 'RSS (sum)' : 'RSS',
              type: 'line' as const,
              xAxisIndex: 0,
              yAxisIndex: 0,
              showSymbol: false,
              // RSS is measured at memory records only; the heap's points between them carry none.
              connectNulls: true,
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
      ...(tmpCounts
        ? [
            {
              id: TIMELINE_SERIES.temporary,
              name: tmpName,
              type: 'line' as const,
              xAxisIndex: 1,
              yAxisIndex: 2,
              step: 'end' as const,
              showSymbol: false,
              sampling: 'max' as const,
              lineStyle: { width: 1, color: palette.peak },
              itemStyle: { color: palette.peak },
              data: tmpRate,
            },
          ]
        : []),
    ],
  };
}

/** 1200 → "1.2k", 3400000 → "3.4M": counts per second on a small axis. */
function formatCountTick(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toFixed(1))}M`;
  if (v >= 1e3) return `${Number((v / 1e3).toFixed(1))}k`;
  return String(Math.round(v));
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
