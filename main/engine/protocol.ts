/**
 * Messages between the Engine (main thread) and one capture worker. Everything here is
 * structured-clone safe: plain objects, arrays and typed arrays only.
 */
import type {
  AllocatorQuery,
  ApiError,
  CaptureInfo,
  FlameQuery,
  GroupBy,
  Progress,
  SnapshotSpec,
  StackFilter,
  SummaryQuery,
  TableQuery,
  TimelineQuery,
} from '../../shared/api';
import type { StatsOptions } from '../model/capture-model';

type WithoutCapture<T> = Omit<T, 'captureId'>;

/** Queries a worker answers about the one capture it holds. */
export interface WorkerQueries {
  summary: (q: WithoutCapture<SummaryQuery>) => unknown;
  flamegraph: (q: WithoutCapture<FlameQuery>) => unknown;
  timeline: (q: WithoutCapture<TimelineQuery>) => unknown;
  allocators: (q: WithoutCapture<AllocatorQuery>) => unknown;
  table: (q: WithoutCapture<TableQuery>) => unknown;
  statsJson: (q: StatsOptions) => unknown;
  exportTable: (q: { kind: 'memray-csv'; leaks: boolean }) => unknown;
  /** Reduced groups of one snapshot for a cross-capture diff (tracemalloc `statistics()` semantics). */
  groups: (q: GroupsQuery) => unknown;
  /** Every source file the snapshot's frames name, for matching paths across captures. */
  files: (q: { snapshot: SnapshotSpec }) => unknown;
  /** Label and totals of one snapshot, for diff headers. */
  snapshotInfo: (q: { snapshot: SnapshotSpec; filter?: StackFilter }) => unknown;
  /** A selected line's own samples (Scalene), or null. */
  lineSamples: (q: { file: string; line: number }) => unknown;
}

export type WorkerMethod = keyof WorkerQueries;

export const WORKER_METHODS: readonly WorkerMethod[] = [
  'summary',
  'flamegraph',
  'timeline',
  'allocators',
  'table',
  'statsJson',
  'exportTable',
  'groups',
  'snapshotInfo',
  'files',
  'lineSamples',
];

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
    }
  | { type: 'query'; id: number; method: WorkerMethod; args: unknown }
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: Progress }
  /** The header is read: a first screen can appear before the records are. */
  | { type: 'header'; info: CaptureInfo }
  | { type: 'ready'; id: number; info: CaptureInfo }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ApiError };
