/**
 * The objects `heapscope stats FILE --json` prints, one shape per format (see
 * CaptureModel.statsJson). Numbers follow the profiler's own definitions.
 */

/** One bin of memray's allocation size histogram (`memray stats`, 10 log-scale bins). */
export interface MemraySizeBin {
  minBytes: number;
  maxBytes: number;
  count: number;
}

/** memray captures (issue 2). Sizes in bytes, times in ms from capture start. */
export interface MemrayStatsJson {
  format: 'memray';
  headerVersion: number;
  /** "3.11.2" from the v12+ header; null for v10/v11 headers, which do not record it. */
  pythonVersion: string | null;
  fileFormat: 'all' | 'aggregated';
  truncated: boolean;
  /** Non-deallocation records (memray's total_num_allocations); null for aggregated files. */
  totalAllocations: number | null;
  /** Σ size of those records (memray's total_bytes_allocated); null for aggregated files. */
  totalBytesAllocated: number | null;
  /** The high-water mark (memray's metadata.peak_memory). */
  peakMemory: number;
  peakTimeMs: number;
  /** Bytes still alive when tracking stopped (or at the end of the range). */
  leakedBytes: number;
  /** Allocator enum name → count of allocations, descending (memray's allocator_type_distribution). */
  allocatorDistribution: Record<string, number>;
  sizeHistogram: MemraySizeBin[];
  /** memray's "function:file:line" locations of the innermost Python frame. */
  topBySize: { location: string; size: number }[];
  topByCount: { location: string; count: number }[];
  threads: { id: number; label: string }[];
  durationMs: number;
  /** Present when the numbers are for a time range (ms from start, snapped to memory records). */
  range?: { fromMs: number; toMs: number };
}

/**
 * `stats --json` of a parent opened with its fork children: the merged capture, plus each
 * process. `peakMemory` is the highest sum of the processes' live heaps at one moment;
 * `sumOfProcessPeaks` adds each process's own peak (reached at different moments).
 */
export type MemrayMultiStatsJson = MemrayStatsJson & {
  sumOfProcessPeaks: number;
  processes: (MemrayStatsJson & { pid: number; path: string })[];
};

/**
 * `heapscope series A.bin B.bin … --json` / `stats DIR --json`: several memray captures of one
 * program as one series, laid end to end on one axis. The top-level numbers are the series':
 * `peakMemory` the highest capture peak, totals over every capture, `leakedBytes` the last
 * capture's (the series ends with it); `captures` holds each capture's own, in series order.
 */
export type MemraySeriesStatsJson = Omit<MemrayStatsJson, 'format'> & {
  format: 'memray-series';
  series: { order: 'start-time' | 'name'; orderNote: string; program: string };
  captures: (MemrayStatsJson & {
    pid: number;
    path: string;
    /** Header start time, epoch ms (start-time order only). */
    startTimeMs?: number;
    /** Where the capture lies on the series' axis (ms). */
    fromMs: number;
    toMs: number;
  })[];
};

/** One `statistics()` entry of `TracemallocStatsJson` (Python's Statistic; frames oldest first). */
export type TracemallocStatisticJson =
  | { filename: string; lineno: number; size: number; count: number }
  | { filename: string; size: number; count: number }
  | { function: string; filename: string; size: number; count: number }
  | { frames: [string, number][]; size: number; count: number };

/** `heapscope stats DUMP --json` for a tracemalloc dump (issue 3). */
export interface TracemallocStatsJson {
  format: 'tracemalloc';
  /** `Snapshot.traceback_limit` (the `tracemalloc.start(nframe)` value). */
  tracebackLimit: number;
  traceCount: number;
  /** Σ trace sizes over all domains, bytes. */
  totalSize: number;
  /** Sorted by domain number. */
  domains: { domain: number; size: number; count: number }[];
  groupBy: 'filename' | 'lineno' | 'traceback';
  cumulative: boolean;
  /** Number of groups before `--top`. */
  groupCount: number;
  /** `statistics(groupBy, cumulative)` in Python's order (first `--top` entries). */
  statistics: TracemallocStatisticJson[];
  /** 4 for Python ≥ 3.9 dumps, 3 for 3.7/3.8 dumps (no total_nframe). */
  traceTupleLen: number;
  /** Traces whose stack was deeper than the stored traceback. */
  truncatedTraces: number;
  maxTotalNframe: number;
}

/** One `compare_to()` entry of `DiffJson`: the statistic's location fields plus the diffs. */
export type DiffJsonRow = (
  | { filename: string; lineno: number }
  | { filename: string }
  | { function: string; filename: string }
  | { frames: [string, number][] }
) & { size: number; sizeDiff: number; count: number; countDiff: number };

/** `heapscope diff OLD NEW --json` (tracemalloc `compare_to` semantics, any format). */
export interface DiffJson {
  old: { totalSize: number; traceCount: number };
  new: { totalSize: number; traceCount: number };
  groupBy: 'filename' | 'lineno' | 'traceback' | 'function';
  cumulative: boolean;
  /** Number of diff rows before `--top`. */
  groupCount: number;
  diff: DiffJsonRow[];
}

export interface ScaleneStatsLine {
  location: string;
  function: string;
  bytes: number;
  peakBytes: number;
  count: number;
  share: number;
  pythonFraction: number;
  copyBytes?: number;
}

export interface ScaleneStatsLeak {
  location: string;
  likelihood: number;
  velocityBytesPerSec: number;
}

export interface ScaleneStatsJson {
  format: 'scalene';
  memoryProfiled: boolean;
  peakMemory: number;
  peakLocation?: string;
  peakPythonFraction?: number;
  elapsedMs?: number;
  growthRatePercent: number;
  totalAllocatedBytes: number;
  nativeThreadBytes: number;
  allocationSamples: number;
  topBySize: ScaleneStatsLine[];
  leaks: ScaleneStatsLeak[];
  warnings: string[];
}

/** `heapscope stats FILE.csv --json` for `memray transform csv` output (one aggregated set). */
export interface MemrayCsvStatsJson {
  format: 'memray-csv';
  totalBytes: number;
  totalAllocations: number;
  /** CSV data rows (one per stack, thread and allocator). */
  rows: number;
  threads: { id: number; label: string }[];
  /** Largest first. */
  allocators: { name: string; bytes: number; count: number }[];
  groupBy: 'filename' | 'lineno' | 'traceback' | 'function';
  cumulative: boolean;
  groupCount: number;
  /** Same entries as `TracemallocStatsJson.statistics` (tracemalloc `statistics()` semantics). */
  statistics: TracemallocStatisticJson[];
}

/** What `CaptureModel.statsJson` returns (`heapscope stats FILE --json`), whatever the format. */
/**
 * `heapscope stats DIR --json` / `heapscope series A B … --json`: several tracemalloc dumps as
 * one series. Sizes are Σ trace sizes (Python's own totals); growth is per (filename, lineno).
 */
export interface TracemallocSeriesStatsJson {
  format: 'tracemalloc-series';
  order: 'name-timestamp' | 'name-number' | 'name';
  orderNote: string;
  /** 'time': slopes per second (timestamps in the names); 'dump': per dump. */
  axis: 'time' | 'dump';
  dumps: { file: string; timeMs?: number; totalSize: number; traceCount: number; peak?: true }[];
  /** Largest slope first (first `--top`, default 50). */
  growth: {
    filename: string;
    lineno: number;
    slope: number;
    slopePer: 'second' | 'dump';
    grewShare: number;
    sizes: number[];
  }[];
  siteCount: number;
}

export type StatsJson =
  | MemrayStatsJson
  | MemrayMultiStatsJson
  | MemraySeriesStatsJson
  | TracemallocStatsJson
  | TracemallocSeriesStatsJson
  | ScaleneStatsJson
  | MemrayCsvStatsJson;
