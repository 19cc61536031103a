import { describe, expect, it } from 'vitest';
import type { AllocatorBreakdown, SizeBin, Timeline } from '@shared/api';
import { PALETTES } from '../../renderer/charts/palette';
import {
  allocationRate,
  brushAreasFor,
  buildTimelineOption,
  heapExtremes,
  processSeriesId,
  rangeFromBrushAreas,
  TIMELINE_SERIES,
} from '../../renderer/charts/timeline';
import { buildFamilyOption, buildFunctionOption, buildMixOption } from '../../renderer/charts/allocators';
import {
  binSide,
  boundaryCoord,
  boundaryIndex,
  buildHistogramOption,
  histogramLegend,
  pymallocRecorded,
} from '../../renderer/charts/histogram';

const palette = PALETTES.dark;

type AnySeries = {
  id?: string;
  name?: string;
  type?: string;
  data?: unknown[];
  markPoint?: { data?: unknown[] };
  markLine?: { data?: unknown[] };
  stack?: string;
  xAxisIndex?: number;
};
const seriesOf = (o: { series?: unknown }) => o.series as AnySeries[];

function timeline(patch: Partial<Timeline> = {}): Timeline {
  return {
    timeMs: [0, 100, 200, 400],
    heapBytes: [0, 1000, 4000, 500],
    rssBytes: [5000, 6000, null, 7000],
    allocatedBytes: [0, 1000, 3000, 100],
    allocationCount: [0, 1, 2, 1],
    peak: { timeMs: 200, bytes: 4000 },
    durationMs: 400,
    ...patch,
  };
}

describe('timeline option', () => {
  it('plots heap and RSS against time on the top grid and the allocation rate below', () => {
    const o = buildTimelineOption(timeline(), { palette });
    const s = seriesOf(o);
    const heap = s.find((x) => x.id === TIMELINE_SERIES.heap)!;
    const rss = s.find((x) => x.id === TIMELINE_SERIES.rss)!;
    const rate = s.find((x) => x.id === TIMELINE_SERIES.rate)!;
    expect(heap.data).toEqual([
      [0, 0],
      [100, 1000],
      [200, 4000],
      [400, 500],
    ]);
    expect(rss.data).toEqual([
      [0, 5000],
      [100, 6000],
      [200, null],
      [400, 7000],
    ]);
    expect(heap.xAxisIndex).toBe(0);
    expect(rate.xAxisIndex).toBe(1);
    // 1000 B over 100 ms, 3000 B over 100 ms, 100 B over 200 ms.
    expect(rate.data).toEqual([
      [0, 0],
      [100, 10_000],
      [200, 30_000],
      [400, 500],
    ]);
    expect((o.grid as unknown[]).length).toBe(2);
  });

  it('marks the peak and, when cut, the truncation point', () => {
    const plain = seriesOf(buildTimelineOption(timeline(), { palette })).find((x) => x.id === 'heap')!;
    expect(plain.markPoint?.data).toEqual([expect.objectContaining({ coord: [200, 4000], value: 4000 })]);
    expect(plain.markLine?.data).toEqual([]);
    const cut = seriesOf(buildTimelineOption(timeline({ truncatedAtMs: 350 }), { palette })).find(
      (x) => x.id === 'heap',
    )!;
    expect(cut.markLine?.data).toEqual([expect.objectContaining({ xAxis: 350, name: 'truncated' })]);
  });

  it('leaves RSS out when the capture has none', () => {
    const o = buildTimelineOption(timeline({ rssBytes: [null, null, null, null] }), { palette });
    expect(seriesOf(o).map((x) => x.id)).toEqual(['heap', 'rate']);
    expect((o.legend as { data: string[] }).data).not.toContain('RSS');
  });

  it('draws one grid when the capture records no allocation volume (footprint samples only)', () => {
    const o = buildTimelineOption(timeline({ allocatedBytes: [0, 0, 0, 0] }), { palette });
    expect(seriesOf(o).map((x) => x.id)).toEqual(['heap', 'rss']);
    expect((o.grid as unknown[]).length).toBe(1);
    expect((o.xAxis as unknown[]).length).toBe(1);
    expect((o.yAxis as unknown[]).length).toBe(1);
    expect((o.legend as { data: string[] }).data).toEqual(['Heap', 'RSS']);
  });

  it('brushes along x only, across both grids, one range at a time', () => {
    const o = buildTimelineOption(timeline(), { palette });
    expect(o.brush).toMatchObject({ xAxisIndex: 'all', brushType: 'lineX', brushMode: 'single' });
    const axes = o.xAxis as { min: number; max: number; type: string }[];
    expect(axes.map((a) => [a.type, a.min, a.max])).toEqual([
      ['value', 0, 400],
      ['value', 0, 400],
    ]);
  });

  it('reads a brushed area back into a clamped, ordered range', () => {
    expect(rangeFromBrushAreas([{ coordRange: [300.4, 120] }], 400)).toEqual({ fromMs: 120, toMs: 300.4 });
    expect(rangeFromBrushAreas([{ coordRange: [-20, 900] }], 400)).toEqual({ fromMs: 0, toMs: 400 });
    expect(rangeFromBrushAreas([{ coordRange: [100, 100] }], 400)).toBeNull();
    expect(rangeFromBrushAreas([], 400)).toBeNull();
    expect(rangeFromBrushAreas([{ coordRange: [[1, 2]] }], 400)).toBeNull();
    expect(brushAreasFor({ fromMs: 1, toMs: 2 })).toEqual([
      { brushType: 'lineX', xAxisIndex: 0, coordRange: [1, 2] },
    ]);
    expect(brushAreasFor(null)).toEqual([]);
  });

  it("draws a picked line's own samples as points on the heap chart", () => {
    const samples = { file: '/x/leak.py', line: 9, timeMs: [50, 150], heapBytes: [1000, 3000] };
    const o = buildTimelineOption(timeline(), { palette, lineSamples: samples, lineLabel: 'leak.py:9' });
    const s = seriesOf(o).find((x) => x.id === TIMELINE_SERIES.lineSamples)!;
    expect(s.name).toBe('Samples at leak.py:9');
    expect(s.xAxisIndex).toBe(0);
    expect(s.data).toEqual([
      [50, 1000],
      [150, 3000],
    ]);
    expect((o.legend as { data: string[] }).data).toContain('Samples at leak.py:9');
    expect(
      seriesOf(buildTimelineOption(timeline(), { palette, lineSamples: null })).map((x) => x.id),
    ).not.toContain(TIMELINE_SERIES.lineSamples);
  });

  it('draws the heap as given (no LTTB dropping the peak) and reads its highest and last points back', () => {
    const o = buildTimelineOption(
      timeline({ timeMs: [0, 100, 200, 200, 400], heapBytes: [0, 1000, 9000, 4000, 500] }),
      { palette },
    );
    const heap = seriesOf(o).find((x) => x.id === TIMELINE_SERIES.heap)! as AnySeries & { sampling?: string };
    expect(heap.sampling).toBeUndefined();
    expect(heapExtremes(o)).toEqual({ max: [200, 9000], end: [400, 500] });
  });

  it('draws each process of a multi-process capture beside their sum', () => {
    const o = buildTimelineOption(
      timeline({
        processes: [
          { label: 'pid 1 (parent)', pid: 1, heapBytes: [0, 1000, 3000, 500] },
          { label: 'pid 2', pid: 2, heapBytes: [null, null, 1000, null] },
        ],
      }),
      { palette },
    );
    const s = seriesOf(o);
    expect(s.find((x) => x.id === processSeriesId(1))?.data).toEqual([
      [0, null],
      [100, null],
      [200, 1000],
      [400, null],
    ]);
    expect(s.find((x) => x.id === TIMELINE_SERIES.heap)?.name).toBe('Heap (sum of 2 processes)');
    expect((o.legend as { data: string[] }).data).toEqual(
      expect.arrayContaining(['pid 1 (parent)', 'pid 2', 'RSS (sum)']),
    );
  });

  it('gives points at the same time one interval and one rate, whichever carries the bytes', () => {
    // a peak between memory records is dated by the record after it: two points at 100 ms
    const a = allocationRate({ timeMs: [0, 100, 100, 200], allocatedBytes: [0, 500, 0, 100] });
    const b = allocationRate({ timeMs: [0, 100, 100, 200], allocatedBytes: [0, 0, 500, 100] });
    expect(a).toEqual([0, 5000, 5000, 1000]);
    expect(b).toEqual(a);
  });

  it('carries bytes of a zero-length interval into the next rate', () => {
    expect(allocationRate({ timeMs: [0, 0, 50], allocatedBytes: [10, 20, 30] })).toEqual([
      0,
      0,
      ((10 + 20 + 30) * 1000) / 50,
    ]);
  });
});

const breakdown: AllocatorBreakdown = {
  pythonAllocator: 'pymalloc',
  byAllocator: [
    { name: 'MALLOC', family: 'malloc', bytes: 100, count: 3 },
    { name: 'MMAP', family: 'mmap', bytes: 5000, count: 1 },
    { name: 'CALLOC', family: 'malloc', bytes: 300, count: 9 },
  ],
  byFamily: [
    { family: 'malloc', bytes: 400, count: 12 },
    { family: 'mmap', bytes: 5000, count: 1 },
    { family: 'jemalloc', bytes: 0, count: 0 },
  ],
  byFamilyAll: [
    { family: 'malloc', bytes: 9000, count: 120 },
    { family: 'mmap', bytes: 6000, count: 2 },
  ],
  histogram: [],
  pymallocThresholdBytes: 512,
};

describe('allocator options', () => {
  it('draws the snapshot and all allocations as two donuts, largest family first, empty ones dropped', () => {
    const s = seriesOf(buildFamilyOption(breakdown, 'At peak', palette));
    expect(s.map((x) => [x.type, x.name])).toEqual([
      ['pie', 'At peak'],
      ['pie', 'All allocations'],
    ]);
    const data = s[0].data as { name: string; value: number; itemStyle: { color: string } }[];
    expect(data.map((d) => [d.name, d.value])).toEqual([
      ['mmap', 5000],
      ['malloc', 400],
    ]);
    expect(data[0].itemStyle.color).toBe(palette.families.mmap);
    expect((s[1].data as { value: number }[]).map((d) => d.value)).toEqual([9000, 6000]);
  });

  it('draws one donut when there is no all-allocations breakdown', () => {
    const s = seriesOf(buildFamilyOption({ ...breakdown, byFamilyAll: undefined }, 'Leaked', palette));
    expect(s).toHaveLength(1);
  });

  it('lists allocator functions by bytes, coloured by their family', () => {
    const o = buildFunctionOption(breakdown, palette);
    expect((o.yAxis as { data: string[] }).data).toEqual(['MMAP', 'CALLOC', 'MALLOC']);
    const data = seriesOf(o)[0].data as { value: number; itemStyle: { color: string } }[];
    expect(data.map((d) => d.value)).toEqual([5000, 300, 100]);
    expect(data[1].itemStyle.color).toBe(palette.families.malloc);
  });

  it('stacks live bytes per family over time, or gives nothing without per-family data', () => {
    expect(buildMixOption(timeline(), palette)).toBeNull();
    const o = buildMixOption(
      timeline({
        byFamily: [
          { family: 'pymalloc', bytes: [0, 10, 20, 5] },
          { family: 'malloc', bytes: [0, 100, 200, 50] },
          { family: 'mmap', bytes: [0, 0, 0, 0] },
        ],
      }),
      palette,
    )!;
    const s = seriesOf(o);
    expect(s.map((x) => [x.name, x.stack])).toEqual([
      ['pymalloc', 'families'],
      ['malloc', 'families'],
    ]);
    expect(s[1].data).toEqual([
      [0, 0],
      [100, 100],
      [200, 200],
      [400, 50],
    ]);
  });
});

describe('size histogram', () => {
  // memray stats' log-spaced bins (basic.py, memray 1.19.3): 512 falls inside 206–1223.
  const memrayBins: SizeBin[] = [
    { minBytes: 0, maxBytes: 4, count: 15 },
    { minBytes: 5, maxBytes: 33, count: 9 },
    { minBytes: 34, maxBytes: 205, count: 1 },
    { minBytes: 206, maxBytes: 1223, count: 135 },
    { minBytes: 1224, maxBytes: 7239, count: 2108 },
  ];
  // Power-of-two bins put 512 exactly on an edge.
  const pow2Bins: SizeBin[] = [
    { minBytes: 129, maxBytes: 256, count: 1 },
    { minBytes: 257, maxBytes: 512, count: 2 },
    { minBytes: 513, maxBytes: 1024, count: 3 },
    { minBytes: 1025, maxBytes: 2048, count: 4 },
  ];

  it('puts the 512-byte line between bins on an edge and through a bin that straddles it', () => {
    expect(boundaryIndex(pow2Bins, 512)).toBe(2);
    expect(boundaryCoord(pow2Bins, 512)).toBe(1.5);
    expect(boundaryIndex(memrayBins, 512)).toBe(3);
    expect(binSide(memrayBins[3], 512)).toBe('mixed');
    expect(boundaryCoord(memrayBins, 512)).toBe(3);
    expect(boundaryCoord(pow2Bins.slice(0, 2), 512)).toBe(1.5);
  });

  it('marks the boundary and colours bins by which side of it they are', () => {
    const o = buildHistogramOption(pow2Bins, 512, palette);
    const [bars] = seriesOf(o);
    expect((bars.data as { value: number }[]).map((d) => d.value)).toEqual([1, 2, 3, 4]);
    expect((bars.data as { itemStyle: { color: string } }[]).map((d) => d.itemStyle.color)).toEqual([
      palette.small,
      palette.small,
      palette.large,
      palette.large,
    ]);
    expect(bars.markLine?.data).toEqual([expect.objectContaining({ xAxis: 1.5 })]);
    const label = (bars as { markLine?: { label?: { formatter?: string } } }).markLine?.label?.formatter;
    expect(label).toBe('pymalloc limit 512 B');
    expect((o.xAxis as { data: string[] }).data).toEqual([
      '129 B–256 B',
      '257 B–512 B',
      '513 B–1.0 kB',
      '1.0 kB–2.0 kB',
    ]);
    // Power-of-two bins read naturally in IEC units, and say so.
    const iec = buildHistogramOption(pow2Bins, 512, palette, 'iec');
    expect((iec.xAxis as { data: string[] }).data).toEqual([
      '129 B–256 B',
      '257 B–512 B',
      '513 B–1.0 KiB',
      '1.0 KiB–2.0 KiB',
    ]);
  });

  it('draws a bin that straddles the limit as mixed, with the line through it', () => {
    const [bars] = seriesOf(buildHistogramOption(memrayBins, 512, palette));
    expect((bars.data as { itemStyle: { color: string } }[]).map((d) => d.itemStyle.color)).toEqual([
      palette.small,
      palette.small,
      palette.small,
      palette.mixed,
      palette.large,
    ]);
    expect(bars.markLine?.data).toEqual([expect.objectContaining({ xAxis: 3 })]);
  });

  it("calls no bin pymalloc's when the capture did not trace pymalloc", () => {
    const colours = (o: ReturnType<typeof buildHistogramOption>) =>
      (seriesOf(o)[0].data as { itemStyle: { color: string } }[]).map((d) => d.itemStyle.color);
    const traced = buildHistogramOption(memrayBins, 512, palette, 'si', true);
    const untraced = buildHistogramOption(memrayBins, 512, palette, 'si', false);
    expect(colours(traced)).toContain(palette.small);
    // every recorded block came from the system allocator: one colour, the system allocator's
    expect(colours(untraced)).toEqual(memrayBins.map(() => palette.large));
    const label = (o: ReturnType<typeof buildHistogramOption>) =>
      (seriesOf(o)[0] as { markLine?: { label?: { formatter?: string } } }).markLine?.label?.formatter;
    expect(label(traced)).toBe('pymalloc limit 512 B');
    expect(label(untraced)).toBe('pymalloc limit 512 B (not traced)');
    const tip = (o: ReturnType<typeof buildHistogramOption>, dataIndex: number) =>
      (o.tooltip as { formatter: (p: unknown) => string }).formatter({ dataIndex });
    expect(tip(traced, 0)).toContain('pymalloc-sized');
    expect(tip(untraced, 0)).toContain('pymalloc was not traced');
    expect(tip(untraced, 0)).not.toContain('pymalloc-sized');

    expect(histogramLegend(512, true)).toContain("served by pymalloc's arenas");
    const neutral = histogramLegend(512, false);
    expect(neutral).not.toContain("served by pymalloc's");
    expect(neutral).toContain('≤ 512 B');
    expect(neutral).toContain('pymalloc was not traced in this capture');
  });

  it('takes pymalloc as recorded from the capture flag or the families, not from the size range', () => {
    const fam = (family: 'pymalloc' | 'malloc', bytes: number) => ({ family, bytes, count: bytes ? 1 : 0 });
    // basic.bin: MALLOC/CALLOC/REALLOC/MMAP only, --trace-python-allocators off
    expect(pymallocRecorded({ byFamily: [fam('malloc', 1000)] }, false)).toBe(false);
    expect(pymallocRecorded({ byFamily: [fam('malloc', 1000), fam('pymalloc', 0)] }, undefined)).toBe(false);
    expect(pymallocRecorded({ byFamily: [fam('malloc', 1000)] }, true)).toBe(true);
    // a snapshot where every pymalloc block was freed still shows pymalloc in the whole run
    expect(
      pymallocRecorded({ byFamily: [fam('malloc', 9)], byFamilyAll: [fam('pymalloc', 64)] }, undefined),
    ).toBe(true);
  });

  it('draws no line when every bin is pymalloc-sized (the limit is off the axis)', () => {
    const [bars] = seriesOf(buildHistogramOption(memrayBins.slice(0, 3), 512, palette));
    expect(bars.markLine).toBeUndefined();
  });
});
