import type { AllocatorBreakdown, AllocatorFamily, Timeline } from '@shared/api';
import { familyColor, tooltipStyle, type ChartPalette } from './palette';
import type { ChartOption } from './types';
import {
  escapeHtml,
  formatBytes,
  formatBytesTick,
  formatExactBytes,
  formatMs,
  type UnitSystem,
} from './format';

type FamilyRow = { family: AllocatorFamily; bytes: number; count: number };

function donutData(rows: FamilyRow[], palette: ChartPalette) {
  return rows
    .filter((r) => r.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .map((r) => ({
      name: r.family,
      value: r.bytes,
      count: r.count,
      itemStyle: { color: familyColor(palette, r.family) },
    }));
}

/**
 * Two donuts: families in the chosen snapshot, and over every allocation made. They answer
 * different questions (what holds memory vs what churns), so they are side by side, not summed.
 */
export function buildFamilyOption(
  b: AllocatorBreakdown,
  snapshotLabel: string,
  palette: ChartPalette,
  units: UnitSystem = 'si',
): ChartOption {
  const withAll = !!b.byFamilyAll?.length;
  const pie = (name: string, rows: FamilyRow[], center: [string, string]) => ({
    type: 'pie' as const,
    name,
    radius: ['38%', '66%'] as [string, string],
    center,
    // Two donuts share one canvas, so outside labels of their facing sides collide: the share goes
    // inside the ring, and the names are in the table beneath (same colours) and the tooltip.
    label: {
      position: 'inside' as const,
      color: '#fff',
      fontSize: 11,
      fontWeight: 'bold' as const,
      formatter: (p: { percent?: number }) => `${(p.percent ?? 0).toFixed(0)}%`,
    },
    minShowLabelAngle: 18,
    labelLine: { show: false },
    data: donutData(rows, palette),
  });
  return {
    animation: false,
    title: [
      {
        text: snapshotLabel,
        left: withAll ? '25%' : '50%',
        top: 8,
        textAlign: 'center',
        textStyle: { color: palette.text, fontSize: 13 },
      },
      ...(withAll
        ? [
            {
              text: 'All allocations',
              left: '75%',
              top: 8,
              textAlign: 'center' as const,
              textStyle: { color: palette.text, fontSize: 13 },
            },
          ]
        : []),
    ],
    tooltip: {
      trigger: 'item',
      ...tooltipStyle(palette),
      formatter: (p: unknown) => {
        const { seriesName, name, value, percent, data } = p as {
          seriesName: string;
          name: string;
          value: number;
          percent: number;
          data: { count: number };
        };
        return `${escapeHtml(seriesName)}<br/><b>${escapeHtml(name)}</b>: ${formatBytes(value, units)} (${percent.toFixed(1)}%)<br/>${formatExactBytes(value)}<br/>${data.count.toLocaleString('en-US')} allocations`;
      },
    },
    series: [
      pie(snapshotLabel, b.byFamily, [withAll ? '25%' : '50%', '55%']),
      ...(withAll ? [pie('All allocations', b.byFamilyAll ?? [], ['75%', '55%'])] : []),
    ],
  };
}

/** memray's allocator functions (MALLOC, CALLOC, MMAP …), bytes on a bar, coloured by family. */
export function buildFunctionOption(
  b: AllocatorBreakdown,
  palette: ChartPalette,
  units: UnitSystem = 'si',
): ChartOption {
  const rows = [...b.byAllocator].sort((x, y) => y.bytes - x.bytes);
  return {
    animation: false,
    grid: { left: 150, right: 90, top: 16, bottom: 28 },
    tooltip: {
      trigger: 'item',
      ...tooltipStyle(palette),
      formatter: (p: unknown) => {
        const { name, value, dataIndex } = p as { name: string; value: number; dataIndex: number };
        return `<b>${escapeHtml(name)}</b> (${rows[dataIndex].family})<br/>${formatBytes(value, units)} (${formatExactBytes(value)})<br/>${rows[dataIndex].count.toLocaleString('en-US')} allocations`;
      },
    },
    xAxis: {
      type: 'value',
      axisLabel: { color: palette.subtext, formatter: (v: number) => formatBytesTick(v, units) },
      splitLine: { lineStyle: { color: palette.split } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.name),
      axisLabel: { color: palette.text },
      axisLine: { lineStyle: { color: palette.axis } },
    },
    series: [
      {
        type: 'bar',
        name: 'bytes',
        barMaxWidth: 28,
        data: rows.map((r) => ({ value: r.bytes, itemStyle: { color: familyColor(palette, r.family) } })),
        label: {
          show: true,
          position: 'right',
          color: palette.subtext,
          formatter: (p: { value: unknown }) => formatBytes(Number(p.value), units),
        },
      },
    ],
  };
}

/** Live bytes per family over time, stacked, from Timeline.byFamily. */
export function buildMixOption(
  t: Timeline,
  palette: ChartPalette,
  units: UnitSystem = 'si',
): ChartOption | null {
  const families = t.byFamily?.filter((f) => f.bytes.some((v) => v > 0));
  if (!families?.length) return null;
  return {
    animation: false,
    legend: { top: 4, right: 12, textStyle: { color: palette.text } },
    grid: { left: 72, right: 24, top: 36, bottom: 32 },
    tooltip: {
      trigger: 'axis',
      ...tooltipStyle(palette),
      valueFormatter: (v: unknown) => formatBytes(Number(v), units),
    },
    xAxis: {
      type: 'value',
      min: 0,
      max: Math.max(t.durationMs, t.timeMs[t.timeMs.length - 1] ?? 0),
      axisLabel: { color: palette.subtext, formatter: (v: number) => formatMs(v) },
      axisLine: { lineStyle: { color: palette.axis } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      axisLabel: { color: palette.subtext, formatter: (v: number) => formatBytesTick(v, units) },
      splitLine: { lineStyle: { color: palette.split } },
    },
    series: families.map((f) => ({
      type: 'line' as const,
      name: f.family,
      stack: 'families',
      showSymbol: false,
      areaStyle: { opacity: 0.6, color: familyColor(palette, f.family) },
      lineStyle: { width: 1, color: familyColor(palette, f.family) },
      itemStyle: { color: familyColor(palette, f.family) },
      data: t.timeMs.map((ms, i) => [ms, f.bytes[i] ?? 0]),
    })),
  };
}
