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
      /^basic\.bin: peak memory 52\.4 MB \(52,443,396 bytes\) exceeds the limit of 52\.4 MB \(52,428,800 bytes\)\./,
    );
    expect(r.reasons).toContain('make_big_buffer at /srv/app/service/workloads/basic.py');
    expect(r.checks[0]).toMatchObject({
      name: 'max-peak',
      ok: false,
      actual: peakBytes,
      allowed: 52_428_800,
    });
  });

  it('writes sizes in the units asked for, with their own labels', () => {
    const r = checkLimits(
      { label: 'basic.bin', peakBytes, leakedBytes: 0, topPeakSites: sites },
      { maxPeakBytes: parseSize('50MiB') },
      'iec',
    );
    expect(r.reasons).toMatch(
      /^basic\.bin: peak memory 50\.0 MiB \(52,443,396 bytes\) exceeds the limit of 50\.0 MiB \(52,428,800 bytes\)\./,
    );
    expect(r.reasons).toContain('make_big_buffer at /srv/app/service/workloads/basic.py:14 (50.0 MiB, 100%)');
    expect(r.reasons).not.toMatch(/\d [kMG]B\b/);
  });

  it('reads a limit as its label says: 24MB is decimal, 24MiB binary', () => {
    // memray's peak of the issue's capture: 24.7 MB = 23.6 MiB, between 24,000,000 and 25,165,824.
    const issuePeak = 24_712_697;
    const verdict = (limit: string) =>
      checkLimits(
        { label: 'lruleak.bin', peakBytes: issuePeak, leakedBytes: 0 },
        { maxPeakBytes: parseSize(limit) },
      );
    const mb = verdict('24MB');
    expect(mb.ok).toBe(false);
    expect(mb.checks[0]).toMatchObject({ allowed: 24_000_000, actual: issuePeak });
    expect(mb.reasons).toBe('lruleak.bin: peak memory 24.7 MB exceeds the limit of 24.0 MB.');
    const mib = verdict('24MiB');
    expect(mib.ok).toBe(true);
    expect(mib.checks[0]).toMatchObject({ allowed: 25_165_824 });
    expect(mib.checks[0].text).toBe('peak memory 24.7 MB is within the limit of 25.2 MB');
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
