/**
 * The main-thread half of the engine: one worker per open capture, a promise per request,
 * progress fan-out, and cross-capture work (diff) assembled from each worker's reduced results.
 */
import { Worker } from 'node:worker_threads';
import { resolve as resolvePath } from 'node:path';
import { expandHome } from './home-path';
import { writeFile } from 'node:fs/promises';
import type {
  AllocatorBreakdown,
  AllocatorQuery,
  ApiError,
  CaptureInfo,
  DiffQuery,
  DiffResult,
  DiffRow,
  DiffSide,
  ExportRequest,
  ExportResult,
  FlameQuery,
  FlameTree,
  HeapscopeApi,
  OpenRequest,
  Progress,
  SnapshotSpec,
  StackFilter,
  Summary,
  SummaryQuery,
  SymbolSearch,
  SymbolsNote,
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
  LineSamplesQuery,
  LoadPreview,
  TableQuery,
  TableResult,
  Timeline,
  TimelineQuery,
} from '../../shared/api';
import { HeapscopeError } from '../../shared/api-error';
import type { DiffJson, StatsJson } from '../../shared/stats';
import type { StatsOptions } from '../model/capture-model';
import type {
  FromWorker,
  GroupsQuery,
  SnapshotInfo,
  ToWorker,
  WorkerArgs,
  WorkerMethod,
  WorkerResult,
} from './protocol';
import * as q from './queries';
import { applySources, diffSourceRequests } from './native-sources';
import { PREVIEW_INTERVAL_MS } from './preview';
import { InThreadCapture } from './in-thread';

/** The dumps of a series open, as absolute paths; undefined when none are given. */
function seriesPaths(series: unknown): string[] | undefined {
  if (series === undefined) return undefined;
  if (!Array.isArray(series) || series.length === 0 || series.some((p) => typeof p !== 'string' || p === ''))
    throw new HeapscopeError({ code: 'bad-input', message: 'open: series must be a list of file paths' });
  return series.map((p: string) => resolvePath(expandHome(p)));
}

export interface EngineOptions {
  /** The built worker (out/node/worker.js or out/main/worker.js). */
  workerUrl: URL | string;
  /** Read size passed to loaders (tests force tiny chunks). */
  chunkSize?: number;
  /** How long a cancelled worker may take to stop by itself before it is terminated. */
  cancelGraceMs?: number;
  /** Where native symbols are searched for opens that do not say (`--sysroot`, `--debug-dir`). */
  symbols?: SymbolSearch;
  /** Least time between two previews of a loading capture (default PREVIEW_INTERVAL_MS; tests 0). */
  previewIntervalMs?: number;
  /**
   * Where each capture's session runs: its own worker thread (the default: the app and `serve`
   * keep their thread free while files load), or this thread (the CLI's one-shot commands,
   * which wait for the answer anyway and save each worker's start-up; see in-thread.ts). With
   * 'in-thread' only the first capture loads here: any other gets a worker, so the two captures
   * of a `diff` (or `check --baseline`, a series) load on two cores at once.
   */
  transport?: 'worker' | 'in-thread';
}

/** What a capture's session is reached through: a worker thread, or an InThreadCapture. */
export interface CapturePort {
  postMessage(message: ToWorker): void;
  on(event: 'message', listener: (message: FromWorker) => void): unknown;
  on(event: 'error' | 'messageerror', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: HeapscopeError) => void;
}

type Listener = (progress: Progress) => void;
type HeaderListener = (info: CaptureInfo) => void;
type PreviewListener = (preview: LoadPreview) => void;

class CaptureHandle {
  info?: CaptureInfo;
  headerInfo?: CaptureInfo;
  lastProgress?: Progress;
  opening?: Promise<CaptureInfo>;
  dead?: ApiError;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    readonly id: string,
    readonly key: string,
    readonly worker: CapturePort,
    private readonly emit: (message: FromWorker) => void,
  ) {
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error: Error) =>
      this.fail({ code: 'internal', message: `the capture worker failed: ${error.message}` }),
    );
    worker.on('messageerror', (error: Error) =>
      this.fail({ code: 'internal', message: `bad message from the capture worker: ${error.message}` }),
    );
    worker.on('exit', (code) => {
      if (!this.dead)
        this.fail({ code: 'internal', message: `the capture worker stopped (exit code ${code})` });
    });
  }

  request<T>(message: ToWorker & { id: number }): Promise<T> {
    if (this.dead) return Promise.reject(new HeapscopeError(this.dead));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(message);
    });
  }

  newId(): number {
    return this.nextId++;
  }

  send(message: ToWorker): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  /** Rejects everything outstanding; later requests fail with the same error. */
  fail(error: ApiError): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(new HeapscopeError(error));
    this.pending.clear();
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'progress':
      case 'header':
        if (message.type === 'header') this.headerInfo = message.info;
        else this.lastProgress = message.progress;
        this.emit(message);
        return;
      case 'preview':
        // Only while loading: a cancelled or failed open has nothing more to show.
        if (!this.info && !this.dead) this.emit(message);
        return;
      case 'ready':
        this.info = message.info;
        // The capture is listed before anyone hears it is done.
        if (message.progress) {
          this.lastProgress = message.progress;
          this.emit({ type: 'progress', progress: message.progress });
        }
        this.settle(message.id, (p) => p.resolve(message.info));
        return;
      case 'result':
        this.settle(message.id, (p) => p.resolve(message.value));
        return;
      case 'error':
        this.settle(message.id, (p) => p.reject(new HeapscopeError(message.error)));
        return;
    }
  }

  private settle(id: number, action: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    action(p);
  }
}

/** A compare_to() of two snapshots (`Engine.diffJson`). */
export interface DiffJsonQuery {
  groupBy: GroupsQuery['groupBy'];
  cumulative?: boolean;
  /** Rows kept, largest change first (all when absent). */
  top?: number;
}

export interface DiffJsonResult {
  json: DiffJson;
  /** Which snapshot each side is ("peak", "live at 1.20 s (memory record at 1.18 s)" …). */
  baseLabel: string;
  targetLabel: string;
  /** How the two captures' paths were matched, when it was not exact. */
  matchingNote?: string;
}

/**
 * What the CLI asks beyond the app's API: the profilers' own JSON shapes. The app never calls
 * these; naming them keeps the API the renderer sees (`HeapscopeApi`) display-sized.
 */
export interface CliQueries {
  /** `stats --json`: the writer's own statistics shape for one capture. */
  statsJson(captureId: string, options?: StatsOptions): Promise<StatsJson>;
  /** `diff --json` and `series --from/--to`: compare_to() of two snapshots. */
  diffJson(base: DiffSide, target: DiffSide, options: DiffJsonQuery): Promise<DiffJsonResult>;
}

export class Engine implements HeapscopeApi, CliQueries {
  private readonly captures = new Map<string, CaptureHandle>();
  private readonly listeners = new Set<Listener>();
  private readonly headerListeners = new Set<HeaderListener>();
  private readonly previewListeners = new Set<PreviewListener>();
  private counter = 0;
  /** A capture's session already runs in this thread ('in-thread' transport: one at most). */
  private threadTaken = false;

  constructor(private readonly options: EngineOptions) {}

  /** Subscribes to progress of every capture; returns the unsubscribe function. */
  onProgress(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once a capture's header is read, before its records are. */
  onHeader(listener: HeaderListener): () => void {
    this.headerListeners.add(listener);
    return () => this.headerListeners.delete(listener);
  }

  /**
   * A memray capture still indexing: its header facts and heap line so far (LoadPreview). Only
   * opens started while a listener is subscribed send previews.
   */
  onPreview(listener: PreviewListener): () => void {
    this.previewListeners.add(listener);
    return () => this.previewListeners.delete(listener);
  }

  async open(req: OpenRequest): Promise<CaptureInfo> {
    if (!req || typeof req.path !== 'string' || req.path.length === 0) {
      throw new HeapscopeError({ code: 'bad-input', message: 'open needs a file path' });
    }
    if (req.detail !== undefined && req.detail !== 'full' && req.detail !== 'totals') {
      throw new HeapscopeError({ code: 'bad-input', message: `open: detail must be 'full' or 'totals'` });
    }
    // A typed `~/x.bin` is in the home folder, not in a folder named `~` here.
    const path = resolvePath(expandHome(req.path));
    const symbols = req.symbols ?? this.options.symbols;
    const series = seriesPaths(req.series);
    const key = `${path}\0${req.withForkChildren ? 'forks' : ''}\0${req.detail ?? 'full'}\0${JSON.stringify(symbols ?? {})}${series ? `\0${series.join('\0')}` : ''}`;
    for (const handle of this.captures.values()) {
      if (handle.key === key && !handle.dead) return handle.info ?? handle.opening!;
    }
    const id = `c${++this.counter}`;
    const inThread = this.options.transport === 'in-thread' && !this.threadTaken;
    if (inThread) this.threadTaken = true;
    const worker: CapturePort = inThread
      ? new InThreadCapture()
      : new Worker(this.options.workerUrl, { name: `heapscope-capture-${id}` });
    const handle = new CaptureHandle(id, key, worker, (message) => this.forward(message));
    this.captures.set(id, handle);
    const openMessage: ToWorker & { id: number } = {
      type: 'open',
      id: handle.newId(),
      captureId: id,
      path,
      ...(req.withForkChildren !== undefined && { withForkChildren: req.withForkChildren }),
      ...(req.detail !== undefined && { detail: req.detail }),
      ...(symbols !== undefined && { symbols }),
      ...(series && { series }),
      ...(this.options.chunkSize !== undefined && { chunkSize: this.options.chunkSize }),
      // Previews cost the loader a little each: sent only while someone shows them.
      ...(this.previewListeners.size > 0 && {
        previewIntervalMs: this.options.previewIntervalMs ?? PREVIEW_INTERVAL_MS,
      }),
    };
    handle.opening = handle.request<CaptureInfo>(openMessage).catch(async (error: HeapscopeError) => {
      // A capture that failed to open holds nothing worth keeping: free its worker.
      await this.dispose(id);
      if (error.code === 'internal')
        this.forwardProgress({
          captureId: id,
          phase: 'error',
          bytesDone: 0,
          bytesTotal: 0,
          records: 0,
          elapsedMs: 0,
          message: error.message,
        });
      throw error;
    });
    // Marked as handled here: callers may attach their handlers later (e.g. after a cancel).
    handle.opening.catch(() => undefined);
    return handle.opening;
  }

  async cancel(captureId: string): Promise<void> {
    const handle = this.captures.get(captureId);
    if (!handle || handle.info) return;
    handle.send({ type: 'cancel' });
    const grace = this.options.cancelGraceMs ?? 2000;
    const stopped = handle.opening?.then(
      () => true,
      () => true,
    );
    // A loader stuck in a long synchronous stretch cannot see the abort; terminating is the backstop.
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), grace).unref());
    if (!(await Promise.race([stopped, timer]))) {
      handle.fail({ code: 'cancelled', message: 'cancelled' });
      const last = handle.lastProgress;
      this.forwardProgress({
        captureId,
        bytesDone: last?.bytesDone ?? 0,
        bytesTotal: last?.bytesTotal ?? 0,
        records: last?.records ?? 0,
        elapsedMs: last?.elapsedMs ?? 0,
        ...(last?.path !== undefined && { path: last.path }),
        phase: 'cancelled',
      });
      await this.dispose(captureId);
    }
  }

  async close(captureId: string): Promise<void> {
    const handle = this.captures.get(captureId);
    if (!handle) return;
    if (!handle.info) await this.cancel(captureId);
    await this.dispose(captureId);
  }

  /** Terminates every worker (CLI exit, server shutdown, app quit). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.captures.keys()].map((id) => this.dispose(id)));
  }

  async list(): Promise<CaptureInfo[]> {
    return [...this.captures.values()].filter((h) => h.info && !h.dead).map((h) => h.info!);
  }

  /** Number of live workers (tests check that close frees them). */
  get workerCount(): number {
    return this.captures.size;
  }

  summary(query: SummaryQuery): Promise<Summary> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'summary', args);
  }

  flamegraph(query: FlameQuery): Promise<FlameTree> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'flamegraph', args);
  }

  timeline(query: TimelineQuery): Promise<Timeline> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'timeline', args);
  }

  allocators(query: AllocatorQuery): Promise<AllocatorBreakdown> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'allocators', args);
  }

  lineSamples(query: LineSamplesQuery): Promise<LineSamples | null> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'lineSamples', args);
  }

  lastSeconds(query: LastSecondsQuery): Promise<LastSeconds> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'lastSeconds', args);
  }

  growth(query: GrowthQuery): Promise<GrowthResult> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'growth', args);
  }

  layout(query: LayoutQuery): Promise<MemoryLayout> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'layout', args);
  }

  layoutSites(query: LayoutSitesQuery): Promise<LayoutSites> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'layoutSites', args);
  }

  layoutBands(query: LayoutBandsQuery): Promise<LayoutBands> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'layoutBands', args);
  }

  table(query: TableQuery): Promise<TableResult> {
    const { captureId, ...args } = query;
    return this.query(captureId, 'table', args);
  }

  statsJson(captureId: string, options: StatsOptions = {}): Promise<StatsJson> {
    return this.query(captureId, 'statsJson', options);
  }

  exportTable(captureId: string, kind: 'memray-csv', leaks: boolean): Promise<string> {
    return this.query(captureId, 'exportTable', { kind, leaks });
  }

  groups(captureId: string, args: GroupsQuery): Promise<q.Group[]> {
    return this.query(captureId, 'groups', args);
  }

  snapshotInfo(captureId: string, snapshot: SnapshotSpec, filter?: StackFilter): Promise<SnapshotInfo> {
    return this.query(captureId, 'snapshotInfo', {
      snapshot,
      ...(filter !== undefined && { filter }),
    });
  }

  /** What native symbolization found for the frames shown so far; null for captures without. */
  symbolsNote(captureId: string): Promise<SymbolsNote | null> {
    return this.query(captureId, 'symbols', {});
  }

  /** The CaptureInfo of an open (or opening) capture. */
  async info(captureId: string): Promise<CaptureInfo> {
    const handle = this.captures.get(captureId);
    if (!handle)
      throw new HeapscopeError({
        code: 'not-found',
        message: `no open capture with id ${JSON.stringify(captureId)}`,
      });
    return handle.info ?? handle.opening!;
  }

  /**
   * Groups of two snapshots, keyed so the same code matches even when the captures ran from
   * different checkouts or venvs (module-relative or common-prefix identity, see path-identity).
   */
  async matchedGroups(
    base: DiffSide,
    target: DiffSide,
    args: Omit<GroupsQuery, 'snapshot'>,
  ): Promise<{ base: q.Group[]; target: q.Group[]; matching?: q.CaptureMatching }> {
    const groupArgs = (await this.pythonFramesOnly(base, target))
      ? { ...args, filter: { ...args.filter, pythonOnly: true } }
      : args;
    const [baseGroups, targetGroups] = await Promise.all([
      this.groups(base.captureId, { ...groupArgs, snapshot: base.snapshot }),
      this.groups(target.captureId, { ...groupArgs, snapshot: target.snapshot }),
    ]);
    // Two moments of one capture share their paths.
    if (base.captureId === target.captureId) return { base: baseGroups, target: targetGroups };
    const matching = await this.matching(base, target);
    if (matching.matching === 'exact') return { base: baseGroups, target: targetGroups, matching };
    const rekey = (groups: q.Group[], relative: (file: string) => string): q.Group[] =>
      groups.map((g) => ({
        ...g,
        key: JSON.stringify([
          g.keyType,
          g.frames.map((f) => [
            relative(f.file),
            f.line,
            g.keyType === 'function' || f.native ? f.function : '',
          ]),
        ]),
      }));
    return {
      base: rekey(baseGroups, matching.base.relative),
      target: rekey(targetGroups, matching.target.relative),
      matching,
    };
  }

  /** A native capture against a plain one: both sides are compared on Python frames only. */
  async pythonFramesOnly(base: DiffSide, target: DiffSide): Promise<boolean> {
    if (base.captureId === target.captureId) return false;
    const [b, t] = await Promise.all([this.info(base.captureId), this.info(target.captureId)]);
    return q.pythonFramesOnly(b.facts, t.facts);
  }

  /** How the stacks of two captures are matched, judged from every file each one names. */
  async matching(base: DiffSide, target: DiffSide): Promise<q.CaptureMatching> {
    const files = (side: DiffSide) => this.query(side.captureId, 'files', { snapshot: side.snapshot });
    const [baseCapture, targetCapture, baseFiles, targetFiles] = await Promise.all([
      this.info(base.captureId),
      this.info(target.captureId),
      files(base),
      files(target),
    ]);
    return q.matchCaptures(
      { facts: baseCapture.facts, files: baseFiles },
      { facts: targetCapture.facts, files: targetFiles },
    );
  }

  async diff(query: DiffQuery): Promise<DiffResult> {
    const { base, target, groupBy, cumulative, limit } = query;
    const filter = (await this.pythonFramesOnly(base, target))
      ? { ...query.filter, pythonOnly: true }
      : query.filter;
    const flameArgs = (side: DiffSide) => ({
      snapshot: side.snapshot,
      ...(filter !== undefined && { filter }),
    });
    const [groups, baseInfo, targetInfo, baseFlame, targetFlame] = await Promise.all([
      this.matchedGroups(base, target, {
        groupBy,
        ...(cumulative !== undefined && { cumulative }),
        ...(filter !== undefined && { filter }),
      }),
      this.snapshotInfo(base.captureId, base.snapshot, filter),
      this.snapshotInfo(target.captureId, target.snapshot, filter),
      this.query(base.captureId, 'flamegraph', flameArgs(base)),
      this.query(target.captureId, 'flamegraph', flameArgs(target)),
    ]);
    const { matching } = groups;
    const allRows = q.compareGroups(groups.base, groups.target);
    const rows = limit !== undefined ? allRows.slice(0, limit) : allRows;
    await this.attachDiffSources(base.captureId, target.captureId, rows);
    const result: DiffResult = {
      base: { totalBytes: baseInfo.totalBytes, totalCount: baseInfo.totalCount, label: baseInfo.label },
      target: {
        totalBytes: targetInfo.totalBytes,
        totalCount: targetInfo.totalCount,
        label: targetInfo.label,
      },
      groupCount: allRows.length,
      rows,
      flame: matching
        ? q.mergeDiffFlame(baseFlame, targetFlame, { base: matching.base, target: matching.target })
        : q.mergeDiffFlame(baseFlame, targetFlame),
      matching: matching?.matching ?? 'exact',
    };
    if (matching?.note) result.matchingNote = matching.note;
    return result;
  }

  /**
   * Source lines for the native frames of the diff rows returned, each row asking the capture it
   * came from (its own symbolizer); the diff flamegraph's frames got theirs in each worker.
   */
  private async attachDiffSources(baseId: string, targetId: string, rows: DiffRow[]): Promise<void> {
    const wanted = diffSourceRequests(rows);
    const ask = async (captureId: string, req: typeof wanted.base): Promise<void> => {
      if (req.frames.length === 0) return;
      applySources(req.sites, await this.query(captureId, 'nativeSources', { frames: req.frames }));
    };
    await Promise.all([ask(baseId, wanted.base), ask(targetId, wanted.target)]);
  }

  /**
   * `heapscope diff` and `series --from --to`: tracemalloc's compare_to() of two snapshots in
   * its own shape (DiffJson), with each snapshot's label. The totals come from the snapshots,
   * not the groups: cumulative groups count a block once per frame.
   */
  async diffJson(base: DiffSide, target: DiffSide, options: DiffJsonQuery): Promise<DiffJsonResult> {
    const { groupBy, cumulative, top } = options;
    const groups = await this.matchedGroups(base, target, { groupBy, ...(cumulative && { cumulative }) });
    const [baseInfo, targetInfo] = await Promise.all([
      this.snapshotInfo(base.captureId, base.snapshot),
      this.snapshotInfo(target.captureId, target.snapshot),
    ]);
    const json = q.diffJson(groups.base, groups.target, {
      ...(top !== undefined && { top }),
      ...(cumulative && { cumulative }),
      old: { totalSize: baseInfo.totalBytes, traceCount: baseInfo.totalCount },
      new: { totalSize: targetInfo.totalBytes, traceCount: targetInfo.totalCount },
    });
    return {
      json,
      baseLabel: baseInfo.label,
      targetLabel: targetInfo.label,
      ...(groups.matching?.note && { matchingNote: groups.matching.note }),
    };
  }

  async export(req: ExportRequest): Promise<ExportResult> {
    // Loaded on first use: the report page and the export formats are most of the bundle.
    const { renderExport } = await import('../export/assemble');
    const content = await renderExport(this, req);
    const bytes = Buffer.byteLength(content);
    if (req.outputPath) {
      await writeFile(req.outputPath, content);
      return { format: req.format, outputPath: req.outputPath, bytes };
    }
    return { format: req.format, content, bytes };
  }

  /** Sends one query to the worker holding `captureId`, waiting for the open to finish first. */
  async query<M extends WorkerMethod>(
    captureId: string,
    method: M,
    args: WorkerArgs<M>,
  ): Promise<WorkerResult<M>> {
    const handle = this.captures.get(captureId);
    if (!handle)
      throw new HeapscopeError({
        code: 'not-found',
        message: `no open capture with id ${JSON.stringify(captureId)}`,
      });
    if (!handle.info) await handle.opening;
    return handle.request<WorkerResult<M>>({ type: 'query', id: handle.newId(), method, args });
  }

  private async dispose(captureId: string): Promise<void> {
    const handle = this.captures.get(captureId);
    if (!handle) return;
    this.captures.delete(captureId);
    handle.fail({ code: 'not-found', message: `capture ${captureId} was closed` });
    await handle.worker.terminate();
  }

  private forward(message: FromWorker): void {
    if (message.type === 'progress') this.forwardProgress(message.progress);
    else if (message.type === 'header') for (const l of this.headerListeners) l(message.info);
    else if (message.type === 'preview') this.forwardPreview(message.preview);
  }

  private forwardPreview(preview: LoadPreview): void {
    for (const listener of this.previewListeners) {
      try {
        listener(preview);
      } catch {
        // As with progress: one broken subscriber must not stop the others.
      }
    }
  }

  private forwardProgress(progress: Progress): void {
    for (const listener of this.listeners) {
      try {
        listener(progress);
      } catch {
        // One broken subscriber (a closed SSE stream) must not stop the others.
      }
    }
  }
}
