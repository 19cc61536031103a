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
import type { MemrayStatsJson } from '../../../shared/stats';
import { UnsupportedQuery, type CaptureModel, type LoadOptions, type StatsOptions } from '../capture-model';
import { FrameTable } from '../frame-table';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import { StackTrie } from '../stack-trie';
import type { MemrayModel } from './model';

/** `stats --json` of a parent opened with its fork children: the sum, plus each process. */
export type MemrayMultiStatsJson = MemrayStatsJson & {
  processes: (MemrayStatsJson & { pid: number; path: string })[];
};

/**
 * A parent capture and its `--follow-fork` children as one capture. Threads are relabelled by
 * pid ("pid 1234 · 0x1"); times are aligned on each header's start time (epoch ms). The peak
 * snapshot is each process at its own high-water mark (the processes' peaks need not coincide).
 */
export class MemrayMultiProcessModel implements CaptureModel {
  private readonly frames = new FrameTable();
  private readonly stacks = new StackTrie();
  /** thread id in this model → (process, thread id in that process) */
  private readonly threadMap: { proc: number; tid: number }[] = [];
  private readonly captureInfo: CaptureInfo;
  /** ms from the parent's start to each process's start */
  private readonly offsets: number[];

  constructor(readonly processes: MemrayModel[]) {
    const parent = processes[0].info();
    const start0 = parent.facts.startTimeMs ?? 0;
    this.offsets = processes.map((p) => (p.info().facts.startTimeMs ?? start0) - start0);
    const threads: ThreadInfo[] = [];
    processes.forEach((p, proc) => {
      for (const t of p.info().threads) {
        this.threadMap.push({ proc, tid: t.id });
        threads.push({ id: threads.length, label: `pid ${p.info().facts.pid} · ${t.label}` });
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
        `Multi-process capture: ${processes.length} processes (pids ${processes.map((p) => p.info().facts.pid).join(', ')}); the peak is each process at its own high-water mark.`,
        ...processes.slice(1).flatMap((p) => p.info().warnings.map((w) => `pid ${p.info().facts.pid}: ${w}`)),
      ],
      threads,
      durationMs: end,
      records: processes.reduce((s, p) => s + p.info().records, 0),
      capabilities: { ...parent.capabilities, threads: threads.length > 1 },
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
    return spec;
  }

  private subFilter(proc: number, filter?: StackFilter): StackFilter | undefined {
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

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    const sb = new SnapshotBuilder();
    let allocators: string[] = [];
    const labels: string[] = [];
    this.each(spec, filter, (p, proc, s, f) => {
      const snap = p.snapshot(s, f);
      allocators = snap.allocators;
      labels.push(snap.label);
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
    });
    return {
      frames: this.frames,
      stacks: this.stacks,
      threads: this.captureInfo.threads,
      allocators,
      rows: sb.build(),
      label: labels[0] ?? spec.kind,
    };
  }

  summary(range?: { fromMs: number; toMs: number }): Omit<Summary, 'info' | 'topSites' | 'findings'> {
    const parts = this.processes.map((p, i) =>
      p.summary(range && { fromMs: range.fromMs - this.offsets[i], toMs: range.toMs - this.offsets[i] }),
    );
    const sum = (f: (s: (typeof parts)[number]) => number | undefined) =>
      parts.reduce((a, s) => a + (f(s) ?? 0), 0);
    const peakAt = parts.reduce((best, s, i) => (s.peakBytes >= parts[best].peakBytes ? i : best), 0);
    return {
      peakBytes: sum((s) => s.peakBytes),
      peakTimeMs: parts[peakAt].peakTimeMs + this.offsets[peakAt],
      totalAllocations: sum((s) => s.totalAllocations),
      totalBytesAllocated: sum((s) => s.totalBytesAllocated),
      leakedBytes: sum((s) => s.leakedBytes),
      leakedCount: sum((s) => s.leakedCount),
      rssAtEndBytes: sum((s) => s.rssAtEndBytes),
      heapAtEndBytes: sum((s) => s.heapAtEndBytes),
    };
  }

  /** Heap and RSS of all processes summed at every sample time (each holds its last value). */
  timeline(maxPoints: number): Timeline | undefined {
    const lines = this.processes.map((p) => p.timeline(Number.MAX_SAFE_INTEGER));
    const events: { t: number; proc: number; i: number }[] = [];
    lines.forEach((l, proc) =>
      l?.timeMs.forEach((t, i) => events.push({ t: t + this.offsets[proc], proc, i })),
    );
    if (events.length === 0) return undefined;
    events.sort((a, b) => a.t - b.t || a.proc - b.proc);
    const heap = lines.map(() => 0);
    const rss = lines.map(() => 0);
    const full: Timeline = {
      timeMs: [],
      heapBytes: [],
      rssBytes: [],
      allocatedBytes: [],
      allocationCount: [],
      peak: { timeMs: 0, bytes: 0 },
      durationMs: this.captureInfo.durationMs,
    };
    for (const e of events) {
      const l = lines[e.proc]!;
      heap[e.proc] = l.heapBytes[e.i];
      rss[e.proc] = l.rssBytes[e.i] ?? 0;
      full.timeMs.push(e.t);
      full.heapBytes.push(heap.reduce((a, b) => a + b, 0));
      full.rssBytes.push(rss.reduce((a, b) => a + b, 0));
      full.allocatedBytes.push(l.allocatedBytes[e.i]);
      full.allocationCount.push(l.allocationCount[e.i]);
    }
    const per = Math.max(1, Math.ceil(full.timeMs.length / Math.max(1, maxPoints)));
    const out: Timeline = {
      ...full,
      timeMs: [],
      heapBytes: [],
      rssBytes: [],
      allocatedBytes: [],
      allocationCount: [],
    };
    for (let s = 0; s < full.timeMs.length; s += per) {
      let best = s;
      let c = 0;
      let b = 0;
      for (let i = s; i < Math.min(full.timeMs.length, s + per); i++) {
        if (full.heapBytes[i] >= full.heapBytes[best]) best = i;
        c += full.allocationCount[i];
        b += full.allocatedBytes[i];
      }
      out.timeMs.push(full.timeMs[best]);
      out.heapBytes.push(full.heapBytes[best]);
      out.rssBytes.push(full.rssBytes[best]);
      out.allocationCount.push(c);
      out.allocatedBytes.push(b);
    }
    let pk = 0;
    for (let i = 0; i < full.heapBytes.length; i++) if (full.heapBytes[i] >= full.heapBytes[pk]) pk = i;
    out.peak = { timeMs: full.timeMs[pk], bytes: full.heapBytes[pk] };
    return out;
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const parts = this.each(spec, filter, (p, _proc, s, f) => p.allocators(s, f));
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
    const hist = new Map<string, { minBytes: number; maxBytes: number; count: number }>();
    // Each process has its own log-scale bins; they are listed side by side, not re-binned.
    for (const p of parts) for (const h of p.histogram) hist.set(`${hist.size}`, { ...h });
    return {
      pythonAllocator: parts[0]?.pythonAllocator,
      byAllocator: [...byAlloc.values()].sort((a, b) => b.bytes - a.bytes),
      byFamily: [...byFamily.values()],
      byFamilyAll: [...byFamilyAll.values()],
      histogram:
        parts.length === 1 ? parts[0].histogram : [...hist.values()].sort((a, b) => a.minBytes - b.minBytes),
      pymallocThresholdBytes: parts[0]?.pymallocThresholdBytes ?? 512,
      attributionNote: parts[0]?.attributionNote,
    };
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
      peakMemory: each.reduce((a, s) => a + s.peakMemory, 0),
      peakTimeMs: sum.peakTimeMs,
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

/**
 * Opens a parent capture and its fork children (`NAME.bin.PID`) as one multi-process capture.
 * Each file streams through the same loader; progress covers all files in order.
 */
export async function loadMemrayMultiProcess(
  parentPath: string,
  childPaths: string[],
  options: LoadOptions = {},
): Promise<MemrayMultiProcessModel> {
  const { loadMemrayModel } = await import('../../formats/memray/index');
  const models: MemrayModel[] = [];
  for (const path of [parentPath, ...childPaths]) {
    models.push(
      await loadMemrayModel(path, {
        ...options,
        onHeader: models.length === 0 ? options.onHeader : undefined,
      }),
    );
  }
  return new MemrayMultiProcessModel(models);
}
