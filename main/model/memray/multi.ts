import type {
  AllocatorBreakdown,
  AllocatorFamily,
  CaptureInfo,
  SnapshotSpec,
  StackFilter,
  Summary,
  ThreadInfo,
  Timeline,
} from '../../../shared/api';
import type { MemrayMultiStatsJson, MemrayStatsJson } from '../../../shared/stats';
import { UnsupportedQuery, type CaptureModel, type GrowthSeries, type StatsOptions } from '../capture-model';
import { FrameTable } from '../frame-table';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import { StackTrie } from '../stack-trie';
import { mergeGrowthSeries, type ProcessGrowth } from './merged-growth';
import { memraySizeHistogram, type MemrayModel } from './model';

/** The merged heap line at full resolution, and where its peak is. */
interface MergedSeries {
  timeline: Timeline;
  peakAt: number;
}

type AtEnd = Pick<Summary, 'rssAtEndBytes' | 'heapAtEndBytes' | 'atEndTimeMs'>;

/**
 * Where the captures go on the merged clock when it is not their start times (a series of
 * captures of one program, series.ts, lays them end to end), and how each one is named.
 */
export interface ProcessLayout {
  /** ms from the merged start to each capture's start. */
  offsetsMs: number[];
  /** Names its threads ("NAME · 0x1") and its own heap line. */
  labels: string[];
}

/**
 * A parent capture and its `--follow-fork` children as one capture (and, with a ProcessLayout,
 * the captures of a series laid end to end: series.ts). Threads are relabelled by
 * pid ("pid 1234 · 0x1"); times are aligned on each header's start time (epoch ms). A process
 * runs from its start to its end (`MemrayModel.endTimeMs`); the merged heap at a moment is the sum
 * of the live heaps of the processes running then, and the merged peak is its highest value. The
 * peak snapshot is each process at its own high-water mark (the processes' peaks need not
 * coincide), so its total is the sum of per-process peaks, which is labelled as such.
 */
export class MemrayMultiProcessModel implements CaptureModel {
  private readonly frames = new FrameTable();
  private readonly stacks = new StackTrie();
  /** thread id in this model → (process, thread id in that process) */
  private readonly threadMap: { proc: number; tid: number }[] = [];
  private readonly captureInfo: CaptureInfo;
  /** ms from the parent's start to each process's start */
  private readonly offsets: number[];

  constructor(
    readonly processes: MemrayModel[],
    private readonly layout?: ProcessLayout,
  ) {
    const parent = processes[0].info();
    const start0 = parent.facts.startTimeMs ?? 0;
    this.offsets = layout?.offsetsMs ?? processes.map((p) => (p.info().facts.startTimeMs ?? start0) - start0);
    const threads: ThreadInfo[] = [];
    processes.forEach((p, proc) => {
      for (const t of p.info().threads) {
        this.threadMap.push({ proc, tid: t.id });
        threads.push({
          id: threads.length,
          label: `${layout?.labels[proc] ?? `pid ${p.info().facts.pid}`} · ${t.label}`,
        });
      }
    });
    const end = Math.max(...processes.map((p, i) => this.offsets[i] + p.info().durationMs));
    this.captureInfo = {
      ...parent,
      id: `${parent.id}+${processes.length - 1}`,
      // Fork children always end without a trailer (os._exit), so only the parent's cut counts.
      truncated: parent.truncated,
      processes: processes.length,
      facts: {
        ...parent.facts,
        fileName: `${parent.facts.fileName} + ${processes.length - 1} fork child${processes.length === 2 ? '' : 'ren'}`,
      },
      warnings: [
        ...parent.warnings,
        `Multi-process capture: ${processes.length} processes (pids ${processes.map((p) => p.info().facts.pid).join(', ')}); the peak is the highest sum of their live heaps at one moment, while the peak snapshot (flame graph, tables) holds each process at its own high-water mark.`,
        ...processes.slice(1).flatMap((p) => p.info().warnings.map((w) => `pid ${p.info().facts.pid}: ${w}`)),
      ],
      threads,
      durationMs: end,
      records: processes.reduce((s, p) => s + p.info().records, 0),
      // growth: every process's sites on the merged clock (merged-growth.ts). No memory layout:
      // each process has its own address space, pools and heaps (a layout is one process's; its
      // own file opened alone has one)
      capabilities: { ...parent.capabilities, threads: threads.length > 1, layout: false },
      forkChildren: processes.slice(1).map((p) => p.info().facts.path),
    };
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  private shift(spec: SnapshotSpec, proc: number): SnapshotSpec {
    const o = this.offsets[proc];
    if (spec.kind === 'at') return { kind: 'at', timeMs: spec.timeMs - o };
    if (spec.kind === 'range') return { ...spec, fromMs: spec.fromMs - o, toMs: spec.toMs - o };
    if (spec.kind === 'temporary' && spec.fromMs !== undefined && spec.toMs !== undefined)
      return { ...spec, fromMs: spec.fromMs - o, toMs: spec.toMs - o };
    return spec;
  }

  /** This model's thread ids of process `proc`. */
  threadsOf(proc: number): number[] {
    const ids: number[] = [];
    this.threadMap.forEach((t, id) => {
      if (t.proc === proc) ids.push(id);
    });
    return ids;
  }

  /** A filter in this model's thread ids as process `proc`'s own (an empty list: none of its threads). */
  subFilter(proc: number, filter?: StackFilter): StackFilter | undefined {
    if (!filter?.threads) return filter;
    const tids = filter.threads
      .map((id) => this.threadMap[id])
      .filter((t) => t && t.proc === proc)
      .map((t) => t.tid);
    return { ...filter, threads: tids };
  }

  /** Per process, skipping those a thread filter excludes entirely or a time range misses. */
  private each<T>(
    spec: SnapshotSpec,
    filter: StackFilter | undefined,
    fn: (p: MemrayModel, proc: number, spec: SnapshotSpec, filter?: StackFilter) => T,
  ): T[] {
    const out: T[] = [];
    this.processes.forEach((p, proc) => {
      const f = this.subFilter(proc, filter);
      if (f?.threads && f.threads.length === 0) return;
      try {
        out.push(fn(p, proc, this.shift(spec, proc), f));
      } catch (e) {
        if (!(e instanceof UnsupportedQuery) || proc === 0) throw e;
      }
    });
    return out;
  }

  /** Process `proc`'s snapshot rows, on this model's frame, stack and thread tables. */
  private addRows(sb: SnapshotBuilder, proc: number, snap: Snapshot): void {
    const local = new Map<number, number>();
    const tidToId = new Map<number, number>();
    this.threadMap.forEach((t, id) => {
      if (t.proc === proc) tidToId.set(t.tid, id);
    });
    const rows = snap.rows;
    for (let i = 0; i < rows.length; i++) {
      const leaf = rows.stack[i];
      let mapped = local.get(leaf);
      if (mapped === undefined) {
        let node = 0;
        for (const fr of snap.stacks.path(leaf)) {
          const info = snap.frames.info(fr);
          node = this.stacks.child(node, this.frames.intern(info.name, info.file, info.line, info.kind));
        }
        local.set(leaf, (mapped = node));
      }
      sb.add(mapped, tidToId.get(rows.thread[i]) ?? 0, rows.allocator[i], rows.bytes[i], rows.count[i]);
    }
  }

  /**
   * One process's snapshot (`spec` on its own clock; `filter` in this model's thread ids) on
   * this model's tables; what the process cannot answer is an error, not an empty snapshot.
   */
  processSnapshot(proc: number, spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    const snap = this.processes[proc].snapshot(spec, this.subFilter(proc, filter));
    const sb = new SnapshotBuilder();
    this.addRows(sb, proc, snap);
    return {
      frames: this.frames,
      stacks: this.stacks,
      threads: this.captureInfo.threads,
      allocators: snap.allocators,
      rows: sb.build(),
      label: snap.label,
    };
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    const sb = new SnapshotBuilder();
    let allocators: string[] = [];
    const labels: string[] = [];
    this.each(spec, filter, (p, proc, s, f) => {
      const snap = p.snapshot(s, f);
      allocators = snap.allocators;
      labels.push(snap.label);
      this.addRows(sb, proc, snap);
    });
    return {
      frames: this.frames,
      stacks: this.stacks,
      threads: this.captureInfo.threads,
      allocators,
      rows: sb.build(),
      label:
        spec.kind === 'peak'
          ? 'each process at its own peak (sum of per-process peaks)'
          : (labels[0] ?? spec.kind),
    };
  }

  /** When process `i` runs, in the merged capture's ms. */
  private lifetime(i: number): [number, number] {
    return [this.offsets[i], this.offsets[i] + this.processes[i].endTimeMs()];
  }

  summary(range?: {
    fromMs: number;
    toMs: number;
  }): Omit<Summary, 'info' | 'topSites' | 'findings'> & { peakTimeMs: number } {
    // A range counts only the processes running during it (a child's first bucket is no answer
    // for a range before the child started).
    const running = this.processes
      .map((p, i) => ({ p, i }))
      .filter(
        ({ i }) => !range || (this.lifetime(i)[0] <= range.toMs && this.lifetime(i)[1] >= range.fromMs),
      );
    const parts = running.map(({ p, i }) =>
      p.summary(range && { fromMs: range.fromMs - this.offsets[i], toMs: range.toMs - this.offsets[i] }),
    );
    const sum = (f: (s: (typeof parts)[number]) => number | null | undefined) =>
      parts.reduce((a, s) => a + (f(s) ?? 0), 0);
    // The processes' sum, or null when one of them did not record it (an aggregated file).
    const total = (f: (s: (typeof parts)[number]) => number | null) =>
      parts.some((s) => f(s) === null) ? null : sum(f);
    const peak = this.mergedPeak(range);
    return {
      peakBytes: peak.bytes,
      peakTimeMs: peak.timeMs,
      sumOfProcessPeaksBytes: sum((s) => s.peakBytes),
      totalAllocations: total((s) => s.totalAllocations),
      totalBytesAllocated: total((s) => s.totalBytesAllocated),
      leakedBytes: total((s) => s.leakedBytes),
      leakedCount: total((s) => s.leakedCount),
      ...this.atEnd(range?.toMs),
    };
  }

  /**
   * RSS and heap summed over the processes running at one moment, each as of its last memory
   * record at or before it (so each process's RSS and heap come from the same record): by
   * default the latest memory record of any process, for a range its end.
   */
  private atEnd(toMs?: number): AtEnd {
    const lastRecord = Math.max(
      ...this.processes.map((p, i) => (p.atOrBefore(Infinity).atEndTimeMs ?? -Infinity) + this.offsets[i]),
    );
    const when = toMs === undefined ? lastRecord : Math.min(toMs, lastRecord);
    if (!Number.isFinite(when)) return {};
    let rss: number | undefined;
    let heap: number | undefined;
    this.processes.forEach((p, i) => {
      const [start, end] = this.lifetime(i);
      if (when < start || when > end) return;
      const at = p.atOrBefore(when - this.offsets[i]);
      if (at.heapAtEndBytes === undefined) return;
      heap = (heap ?? 0) + at.heapAtEndBytes;
      if (at.rssAtEndBytes !== undefined) rss = (rss ?? 0) + at.rssAtEndBytes;
    });
    return heap === undefined ? {} : { rssAtEndBytes: rss, heapAtEndBytes: heap, atEndTimeMs: when };
  }

  /**
   * The highest merged heap, at the merged series' resolution (`mergedSeries`); for a range, over
   * its points inside [fromMs, toMs] and the heap at fromMs. Ties go to the later moment.
   */
  private mergedPeak(range?: { fromMs: number; toMs: number }): { bytes: number; timeMs: number } {
    const m = this.mergedSeries();
    if (!m) return { bytes: 0, timeMs: 0 };
    const t = m.timeline;
    if (!range) return { bytes: t.heapBytes[m.peakAt], timeMs: t.timeMs[m.peakAt] };
    let i = 0;
    while (i < t.timeMs.length && t.timeMs[i] < range.fromMs) i++;
    let best =
      i > 0 ? { bytes: t.heapBytes[i - 1], timeMs: range.fromMs } : { bytes: 0, timeMs: range.fromMs };
    for (; i < t.timeMs.length && t.timeMs[i] <= range.toMs; i++)
      if (t.heapBytes[i] >= best.bytes) best = { bytes: t.heapBytes[i], timeMs: t.timeMs[i] };
    return best;
  }

  private merged?: MergedSeries | null;

  /**
   * Every process's full heap line (`MemrayModel.heapLine`: memory records, the peaks
   * between them, the end) on one clock, summed. Points are taken in time order (ties: parent
   * first, each process's own order kept); at each, every running process holds its latest
   * value. A process counts from its first point to its last; when it ends before others, a
   * point at its end drops it from the sum.
   */
  private mergedSeries(): MergedSeries | undefined {
    if (this.merged !== undefined) return this.merged ?? undefined;
    const series = this.processes.map((p) => p.heapLine());
    const events: { t: number; proc: number; i: number }[] = [];
    series.forEach((s, proc) =>
      s?.timeMs.forEach((t, i) => events.push({ t: t + this.offsets[proc], proc, i })),
    );
    if (events.length === 0) {
      this.merged = null;
      return undefined;
    }
    events.sort((a, b) => a.t - b.t || a.proc - b.proc || a.i - b.i);
    const n = this.processes.length;
    const heap: (number | null)[] = new Array<number | null>(n).fill(null);
    const rss = new Array<number>(n).fill(0);
    const families = new Map<AllocatorFamily, number[]>();
    for (const s of series)
      for (const f of s?.byFamily ?? []) families.set(f.family, new Array<number>(n).fill(0));
    const out: Timeline = {
      timeMs: [],
      heapBytes: [],
      rssBytes: [],
      allocatedBytes: [],
      allocationCount: [],
      peak: { timeMs: 0, bytes: 0 },
      durationMs: this.captureInfo.durationMs,
      processes: this.processes.map((p, i) => ({
        label: this.layout?.labels[i] ?? `pid ${p.info().facts.pid ?? '?'}${i === 0 ? ' (parent)' : ''}`,
        pid: p.info().facts.pid,
        heapBytes: [],
      })),
      sumOfProcessPeaksBytes: this.processes.reduce((a, p) => a + p.peakBytes(), 0),
    };
    const famOut = new Map<AllocatorFamily, number[]>([...families.keys()].map((f) => [f, []]));
    const running = (v: number | null): v is number => v !== null;
    const emit = (t: number, withRss: boolean, count: number, bytes: number) => {
      out.timeMs.push(t);
      out.heapBytes.push(heap.filter(running).reduce((a, v) => a + v, 0));
      out.rssBytes.push(withRss ? rss.reduce((a, v, p) => a + (heap[p] !== null ? v : 0), 0) : null);
      out.allocationCount.push(count);
      out.allocatedBytes.push(bytes);
      out.processes!.forEach((p, i) => p.heapBytes.push(heap[i]));
      for (const [f, held] of families)
        famOut.get(f)!.push(held.reduce((a, v, p) => a + (heap[p] !== null ? v : 0), 0));
    };
    events.forEach((e, k) => {
      const s = series[e.proc]!;
      heap[e.proc] = s.heapBytes[e.i];
      const r = s.rssBytes[e.i];
      if (r !== null) rss[e.proc] = r;
      for (const f of s.byFamily ?? []) families.get(f.family)![e.proc] = f.bytes[e.i];
      emit(e.t, r !== null, s.allocationCount[e.i], s.allocatedBytes[e.i]);
      if (e.i === s.timeMs.length - 1 && k < events.length - 1) {
        // the process ended: what it held is gone from the sum
        const held = heap[e.proc];
        heap[e.proc] = null;
        if (held !== 0) emit(e.t, false, 0, 0);
      }
    });
    let peakAt = 0;
    for (let i = 0; i < out.heapBytes.length; i++) if (out.heapBytes[i] >= out.heapBytes[peakAt]) peakAt = i;
    out.peak = { timeMs: out.timeMs[peakAt], bytes: out.heapBytes[peakAt] };
    const last = out.timeMs.length - 1;
    out.end = { timeMs: out.timeMs[last], bytes: out.heapBytes[last] };
    if (families.size > 0) out.byFamily = [...famOut].map(([family, bytes]) => ({ family, bytes }));
    const cut = series[0]?.truncatedAtMs;
    if (cut !== undefined) out.truncatedAtMs = cut;
    this.merged = { timeline: out, peakAt };
    return this.merged;
  }

  /**
   * Live bytes per site of every process on the merged clock (mergeGrowthSeries): a site's
   * bytes are summed over the processes running at each point, as the merged heap is.
   */
  growthSeries(options: { threads?: number[]; maxPoints?: number } = {}): GrowthSeries | undefined {
    const parts: ProcessGrowth[] = [];
    this.processes.forEach((p, proc) => {
      const f = this.subFilter(proc, options.threads && { threads: options.threads });
      if (f?.threads && f.threads.length === 0) return;
      const series = p.growthSeries({
        ...(f?.threads && { threads: f.threads }),
        ...(options.maxPoints !== undefined && { maxPoints: options.maxPoints }),
      });
      if (series) parts.push({ series, offsetMs: this.offsets[proc] });
    });
    return mergeGrowthSeries(parts, this.captureInfo.durationMs, options.maxPoints);
  }

  /** The summed heap and RSS, and each process's heap, at full resolution. */
  timeline(): Timeline | undefined {
    return this.mergedSeries()?.timeline;
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    return this.combineAllocators(this.each(spec, filter, (p, _proc, s, f) => p.allocators(s, f)));
  }

  /** Several processes' breakdowns as one (sizes over every process: `histogram`). */
  combineAllocators(parts: AllocatorBreakdown[]): AllocatorBreakdown {
    const byAlloc = new Map<
      string,
      { name: string; family: AllocatorFamily; bytes: number; count: number }
    >();
    const fam = (
      list: { family: AllocatorFamily; bytes: number; count: number }[] | undefined,
      into: Map<AllocatorFamily, { family: AllocatorFamily; bytes: number; count: number }>,
    ) => {
      for (const f of list ?? []) {
        const r = into.get(f.family) ?? { family: f.family, bytes: 0, count: 0 };
        r.bytes += f.bytes;
        r.count += f.count;
        into.set(f.family, r);
      }
    };
    const byFamily = new Map<AllocatorFamily, { family: AllocatorFamily; bytes: number; count: number }>();
    const byFamilyAll = new Map<AllocatorFamily, { family: AllocatorFamily; bytes: number; count: number }>();
    for (const p of parts) {
      for (const a of p.byAllocator) {
        const k = `${a.name}\0${a.family}`;
        const r = byAlloc.get(k) ?? { ...a, bytes: 0, count: 0 };
        r.bytes += a.bytes;
        r.count += a.count;
        byAlloc.set(k, r);
      }
      fam(p.byFamily, byFamily);
      fam(p.byFamilyAll, byFamilyAll);
    }
    return {
      pythonAllocator: parts[0]?.pythonAllocator,
      byAllocator: [...byAlloc.values()].sort((a, b) => b.bytes - a.bytes),
      byFamily: [...byFamily.values()],
      byFamilyAll: [...byFamilyAll.values()],
      histogram: this.histogram(),
      pymallocThresholdBytes: parts[0]?.pymallocThresholdBytes ?? 512,
      attributionNote: parts[0]?.attributionNote,
    };
  }

  /**
   * memray's 10 log-scale bins over every process's allocation sizes: one set of bins from the
   * smallest to the largest size of all processes (each process's own bins span different sizes,
   * so they cannot be added or listed together).
   */
  private histogram(): { minBytes: number; maxBytes: number; count: number }[] {
    return memraySizeHistogram(this.processes.filter((p) => !p.b.aggregated).map((p) => p.b));
  }

  statsJson(options: StatsOptions): MemrayMultiStatsJson {
    const each = this.processes.map((p, i) => ({
      ...p.statsJson(
        options.range
          ? {
              ...options,
              range: {
                fromMs: options.range.fromMs - this.offsets[i],
                toMs: options.range.toMs - this.offsets[i],
              },
            }
          : options,
      ),
      pid: p.info().facts.pid ?? 0,
      path: p.info().facts.path,
    }));
    const first = each[0];
    const sumOrNull = (f: (s: MemrayStatsJson) => number | null) =>
      each.every((s) => f(s) !== null) ? each.reduce((a, s) => a + (f(s) ?? 0), 0) : null;
    const dist: Record<string, number> = {};
    for (const s of each)
      for (const [k, v] of Object.entries(s.allocatorDistribution)) dist[k] = (dist[k] ?? 0) + v;
    const sizeTop = new Map<string, number>();
    const countTop = new Map<string, number>();
    for (const s of each) {
      for (const t of s.topBySize) sizeTop.set(t.location, (sizeTop.get(t.location) ?? 0) + t.size);
      for (const t of s.topByCount) countTop.set(t.location, (countTop.get(t.location) ?? 0) + t.count);
    }
    const top = options.top ?? 10;
    const sum = this.summary(options.range);
    return {
      ...first,
      truncated: each.some((s) => s.truncated),
      totalAllocations: sumOrNull((s) => s.totalAllocations),
      totalBytesAllocated: sumOrNull((s) => s.totalBytesAllocated),
      peakMemory: sum.peakBytes,
      peakTimeMs: sum.peakTimeMs,
      sumOfProcessPeaks: each.reduce((a, s) => a + s.peakMemory, 0),
      sizeHistogram: this.histogram(),
      leakedBytes: each.reduce((a, s) => a + s.leakedBytes, 0),
      allocatorDistribution: Object.fromEntries(Object.entries(dist).sort((a, b) => b[1] - a[1])),
      // Merged from each process's own top list (exact when every process fits in `top`).
      topBySize: [...sizeTop]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([location, size]) => ({ location, size })),
      topByCount: [...countTop]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([location, count]) => ({ location, count })),
      threads: this.captureInfo.threads.map((t) => ({ id: t.id, label: t.label })),
      durationMs: this.captureInfo.durationMs,
      processes: each,
    };
  }

  /** memray's CSV for every process, one after the other (thread_name carries the pid). */
  exportTable(kind: 'memray-csv', options: { leaks: boolean }): string {
    const parts = this.processes.map((p) => p.exportTable(kind, options));
    const pidLabel = (i: number, csv: string) =>
      csv
        .split('\r\n')
        .slice(i === 0 ? 0 : 1)
        .filter((l) => l !== '')
        .join('\r\n');
    return (
      parts
        .map((c, i) => pidLabel(i, c))
        .filter((c) => c !== '')
        .join('\r\n') + '\r\n'
    );
  }
}
