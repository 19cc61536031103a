/**
 * The one query API of Heapscope, typed once.
 *
 * The CLI, the HTTP server (browser mode), the Electron IPC bridge and the renderer all speak
 * these types. Every result is already reduced to display size: no query ever returns raw
 * allocation records.
 */

import type { UnitSystem } from './units';
import type {
  LayoutBands,
  LayoutBandsQuery,
  LayoutQuery,
  LayoutSites,
  LayoutSitesQuery,
  MemoryLayout,
} from './layout';

export type { UnitSystem };
export type * from './layout';

export type CaptureFormat = 'memray' | 'tracemalloc' | 'memray-csv' | 'scalene';

export type ProgressPhase = 'header' | 'reading' | 'indexing' | 'done' | 'error' | 'cancelled';

export interface Progress {
  captureId: string;
  phase: ProgressPhase;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  elapsedMs: number;
  message?: string;
  /** The file being opened (absolute), so a client can match events to its own open request. */
  path?: string;
}

/**
 * The first screen of a capture still indexing (the `preview` event): its header facts, how far
 * the read is, and the heap line read so far. The engine posts one with a progress report at
 * most every half second (less often once reducing a long line would cost more than 2% of the
 * load) while a memray capture loads (a single file, not a series or a parent merged with its
 * fork children: their timeline is not one file's line), and none once `ready` is sent; other
 * formats never post one. Display-sized like every result: the line is reduced by the timeline
 * query's own rule (query/timeline-lod.ts, as `displayTimeline` does), never raw records.
 */
export interface LoadPreview {
  captureId: string;
  /** What the header says (the `header` event's facts; records and threads are not known yet). */
  info: CaptureInfo;
  /** Records read so far. */
  records: number;
  bytesDone: number;
  bytesTotal: number;
  /**
   * Heap and RSS at the memory records read so far: the same points the finished capture's
   * timeline holds up to there, reduced to a chart's size. Not yet known, so left at 0 and
   * not drawn: the allocation columns, and the peaks between memory records (`peak` is the
   * highest point so far, not the capture's peak). `durationMs` is the header's duration when
   * the file was closed cleanly, else the latest memory record's time. Null before the first
   * memory record.
   */
  timeline: Timeline | null;
}

export interface ThreadInfo {
  /** Model-wide thread index (memray tid; 0 for formats without threads). */
  id: number;
  /** memray's label: `0x2` or `0x2 (loader)`. */
  label: string;
}

/** What the file says about itself; available as soon as its header is read. */
export interface CaptureFacts {
  format: CaptureFormat;
  path: string;
  fileName: string;
  sizeBytes: number;
  compressed?: boolean;
  headerVersion?: number;
  /** e.g. "3.11.2" (memray ≥ v12 header) or the tracemalloc oracle's Python. */
  pythonVersion?: string;
  /** memray's names: pymalloc, pymalloc debug, malloc, unknown, mimalloc, mimalloc debug. */
  pythonAllocator?: string;
  commandLine?: string;
  pid?: number;
  fileFormat?: 'all' | 'aggregated';
  nativeTraces?: boolean;
  tracePythonAllocators?: boolean;
  trackObjectLifetimes?: boolean;
  /** Epoch milliseconds. */
  startTimeMs?: number;
  endTimeMs?: number;
  /** tracemalloc: `tracemalloc.start(nframe)` value. */
  tracebackLimit?: number;
  /** v13 header paths, used for module-relative stack identity. */
  libdest?: string;
  sitePackages?: string[];
  sysPath?: string[];
}

/** Which views and snapshot kinds make sense for a capture. */
export interface Capabilities {
  timeline: boolean;
  /** Brushing a range and asking for range snapshots. */
  ranges: boolean;
  threads: boolean;
  native: boolean;
  peak: boolean;
  leaks: boolean;
  allAllocations: boolean;
  flamegraph: boolean;
  /**
   * The thresholds N of memray's temporary allocations this capture answers exactly (a
   * `{kind: 'temporary', threshold: N}` snapshot); absent when it has none (aggregated files,
   * other formats).
   */
  temporaryThresholds?: number[];
  /** Leak suspects ranked by growth over time (`growth` query). */
  growth?: boolean;
  /** Where the RSS went: allocator layouts (`layout`, `layoutSites`, `layoutBands`; shared/layout.ts). */
  layout?: boolean;
}

export interface CaptureInfo {
  id: string;
  facts: CaptureFacts;
  capabilities: Capabilities;
  truncated: boolean;
  /** Byte offset (in the decoded record stream) of the first record that could not be read. */
  truncatedAtByte?: number;
  truncationReason?: string;
  warnings: string[];
  threads: ThreadInfo[];
  durationMs: number;
  records: number;
  /** Fork children (`NAME.bin.PID`) found beside a memray parent. */
  forkChildren?: string[];
  /** More than 1 when a parent and its fork children were opened as one multi-process capture. */
  processes?: number;
  /** Several tracemalloc dumps opened as one series (a folder, or `heapscope series A B …`). */
  series?: SeriesInfo;
  /** Several memray captures of one program opened as one series (a folder, or `series A.bin B.bin …`). */
  captureSeries?: MemraySeriesInfo;
}

/**
 * A series of memray captures of one program, laid end to end on one time axis: capture i
 * spans [fromMs, toMs] of it (its own ms + fromMs), the next one starts where it ends.
 */
export interface MemraySeriesInfo {
  /** 'start-time': by the start time in each header (ties by name); 'name': by file name. */
  order: 'start-time' | 'name';
  /** One sentence for people: which order was used and why, and how the axis is laid out. */
  orderNote: string;
  /** The program's command line, the same in every capture (memray's own options left out). */
  program: string;
  /** In series order. */
  captures: MemraySeriesCapture[];
}

export interface MemraySeriesCapture {
  fileName: string;
  path: string;
  /** The header's start time (epoch ms); in 'start-time' order only. */
  startTimeMs?: number;
  /** Where the capture lies on the series' axis (ms). */
  fromMs: number;
  toMs: number;
  peakBytes: number;
  /** Alive when its tracking stopped. */
  leakedBytes: number;
  truncated: boolean;
}

/**
 * How a series' dumps were put in order. tracemalloc dumps carry no time of their own and a
 * file's mtime is when it was last copied, not when it was dumped, so the order comes from the
 * file names: a timestamp in every name (`name-timestamp`, which also gives the time axis), else
 * a number in every name (`name-number`: dump.2 before dump.10), else plain name order.
 */
export type SeriesOrder = 'name-timestamp' | 'name-number' | 'name';

export interface SeriesDump {
  fileName: string;
  path: string;
  /** ms since the first dump, from the timestamp in the file name (`name-timestamp` order only). */
  timeMs?: number;
  totalBytes: number;
  traceCount: number;
}

export interface SeriesInfo {
  order: SeriesOrder;
  /** One sentence for people: which order was used and why. */
  orderNote: string;
  /** In series order. */
  dumps: SeriesDump[];
}

/** One site's bytes across a series of snapshots (see main/query/series-growth.ts). */
export interface SiteGrowth {
  key: string;
  function: string;
  file: string;
  line: number;
  /** Least-squares slope of the site's bytes: per second on a time axis, else per dump. */
  slopeBytes: number;
  slopePer: 'second' | 'dump';
  /** Of the steps between consecutive snapshots, the share where the site's bytes rose. */
  grewShare: number;
  /** Bytes in the first and the last snapshot. */
  firstBytes: number;
  lastBytes: number;
  /** Bytes in every snapshot, in order (the sparkline). */
  bytes: number[];
}

/** Which live set (or allocation set) a query aggregates. */
export type SnapshotSpec =
  /** memray: allocations alive at the high-water mark; tracemalloc / CSV: the snapshot itself. */
  | { kind: 'peak' }
  /** Allocations alive when tracking stopped. */
  | { kind: 'leaks' }
  /** Every allocation made (count and bytes allocated, freed or not). */
  | { kind: 'all' }
  /** Allocations alive at one moment (ms from capture start). */
  | { kind: 'at'; timeMs: number }
  /**
   * A time range [fromMs, toMs] (ms from capture start).
   * - peak: the live set at the highest heap inside the range;
   * - live-at-end: allocations made inside the range and still alive at toMs;
   * - allocated: every allocation made inside the range.
   */
  | { kind: 'range'; fromMs: number; toMs: number; measure: 'peak' | 'live-at-end' | 'allocated' }
  /**
   * memray's temporary allocations (`--temporary-allocation-threshold N`, default 1): freed,
   * on the thread that made them, after at most N other allocations on that thread; each counts
   * once with its full size. N must be one of Capabilities.temporaryThresholds. With fromMs and
   * toMs (both, ms from capture start; a brushed range), only those found (at their free) in
   * the time buckets the range resolves to, the same whole buckets as a `range` snapshot's.
   */
  | { kind: 'temporary'; threshold?: number; fromMs?: number; toMs?: number };

export interface StackFilter {
  /** Thread ids to keep; undefined keeps all. */
  threads?: number[];
  /** When false, each thread gets its own root child. Default true. */
  mergeThreads?: boolean;
  /** Drop import-system subtrees (frozen importlib, import_name …). */
  hideImportSystem?: boolean;
  /** Drop memray / tracemalloc / runpy frames (their children are re-parented). */
  hideInternals?: boolean;
  /** Drop native frames. */
  pythonOnly?: boolean;
  /** Allocator names (memray's, e.g. "MALLOC") to keep; undefined keeps all. */
  allocators?: string[];
}

export type FrameKind = 'python' | 'native' | 'synthetic';

export interface FrameInfo {
  name: string;
  file: string;
  line: number;
  kind: FrameKind;
  /** Module-relative path when known (site-packages / sys.path relative). */
  module?: string;
  importSystem?: boolean;
  internal?: boolean;
  /**
   * Native frames: where the function is in its source, from the DWARF line tables of the
   * object or its debug file; resolved only for frames a query returns. Absent when unknown.
   */
  source?: SourceLocation;
}

export interface SourceLocation {
  file: string;
  line: number;
}

/**
 * Where native frames' objects and debug files are looked for on the reading machine (like
 * heaptrack's --sysroot / --debug-paths). Order: each sysroot (DIR + the recorded path), then
 * the recorded path itself for the object; each debug dir's `.build-id/xx/rest.debug` (and
 * /usr/lib/debug), then the object's .gnu_debuglink next to it and under each debug dir.
 */
export interface SymbolSearch {
  sysroots?: string[];
  debugDirs?: string[];
}

/** What became of one mapped object that shown native frames fall in. */
export interface SymbolObject {
  /** The path the capture recorded. */
  path: string;
  /**
   * resolved: a matching copy with function symbols was found; no-symbols: found, but it has
   * none (stripped, no debug file); not-found: no copy anywhere searched; refused: copies exist
   * but none is the object the capture recorded (segments differ).
   */
  status: 'resolved' | 'no-symbols' | 'not-found' | 'refused';
  /** The copy used (when it is not the recorded path itself). */
  copy?: string;
  buildId?: string;
  /** The separate debug file used for names or lines. */
  debugFile?: string;
  /** Lines come from DWARF for this object. */
  lines: boolean;
  /** Files looked at and not used, with the reason (segments or build-id differ). */
  refused?: { path: string; why: string }[];
}

/** The "symbols" note of a capture: what native symbolization found (report/export metadata). */
export interface SymbolsNote {
  objects: SymbolObject[];
  /** The tool that read line tables, e.g. "llvm-symbolizer"; absent when none is installed. */
  lineTool?: string;
  /** One short paragraph for people. */
  text: string;
}

export interface FlameQuery {
  captureId: string;
  snapshot: SnapshotSpec;
  filter?: StackFilter;
  /** Innermost frames at the root (icicle of callers). */
  inverted?: boolean;
  /** Caller/callee (sandwich) view for the frames matching this function name + file. */
  sandwich?: { name: string; file: string };
  /** Nodes beyond this are merged into their parent's "other" remainder. Default 200 000. */
  maxNodes?: number;
  /**
   * A table row's `SiteRow.key` to find in the tree (the row the user opened): the result's
   * `focus` lists the nodes it designates, so the view never decodes a key.
   */
  focusKey?: string;
}

/**
 * A reduced call tree in pre-order, node 0 the root. Children follow their parent and are
 * ordered by bytes, largest first. Column arrays keep 100k-node trees compact on the wire.
 */
export interface FlameTree {
  totalBytes: number;
  totalCount: number;
  frames: FrameInfo[];
  /** -1 for the root. */
  parent: number[];
  /** Index into `frames`, -1 for the root. */
  frame: number[];
  bytes: number[];
  count: number[];
  /** Nodes merged away because of maxNodes. */
  mergedNodes: number;
  /** When several threads are kept apart, the root's children are thread nodes. */
  threadLabels?: string[];
  /** With FlameQuery.focusKey: that key and the nodes it designates (none when it is not here). */
  focus?: FlameFocus;
}

export interface FlameFocus {
  key: string;
  /** Pre-order node ids: for a traceback the node ending that stack, else every matching frame's. */
  nodes: number[];
}

export interface TimelineQuery {
  captureId: string;
  maxPoints?: number;
  /** The N of `temporaryCount` (default 1; one of Capabilities.temporaryThresholds). */
  temporaryThreshold?: number;
}

export interface Timeline {
  /** ms from capture start. */
  timeMs: number[];
  heapBytes: number[];
  /** null where the capture has no RSS at that point. */
  rssBytes: (number | null)[];
  /** Bytes allocated in the interval ending at each point. */
  allocatedBytes: number[];
  /** Allocation count in the interval ending at each point. */
  allocationCount: number[];
  /**
   * memray's temporary allocations (threshold `temporaryThreshold`) found in the interval ending
   * at each point, counted at their free; absent when the capture has none.
   */
  temporaryCount?: number[];
  temporaryThreshold?: number;
  /**
   * The high-water mark and when it happened (memory-record resolution, as `stats` reports it).
   * The series holds a point with exactly these values: the line passes through the peak.
   */
  peak: { timeMs: number; bytes: number };
  /**
   * The heap when tracking stopped, at the capture's end (header end time, or the last memory
   * record of a capture cut short): the series' last point.
   */
  end?: { timeMs: number; bytes: number };
  /** Where a truncated capture was cut. */
  truncatedAtMs?: number;
  /** Live bytes per allocator family at each point. */
  byFamily?: { family: AllocatorFamily; bytes: number[] }[];
  /**
   * Multi-process captures: each process's live heap at every point (null before it started and
   * after it ended); `heapBytes` is their sum at the same moment.
   */
  processes?: { label: string; pid?: number; heapBytes: (number | null)[] }[];
  /** Multi-process captures: Σ of each process's own peak (reached at different moments). */
  sumOfProcessPeaksBytes?: number;
  /** A series of memray captures: where each capture lies on the axis (they are laid end to end). */
  captures?: { label: string; fromMs: number; toMs: number }[];
  durationMs: number;
  /**
   * A series of snapshots: one point per dump. On a `dump` axis `timeMs` holds the dump's index
   * (0, 1, 2 …), not a time; `labels` names each point's file.
   */
  series?: {
    axis: 'time' | 'dump';
    labels: string[];
    order: SeriesOrder;
    orderNote: string;
    /** Sites ranked by growth across the series (largest slope first), at most 50. */
    growth: SiteGrowth[];
    /** Sites in the series (before the 50 limit). */
    siteCount: number;
  };
}

export type AllocatorFamily = 'pymalloc' | 'malloc' | 'mmap' | 'jemalloc' | 'mimalloc' | 'other';

export interface AllocatorQuery {
  captureId: string;
  snapshot: SnapshotSpec;
  filter?: StackFilter;
}

export interface SizeBin {
  minBytes: number;
  maxBytes: number;
  count: number;
}

export interface AllocatorBreakdown {
  pythonAllocator?: string;
  /** Per allocator function name (memray's enum names, e.g. MALLOC, PYMALLOC_MALLOC, MMAP). */
  byAllocator: { name: string; family: AllocatorFamily; bytes: number; count: number }[];
  byFamily: { family: AllocatorFamily; bytes: number; count: number }[];
  /** Same families over every allocation made (not only the chosen snapshot). */
  byFamilyAll?: { family: AllocatorFamily; bytes: number; count: number }[];
  histogram: SizeBin[];
  /** The pymalloc small-object threshold, for marking the histogram. */
  pymallocThresholdBytes: number;
  /** Why jemalloc/mimalloc attribution is or is not possible. */
  attributionNote?: string;
  /** Scalene: the Python-allocator vs native split per source line (largest first). */
  bySite?: AllocatorSiteSplit[];
  /** Scalene: bytes copied (memcpy and friends) over the run, when the profile sampled copies. */
  copyBytes?: number;
}

/** One source line's allocations split by allocator (Scalene's `n_python_fraction`). */
export interface AllocatorSiteSplit {
  file: string;
  line: number;
  function: string;
  pythonBytes: number;
  nativeBytes: number;
  /** Bytes copied at this line; absent when the profile has no copy data. */
  copyBytes?: number;
}

export type GroupBy = 'function' | 'line' | 'file' | 'module' | 'traceback';

export interface TableQuery {
  captureId: string;
  snapshot: SnapshotSpec;
  filter?: StackFilter;
  groupBy: GroupBy;
  sortBy?: 'bytes' | 'count' | 'ownBytes' | 'name';
  descending?: boolean;
  /** Case-insensitive substring on function and file. */
  search?: string;
  offset?: number;
  limit?: number;
}

export interface SiteRow {
  /** Stable identity of the group (used to focus the flamegraph). */
  key: string;
  function: string;
  file: string;
  line: number;
  module?: string;
  /** Bytes where this site is the innermost frame. */
  ownBytes: number;
  ownCount: number;
  /** Bytes where this site is anywhere on the stack (counted once per stack). */
  bytes: number;
  count: number;
  /** bytes / snapshot total. */
  share: number;
  /** traceback grouping: frames oldest first. */
  frames?: { file: string; line: number; function: string }[];
  /** Scalene: the line's own peak (`n_peak_mb`), beside `bytes` allocated over the run. */
  peakBytes?: number;
  /** Scalene: the source text of the line. */
  sourceLine?: string;
  /** Native rows: where the function is in its source (see FrameInfo.source). */
  source?: SourceLocation;
}

export interface TableResult {
  rows: SiteRow[];
  totalRows: number;
  totalBytes: number;
  totalCount: number;
}

export type FindingSeverity = 'info' | 'warning' | 'critical';

export interface Finding {
  severity: FindingSeverity;
  /** Stable machine code, e.g. "truncated", "rss-exceeds-heap", "single-site-dominates". */
  code: string;
  text: string;
}

export interface SummaryQuery {
  captureId: string;
  /** When set, the numbers are for this range. */
  range?: { fromMs: number; toMs: number };
  /** How sizes in the findings' text are written (default 'si'). */
  units?: UnitSystem;
  /** The container's memory limit (bytes): findings then say how close RSS came to it. */
  limitBytes?: number;
}

/**
 * The headline numbers of a capture (or of a range of it). A number the capture did not measure
 * is null, never a made-up zero: a snapshot-only capture (a tracemalloc dump, a memray CSV) has
 * no peak time, no allocation totals and no leaks; an aggregated memray file no allocation
 * totals; Scalene no leaked set. shared/present/summary.ts says how each is shown.
 */
export interface Summary {
  info: CaptureInfo;
  /** The high-water mark; for a snapshot-only capture the one set it holds. */
  peakBytes: number;
  /** When the peak was reached (ms from the start; a series: the dump's position); null without a time axis. */
  peakTimeMs: number | null;
  /** Allocations made (memray's total_num_allocations) and their bytes; null when not recorded. */
  totalAllocations: number | null;
  totalBytesAllocated: number | null;
  /** Alive when tracking stopped (or at the range's end); null when the capture cannot tell. */
  leakedBytes: number | null;
  leakedCount: number | null;
  /**
   * RSS and tracked heap at one moment, `atEndTimeMs`: the last memory record (for a range, the
   * one that ends it), where both were measured together. A multi-process capture sums the
   * processes running then, each as of its last memory record at or before that moment.
   */
  rssAtEndBytes?: number;
  heapAtEndBytes?: number;
  atEndTimeMs?: number;
  /**
   * Multi-process captures: Σ of each process's own peak, reached at different moments; shown
   * beside `peakBytes`, the highest sum of the processes' live heaps at one moment.
   */
  sumOfProcessPeaksBytes?: number;
  topSites: SiteRow[];
  findings: Finding[];
  /** memray's temporary allocations at its default threshold (N = 1), when the capture has them. */
  temporary?: TemporaryTotals;
  /**
   * Native captures: what symbolization found for the objects the summary's snapshot touches
   * (named, refused, not found), so a reader knows when a sysroot or debug folder would help.
   */
  symbols?: SymbolsNote;
}

export interface TemporaryTotals {
  threshold: number;
  count: number;
  bytes: number;
  /** The site with the most temporary allocations (innermost Python frame). */
  topSite?: { function: string; file: string; line: number; count: number; bytes: number };
}

export interface GrowthQuery {
  captureId: string;
  /** Sites returned, best-ranked first (default 20). */
  limit?: number;
  /** Thread ids to keep; undefined keeps all. */
  threads?: number[];
}

/** One site's live bytes over the capture, and how steadily they grew. */
export interface GrowthSite {
  /** The innermost Python frame of the stacks (memray's location). */
  function: string;
  file: string;
  line: number;
  /** Least-squares slope of live bytes over time, bytes per minute. */
  slopeBytesPerMin: number;
  /** Share (0–1) of the intervals between consecutive points in which live bytes grew. */
  growthShare: number;
  /** Coefficient of determination of the linear fit (0 when the series is flat). */
  rSquared: number;
  /** rSquared × growthShare, 0 for a shrinking or flat site. */
  confidence: number;
  /** Live bytes at the end of the capture, and the most it held at any point. */
  finalBytes: number;
  maxBytes: number;
  /** Live bytes at ≤ 64 evenly spaced moments (`GrowthResult.sparkTimeMs`). */
  sparkline: number[];
  verdict: 'growing' | 'flat' | 'shrinking' | 'fluctuating';
}

export interface GrowthResult {
  /** Points each site's series has (memory-record time buckets). */
  points: number;
  durationMs: number;
  sparkTimeMs: number[];
  totalSites: number;
  /** Best-ranked first: confidence × the fitted growth over the run. */
  sites: GrowthSite[];
}

export interface DiffSide {
  captureId: string;
  snapshot: SnapshotSpec;
}

export interface DiffQuery {
  base: DiffSide;
  target: DiffSide;
  groupBy: Exclude<GroupBy, 'module'>;
  filter?: StackFilter;
  cumulative?: boolean;
  limit?: number;
}

export type DiffStatus = 'grown' | 'shrunk' | 'new' | 'gone' | 'same';

export interface DiffRow {
  key: string;
  function: string;
  file: string;
  line: number;
  /** Traceback rows: frames oldest first (native ones with their source, as `source` below). */
  frames?: { file: string; line: number; function: string; source?: SourceLocation }[];
  size: number;
  sizeDiff: number;
  count: number;
  countDiff: number;
  status: DiffStatus;
  /** sizeDiff relative to the base size (Infinity for new sites). */
  sizeDiffRatio: number;
  /**
   * Native rows: where the function is in its source (see FrameInfo.source), found by the
   * symbolizer of the capture the row comes from (the base for gone rows, else the target).
   */
  source?: SourceLocation;
}

/** A differential call tree: width is the target value; removed frames stay with 0 width. */
export interface DiffFlameTree {
  frames: FrameInfo[];
  parent: number[];
  frame: number[];
  baseBytes: number[];
  targetBytes: number[];
  baseCount: number[];
  targetCount: number[];
}

export interface DiffResult {
  base: { totalBytes: number; totalCount: number; label: string };
  target: { totalBytes: number; totalCount: number; label: string };
  groupCount: number;
  rows: DiffRow[];
  flame: DiffFlameTree;
  /** How stacks of the two sides were matched. */
  matching: 'exact' | 'module-relative' | 'heuristic-prefix';
  matchingNote?: string;
}

export type ExportFormat = 'html' | 'csv' | 'json' | 'speedscope' | 'memray-csv';

export interface ReportOptions {
  captureId: string;
  baseline?: DiffSide;
  snapshot?: SnapshotSpec;
  range?: { fromMs: number; toMs: number };
  filter?: StackFilter;
  redact?: boolean;
  /** How the HTML report writes sizes (default 'si'). */
  units?: UnitSystem;
  /** The container's memory limit (bytes): headroom and kill findings in the report. */
  limitBytes?: number;
}

export interface ExportRequest extends ReportOptions {
  format: ExportFormat;
  /** Absolute output path (Electron) or undefined to receive the content (browser mode). */
  outputPath?: string;
}

export interface ExportResult {
  format: ExportFormat;
  outputPath?: string;
  /** Present when no outputPath was given. */
  content?: string;
  bytes: number;
}

/** A profiled line's own memory samples (Scalene's per-line `memory_samples`). */
export interface LineSamples {
  file: string;
  line: number;
  /** ms from profile start. */
  timeMs: number[];
  /** The program's whole footprint when a sample fell on this line (not the line's own usage). */
  heapBytes: number[];
  /** The profiler's leak hint for this line, when it gave one. */
  leak?: { likelihood: number; velocityBytesPerSec: number };
}

export interface LineSamplesQuery {
  captureId: string;
  file: string;
  line: number;
}

export interface OpenRequest {
  path: string;
  /** memray: also open `NAME.bin.PID` fork children as one multi-process capture. */
  withForkChildren?: boolean;
  /**
   * 'totals': build only what `stats --json` (whole capture) reports, which memray captures
   * replay in a fraction of the time and memory; every other query on it is refused.
   * Formats without a cheaper pass ignore it. Default 'full'.
   */
  detail?: 'full' | 'totals';
  /** Where native frames' objects and debug files are looked for (Settings › Symbols). */
  symbols?: SymbolSearch;
  /**
   * Several tracemalloc dumps to open as one series (ordered by their names, see SeriesOrder);
   * `path` then only names the series. A `path` that is a folder opens the dumps in it.
   */
  series?: string[];
}

export interface LastSecondsQuery {
  captureId: string;
  /** The window's length (ms); default: 5 s, or 10 % of the run when that is shorter. */
  windowMs?: number;
  /** The container's memory limit (bytes), for headroom and the kill findings. */
  limitBytes?: number;
  units?: UnitSystem;
  /** Sites to return (largest growth first); default 20. */
  limit?: number;
  /** Site grouping: the innermost frame's line (default) or its function. */
  groupBy?: 'line' | 'function';
}

/** One site's growth over the last seconds (line grouping; tracemalloc compare_to semantics). */
export interface LastSecondsSite extends DiffRow {
  /** sizeDiff per second of the window. */
  bytesPerSecond: number;
}

/** The final seconds of a capture: what grew, where, how fast, and how close it came to a limit. */
export interface LastSeconds {
  /** [fromMs, toMs]: the window asked for (toMs = the capture's end). */
  fromMs: number;
  toMs: number;
  /** How the window was chosen, for people. */
  windowNote: string;
  /** Live heap at the window's start (as of the memory record that answers it) and at the end. */
  startLabel: string;
  heapAtStartBytes: number;
  heapAtEndBytes: number;
  /** (heapAtEnd − heapAtStart) / window seconds. */
  heapBytesPerSecond: number;
  /** RSS at the last memory record and when it was (ms from start). */
  rssAtCutBytes?: number;
  rssAtCutMs?: number;
  /** The highest RSS of any memory record, and the peak heap. */
  peakRssBytes?: number;
  peakHeapBytes: number;
  limitBytes?: number;
  /** limit − peak (negative when over). */
  rssHeadroomBytes?: number;
  heapHeadroomBytes?: number;
  truncated: boolean;
  groupCount: number;
  /** Largest growth first. */
  sites: LastSecondsSite[];
  findings: Finding[];
}

/** The engine interface, with two transports: worker/IPC (Electron) and HTTP (browser mode). */
export interface HeapscopeApi {
  open(req: OpenRequest): Promise<CaptureInfo>;
  cancel(captureId: string): Promise<void>;
  close(captureId: string): Promise<void>;
  list(): Promise<CaptureInfo[]>;
  summary(q: SummaryQuery): Promise<Summary>;
  flamegraph(q: FlameQuery): Promise<FlameTree>;
  timeline(q: TimelineQuery): Promise<Timeline>;
  allocators(q: AllocatorQuery): Promise<AllocatorBreakdown>;
  table(q: TableQuery): Promise<TableResult>;
  diff(q: DiffQuery): Promise<DiffResult>;
  export(req: ExportRequest): Promise<ExportResult>;
  /** Per-line samples for a selected table row; null when the format has none. */
  lineSamples(q: LineSamplesQuery): Promise<LineSamples | null>;
  /** The final seconds of a capture with a time axis (what grew before a kill). */
  lastSeconds(q: LastSecondsQuery): Promise<LastSeconds>;
  /** Leak suspects: sites ranked by how steadily their live bytes grow. */
  growth(q: GrowthQuery): Promise<GrowthResult>;
  /** Allocator layout at a moment: pymalloc arenas/pools, the malloc heap, mappings (estimates). */
  layout(q: LayoutQuery): Promise<MemoryLayout>;
  /** Stacks of the live blocks in one region of a layout (a pool, an arena, a heap segment). */
  layoutSites(q: LayoutSitesQuery): Promise<LayoutSites>;
  /** RSS split into live heap, allocator-held (estimated) and the rest, over time. */
  layoutBands(q: LayoutBandsQuery): Promise<LayoutBands>;
}

/** Errors cross every transport as this shape. */
export interface ApiError {
  code: 'bad-input' | 'not-found' | 'cancelled' | 'unsupported' | 'internal';
  message: string;
  file?: string;
  offset?: number;
}
