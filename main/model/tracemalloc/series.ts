/**
 * The CaptureModel of a series of tracemalloc dumps of one program (a service that dumps
 * periodically): one TracemallocModel per dump, in series order (see
 * main/formats/tracemalloc/series-order.ts). The timeline is the traced bytes of each dump;
 * `at` snapshots pick one dump, so the generic diff compares any two; growth ranks every
 * (filename, lineno) site across the whole series.
 */
import type {
  AllocatorBreakdown,
  CaptureInfo,
  Finding,
  SeriesInfo,
  SiteGrowth,
  SnapshotSpec,
  StackFilter,
  Summary,
  Timeline,
} from '../../../shared/api';
import type { TracemallocSeriesStatsJson } from '../../../shared/stats';
import { formatBytes, formatPercent, type UnitSystem } from '../../../shared/units';
import { groupSnapshot } from '../groups';
import type { RankedGrowth, SiteGrowthRanking, SiteSeries } from '../site-series';
import {
  SNAPSHOT_ONLY_SUMMARY,
  UnsupportedQuery,
  type CaptureModel,
  type StatsOptions,
} from '../capture-model';
import type { TracemallocModel } from './model';
import type { DomainSnapshot } from './filters';

/** Sites the timeline carries (ranked by growth); the CLI prints fewer. */
export const SERIES_GROWTH_SITES = 50;

export interface SeriesMember {
  model: TracemallocModel;
  fileName: string;
  path: string;
  /** ms since the first dump (timestamp order only). */
  timeMs?: number;
}

type Site = Pick<SiteGrowth, 'function' | 'file' | 'line'>;

export class TracemallocSeriesModel implements CaptureModel {
  private growthCache?: RankedGrowth<Site>[];

  constructor(
    readonly members: readonly SeriesMember[],
    private readonly captureInfo: CaptureInfo & { series: SeriesInfo },
    /** The growth query (main/query/series-growth.ts), handed in by the loader. */
    private readonly rankGrowth: SiteGrowthRanking,
  ) {
    if (members.length === 0) throw new UnsupportedQuery('a series needs at least one dump');
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  get axis(): 'time' | 'dump' {
    return this.captureInfo.series.order === 'name-timestamp' ? 'time' : 'dump';
  }

  /** Where each dump sits on the time axis: its time, or its index on a dump axis. */
  positionsMs(): number[] {
    return this.members.map((m, i) => (this.axis === 'time' ? (m.timeMs ?? 0) : i));
  }

  totals(): number[] {
    return this.members.map((m) => m.model.decoded.totalSize);
  }

  /** The dump with the most traced bytes (the last of equal ones, like memray's `>=` peak). */
  peakIndex(): number {
    const totals = this.totals();
    let best = 0;
    for (let i = 1; i < totals.length; i++) if (totals[i] >= totals[best]) best = i;
    return best;
  }

  /** The dump an `at` moment names: the last one at or before it (the first for earlier moments). */
  indexAt(timeMs: number): number {
    const pos = this.positionsMs();
    let at = 0;
    for (let i = 0; i < pos.length; i++) if (pos[i] <= timeMs + 1e-9) at = i;
    return at;
  }

  private memberIndex(spec: SnapshotSpec): number {
    switch (spec.kind) {
      case 'peak':
        return this.peakIndex();
      case 'leaks':
        return this.members.length - 1;
      case 'at':
        return this.indexAt(spec.timeMs);
      default:
        throw new UnsupportedQuery(
          `a series of tracemalloc dumps holds live sets only; it has no ${spec.kind === 'all' ? 'allocation history' : 'time ranges'}`,
        );
    }
  }

  /** How a dump is named in labels: its place in the series and its file. */
  dumpLabel(index: number): string {
    const m = this.members[index];
    return `dump ${index + 1} of ${this.members.length} (${m.fileName})`;
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): DomainSnapshot {
    const index = this.memberIndex(spec);
    const snap = this.members[index].model.snapshot({ kind: 'peak' }, filter);
    return { ...snap, label: this.dumpLabel(index) };
  }

  summary(
    range?: { fromMs: number; toMs: number },
    units: UnitSystem = 'si',
  ): Omit<Summary, 'info' | 'topSites' | 'findings'> & Pick<Summary, 'findings'> {
    if (range) throw new UnsupportedQuery('a series of tracemalloc dumps has no time ranges');
    const peak = this.peakIndex();
    const last = this.members[this.members.length - 1].model.decoded;
    // Each dump is a snapshot (no allocation history, no leaks); the series gives the peak a moment.
    return {
      ...SNAPSHOT_ONLY_SUMMARY,
      peakBytes: this.members[peak].model.decoded.totalSize,
      peakTimeMs: this.positionsMs()[peak],
      heapAtEndBytes: last.totalSize,
      findings: this.findings(units),
    };
  }

  /** What the series shows: whether the traced bytes kept rising, and which site led. */
  findings(units: UnitSystem): Finding[] {
    const out: Finding[] = [];
    const { truncated, truncationReason } = this.captureInfo;
    if (truncated)
      out.push({
        severity: 'critical',
        code: 'truncated',
        text: `A dump of the series is incomplete${truncationReason ? ` (${truncationReason})` : ''}; its traces before the cut are used.`,
      });
    const totals = this.totals();
    if (totals.length < 2) return out;
    const steps = totals.length - 1;
    let rose = 0;
    for (let i = 1; i < totals.length; i++) if (totals[i] > totals[i - 1]) rose++;
    const change = totals[totals.length - 1] - totals[0];
    const top = this.growth()[0];
    const per = this.axis === 'time' ? '/s' : ' per dump';
    const lead =
      top && top.slopeBytes > 0
        ? `; the fastest-growing site is ${top.site.file}:${top.site.line} (+${formatBytes(top.slopeBytes, units)}${per}, rose in ${formatPercent(top.grewShare, 0)} of the steps)`
        : '';
    out.push({
      severity: rose === steps && change > 0 ? 'warning' : 'info',
      code: 'series-growth',
      text: `Traced memory rose in ${rose} of ${steps} steps between dumps (${formatBytes(totals[0], units)} → ${formatBytes(totals[totals.length - 1], units)})${lead}.`,
    });
    return out;
  }

  /**
   * Every (filename, lineno) site's bytes in every dump, and where each dump sits: slopes come
   * out per second on a time axis, per dump on a dump axis.
   */
  siteSeries(): { positions: number[]; sites: SiteSeries<Site>[] } {
    const sites = new Map<string, SiteSeries<Site> & { bytes: number[] }>();
    const n = this.members.length;
    this.members.forEach((m, i) => {
      for (const g of groupSnapshot(m.model.fullSnapshot(), { groupBy: 'lineno' })) {
        let s = sites.get(g.key);
        if (!s) {
          const f = g.frames[g.frames.length - 1];
          s = {
            key: g.key,
            bytes: new Array<number>(n).fill(0),
            site: { function: f.function, file: f.file, line: f.line },
          };
          sites.set(g.key, s);
        }
        s.bytes[i] = g.size;
      }
    });
    const positions = this.positionsMs().map((p) => (this.axis === 'time' ? p / 1000 : p));
    return { positions, sites: [...sites.values()] };
  }

  /** The sites ranked by growth across the series. */
  growth(): RankedGrowth<Site>[] {
    if (!this.growthCache) {
      const { positions, sites } = this.siteSeries();
      this.growthCache = this.rankGrowth(positions, sites);
    }
    return this.growthCache;
  }

  growthRows(limit = SERIES_GROWTH_SITES): SiteGrowth[] {
    const slopePer = this.axis === 'time' ? 'second' : 'dump';
    return this.growth()
      .slice(0, limit)
      .map((g) => ({
        key: g.key,
        ...g.site,
        slopeBytes: g.slopeBytes,
        slopePer,
        grewShare: g.grewShare,
        firstBytes: g.firstBytes,
        lastBytes: g.lastBytes,
        bytes: g.bytes,
      }));
  }

  timeline(): Timeline {
    const timeMs = this.positionsMs();
    const heapBytes = this.totals();
    const peak = this.peakIndex();
    const last = heapBytes.length - 1;
    const { series } = this.captureInfo;
    return {
      timeMs,
      heapBytes,
      rssBytes: heapBytes.map(() => null),
      allocatedBytes: heapBytes.map(() => 0),
      allocationCount: heapBytes.map(() => 0),
      peak: { timeMs: timeMs[peak], bytes: heapBytes[peak] },
      end: { timeMs: timeMs[last], bytes: heapBytes[last] },
      durationMs: timeMs[last],
      series: {
        axis: this.axis,
        labels: this.members.map((m) => m.fileName),
        order: series.order,
        orderNote: series.orderNote,
        growth: this.growthRows(),
        siteCount: this.growth().length,
      },
    };
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    return this.members[this.memberIndex(spec)].model.allocators({ kind: 'peak' }, filter);
  }

  statsJson(options: StatsOptions): TracemallocSeriesStatsJson {
    if (options.range) throw new UnsupportedQuery('a series of tracemalloc dumps has no time ranges');
    const { series } = this.captureInfo;
    const top = options.top !== undefined && options.top >= 0 ? options.top : SERIES_GROWTH_SITES;
    return {
      format: 'tracemalloc-series',
      order: series.order,
      orderNote: series.orderNote,
      axis: this.axis,
      dumps: this.members.map((m, i) => ({
        file: m.fileName,
        ...(m.timeMs !== undefined && { timeMs: m.timeMs }),
        totalSize: m.model.decoded.totalSize,
        traceCount: m.model.decoded.traceCount,
        ...(i === this.peakIndex() && { peak: true }),
      })),
      growth: this.growthRows(top).map((g) => ({
        filename: g.file,
        lineno: g.line,
        slope: g.slopeBytes,
        slopePer: g.slopePer,
        grewShare: g.grewShare,
        sizes: g.bytes,
      })),
      siteCount: this.growth().length,
    };
  }
}
