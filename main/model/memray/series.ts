/**
 * The CaptureModel of a series of memray captures of one program (several runs, or several
 * `memray attach` windows): one MemrayModel per capture, in series order (see
 * main/formats/memray/series.ts). The captures are laid end to end on one time axis, capture i
 * spanning [fromMs, toMs] (the time between captures is left out: a capture holds nothing of
 * it), so every moment and range of the axis names one capture, or a run of them.
 *
 * - Timeline: the captures' heap lines one after the other (MemrayMultiProcessModel with an
 *   end-to-end layout does the merging; on such an axis one capture runs at a time).
 * - Snapshots: `peak` is the capture holding the series' peak, `leaks` the last capture's end,
 *   `all` and `temporary` every capture's; `at` a moment of one capture; a range the part of each
 *   capture it covers (its peak: the highest of theirs; allocated and temporaries: theirs
 *   together; alive at its end: the last one's). A range covering a whole capture is that
 *   capture, so a Diff side can name one capture (any kind) by its span.
 * - Growth: one point per capture, each site's live bytes when that capture's tracking stopped,
 *   ranked by the one growth ranking (main/query/growth.ts).
 */
import type {
  AllocatorBreakdown,
  CaptureInfo,
  MemraySeriesInfo,
  SnapshotSpec,
  StackFilter,
  Summary,
  Timeline,
} from '../../../shared/api';
import type { MemraySeriesStatsJson } from '../../../shared/stats';
import { temporaryLabel } from '../../../shared/snapshot-label';
import { UnsupportedQuery, type CaptureModel, type GrowthSeries, type StatsOptions } from '../capture-model';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import type { MemrayModel } from './model';
import { MemrayMultiProcessModel } from './multi';

export interface MemraySeriesMember {
  model: MemrayModel;
  fileName: string;
  path: string;
  /** The header's start time (epoch ms), in start-time order only. */
  startTimeMs?: number;
}

export interface MemraySeriesLayout {
  /** Names the series (the folder, or the first capture). */
  label: string;
  order: MemraySeriesInfo['order'];
  orderNote: string;
  program: string;
  warnings: string[];
}

type Span = { fromMs: number; toMs: number };

/** The part of one capture a range covers: its own ms, and whether that is all of it. */
interface Part {
  i: number;
  local: Span;
  whole: boolean;
}

type SummaryNumbers = Omit<Summary, 'info' | 'topSites' | 'findings'>;

export class MemraySeriesModel implements CaptureModel {
  private readonly merged: MemrayMultiProcessModel;
  /** Where each capture lies on the series' axis. */
  readonly spans: Span[];
  private readonly captureInfo: CaptureInfo & { captureSeries: MemraySeriesInfo };

  constructor(
    readonly members: readonly MemraySeriesMember[],
    layout: MemraySeriesLayout,
  ) {
    if (members.length === 0) throw new UnsupportedQuery('a series needs at least one memray capture');
    const n = members.length;
    this.spans = [];
    let at = 0;
    for (const m of members) {
      const length = m.model.endTimeMs();
      this.spans.push({ fromMs: at, toMs: at + length });
      at += length;
    }
    this.merged = new MemrayMultiProcessModel(
      members.map((m) => m.model),
      {
        offsetsMs: this.spans.map((s) => s.fromMs),
        labels: members.map((m, i) => `#${i + 1} ${m.fileName}`),
      },
    );
    const infos = members.map((m) => m.model.info());
    const first = infos[0];
    const every = (f: (i: CaptureInfo) => boolean) => infos.every(f);
    /** A fact every capture shares, else none. */
    const same = <T>(f: (i: CaptureInfo) => T): T | undefined =>
      infos.every((i) => f(i) === f(first)) ? f(first) : undefined;
    const cut = members.filter((m) => m.model.info().truncated);
    const tmp = every((i) => !!i.capabilities.temporaryThresholds)
      ? first.capabilities.temporaryThresholds
      : undefined;
    const threads = this.merged.info().threads;
    this.captureInfo = {
      id: layout.label,
      facts: {
        ...first.facts,
        // what every capture has in common; per-capture facts (pid, times) are in captureSeries
        headerVersion: same((i) => i.facts.headerVersion),
        pythonVersion: same((i) => i.facts.pythonVersion),
        pythonAllocator: same((i) => i.facts.pythonAllocator),
        fileFormat: same((i) => i.facts.fileFormat),
        nativeTraces: same((i) => i.facts.nativeTraces),
        pid: undefined,
        endTimeMs: undefined,
        path: layout.label,
        fileName: `${layout.label.split('/').filter(Boolean).pop() ?? layout.label} (${n} memray captures)`,
        sizeBytes: infos.reduce((s, i) => s + i.facts.sizeBytes, 0),
        commandLine: layout.program,
      },
      capabilities: {
        timeline: every((i) => i.capabilities.timeline),
        ranges: every((i) => i.capabilities.ranges),
        threads: threads.length > 1,
        native: infos.some((i) => i.capabilities.native),
        peak: true,
        leaks: true,
        allAllocations: infos.some((i) => i.capabilities.allAllocations),
        flamegraph: true,
        ...(tmp && { temporaryThresholds: [...tmp] }),
        growth: n > 1,
      },
      truncated: cut.length > 0,
      ...(cut.length > 0 && {
        truncationReason: cut
          .map((m) => `${m.fileName}: ${m.model.info().truncationReason ?? 'cut short'}`)
          .join('; '),
      }),
      warnings: [
        ...layout.warnings,
        ...members.flatMap((m) => m.model.info().warnings.map((w) => `${m.fileName}: ${w}`)),
        ...members
          .filter((m) => (m.model.info().forkChildren?.length ?? 0) > 0)
          .map(
            (m) =>
              `${m.fileName}: its fork children are not part of the series (open the capture alone to merge them)`,
          ),
      ],
      threads,
      durationMs: at,
      records: infos.reduce((s, i) => s + i.records, 0),
      captureSeries: {
        order: layout.order,
        orderNote: layout.orderNote,
        program: layout.program,
        captures: members.map((m, i) => ({
          fileName: m.fileName,
          path: m.path,
          ...(m.startTimeMs !== undefined && { startTimeMs: m.startTimeMs }),
          ...this.spans[i],
          peakBytes: m.model.peakBytes(),
          leakedBytes: m.model.summary().leakedBytes ?? 0,
          truncated: m.model.info().truncated,
        })),
      },
    };
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  /** How a capture is named in labels: its place in the series and its file. */
  memberLabel(i: number): string {
    return `capture ${i + 1} of ${this.members.length} (${this.members[i].fileName})`;
  }

  /** The capture holding the series' peak (the last of equal ones, like memray's `>=`). */
  peakMember(): number {
    let best = 0;
    this.members.forEach((m, i) => {
      if (m.model.peakBytes() >= this.members[best].model.peakBytes()) best = i;
    });
    return best;
  }

  /** The capture a moment of the axis belongs to: the first whose span reaches it. */
  memberAt(timeMs: number): number {
    const i = this.spans.findIndex((s) => timeMs <= s.toMs);
    return i < 0 ? this.spans.length - 1 : i;
  }

  /** The captures a range covers, each with its part of the range. */
  private parts(range: Span): Part[] {
    const { fromMs, toMs } = range;
    if (!(toMs >= fromMs)) throw new UnsupportedQuery(`bad range ${fromMs}:${toMs}`);
    let touched = this.spans.flatMap((s, i) => (s.fromMs < toMs && s.toMs > fromMs ? [i] : []));
    if (fromMs === toMs || touched.length === 0) {
      // a point: the capture holding it (a capture of no length, when it is one exactly)
      const empty = this.spans.findIndex((s) => s.fromMs === fromMs && s.toMs === toMs);
      touched = [empty >= 0 ? empty : this.memberAt(fromMs)];
    }
    return touched.map((i) => {
      const s = this.spans[i];
      return {
        i,
        local: { fromMs: Math.max(fromMs, s.fromMs) - s.fromMs, toMs: Math.min(toMs, s.toMs) - s.fromMs },
        whole: fromMs <= s.fromMs && toMs >= s.toMs,
      };
    });
  }

  /** A capture's peak inside its part of a range (its whole peak for all of it). */
  private partPeak(p: Part): { bytes: number; timeMs: number } {
    const m = this.members[p.i].model;
    if (p.whole) return { bytes: m.peakBytes(), timeMs: m.peakTimeMs() };
    const s = m.summary(p.local);
    return { bytes: s.peakBytes, timeMs: s.peakTimeMs ?? p.local.fromMs };
  }

  /** The part whose peak is the range's peak (the last of equal ones). */
  private peakPart(parts: Part[]): Part {
    let best = parts[0];
    let bytes = -Infinity;
    for (const p of parts) {
      const peak = this.partPeak(p).bytes;
      if (peak >= bytes) {
        best = p;
        bytes = peak;
      }
    }
    return best;
  }

  /**
   * What one capture's part answers, as a spec on its own clock: a whole capture is its own
   * peak / leaks / all / temporaries, so captures without a time index (aggregated) answer too.
   */
  private partSpec(spec: SnapshotSpec, p: Part): SnapshotSpec {
    if (spec.kind === 'temporary') {
      const { threshold } = spec;
      return p.whole
        ? { kind: 'temporary', ...(threshold !== undefined && { threshold }) }
        : { kind: 'temporary', ...(threshold !== undefined && { threshold }), ...p.local };
    }
    if (spec.kind !== 'range') return spec;
    if (p.whole)
      return { kind: spec.measure === 'peak' ? 'peak' : spec.measure === 'allocated' ? 'all' : 'leaks' };
    return { ...spec, ...p.local };
  }

  /**
   * Which captures answer a spec, each with its own spec: one for moments, peaks and the end;
   * several (to be added together) for allocations and temporaries.
   */
  private plan(spec: SnapshotSpec): { parts: { i: number; spec: SnapshotSpec }[]; label: string } {
    const n = this.members.length;
    const all = (s: SnapshotSpec) => this.members.map((_, i) => ({ i, spec: s }));
    switch (spec.kind) {
      case 'peak': {
        const i = this.peakMember();
        return { parts: [{ i, spec }], label: `peak of ${this.memberLabel(i)}` };
      }
      case 'leaks':
        return {
          parts: [{ i: n - 1, spec }],
          label: `alive at the end of ${this.memberLabel(n - 1)}`,
        };
      case 'all':
        return { parts: all(spec), label: `all allocations of the ${n} captures` };
      case 'at': {
        const i = this.memberAt(spec.timeMs);
        return {
          parts: [{ i, spec: { kind: 'at', timeMs: spec.timeMs - this.spans[i].fromMs } }],
          label: '',
        };
      }
      case 'temporary':
      case 'range': {
        if (spec.kind === 'temporary' && (spec.fromMs === undefined || spec.toMs === undefined)) {
          if (spec.fromMs !== undefined || spec.toMs !== undefined)
            throw new UnsupportedQuery('a temporary-allocation range needs both fromMs and toMs');
          return {
            parts: all(spec),
            label: `${temporaryLabel(spec.threshold ?? 1)}, in the ${n} captures`,
          };
        }
        const parts = this.parts({ fromMs: spec.fromMs!, toMs: spec.toMs! });
        const chosen =
          spec.kind === 'range' && spec.measure === 'peak'
            ? [this.peakPart(parts)]
            : spec.kind === 'range' && spec.measure === 'live-at-end'
              ? [parts[parts.length - 1]]
              : parts;
        const label =
          chosen.length === 1
            ? ''
            : `${spec.kind === 'temporary' ? temporaryLabel(spec.threshold ?? 1) : 'allocated'} in captures ${chosen[0].i + 1}–${chosen[chosen.length - 1].i + 1}`;
        return { parts: chosen.map((p) => ({ i: p.i, spec: this.partSpec(spec, p) })), label };
      }
    }
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    const { parts, label } = this.plan(spec);
    const snaps: Snapshot[] = [];
    const refused: string[] = [];
    let error: unknown;
    for (const p of parts) {
      try {
        snaps.push(this.merged.processSnapshot(p.i, p.spec, filter));
      } catch (e) {
        if (!(e instanceof UnsupportedQuery) || parts.length === 1) throw e;
        error ??= e;
        refused.push(this.members[p.i].fileName);
      }
    }
    if (snaps.length === 0) throw error;
    const one = parts.length === 1 ? `${this.memberLabel(parts[0].i)}: ${snaps[0].label}` : label;
    const note = refused.length > 0 ? ` (without ${refused.join(', ')}: ${(error as Error).message})` : '';
    if (snaps.length === 1) return { ...snaps[0], label: `${label || one}${note}` };
    const sb = new SnapshotBuilder();
    for (const s of snaps) {
      const r = s.rows;
      for (let k = 0; k < r.length; k++)
        sb.add(r.stack[k], r.thread[k], r.allocator[k], r.bytes[k], r.count[k]);
    }
    return { ...snaps[0], rows: sb.build(), label: `${label}${note}` };
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const { parts } = this.plan(spec);
    const out: AllocatorBreakdown[] = [];
    for (const p of parts) {
      try {
        out.push(this.members[p.i].model.allocators(p.spec, this.merged.subFilter(p.i, filter)));
      } catch (e) {
        if (!(e instanceof UnsupportedQuery) || parts.length === 1) throw e;
      }
    }
    if (out.length === 0)
      throw new UnsupportedQuery(`no capture of the series answers a ${spec.kind} breakdown`);
    // one capture: its own breakdown, its own size histogram
    return parts.length === 1 ? out[0] : this.merged.combineAllocators(out);
  }

  summary(range?: Span): SummaryNumbers {
    if (!range) {
      // one capture runs at a time: the sum of their peaks means nothing here
      const whole = { ...this.merged.summary() };
      delete whole.sumOfProcessPeaksBytes;
      // The series ends with its last capture: what that one held when its tracking stopped.
      const last = this.members[this.members.length - 1].model.summary();
      return { ...whole, leakedBytes: last.leakedBytes, leakedCount: last.leakedCount };
    }
    const parts = this.parts(range);
    const each = parts.map((p) => ({ p, s: this.members[p.i].model.summary(p.whole ? undefined : p.local) }));
    const top = this.peakPart(parts);
    const peak = this.partPeak(top);
    const last = each[each.length - 1];
    const sum = (f: (s: SummaryNumbers) => number | null) => {
      const values = each.map((e) => f(e.s));
      return values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
    };
    const offset = (p: Part) => this.spans[p.i].fromMs;
    return {
      peakBytes: peak.bytes,
      peakTimeMs: peak.timeMs + offset(top),
      totalAllocations: sum((s) => s.totalAllocations),
      totalBytesAllocated: sum((s) => s.totalBytesAllocated),
      leakedBytes: last.s.leakedBytes,
      leakedCount: last.s.leakedCount,
      ...(last.s.heapAtEndBytes !== undefined && {
        heapAtEndBytes: last.s.heapAtEndBytes,
        rssAtEndBytes: last.s.rssAtEndBytes,
        atEndTimeMs: (last.s.atEndTimeMs ?? 0) + offset(last.p),
      }),
    };
  }

  /** The captures' heap lines end to end at full resolution, with each capture's span. */
  timeline(): Timeline | undefined {
    const t = this.merged.timeline();
    if (!t) return undefined;
    // each capture's own line would repeat the heap line on an end-to-end axis
    const line = { ...t };
    delete line.processes;
    delete line.sumOfProcessPeaksBytes;
    delete line.truncatedAtMs;
    const lastIndex = this.members.length - 1;
    const last = this.members[lastIndex].model;
    return {
      ...line,
      durationMs: this.captureInfo.durationMs,
      captures: this.members.map((m, i) => ({ label: `#${i + 1} ${m.fileName}`, ...this.spans[i] })),
      // a last capture cut short (a kill) is where the series was cut
      ...(last.info().truncated && { truncatedAtMs: this.spans[lastIndex].fromMs + last.endTimeMs() }),
    };
  }

  /**
   * One point per capture: each site's live bytes when that capture's tracking stopped, at its
   * end on the wall clock (start-time order; the axis's end of it otherwise).
   */
  growthSeries(options: { threads?: number[]; maxPoints?: number } = {}): GrowthSeries | undefined {
    const keyOf = (s: { function: string; file: string; line: number }) =>
      `${s.function}\0${s.file}\0${s.line}`;
    const sites = new Map<string, { function: string; file: string; line: number; live: Float64Array }>();
    const n = this.members.length;
    const start0 = this.members[0].startTimeMs;
    const timeMs = this.members.map((m, i) =>
      start0 !== undefined && m.startTimeMs !== undefined
        ? m.startTimeMs - start0 + m.model.endTimeMs()
        : this.spans[i].toMs,
    );
    this.members.forEach((m, i) => {
      const f = this.merged.subFilter(i, options.threads && { threads: options.threads });
      if (f?.threads && f.threads.length === 0) return;
      for (const s of m.model.sitesAtEnd(f?.threads)) {
        const key = keyOf(s);
        let site = sites.get(key);
        if (!site) {
          site = { function: s.function, file: s.file, line: s.line, live: new Float64Array(n) };
          sites.set(key, site);
        }
        site.live[i] = s.bytes;
      }
    });
    // (captures that overlapped in time may end out of order; the fit takes any order)
    return {
      timeMs,
      durationMs: Math.max(...timeMs),
      sites: [...sites.values()],
    };
  }

  statsJson(options: StatsOptions): MemraySeriesStatsJson {
    if (options.range)
      throw new UnsupportedQuery(
        'stats --json --range on a series: the range would cross captures; give the capture itself',
      );
    const merged = this.merged.statsJson(options);
    const { processes } = merged;
    const whole: Omit<typeof merged, 'processes' | 'sumOfProcessPeaks'> &
      Partial<Pick<typeof merged, 'processes' | 'sumOfProcessPeaks'>> = { ...merged };
    delete whole.processes;
    delete whole.sumOfProcessPeaks;
    const series = this.captureInfo.captureSeries;
    const lastCapture = processes[processes.length - 1];
    return {
      ...whole,
      format: 'memray-series',
      leakedBytes: lastCapture.leakedBytes,
      peakTimeMs: this.summary().peakTimeMs ?? 0,
      durationMs: this.captureInfo.durationMs,
      series: { order: series.order, orderNote: series.orderNote, program: series.program },
      captures: processes.map((p, i) => ({
        ...p,
        ...(series.captures[i].startTimeMs !== undefined && { startTimeMs: series.captures[i].startTimeMs }),
        fromMs: this.spans[i].fromMs,
        toMs: this.spans[i].toMs,
      })),
    };
  }

  /** memray's CSV of every capture, one after the other. */
  exportTable(kind: 'memray-csv', options: { leaks: boolean }): string {
    return this.merged.exportTable(kind, options);
  }
}
