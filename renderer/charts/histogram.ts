import type { SizeBin } from '@shared/api';
import { tooltipStyle, type ChartPalette } from './palette';
import type { ChartOption } from './types';
import { escapeHtml, formatBytes, formatExactBytes, type UnitSystem } from './format';
import { histogramLegend, pymallocRecorded } from '../../shared/histogram-legend';

export { histogramLegend, pymallocRecorded };

export function binLabel(bin: SizeBin, units: UnitSystem = 'si'): string {
  return bin.minBytes === bin.maxBytes
    ? formatBytes(bin.minBytes, units)
    : `${formatBytes(bin.minBytes, units)}–${formatBytes(bin.maxBytes, units)}`;
}

/** The bin's exact bounds, for the tooltip: "513–1,024 B". */
function exactBinLabel(bin: SizeBin): string {
  const max = formatExactBytes(bin.maxBytes);
  return bin.minBytes === bin.maxBytes ? max : `${formatExactBytes(bin.minBytes).slice(0, -2)}–${max}`;
}

/**
 * Index of the first bin that holds sizes above the threshold: where pymalloc stops serving
 * requests and they go to the system allocator. -1 when every bin is small.
 */
export function boundaryIndex(bins: SizeBin[], thresholdBytes: number): number {
  return bins.findIndex((b) => b.maxBytes > thresholdBytes);
}

/**
 * Where the threshold line goes on the category axis: between the last small bin and the first
 * large one, or through the middle of a bin that straddles the threshold.
 */
export function boundaryCoord(bins: SizeBin[], thresholdBytes: number): number {
  const i = boundaryIndex(bins, thresholdBytes);
  if (i < 0) return bins.length - 0.5;
  return binSide(bins[i], thresholdBytes) === 'mixed' ? i : i - 0.5;
}

/** Bins that straddle the threshold hold both kinds; they are coloured as mixed. */
export function binSide(bin: SizeBin, thresholdBytes: number): 'small' | 'large' | 'mixed' {
  if (bin.maxBytes <= thresholdBytes) return 'small';
  if (bin.minBytes > thresholdBytes) return 'large';
  return 'mixed';
}

export function buildHistogramOption(
  bins: SizeBin[],
  thresholdBytes: number,
  palette: ChartPalette,
  units: UnitSystem = 'si',
  /** False when the capture did not trace pymalloc (see pymallocRecorded). */
  pymalloc = true,
): ChartOption {
  const labels = bins.map((b) => binLabel(b, units));
  const boundary = boundaryIndex(bins, thresholdBytes);
  const color = (b: SizeBin) => {
    // Untraced pymalloc: what was recorded all came from the system allocator, whatever its size.
    if (!pymalloc) return palette.large;
    const side = binSide(b, thresholdBytes);
    return side === 'small' ? palette.small : side === 'large' ? palette.large : palette.mixed;
  };
  return {
    animation: false,
    grid: { left: 64, right: 24, top: 44, bottom: 64 },
    tooltip: {
      trigger: 'item',
      ...tooltipStyle(palette),
      formatter: (p: unknown) => {
        const { dataIndex } = p as { dataIndex: number };
        const b = bins[dataIndex];
        const side = binSide(b, thresholdBytes);
        const note = !pymalloc
          ? side === 'large'
            ? 'served by the system allocator'
            : "in pymalloc's size range, but pymalloc was not traced: a malloc-family call"
          : side === 'small'
            ? 'pymalloc-sized'
            : side === 'large'
              ? 'served by the system allocator'
              : `straddles the ${formatBytes(thresholdBytes, units)} limit`;
        return `<b>${escapeHtml(labels[dataIndex])}</b> (${escapeHtml(exactBinLabel(b))})<br/>${b.count.toLocaleString('en-US')} allocations<br/>${note}`;
      },
    },
    xAxis: {
      type: 'category',
      data: labels,
      name: 'allocation size',
      nameLocation: 'middle',
      nameGap: 44,
      nameTextStyle: { color: palette.subtext },
      axisLabel: { color: palette.subtext, rotate: 25, fontSize: 10, interval: 0 },
      axisLine: { lineStyle: { color: palette.axis } },
    },
    yAxis: {
      type: 'value',
      name: 'allocations',
      nameTextStyle: { color: palette.subtext },
      axisLabel: { color: palette.subtext },
      splitLine: { lineStyle: { color: palette.split } },
    },
    series: [
      {
        type: 'bar',
        name: 'allocations',
        barCategoryGap: '12%',
        data: bins.map((b) => ({ value: b.count, itemStyle: { color: color(b) } })),
        markLine:
          boundary >= 0
            ? {
                symbol: 'none',
                silent: true,
                lineStyle: { color: palette.boundary, type: 'dashed', width: 2 },
                // Above the plot, level: inside it the text runs into the tallest bars.
                label: {
                  color: palette.boundary,
                  formatter: `pymalloc limit ${formatBytes(thresholdBytes, units)}${pymalloc ? '' : ' (not traced)'}`,
                  position: 'end',
                },
                // Half an index lands on the edge between two category bands, not on a bar's centre.
                data: [{ xAxis: boundaryCoord(bins, thresholdBytes), name: 'pymalloc threshold' }],
              }
            : undefined,
      },
    ],
  };
}
