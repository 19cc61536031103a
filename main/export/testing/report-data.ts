// Test support only: a ReportData built through the real query functions from a memray CSV
// oracle, optionally with hostile function names.
import type { CaptureInfo, DiffRow, Timeline } from '../../../shared/api';
import type { ReportData } from '../../../shared/report';
import { snapshotTotals, type Snapshot } from '../../model/snapshot';
import { familyTotals, allocatorFamily, PYMALLOC_THRESHOLD_BYTES } from '../../model/allocator-family';
import { mergeDiffFlame } from '../../query/diff-flame';
import { buildFindings } from '../../query/findings';
import { buildFlameTree } from '../../query/flamegraph';
import { matchCaptures } from '../../query/path-identity';
import { buildTable } from '../../query/table';

export function captureInfo(overrides: Partial<CaptureInfo['facts']> = {}, truncated = false): CaptureInfo {
  return {
    id: 'c1',
    facts: {
      format: 'memray',
      path: '/srv/app/stage/basic.bin',
      fileName: 'basic.bin',
      sizeBytes: 5675,
      headerVersion: 13,
      pythonVersion: '3.13.0',
      pythonAllocator: 'pymalloc',
      commandLine:
        '/opt/pythons/versions/3.13.0/bin/python3 -m memray run -o /srv/app/stage/basic.bin /srv/app/service/workloads/basic.py',
      nativeTraces: false,
      tracePythonAllocators: false,
      sysPath: ['/srv/app/service/workloads', '/opt/pythons/versions/3.13.0/lib/python3.13'],
      libdest: '/opt/pythons/versions/3.13.0/lib/python3.13',
      sitePackages: ['/srv/app/service/site-1.20.0-py313'],
      ...overrides,
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
    truncated,
    warnings: ['read /srv/app/stage/basic.bin to the end'],
    threads: [{ id: 1, label: '0x1' }],
    durationMs: 1234,
    records: 4683,
  };
}

export function reportDataFrom(
  peak: Snapshot,
  leaks: Snapshot,
  options: { diffBase?: Snapshot } = {},
): ReportData {
  const info = captureInfo();
  const peakTotals = snapshotTotals(peak.rows);
  const leakTotals = snapshotTotals(leaks.rows);
  const topSites = buildTable(peak, { groupBy: 'line', sortBy: 'ownBytes', limit: 20 }).rows;
  const topLeakSites = buildTable(leaks, { groupBy: 'line', sortBy: 'ownBytes', limit: 20 }).rows;
  const timeline: Timeline = {
    timeMs: [0, 400, 800, 1234],
    heapBytes: [0, peakTotals.bytes / 2, peakTotals.bytes, leakTotals.bytes],
    rssBytes: [20e6, 40e6, 80e6, 75e6],
    allocatedBytes: [0, 10, 20, 30],
    allocationCount: [0, 1, 2, 3],
    peak: { timeMs: 800, bytes: peakTotals.bytes },
    durationMs: 1234,
  };
  const byAllocator = peak.allocators.map((name, a) => {
    let bytes = 0;
    let count = 0;
    for (let r = 0; r < peak.rows.length; r++) {
      if (peak.rows.allocator[r] !== a) continue;
      bytes += peak.rows.bytes[r];
      count += peak.rows.count[r];
    }
    return { name, family: allocatorFamily(name), bytes, count };
  });
  const summary = {
    peakBytes: peakTotals.bytes,
    peakTimeMs: 800,
    totalAllocations: 2363,
    totalBytesAllocated: 108_320_947,
    leakedBytes: leakTotals.bytes,
    leakedCount: leakTotals.count,
    rssAtEndBytes: 75e6,
    heapAtEndBytes: leakTotals.bytes,
    topSites,
    findings: buildFindings({
      info,
      peakBytes: peakTotals.bytes,
      leakedBytes: leakTotals.bytes,
      topSites,
      topLeakSites,
      rssAtEndBytes: 75e6,
      heapAtEndBytes: leakTotals.bytes,
    }),
  };
  const data: ReportData = {
    title: 'basic.bin',
    generatedAt: '2026-01-01T00:00:00.000Z',
    generator: 'heapscope test',
    info,
    summary,
    frozen: { snapshot: 'peak', filter: { hideInternals: true, mergeThreads: true } },
    flames: [
      {
        id: 'peak',
        title: 'Peak',
        tree: buildFlameTree(peak, { filter: { hideInternals: true }, maxNodes: 2000 }),
      },
      {
        id: 'leaks',
        title: 'Leaks',
        tree: buildFlameTree(leaks, { filter: { hideInternals: true }, maxNodes: 2000 }),
      },
    ],
    timeline,
    allocators: {
      pythonAllocator: 'pymalloc',
      byAllocator,
      byFamily: familyTotals(byAllocator),
      histogram: [{ minBytes: 0, maxBytes: 512, count: 3 }],
      pymallocThresholdBytes: PYMALLOC_THRESHOLD_BYTES,
    },
    topSites,
  };
  if (options.diffBase) {
    const base = buildFlameTree(options.diffBase, {});
    const target = buildFlameTree(peak, {});
    const files = (s: Snapshot) => s.frames.files;
    const m = matchCaptures({ files: files(options.diffBase) }, { files: files(peak) });
    const rows: DiffRow[] = topSites.slice(0, 5).map((s) => ({
      key: s.key,
      function: s.function,
      file: s.file,
      line: s.line,
      size: s.ownBytes,
      sizeDiff: s.ownBytes,
      count: s.ownCount,
      countDiff: s.ownCount,
      status: 'new',
      sizeDiffRatio: Infinity,
    }));
    data.diff = {
      base: { totalBytes: base.totalBytes, totalCount: base.totalCount, label: 'base.bin' },
      target: { totalBytes: target.totalBytes, totalCount: target.totalCount, label: 'basic.bin' },
      groupCount: rows.length,
      rows,
      flame: mergeDiffFlame(base, target, m),
      matching: m.matching,
      matchingNote: m.note,
    };
    data.frozen.baseline = '/srv/app/stage/base.bin (peak)';
  }
  return data;
}
