/**
 * The CaptureModel of one tracemalloc snapshot: a single live set, aggregated per
 * (traceback, domain) while the dump was read. Each domain is an "allocator" of the generic
 * Snapshot, so the allocator view and allocator filters show domains (NumPy's 389047 by name).
 */
import type {
  AllocatorBreakdown,
  AllocatorFamily,
  CaptureInfo,
  SizeBin,
  SnapshotSpec,
  StackFilter,
  Summary,
} from '../../../shared/api';
import type { TracemallocStatsJson } from '../../../shared/stats';
import { HIST_BINS, SMALL_OBJECT_MAX, type DecodedSnapshot, type DomainAggregate } from './domains';
import { groupSnapshot, normalizeKeyType, statisticJson } from '../groups';
import {
  SNAPSHOT_ONLY_SUMMARY,
  UnsupportedQuery,
  type CaptureModel,
  type StatsOptions,
} from '../capture-model';
import type { SnapshotRows } from '../snapshot';
import { filterTraces, selectRows, type AnyTraceFilter, type DomainSnapshot } from './filters';

/** `NPY_TRACE_DOMAIN`: numpy registers its data buffers under this tracemalloc domain. */
export const NUMPY_DOMAIN = 389047;

export function domainLabel(domain: number): string {
  return domain === NUMPY_DOMAIN ? `NumPy (${domain})` : `domain ${domain}`;
}

export class TracemallocModel implements CaptureModel {
  private readonly full: DomainSnapshot;
  private readonly cache = new Map<string, DomainSnapshot>();

  constructor(
    readonly decoded: DecodedSnapshot,
    private readonly captureInfo: CaptureInfo,
  ) {
    this.full = {
      frames: decoded.frames,
      stacks: decoded.stacks,
      threads: [],
      allocators: decoded.domains.map((d) => domainLabel(d.domain)),
      domains: decoded.domains.map((d) => d.domain),
      rows: buildRows(decoded.domains),
      label: captureInfo.facts.fileName,
    };
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  /** The whole snapshot (every domain), as Python's `Snapshot.load` sees it. */
  fullSnapshot(): DomainSnapshot {
    return this.full;
  }

  /** `Snapshot.filter_traces(filters)`. */
  filterTraces(filters: readonly AnyTraceFilter[]): DomainSnapshot {
    return filterTraces(this.full, filters);
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): DomainSnapshot {
    // A dump is one moment: peak, leaks (alive at dump time) and "all" are the same live set.
    if (spec.kind !== 'peak' && spec.kind !== 'leaks' && spec.kind !== 'all') {
      throw new UnsupportedQuery(
        `a tracemalloc dump is a single snapshot; it has no time axis for ${spec.kind} queries`,
      );
    }
    const wanted = filter?.allocators;
    if (!wanted) return this.full;
    const key = [...wanted].sort().join('\u0000');
    let snap = this.cache.get(key);
    if (!snap) {
      const keepDomain = this.full.allocators.map((name) => wanted.includes(name));
      const keep = new Uint8Array(this.full.rows.length);
      for (let r = 0; r < keep.length; r++) keep[r] = keepDomain[this.full.rows.allocator[r]] ? 1 : 0;
      snap = { ...this.full, rows: selectRows(this.full.rows, keep) };
      this.cache.set(key, snap);
    }
    return snap;
  }

  summary(range?: { fromMs: number; toMs: number }): Omit<Summary, 'info' | 'topSites' | 'findings'> {
    if (range) throw new UnsupportedQuery('a tracemalloc dump is a single snapshot; it has no time ranges');
    const d = this.decoded;
    return { ...SNAPSHOT_ONLY_SUMMARY, peakBytes: d.totalSize, heapAtEndBytes: d.totalSize };
  }

  timeline(): undefined {
    return undefined;
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    this.snapshot(spec);
    const wanted = filter?.allocators;
    const domains = this.decoded.domains.filter((d) => !wanted || wanted.includes(domainLabel(d.domain)));
    const byAllocator = domains.map((d) => ({
      name: domainLabel(d.domain),
      // Domain 0 is CPython's own allocators; any other domain is an extension's own tracking.
      family: (d.domain === 0 ? 'pymalloc' : 'other') as AllocatorFamily,
      bytes: d.size,
      count: d.count,
    }));
    let small = { bytes: 0, count: 0 };
    let large = { bytes: 0, count: 0 };
    let other = { bytes: 0, count: 0 };
    const hist = new Float64Array(HIST_BINS);
    for (const d of domains) {
      if (d.domain === 0) {
        small = { bytes: small.bytes + d.smallSize, count: small.count + d.smallCount };
        large = { bytes: large.bytes + d.size - d.smallSize, count: large.count + d.count - d.smallCount };
      } else other = { bytes: other.bytes + d.size, count: other.count + d.count };
      for (let b = 0; b < HIST_BINS; b++) hist[b] += d.histCount[b];
    }
    const byFamily = [
      { family: 'pymalloc' as const, ...small },
      { family: 'malloc' as const, ...large },
      { family: 'other' as const, ...other },
    ].filter((f) => f.count > 0);
    return {
      byAllocator,
      byFamily,
      histogram: histogramBins(hist),
      pymallocThresholdBytes: SMALL_OBJECT_MAX,
      attributionNote:
        'tracemalloc records requested sizes per domain, not allocator calls: domain 0 blocks of ≤ 512 B are ' +
        "pymalloc's small-object range (family pymalloc), larger ones go to the raw allocator (family malloc); " +
        'other domains are memory tracked by extensions (e.g. NumPy data buffers).',
    };
  }

  statsJson(options: StatsOptions): TracemallocStatsJson {
    const d = this.decoded;
    const groupBy = normalizeKeyType(options.groupBy ?? 'lineno');
    if (groupBy === 'function') throw new UnsupportedQuery('tracemalloc frames have no function names');
    const groups = groupSnapshot(this.full, { groupBy, cumulative: options.cumulative ?? false });
    const top = options.top !== undefined && options.top >= 0 ? groups.slice(0, options.top) : groups;
    return {
      format: 'tracemalloc',
      tracebackLimit: d.tracebackLimit,
      traceCount: d.traceCount,
      totalSize: d.totalSize,
      domains: d.domains.map((a) => ({ domain: a.domain, size: a.size, count: a.count })),
      groupBy,
      cumulative: options.cumulative ?? false,
      groupCount: groups.length,
      statistics: top.map(statisticJson),
      traceTupleLen: d.traceTupleLen,
      truncatedTraces: d.truncatedTraces,
      maxTotalNframe: d.maxTotalNframe,
    };
  }
}

function buildRows(domains: readonly DomainAggregate[]): SnapshotRows {
  let n = 0;
  for (const d of domains) for (let i = 0; i < d.length; i++) if (d.counts[i] > 0) n++;
  const rows: SnapshotRows = {
    length: n,
    stack: new Int32Array(n),
    thread: new Int32Array(n),
    allocator: new Int32Array(n),
    bytes: new Float64Array(n),
    count: new Float64Array(n),
  };
  let r = 0;
  domains.forEach((d, index) => {
    for (let i = 0; i < d.length; i++) {
      if (d.counts[i] === 0) continue;
      rows.stack[r] = d.nodes[i];
      rows.allocator[r] = index;
      rows.bytes[r] = d.bytes[i];
      rows.count[r] = d.counts[i];
      r++;
    }
  });
  return rows;
}

/** Same bins as main/model/allocator-family.ts's sizeHistogram: bin k = (2^(k-1), 2^k]. */
function histogramBins(hist: Float64Array): SizeBin[] {
  let lo = 0;
  let hi = hist.length - 1;
  while (lo <= hi && hist[lo] === 0) lo++;
  while (hi >= lo && hist[hi] === 0) hi--;
  const out: SizeBin[] = [];
  for (let k = lo; k <= hi; k++) {
    out.push({ minBytes: k === 0 ? 0 : 2 ** (k - 1) + 1, maxBytes: 2 ** k, count: hist[k] });
  }
  return out;
}
