import type {
  AllocatorBreakdown,
  CaptureInfo,
  HeapscopeApi,
  LastSeconds,
  LastSecondsQuery,
  GrowthQuery,
  GrowthResult,
  LineSamples,
  LineSamplesQuery,
  Progress,
  Summary,
  TableQuery,
  TableResult,
  Timeline,
} from '@shared/api';
import type { ViewClient } from '../../renderer/src/client';

/** A capture as the engine describes it; tests override what they care about. */
export function captureInfo(id: string, patch: Partial<CaptureInfo> = {}): CaptureInfo {
  return {
    id,
    facts: {
      format: 'memray',
      path: `/captures/${id}.bin`,
      fileName: `${id}.bin`,
      sizeBytes: 1000,
      headerVersion: 12,
      pythonAllocator: 'pymalloc',
    },
    capabilities: {
      timeline: true,
      ranges: true,
      threads: true,
      native: false,
      peak: true,
      leaks: true,
      allAllocations: true,
      flamegraph: true,
    },
    truncated: false,
    warnings: [],
    threads: [
      { id: 1, label: '0x1' },
      { id: 2, label: '0x2 (loader)' },
    ],
    durationMs: 2000,
    records: 100,
    ...patch,
  };
}

type Calls = { [M in keyof HeapscopeApi]: Parameters<HeapscopeApi[M]>[0][] };

/**
 * Records every call and answers from small tables computed from the query, so a test can see
 * which query a store sent by the answer it shows.
 */
export class FakeClient implements ViewClient {
  calls: Calls = {
    open: [],
    cancel: [],
    close: [],
    list: [],
    summary: [],
    flamegraph: [],
    timeline: [],
    allocators: [],
    table: [],
    diff: [],
    export: [],
    lineSamples: [],
    lastSeconds: [],
    growth: [],
    layout: [],
    layoutSites: [],
    layoutBands: [],
  };
  listeners = new Set<(p: Progress) => void>();
  infos = new Map<string, CaptureInfo>();
  /** Delay per method, to stage out-of-order answers. */
  delays: Partial<Record<keyof HeapscopeApi, (q: unknown) => number>> = {};
  openError: unknown = null;
  private nextId = 1;

  private async wait(method: keyof HeapscopeApi, q: unknown): Promise<void> {
    const ms = this.delays[method]?.(q) ?? 0;
    await new Promise((r) => setTimeout(r, ms));
  }

  onProgress(cb: (p: Progress) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  emit(p: Progress): void {
    for (const l of this.listeners) l(p);
  }

  async open(req: { path: string }): Promise<CaptureInfo> {
    this.calls.open.push(req);
    await this.wait('open', req);
    if (this.openError) throw this.openError;
    const id = `c${this.nextId++}`;
    const info = captureInfo(id, {
      facts: { ...captureInfo(id).facts, path: req.path, fileName: req.path.split('/').pop() ?? req.path },
    });
    this.infos.set(id, info);
    return info;
  }
  async cancel(id: string): Promise<void> {
    this.calls.cancel.push(id);
  }
  async close(id: string): Promise<void> {
    this.calls.close.push(id);
    this.infos.delete(id);
  }
  async list(): Promise<CaptureInfo[]> {
    this.calls.list.push(undefined as never);
    return [...this.infos.values()];
  }
  async summary(q: { captureId: string; range?: { fromMs: number; toMs: number } }): Promise<Summary> {
    this.calls.summary.push(q);
    await this.wait('summary', q);
    // Peak depends on the range so a test can tell which query an answer belongs to.
    const peak = q.range ? q.range.toMs - q.range.fromMs : 5000;
    return {
      info: this.infos.get(q.captureId) ?? captureInfo(q.captureId),
      peakBytes: peak,
      peakTimeMs: 10,
      totalAllocations: 3,
      totalBytesAllocated: 9000,
      leakedBytes: 100,
      leakedCount: 1,
      topSites: [],
      findings: [],
    };
  }
  async flamegraph(): Promise<never> {
    throw new Error('not used');
  }
  async timeline(q: { captureId: string; maxPoints?: number }): Promise<Timeline> {
    this.calls.timeline.push(q);
    return {
      timeMs: [0, 1000, 2000],
      heapBytes: [0, 5000, 100],
      rssBytes: [null, null, null],
      allocatedBytes: [0, 6000, 3000],
      allocationCount: [0, 2, 1],
      peak: { timeMs: 1000, bytes: 5000 },
      durationMs: 2000,
    };
  }
  async allocators(q: { captureId: string }): Promise<AllocatorBreakdown> {
    this.calls.allocators.push(q as never);
    return {
      byAllocator: [],
      byFamily: [{ family: 'malloc', bytes: 10, count: 1 }],
      histogram: [],
      pymallocThresholdBytes: 512,
    };
  }
  async table(q: TableQuery): Promise<TableResult> {
    this.calls.table.push(q);
    await this.wait('table', q);
    const total = 120;
    const rows = Array.from(
      { length: Math.max(0, Math.min(q.limit ?? 50, total - (q.offset ?? 0))) },
      (_, i) => {
        const n = (q.offset ?? 0) + i;
        return {
          key: `k${n}`,
          function: `f${n}`,
          file: 'a.py',
          line: n,
          ownBytes: n,
          ownCount: 1,
          bytes: n,
          count: 1,
          share: 0,
        };
      },
    );
    return { rows, totalRows: q.search ? 1 : total, totalBytes: 0, totalCount: 0 };
  }
  async lineSamples(q: LineSamplesQuery): Promise<LineSamples | null> {
    this.calls.lineSamples.push(q);
    // Only "profile" captures have per-line samples, as only Scalene profiles do.
    if (!q.file.endsWith('.py') || q.line !== 9) return null;
    return {
      file: q.file,
      line: q.line,
      timeMs: [100, 900],
      heapBytes: [10, 20],
      leak: { likelihood: 0.9, velocityBytesPerSec: 5 },
    };
  }
  async diff(): Promise<never> {
    throw new Error('not used');
  }
  async growth(q: GrowthQuery): Promise<GrowthResult> {
    this.calls.growth.push(q);
    await this.wait('growth', q);
    return { points: 0, durationMs: 0, sparkTimeMs: [], totalSites: 0, sites: [] };
  }
  async lastSeconds(q: LastSecondsQuery): Promise<LastSeconds> {
    this.calls.lastSeconds.push(q);
    await this.wait('lastSeconds', q);
    // The window's length and the limit come back, so a test sees which query was sent.
    const windowMs = q.windowMs ?? 200;
    return {
      fromMs: 2000 - windowMs,
      toMs: 2000,
      windowNote: 'the last window',
      startLabel: 'alive at start',
      heapAtStartBytes: 100,
      heapAtEndBytes: 300,
      heapBytesPerSecond: 200 / (windowMs / 1000),
      peakHeapBytes: 300,
      ...(q.limitBytes !== undefined && { limitBytes: q.limitBytes, heapHeadroomBytes: q.limitBytes - 300 }),
      truncated: true,
      groupCount: 0,
      sites: [],
      findings: [],
    };
  }
  async export(): Promise<never> {
    throw new Error('not used');
  }
  async layout(): Promise<never> {
    throw new Error('not used');
  }
  async layoutSites(): Promise<never> {
    throw new Error('not used');
  }
  async layoutBands(): Promise<never> {
    throw new Error('not used');
  }
}
