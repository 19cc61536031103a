import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { DiffRow, SiteRow } from '../../shared/api';
import { parseSize } from '../../shared/units';
import { buildTable } from '../query/table';
import { checkLimits, toJunit } from './check';
import { readFixture, snapshotFromMemrayCsv } from './testing/fixtures';

const peak = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
const sites: SiteRow[] = buildTable(peak, { groupBy: 'line', sortBy: 'ownBytes', limit: 10 }).rows;
const peakBytes: number = JSON.parse(readFixture('basic.stats.json')).metadata.peak_memory;

describe('checkLimits', () => {
  it('passes within limits', () => {
    const r = checkLimits(
      { label: 'basic.bin', peakBytes, leakedBytes: 5_242_913 },
      { maxPeakBytes: parseSize('1.5GB'), maxLeakedBytes: parseSize('50MB') },
    );
    expect(r.ok).toBe(true);
    expect(r.reasons).toBe('');
    expect(r.checks.map((c) => c.ok)).toEqual([true, true]);
  });

  it('fails with one paragraph naming the top offending site', () => {
    const r = checkLimits(
      { label: 'basic.bin', peakBytes, leakedBytes: 0, topPeakSites: sites },
      { maxPeakBytes: parseSize('50MiB') },
    );
    expect(r.ok).toBe(false);
    expect(r.reasons).not.toContain('\n');
    expect(r.reasons).toMatch(
      /^basic\.bin: peak memory 50\.0 MB \(52,443,396 bytes\) exceeds the limit of 50\.0 MB \(52,428,800 bytes\)\./,
    );
    expect(r.reasons).toContain('make_big_buffer at /srv/app/service/workloads/basic.py');
    expect(r.checks[0]).toMatchObject({
      name: 'max-peak',
      ok: false,
      actual: peakBytes,
      allowed: 52_428_800,
    });
  });

  it('checks growth over a baseline and names what grew', () => {
    const rows: DiffRow[] = [
      {
        key: 'a',
        function: 'grow',
        file: 'app.py',
        line: 3,
        size: 300,
        sizeDiff: 200,
        count: 3,
        countDiff: 2,
        status: 'grown',
        sizeDiffRatio: 2,
      },
      {
        key: 'b',
        function: 'fresh',
        file: 'app.py',
        line: 9,
        size: 50,
        sizeDiff: 50,
        count: 1,
        countDiff: 1,
        status: 'new',
        sizeDiffRatio: Infinity,
      },
    ];
    const over = checkLimits(
      {
        label: 'new.bin',
        peakBytes: 1150,
        leakedBytes: 0,
        baseline: { label: 'old.bin', peakBytes: 1000 },
        growthRows: rows,
      },
      { maxGrowthPercent: 10 },
    );
    expect(over.ok).toBe(false);
    expect(over.checks[0].actual).toBeCloseTo(15);
    expect(over.reasons).toContain('+15.0%');
    expect(over.reasons).toContain('grow at app.py:3 (+200 B)');
    expect(over.reasons).toContain('fresh at app.py:9 (+50 B, new)');
    const within = checkLimits(
      { label: 'new.bin', peakBytes: 1100, leakedBytes: 0, baseline: { label: 'old.bin', peakBytes: 1000 } },
      { maxGrowthPercent: 10 },
    );
    expect(within.ok).toBe(true);
    expect(() => checkLimits({ label: 'x', peakBytes: 1, leakedBytes: 0 }, { maxGrowthPercent: 5 })).toThrow(
      /baseline/,
    );
  });
});

describe('toJunit', () => {
  it('is well-formed XML with one testcase per limit and escaped text', () => {
    const evil: SiteRow = { ...sites[0], function: '<script>"&\'</script>\u0001', ownBytes: peakBytes };
    const r = checkLimits(
      { label: 'a&b<c>.bin', peakBytes, leakedBytes: 10, topPeakSites: [evil] },
      { maxPeakBytes: 1000, maxLeakedBytes: 100 },
    );
    const xml = toJunit(r);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suite = doc.testsuites.testsuite;
    expect(suite.tests).toBe('2');
    expect(suite.failures).toBe('1');
    const cases = suite.testcase;
    expect(cases.map((c: { name: string }) => c.name)).toEqual(['max-peak', 'max-leaked']);
    expect(cases[0].failure['#text']).toContain('<script>"&');
    expect(cases[0].failure.message).toContain('exceeds');
  });
});
