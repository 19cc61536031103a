import { describe, expect, it } from 'vitest';
import type { CaptureFormat, CaptureInfo, SeriesInfo, Summary } from '../api';
import {
  absentReason,
  ownShare,
  peakKind,
  peakMoment,
  summaryCards,
  summaryWarnings,
  topSitesBasis,
  type SummaryCapture,
} from './summary';

function capture(format: CaptureFormat, extra: Partial<CaptureInfo> = {}): SummaryCapture {
  return {
    facts: { format, path: '/x', fileName: 'x', sizeBytes: 1 },
    capabilities: {
      timeline: true,
      ranges: true,
      threads: false,
      native: false,
      peak: true,
      leaks: true,
      allAllocations: true,
      flamegraph: true,
    },
    durationMs: 2000,
    records: 42,
    ...extra,
  };
}

type Numbers = Omit<Summary, 'info' | 'topSites' | 'findings'>;

const MEMRAY: Numbers = {
  peakBytes: 52_443_396,
  peakTimeMs: 24,
  totalAllocations: 2368,
  totalBytesAllocated: 106_391_717,
  leakedBytes: 6_306_084,
  leakedCount: 18,
  rssAtEndBytes: 54_898_688,
  heapAtEndBytes: 6_788_939,
  atEndTimeMs: 237,
};

/** What a tracemalloc dump's model returns (SNAPSHOT_ONLY_SUMMARY). */
const DUMP: Numbers = {
  peakBytes: 6_296_013,
  peakTimeMs: null,
  totalAllocations: null,
  totalBytesAllocated: null,
  leakedBytes: null,
  leakedCount: null,
  heapAtEndBytes: 6_296_013,
};

const byId = (cards: ReturnType<typeof summaryCards>) => Object.fromEntries(cards.map((c) => [c.id, c]));

describe('summaryCards', () => {
  it('a memray capture: every number, formatted in the units asked for', () => {
    const c = byId(summaryCards(capture('memray'), MEMRAY, { units: 'si' }));
    expect(c.peak).toMatchObject({ title: 'Peak memory', value: 52_443_396, text: '52.4 MB' });
    expect(c.peak.notes[0].text).toBe('at 24 ms');
    expect(c['total-allocated']).toMatchObject({ value: 106_391_717, text: '106.4 MB' });
    expect(c['total-allocated'].notes).toEqual([
      { text: '2,368 allocations', id: 'summary-total-allocations', value: 2368 },
    ]);
    expect(c.leaked).toMatchObject({ title: 'Leaked (alive at end)', value: 6_306_084, text: '6.3 MB' });
    expect(c['rss-end']).toMatchObject({ title: 'At the end', value: 54_898_688, text: '54.9 MB' });
    expect(c['rss-end'].notes.map((n) => n.text)).toEqual([
      'RSS · heap 6.8 MB',
      'both at 237 ms, the last memory record',
    ]);
    const iec = byId(summaryCards(capture('memray'), MEMRAY, { units: 'iec' }));
    expect(iec.peak.text).toBe('50.0 MiB');
  });

  it('a tracemalloc dump: no zeros invented, each missing number says why', () => {
    const info = capture('tracemalloc', { records: 73_578 });
    const c = byId(summaryCards(info, DUMP));
    expect(c.peak).toMatchObject({ title: 'Traced at snapshot', value: 6_296_013 });
    expect(c.peak.notes[0].text).toBe('in the snapshot');
    expect(c['total-allocated']).toMatchObject({ value: null, text: '—' });
    expect(c['total-allocated'].notes[0].text).toBe('a snapshot holds only live blocks');
    // The third card is the dump's traces, never "leaked" or "peak".
    expect(c.leaked).toMatchObject({ title: 'Traced blocks', value: 73_578, unit: 'count', text: '73,578' });
    expect(c.leaked.title).not.toMatch(/peak|leak/i);
    expect(c['rss-end']).toMatchObject({ value: null, text: '—' });
    expect(c['rss-end'].notes[0].text).toBe('no RSS in this capture · heap 6.3 MB');
  });

  it('an aggregated memray file has leaks but no allocation totals; Scalene the reverse', () => {
    const aggregated = capture('memray');
    aggregated.facts.fileFormat = 'aggregated';
    const a = byId(
      summaryCards(aggregated, { ...MEMRAY, totalAllocations: null, totalBytesAllocated: null }),
    );
    expect(a['total-allocated'].text).toBe('—');
    expect(a['total-allocated'].notes[0].text).toBe('not recorded in an aggregated capture');
    expect(a.leaked.value).toBe(6_306_084);
    const sc = byId(summaryCards(capture('scalene'), { ...MEMRAY, leakedBytes: null, leakedCount: null }));
    expect(sc.peak.title).toBe('Peak footprint');
    expect(sc.leaked.text).toBe('—');
    expect(sc.leaked.notes[0].text).toMatch(/Scalene measures no leaked set/);
    expect(sc['total-allocated'].value).toBe(106_391_717);
  });

  it('over a range the cards name the range; fork children name the sum of their peaks', () => {
    const c = byId(
      summaryCards(
        capture('memray', { processes: 2 }),
        { ...MEMRAY, sumOfProcessPeaksBytes: 60e6 },
        {
          inRange: true,
        },
      ),
    );
    expect(c.leaked.title).toBe('Alive at end of range');
    expect(c.leaked.notes[0].text).toBe('18 allocations made in the range');
    expect(c['rss-end'].title).toBe('At the end of the range');
    expect(c['rss-end'].notes[1].text).toMatch(/each process's last memory record by the range's end/);
    expect(c.peak.notes[1]).toMatchObject({ id: 'summary-sum-of-peaks', value: 60e6 });
    expect(c.peak.notes[1].text).toMatch(/the 2 processes' heaps summed at one moment.*60\.0 MB/);
  });

  it('while loading: titles from the capture, no numbers yet', () => {
    const c = summaryCards(capture('memray'), null);
    expect(c.map((x) => x.text)).toEqual([null, null, null, null]);
    expect(c.map((x) => x.title)).toEqual([
      'Peak memory',
      'Total allocated',
      'Leaked (alive at end)',
      'At the end',
    ]);
  });

  it('says the heap is above RSS when the one memory record shows it', () => {
    const c = byId(summaryCards(capture('memray'), { ...MEMRAY, rssAtEndBytes: 1e6, heapAtEndBytes: 2e6 }));
    expect(c['rss-end'].notes.map((n) => n.id)).toContain('summary-heap-above-rss');
  });
});

describe('peak kind and moment', () => {
  const series: SeriesInfo = {
    order: 'name-number',
    orderNote: '',
    dumps: ['a.1', 'a.2', 'a.3'].map((fileName) => ({
      fileName,
      path: fileName,
      totalBytes: 1,
      traceCount: 1,
    })),
  };

  it('a series of dumps has a peak at one of its dumps; a dump alone has none', () => {
    const info = capture('tracemalloc', { series });
    expect(peakKind(info)).toBe('peak');
    expect(peakMoment({ info, peakTimeMs: 1 })).toBe('in dump 2 of 3 (a.2)');
    expect(peakKind(capture('tracemalloc'))).toBe('snapshot');
    expect(peakMoment({ info: capture('tracemalloc'), peakTimeMs: null })).toBeNull();
    expect(peakMoment({ info: capture('memray'), peakTimeMs: 1500 })).toBe('at 1.50 s');
    expect(absentReason(info, 'leaks')).toMatch(/each dump holds what was alive then/);
  });
});

describe('summaryWarnings', () => {
  it('leaves out the truncation (said on its own) and what the findings already say', () => {
    const info = {
      truncated: true,
      truncationReason: 'no trailer',
      warnings: ['the file ends early: no trailer', 'a finding too', 'its own'],
    };
    expect(summaryWarnings(info, [{ text: 'a finding too' }])).toEqual(['its own']);
    expect(summaryWarnings({ ...info, truncated: false }, [])).toEqual(info.warnings);
  });
});

const basis = (format: CaptureFormat, peakBytes: number, totalBytesAllocated: number | null) => ({
  info: { facts: { format } },
  peakBytes,
  totalBytesAllocated,
});

describe('topSitesBasis', () => {
  it('scales Scalene’s sites (bytes allocated over the run) to everything allocated', () => {
    // The recursive_nested profile (Scalene 1.5.16): 91.6 MiB allocated on one line of 121 MiB
    // allocated in all, with a 114.7 MiB peak footprint.
    const MIB = 1024 * 1024;
    const b = topSitesBasis(basis('scalene', 114.7175 * MIB, 121.16 * MIB));
    expect(b.shareOf).toBe('of all bytes allocated');
    expect(b.heading).toMatch(/allocated over the run/);
    const share = ownShare({ ownBytes: 91.61 * MIB }, b);
    expect(share).toBeCloseTo(91.61 / 121.16, 9);
    expect(share).toBeLessThanOrEqual(1);
  });

  it('shares of a memray peak, a range and a tracemalloc snapshot are of that set', () => {
    expect(topSitesBasis(basis('memray', 400, 9000))).toMatchObject({
      totalBytes: 400,
      shareOf: 'of the peak',
    });
    expect(topSitesBasis(basis('memray', 300, 9000), true)).toMatchObject({
      totalBytes: 300,
      heading: 'Top allocation sites in the range',
    });
    expect(topSitesBasis(basis('tracemalloc', 500, null))).toMatchObject({
      totalBytes: 500,
      shareOf: 'of the snapshot',
    });
    expect(ownShare({ ownBytes: 100 }, { totalBytes: 400 })).toBe(0.25);
    expect(ownShare({ ownBytes: 100 }, { totalBytes: 0 })).toBe(0);
  });
});
