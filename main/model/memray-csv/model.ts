/**
 * A `memray transform csv` file as a capture: one aggregated live set (the high-water mark,
 * or the leaks with --leaks), enough for flamegraphs, tables and diffs, with no time axis. The
 * reader (main/formats/memray-csv) decodes the rows into the frame and stack tables it holds.
 */
import type {
  AllocatorBreakdown,
  CaptureInfo,
  SnapshotSpec,
  StackFilter,
  Summary,
  ThreadInfo,
} from '../../../shared/api';
import type { MemrayCsvStatsJson } from '../../../shared/stats';
import { familyTotals, allocatorFamily, PYMALLOC_THRESHOLD_BYTES, sizeHistogram } from '../allocator-family';
import {
  SNAPSHOT_ONLY_SUMMARY,
  UnsupportedQuery,
  type CaptureModel,
  type StatsOptions,
} from '../capture-model';
import type { FrameTable } from '../frame-table';
import { groupSnapshot, normalizeKeyType, statisticJson } from '../groups';
import { MEMRAY_CSV_COLUMNS } from '../memray/vocabulary';
import { pythonCsv } from '../python-csv';
import { snapshotTotals, type Snapshot, type SnapshotRows } from '../snapshot';
import type { StackTrie } from '../stack-trie';
import { selectRows } from '../tracemalloc/filters';

export class MemrayCsvModel implements CaptureModel {
  private readonly full: Snapshot;
  private readonly totals: { bytes: number; count: number };

  constructor(
    private readonly captureInfo: CaptureInfo,
    frames: FrameTable,
    stacks: StackTrie,
    threads: ThreadInfo[],
    allocators: string[],
    rows: SnapshotRows,
  ) {
    this.full = { frames, stacks, threads, allocators, rows, label: captureInfo.facts.fileName };
    this.totals = snapshotTotals(rows);
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    // The CSV holds one aggregated set (memray chose hwm or leaks when writing it).
    if (spec.kind !== 'peak' && spec.kind !== 'leaks' && spec.kind !== 'all') {
      throw new UnsupportedQuery(
        `a memray CSV has no time axis, so ${spec.kind} snapshots are not available`,
      );
    }
    const threads = filter?.threads;
    const allocs = filter?.allocators;
    if (!threads && !allocs) return this.full;
    const rows = this.full.rows;
    const keepAlloc = this.full.allocators.map((name) => !allocs || allocs.includes(name));
    const keep = new Uint8Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      keep[r] = keepAlloc[rows.allocator[r]] && (!threads || threads.includes(rows.thread[r])) ? 1 : 0;
    }
    return { ...this.full, rows: selectRows(rows, keep) };
  }

  summary(range?: { fromMs: number; toMs: number }): Omit<Summary, 'info' | 'topSites' | 'findings'> {
    if (range) throw new UnsupportedQuery('a memray CSV has no time axis');
    return { ...SNAPSHOT_ONLY_SUMMARY, peakBytes: this.totals.bytes };
  }

  timeline(): undefined {
    return undefined;
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const snap = this.snapshot(spec, filter);
    const per = new Map<string, { bytes: number; count: number }>();
    const avg: number[] = [];
    const counts: number[] = [];
    for (let r = 0; r < snap.rows.length; r++) {
      const name = snap.allocators[snap.rows.allocator[r]];
      const e = per.get(name) ?? { bytes: 0, count: 0 };
      e.bytes += snap.rows.bytes[r];
      e.count += snap.rows.count[r];
      per.set(name, e);
      if (snap.rows.count[r] > 0) {
        avg.push(snap.rows.bytes[r] / snap.rows.count[r]);
        counts.push(snap.rows.count[r]);
      }
    }
    const byAllocator = [...per]
      .map(([name, e]) => ({ name, family: allocatorFamily(name), ...e }))
      .sort((a, b) => b.bytes - a.bytes);
    return {
      byAllocator,
      byFamily: familyTotals(byAllocator),
      histogram: sizeHistogram(avg, counts),
      pymallocThresholdBytes: PYMALLOC_THRESHOLD_BYTES,
      attributionNote:
        'A memray CSV aggregates allocations per stack; the size histogram uses each row’s average size.',
    };
  }

  statsJson(options: StatsOptions): MemrayCsvStatsJson {
    if (options.range) throw new UnsupportedQuery('a memray CSV has no time axis');
    const groupBy = normalizeKeyType(options.groupBy ?? 'lineno');
    const groups = groupSnapshot(this.full, { groupBy, cumulative: options.cumulative ?? false });
    const top = options.top !== undefined && options.top >= 0 ? groups.slice(0, options.top) : groups;
    const breakdown = this.allocators({ kind: 'peak' });
    return {
      format: 'memray-csv',
      totalBytes: this.totals.bytes,
      totalAllocations: this.totals.count,
      rows: this.full.rows.length,
      threads: this.full.threads.map((t) => ({ ...t })),
      allocators: breakdown.byAllocator.map(({ name, bytes, count }) => ({ name, bytes, count })),
      groupBy,
      cumulative: options.cumulative ?? false,
      groupCount: groups.length,
      statistics: top.map(statisticJson),
    };
  }

  /** Writes the rows back in memray's own CSV shape (Python csv module quoting, CRLF). */
  exportTable(kind: 'memray-csv'): string {
    if (kind !== 'memray-csv') throw new UnsupportedQuery(`cannot export ${String(kind)}`);
    const { frames, stacks, rows, threads, allocators } = this.full;
    const label = new Map(threads.map((t) => [t.id, t.label]));
    const lines: string[][] = [];
    for (let r = 0; r < rows.length; r++) {
      const path = rows.stack[r] === 0 ? [] : stacks.path(rows.stack[r]).reverse();
      const stack = path.map((f) => `${frames.names[f]};${frames.files[f]};${frames.lines[f]}`).join('|');
      const tid = rows.thread[r];
      lines.push([
        allocators[rows.allocator[r]],
        String(rows.count[r]),
        String(rows.bytes[r]),
        String(tid),
        label.get(tid) ?? `0x${tid.toString(16)}`,
        stack,
      ]);
    }
    return pythonCsv(MEMRAY_CSV_COLUMNS, lines);
  }
}
