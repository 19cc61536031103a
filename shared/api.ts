/**
 * The one query API of Heapscope, typed once.
 *
 * The CLI, the HTTP server (browser mode), the Electron IPC bridge and the renderer all speak
 * these types. Every result is already reduced to display size: no query ever returns raw
 * allocation records.
 */

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
  | { kind: 'range'; fromMs: number; toMs: number; measure: 'peak' | 'live-at-end' | 'allocated' };

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
}

export interface TimelineQuery {
  captureId: string;
  maxPoints?: number;
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
  peak: { timeMs: number; bytes: number };
  /** Where a truncated capture was cut. */
  truncatedAtMs?: number;
  /** Live bytes per allocator family at each point. */
  byFamily?: { family: AllocatorFamily; bytes: number[] }[];
  durationMs: number;
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
}

export interface Summary {
  info: CaptureInfo;
  peakBytes: number;
  peakTimeMs: number;
  totalAllocations: number;
  totalBytesAllocated: number;
  leakedBytes: number;
  leakedCount: number;
  rssAtEndBytes?: number;
  heapAtEndBytes?: number;
  topSites: SiteRow[];
  findings: Finding[];
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
  frames?: { file: string; line: number; function: string }[];
  size: number;
  sizeDiff: number;
  count: number;
  countDiff: number;
  status: DiffStatus;
  /** sizeDiff relative to the base size (Infinity for new sites). */
  sizeDiffRatio: number;
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
}

/** Errors cross every transport as this shape. */
export interface ApiError {
  code: 'bad-input' | 'not-found' | 'cancelled' | 'unsupported' | 'internal';
  message: string;
  file?: string;
  offset?: number;
}
