import { describe, expect, it } from 'vitest';
import { buildFindings, countStacksAtDepth, findingsFromSummary } from './findings';
import { buildTable } from './table';
import { captureInfo } from '../export/testing/report-data';
import { readFixture, snapshotFromMemrayCsv, syntheticSnapshot } from '../export/testing/fixtures';
import { SNAPSHOT_ONLY_SUMMARY } from '../model/capture-model';

const codes = (f: { code: string }[]) => f.map((x) => x.code);

describe('buildFindings', () => {
  const basic = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
  const stats = JSON.parse(readFixture('basic.stats.json'));
  const peakBytes: number = stats.metadata.peak_memory;
  const topSites = buildTable(basic, { groupBy: 'line', sortBy: 'ownBytes', limit: 5 }).rows;

  it('names the dominating call site of the basic workload', () => {
    const f = buildFindings({ info: captureInfo({ tracePythonAllocators: true }), peakBytes, topSites });
    const dom = f.find((x) => x.code === 'single-site-dominates')!;
    // make_big_buffer's 50 MiB bytearray is 99.97% of the peak (memray summary says the same).
    expect(dom.text).toBe(
      '99% of the peak comes from one call site (make_big_buffer at /srv/app/service/workloads/basic.py:14).',
    );
  });

  it('reports a killed capture first', () => {
    const f = buildFindings({ info: captureInfo({}, true), peakBytes: 314_624_155 });
    expect(f[0].code).toBe('truncated');
    expect(f[0].severity).toBe('critical');
    expect(f[0].text).toMatch(
      /^This capture ended without a trailer: the process was probably killed \(SIGKILL, e\.g\. exit status 137, which by itself does not show an OOM kill;/,
    );
  });

  it('warns about untraced pymalloc and mimalloc like memray does', () => {
    const py = buildFindings({
      info: captureInfo({ pythonAllocator: 'pymalloc', tracePythonAllocators: false }),
      peakBytes,
    });
    expect(py.find((x) => x.code === 'pymalloc-not-traced')!.text).toMatch(
      /^pymalloc allocations are not traced in this capture; leaks of small objects may be hidden\./,
    );
    const mi = buildFindings({
      info: captureInfo({ pythonAllocator: 'mimalloc', tracePythonAllocators: false }),
      peakBytes: 168,
    });
    expect(codes(mi)).toContain('mimalloc-not-traced');
    const traced = buildFindings({
      info: captureInfo({ pythonAllocator: 'pymalloc', tracePythonAllocators: true }),
      peakBytes,
    });
    expect(codes(traced)).not.toContain('pymalloc-not-traced');
  });

  it('reports RSS far above the tracked heap in plain words', () => {
    const gib = 1024 ** 3;
    const input = {
      info: captureInfo({ tracePythonAllocators: true }),
      peakBytes: gib,
      heapAtEndBytes: 0.3 * gib,
      rssAtEndBytes: 1.5 * gib,
    };
    const f = buildFindings(input);
    // The gap is 1.2 × 2^30 = 1,288,490,189 bytes: 1.3 GB, or 1.2 GiB when asked for IEC units.
    expect(f.find((x) => x.code === 'rss-exceeds-heap')!.text).toMatch(
      /^RSS exceeded the tracked heap by 1\.3 GB at the end: memory not seen by the tracker/,
    );
    expect(
      buildFindings({ ...input, units: 'iec' }).find((x) => x.code === 'rss-exceeds-heap')!.text,
    ).toMatch(/^RSS exceeded the tracked heap by 1\.2 GiB at the end/);
    const small = buildFindings({
      info: captureInfo({ tracePythonAllocators: true }),
      peakBytes: gib,
      heapAtEndBytes: gib,
      rssAtEndBytes: gib + 1e6,
    });
    expect(codes(small)).not.toContain('rss-exceeds-heap');
  });

  it('reports large leaks with their main site', () => {
    const leaks = snapshotFromMemrayCsv(readFixture('basic.leaks.csv'));
    const topLeakSites = buildTable(leaks, { groupBy: 'line', sortBy: 'ownBytes', limit: 5 }).rows;
    const leaked = topLeakSites.reduce((s, r) => s + r.ownBytes, 0);
    const f = buildFindings({
      info: captureInfo({ tracePythonAllocators: true }),
      peakBytes,
      leakedBytes: leaked,
      leakedCount: 3,
      topLeakSites,
    });
    const text = f.find((x) => x.code === 'large-leaks')!.text;
    expect(text).toContain('were still allocated when tracking stopped');
    expect(text).toContain('leak_5mb at /srv/app/service/workloads/basic.py:35');
  });

  it('does not call a snapshot-only capture (one live set, no history) a leak', () => {
    const base = captureInfo({ format: 'tracemalloc' });
    const info = { ...base, capabilities: { ...base.capabilities, timeline: false, ranges: false } };
    // Its Summary has no leaked number (SNAPSHOT_ONLY_SUMMARY), so there is nothing to report…
    const f = findingsFromSummary({ ...SNAPSHOT_ONLY_SUMMARY, info, peakBytes: 6_600_000, topSites: [] });
    expect(codes(f)).not.toContain('large-leaks');
    // …while the same live set, known to be what was left when tracking stopped, is a leak.
    const leaked = findingsFromSummary({
      ...SNAPSHOT_ONLY_SUMMARY,
      info: captureInfo(),
      peakBytes: 6_600_000,
      leakedBytes: 6_600_000,
      leakedCount: 79_912,
      topSites: [],
    });
    expect(codes(leaked)).toContain('large-leaks');
  });

  it('says when tracemalloc tracebacks were cut at the frame limit', () => {
    const snap = syntheticSnapshot([
      { stack: [['a', 'x.py', 1]], bytes: 10 },
      {
        stack: [
          ['a', 'x.py', 1],
          ['b', 'x.py', 2],
        ],
        bytes: 10,
      },
    ]);
    const stacksAtLimit = countStacksAtDepth(snap, 1);
    expect(stacksAtLimit).toEqual({ atLimit: 2, total: 2 });
    const f = buildFindings({
      info: captureInfo({ format: 'tracemalloc', tracebackLimit: 1 }),
      peakBytes: 20,
      stacksAtLimit,
    });
    expect(f.find((x) => x.code === 'tracebacks-truncated')!.text).toMatch(
      /^tracemalloc kept at most 1 frame per traceback and 2 of 2 tracebacks/,
    );
    expect(codes(f)).not.toContain('pymalloc-not-traced');
  });

  it('works from a Summary', () => {
    const f = findingsFromSummary({
      peakBytes,
      peakTimeMs: 1,
      totalAllocations: 1,
      totalBytesAllocated: 1,
      leakedBytes: 0,
      leakedCount: 0,
      topSites,
      info: captureInfo({ tracePythonAllocators: true }),
    });
    expect(codes(f)).toEqual(['single-site-dominates']);
  });
});
