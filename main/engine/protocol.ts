/**
 * Messages between the Engine (main thread) and one capture worker. Everything here is
 * structured-clone safe: plain objects, arrays and typed arrays only.
 */
import type {
  AllocatorBreakdown,
  AllocatorQuery,
  ApiError,
  CaptureInfo,
  FlameQuery,
  FlameTree,
  GroupBy,
  GrowthQuery,
  GrowthResult,
  LastSeconds,
  LastSecondsQuery,
  LayoutBands,
  LayoutBandsQuery,
  LayoutQuery,
  LayoutSites,
  LayoutSitesQuery,
  MemoryLayout,
  LineSamples,
  LoadPreview,
  Progress,
  SnapshotSpec,
  SourceLocation,
  StackFilter,
  Summary,
  SummaryQuery,
  SymbolSearch,
  SymbolsNote,
  TableQuery,
  TableResult,
  Timeline,
  TimelineQuery,
} from '../../shared/api';
import type { StatsJson } from '../../shared/stats';
import type { StatsOptions } from '../model/capture-model';
import type { Group } from '../model/groups';

type WithoutCapture<T> = Omit<T, 'captureId'>;

/**
 * Queries a worker answers about the one capture it holds: arguments → result. The worker's
 * handlers (handlers.ts) and the Engine's callers (engine.ts) are both typed from this, so the
 * two sides of the message channel cannot disagree on a shape.
 */
export interface WorkerQueries {
  summary: (q: WithoutCapture<SummaryQuery>) => Summary;
  flamegraph: (q: WithoutCapture<FlameQuery>) => FlameTree;
  timeline: (q: WithoutCapture<TimelineQuery>) => Timeline;
  allocators: (q: WithoutCapture<AllocatorQuery>) => AllocatorBreakdown;
  table: (q: WithoutCapture<TableQuery>) => TableResult;
  statsJson: (q: StatsOptions) => StatsJson;
  exportTable: (q: { kind: 'memray-csv'; leaks: boolean }) => string;
  /** Reduced groups of one snapshot for a cross-capture diff (tracemalloc `statistics()` semantics). */
  groups: (q: GroupsQuery) => Group[];
  /** Every source file the snapshot's frames name, for matching paths across captures. */
  files: (q: { snapshot: SnapshotSpec }) => string[];
  /** Label and totals of one snapshot, for diff headers. */
  snapshotInfo: (q: { snapshot: SnapshotSpec; filter?: StackFilter }) => SnapshotInfo;
  /** A selected line's own samples (Scalene), or null. */
  lineSamples: (q: { file: string; line: number }) => LineSamples | null;
  /** What native symbolization found for the frames shown so far (report/export metadata). */
  symbols: (q: Record<string, never>) => SymbolsNote | null;
  /**
   * Source lines of native frames (by label and recorded object path) this capture's symbolizer
   * named, null where none is known: for results the Engine assembles (diff rows).
   */
  nativeSources: (q: { frames: { name: string; file: string }[] }) => (SourceLocation | null)[];
  /** The final seconds of a capture with a time axis (see main/query/last-seconds.ts). */
  lastSeconds: (q: WithoutCapture<LastSecondsQuery>) => LastSeconds;
  /** Leak suspects ranked by growth (main/query/growth.ts). */
  growth: (q: WithoutCapture<GrowthQuery>) => GrowthResult;
  /** Allocator layout at a moment (main/query/layout). */
  layout: (q: WithoutCapture<LayoutQuery>) => MemoryLayout;
  layoutSites: (q: WithoutCapture<LayoutSitesQuery>) => LayoutSites;
  layoutBands: (q: WithoutCapture<LayoutBandsQuery>) => LayoutBands;
}

export type WorkerMethod = keyof WorkerQueries;
/** What a query's arguments are, and what it answers. */
export type WorkerArgs<M extends WorkerMethod> = Parameters<WorkerQueries[M]>[0];
export type WorkerResult<M extends WorkerMethod> = ReturnType<WorkerQueries[M]>;

export interface GroupsQuery {
  snapshot: SnapshotSpec;
  groupBy: Exclude<GroupBy, 'module'> | 'filename' | 'lineno';
  cumulative?: boolean;
  filter?: StackFilter;
}

export interface SnapshotInfo {
  label: string;
  totalBytes: number;
  totalCount: number;
}

export type ToWorker =
  | {
      type: 'open';
      id: number;
      captureId: string;
      path: string;
      withForkChildren?: boolean;
      chunkSize?: number;
      detail?: 'full' | 'totals';
      symbols?: SymbolSearch;
      /** tracemalloc dumps opened as one series (`path` names it). */
      series?: string[];
      /** Least time between two previews; absent: no previews (nobody listens, as in the CLI). */
      previewIntervalMs?: number;
    }
  | { type: 'query'; id: number; method: WorkerMethod; args: unknown }
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: Progress }
  /** The header is read: a first screen can appear before the records are. */
  | { type: 'header'; info: CaptureInfo }
  /** The heap line so far while the rest indexes (memray), at most every previewIntervalMs. */
  | { type: 'preview'; preview: LoadPreview }
  /** `progress`: the 'done' event, emitted once `info` is set (see Engine's CaptureHandle). */
  | { type: 'ready'; id: number; info: CaptureInfo; progress?: Progress }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ApiError };
