import type {
  AllocatorBreakdown,
  Capabilities,
  CaptureInfo,
  LineSamples,
  SnapshotSpec,
  StackFilter,
  Summary,
  Timeline,
} from '../../shared/api';
import type { StatsJson } from '../../shared/stats';
import type { Snapshot } from './snapshot';
import type { LayoutProvider } from './layout-input';
import type { Symbolizer } from './symbolizer';
import type { UnitSystem } from '../../shared/units';

/**
 * What an opened capture offers, whatever its format. A format's loader builds one in a single
 * streaming pass; the engine worker keeps it and answers queries from it without re-reading
 * the file. Generic queries (flamegraph, table, diff) work on `snapshot()`; the rest is
 * format-specific but typed here.
 */
export interface CaptureModel {
  info(): CaptureInfo;

  /** Set when opened with detail 'totals': only `statsJson` without a range is answered. */
  readonly totalsOnly?: boolean;

  /**
   * Aggregated rows for a snapshot kind. Thread and allocator filters may be applied here (the
   * model knows its keys); frame-level filters are applied by the generic queries.
   * Throws `UnsupportedQuery` for kinds the capture cannot answer (e.g. ranges on a CSV).
   */
  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot;

  /**
   * Summary numbers (top sites and findings are filled in by the generic layer when absent);
   * findings a model writes itself put sizes in `units`.
   */
  summary(
    range?: {
      fromMs: number;
      toMs: number;
    },
    units?: UnitSystem,
  ): Omit<Summary, 'info' | 'topSites' | 'findings'> & Partial<Pick<Summary, 'topSites' | 'findings'>>;

  /**
   * Heap/RSS over time at full resolution, every point the model has; undefined when the capture
   * has no time axis. The timeline query reduces it for display (main/query/timeline-lod.ts).
   */
  timeline(options?: { temporaryThreshold?: number }): Timeline | undefined;

  /** Live bytes per site over time, for leak suspects by growth; undefined without a time index. */
  growthSeries?(options: { threads?: number[]; maxPoints?: number }): GrowthSeries | undefined;

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown;

  /**
   * The object `heapscope stats FILE --json` prints, in the format's own shape (see
   * shared/stats.ts). Options come from the command line.
   */
  statsJson(options: StatsOptions): StatsJson;

  /** Format-specific exports (e.g. memray's `transform csv` rows); undefined when not offered. */
  exportTable?(kind: 'memray-csv', options: { leaks: boolean }): string;

  /** Format-specific columns of a line-grouped table row (Scalene: peak and source text). */
  siteExtras?(file: string, line: number): { peakBytes?: number; sourceLine?: string } | undefined;

  /** Per-line samples for a selected row; undefined when the format has none. */
  lineSamples?(file: string, line: number): LineSamples | undefined;

  /**
   * Allocator layouts (issue 14: pymalloc pools and arenas, the malloc heap); undefined when the
   * capture has none (other formats, aggregated or totals-only memray captures).
   */
  allocatorLayout?(): LayoutProvider | undefined;
}

/**
 * What a model with a time index gives for leak suspects by growth: live bytes per site at each
 * point (time bucket ends), oldest first. The growth query ranks it (main/query/growth.ts).
 */
export interface GrowthSeries {
  /** ms from the capture start, strictly increasing. */
  timeMs: ArrayLike<number>;
  durationMs: number;
  sites: { function: string; file: string; line: number; live: ArrayLike<number> }[];
}

/**
 * A capture that is one live set and nothing else (a tracemalloc dump, a memray CSV): no time
 * axis, no history of what was allocated and freed (its Summary: SNAPSHOT_ONLY_SUMMARY).
 */
export const SNAPSHOT_ONLY_CAPABILITIES: Readonly<Capabilities> = {
  timeline: false,
  ranges: false,
  threads: false,
  native: false,
  peak: true,
  leaks: true,
  allAllocations: false,
  flamegraph: true,
};

/**
 * The Summary numbers a snapshot-only capture does not have: the one place that says so. A dump
 * or a CSV is one live set with no time axis, so it has no moment of its peak, no record of what
 * was allocated and freed, and no "leaked": its one set is `peakBytes`.
 */
export const SNAPSHOT_ONLY_SUMMARY = {
  peakTimeMs: null,
  totalAllocations: null,
  totalBytesAllocated: null,
  leakedBytes: null,
  leakedCount: null,
} as const satisfies Partial<Summary>;

export interface StatsOptions {
  range?: { fromMs: number; toMs: number };
  /** tracemalloc: statistics grouping. */
  groupBy?: 'filename' | 'lineno' | 'traceback';
  cumulative?: boolean;
  top?: number;
}

/** Raised for a query the capture's format cannot answer; becomes ApiError code 'unsupported'. */
export class UnsupportedQuery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedQuery';
  }
}

/** Raised for malformed input; becomes ApiError code 'bad-input' naming file and offset. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'InputError';
  }
}

export interface LoadProgress {
  bytesDone: number;
  bytesTotal: number;
  records: number;
  /**
   * The heap line read so far, for a first screen while the rest indexes (shared/api.ts
   * LoadPreview): memray's memory records, the points the finished model's timeline() holds up
   * to there. Formats (and memray opens) whose finished line is not this one leave it out.
   * Called only when wanted; its views belong to the loader: read them in the callback.
   */
  heapLine?: () => HeapLineSoFar;
}

/** One point per memory record read so far (time non-decreasing; all three of one length). */
export interface HeapLineSoFar {
  /** ms from the capture's start. */
  timeMs: ArrayLike<number>;
  heapBytes: ArrayLike<number>;
  rssBytes: ArrayLike<number>;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Called once the header is parsed, so a first screen can appear early. */
  onHeader?: (info: CaptureInfo) => void;
  signal?: AbortSignal;
  /** Read size for streaming; tests force tiny chunks to exercise boundaries. */
  chunkSize?: number;
  /** See OpenRequest.detail. */
  detail?: 'full' | 'totals';
  /** Names native frames (memray --native captures); the loader's default searches this machine. */
  symbolizer?: Symbolizer;
}

/** Every format exposes one entry function of this shape (speedscope's `src/import/*` style). */
export type CaptureLoader = (path: string, options: LoadOptions) => Promise<CaptureModel>;
