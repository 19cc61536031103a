import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';
import { listCaptures, parseCsv } from '../../formats/memray/oracles';
import { snapshotTotals } from '../snapshot';
import { UnsupportedQuery } from '../capture-model';
import { displayTimeline } from '../../query/timeline-lod';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const captures = listCaptures(FIXTURES);
const find = (folder: string, name: string) => {
  const c = captures.find((x) => x.folder.startsWith(folder) && x.name === name);
  if (!c) throw new Error(`fixture ${folder}/${name} missing`);
  return c;
};

function csvTotals(text: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const r of parseCsv(text)) {
    count += Number(r.num_allocations);
    bytes += Number(r.size);
  }
  return { count, bytes };
}

const cases = [
  ['v10', 'basic.bin', {}],
  ['v11', 'threads.bin', {}],
  ['v12-memray1.19.3-py311', 'pymalloc.bin', {}],
  ['v12-memray1.19.3-py311', 'killed.bin', {}],
  // a tiny bucket budget forces the time index to merge neighbours many times
  ['v12-memray1.19.3-py311', 'killed.bin', { maxBuckets: 8 }],
  ['v12-memray1.19.3-py312', 'pymalloc.bin', { maxBuckets: 6 }],
  ['v13', 'allocators.bin', {}],
  ['v13', 'basic-buffered.bin', { maxBuckets: 4 }],
  // a tiny entry budget merges buckets because of many (key, bucket) entries, not bucket count
  ['v11', 'pymalloc.bin', { entryBudget: 40 }],
] as const;

describe('memray snapshots and the time index against memray’s oracles', () => {
  for (const [folder, name, opts] of cases) {
    it(`${folder}/${name} ${JSON.stringify(opts)}`, async () => {
      const c = find(folder, name);
      const m = await loadMemrayModel(c.path, opts);
      const stats = JSON.parse(c.oracle('stats.json')!);
      const hwm = csvTotals(c.oracle('hwm.csv')!);
      const leaks = csvTotals(c.oracle('leaks.csv')!);
      const totals = (s: Parameters<typeof m.snapshot>[0], f?: Parameters<typeof m.snapshot>[1]) =>
        snapshotTotals(m.snapshot(s, f).rows);
      const end = m.info().durationMs + 1e6;

      expect(totals({ kind: 'peak' })).toEqual(hwm);
      expect(totals({ kind: 'leaks' })).toEqual(leaks);
      expect(totals({ kind: 'all' })).toEqual({
        count: stats.total_num_allocations,
        bytes: stats.total_bytes_allocated,
      });
      if ('maxBuckets' in opts) expect(m.b.timeIndex.bucketCount).toBeLessThanOrEqual(opts.maxBuckets);
      if ('entryBudget' in opts) expect(m.b.timeIndex.bucketShift).toBeGreaterThan(0);

      // whole-capture ranges answer from the time index alone
      expect(totals({ kind: 'range', fromMs: 0, toMs: end, measure: 'allocated' })).toEqual({
        count: stats.total_num_allocations,
        bytes: stats.total_bytes_allocated,
      });
      expect(totals({ kind: 'range', fromMs: 0, toMs: end, measure: 'live-at-end' })).toEqual(leaks);
      expect(totals({ kind: 'range', fromMs: 0, toMs: end, measure: 'peak' })).toEqual(hwm);
      expect(totals({ kind: 'at', timeMs: end })).toEqual(leaks);
      const rs = m.summary({ fromMs: 0, toMs: end });
      expect(rs.peakBytes).toBe(stats.metadata.peak_memory);
      expect(m.statsJson({ range: { fromMs: 0, toMs: end } }).peakMemory).toBe(stats.metadata.peak_memory);

      // a split at every bucket boundary partitions the allocations
      const ends = [...m.b.timeIndex.endTimesMs()];
      for (const t of ends.slice(0, -1)) {
        const left = totals({ kind: 'range', fromMs: -1, toMs: t, measure: 'allocated' });
        const right = totals({ kind: 'range', fromMs: t + 1e-6, toMs: end, measure: 'allocated' });
        expect(left.count + right.count).toBe(stats.total_num_allocations);
        expect(left.bytes + right.bytes).toBe(stats.total_bytes_allocated);
        // what survives [t, end] plus what was allocated before t and survives is the leak set
        const lateSurvivors = totals({ kind: 'range', fromMs: t + 1e-6, toMs: end, measure: 'live-at-end' });
        const earlySurvivors = totals({ kind: 'range', fromMs: -1, toMs: t, measure: 'live-at-end' });
        expect(lateSurvivors.count).toBeLessThanOrEqual(leaks.count);
        expect(earlySurvivors.count).toBeGreaterThanOrEqual(0);
      }
      // the range peak that contains the global peak is the global peak
      const peakAt = m.summary().peakTimeMs;
      expect(m.summary({ fromMs: peakAt, toMs: end }).peakBytes).toBe(stats.metadata.peak_memory);

      // allocator filters
      for (const [name, count] of Object.entries(stats.allocator_type_distribution)) {
        expect(totals({ kind: 'all' }, { allocators: [name] }).count).toBe(count);
      }
      const alloc = m.allocators({ kind: 'all' });
      expect(alloc.byAllocator.reduce((s, a) => s + a.count, 0)).toBe(stats.total_num_allocations);
      expect(alloc.histogram.map((h) => h.count)).toEqual(
        stats.allocation_size_histogram.map((h: { count: number }) => h.count),
      );

      const tl = displayTimeline(m.timeline()!, 64);
      expect(tl.timeMs.length).toBeLessThanOrEqual(64);
      expect(tl.peak.bytes).toBe(stats.metadata.peak_memory);
      expect(Math.max(...tl.heapBytes)).toBeLessThanOrEqual(stats.metadata.peak_memory);
      expect(m.summary().peakBytes).toBe(stats.metadata.peak_memory);
      expect(m.summary().totalAllocations).toBe(stats.total_num_allocations);
    });
  }

  it('a split range adds up to memray’s leaks (v12 killed, live-at-end is additive over disjoint ranges)', async () => {
    const c = find('v12-memray1.19.3-py311', 'killed.bin');
    const m = await loadMemrayModel(c.path, { maxBuckets: 16 });
    const leaks = csvTotals(c.oracle('leaks.csv')!);
    const ends = [...m.b.timeIndex.endTimesMs()];
    const end = ends[ends.length - 1] + 1;
    // survivors of [0,t] that are still alive at the end, plus survivors of (t,end], are the
    // leak set; survivors of [0,t] at t include some freed later, so only the sum over the whole
    // range is exact. The whole range equals the oracle.
    const whole = snapshotTotals(
      m.snapshot({ kind: 'range', fromMs: 0, toMs: end, measure: 'live-at-end' }).rows,
    );
    expect(whole).toEqual(leaks);
  });

  it('threads filter: threads.bin per-thread totals add up to the whole (v13, named threads)', async () => {
    const c = find('v13', 'threads.bin');
    const m = await loadMemrayModel(c.path, {});
    const stats = JSON.parse(c.oracle('stats.json')!);
    expect(m.info().threads.map((t) => t.label)).toEqual([
      '0x1',
      '0x2 (loader)',
      '0x3 (parser)',
      '0x4 (writer)',
    ]);
    let count = 0;
    for (const t of m.info().threads)
      count += snapshotTotals(m.snapshot({ kind: 'all' }, { threads: [t.id] }).rows).count;
    expect(count).toBe(stats.total_num_allocations);
    // the loader thread allocates 8 × 1 MiB, all alive at the peak (MANIFEST)
    const loader = snapshotTotals(m.snapshot({ kind: 'peak' }, { threads: [2] }).rows);
    expect(loader.bytes).toBeGreaterThanOrEqual(8 * 1048576);
  });

  it('native captures keep library+offset frames below the Python frames', async () => {
    const c = find('v13', 'allocators.bin');
    const m = await loadMemrayModel(c.path, {});
    const snap = m.snapshot({ kind: 'peak' });
    let nativeLeaves = 0;
    for (let i = 0; i < snap.rows.length; i++) {
      const path = snap.stacks.path(snap.rows.stack[i]);
      const kinds = path.map((f) => snap.frames.kind(f));
      const firstNative = kinds.indexOf('native');
      if (firstNative < 0) continue;
      nativeLeaves++;
      // python frames first (outermost), then only native frames
      expect(kinds.slice(firstNative).every((k) => k === 'native')).toBe(true);
      expect(snap.frames.info(path[path.length - 1]).name).toMatch(/^(.+\+0x[0-9a-f]+|0x[0-9a-f]+)$/);
    }
    expect(nativeLeaves).toBeGreaterThan(0);
    const pyOnly = m.snapshot({ kind: 'peak' }, { pythonOnly: true });
    for (let i = 0; i < pyOnly.rows.length; i++) {
      for (const f of pyOnly.stacks.path(pyOnly.rows.stack[i])) expect(pyOnly.frames.kind(f)).toBe('python');
    }
    expect(snapshotTotals(pyOnly.rows)).toEqual(snapshotTotals(snap.rows));
    // MANIFEST: the 64 MiB mmaps go through libjemalloc / libmimalloc
    const fam = m.allocators({ kind: 'all' }).byFamilyAll!.map((f) => f.family);
    expect(fam).toContain('jemalloc');
    expect(fam).toContain('mimalloc');
  });

  it('aggregated captures answer peak and leaks but not time ranges', async () => {
    const c = find('v12-memray1.19.3-py311', 'basic-aggregate.bin');
    const m = await loadMemrayModel(c.path, {});
    expect(m.info().facts.fileFormat).toBe('aggregated');
    expect(snapshotTotals(m.snapshot({ kind: 'leaks' }).rows)).toEqual(csvTotals(c.oracle('leaks.csv')!));
    expect(() => m.snapshot({ kind: 'range', fromMs: 0, toMs: 10, measure: 'peak' })).toThrow(
      UnsupportedQuery,
    );
    expect(() => m.snapshot({ kind: 'all' })).toThrow(UnsupportedQuery);
    // MANIFEST: the same workload peaks a little over 50 MiB (basic.py's 50 MiB bytearray)
    const s = m.statsJson({});
    expect(s.fileFormat).toBe('aggregated');
    expect(s.peakMemory).toBe(
      JSON.parse(find('v12-memray1.19.3-py311', 'basic.bin').oracle('stats.json')!).metadata.peak_memory,
    );
    expect(m.timeline()!.heapBytes.length).toBeGreaterThan(0);
  });
});
