import { describe, expect, it } from 'vitest';
import { growthShare, linearFit, rankGrowth, siteGrowth, sparkIndices } from './growth';

const minutes = (n: number) => Array.from({ length: n }, (_, i) => i * 60_000);

describe('growth ranking', () => {
  it('fits a line exactly and reads its slope in bytes per minute', () => {
    const fit = linearFit([0, 1, 2, 3], [5, 7, 9, 11]);
    expect(fit.slope).toBe(2);
    expect(fit.rSquared).toBe(1);
    expect(linearFit([1, 1, 1], [1, 2, 3])).toEqual({ slope: 0, rSquared: 0 });
    expect(linearFit([0, 1, 2], [4, 4, 4])).toEqual({ slope: 0, rSquared: 0 });
  });

  it('counts the steps that went up', () => {
    expect(growthShare([1, 2, 2, 3, 1])).toBe(0.5);
    expect(growthShare([7])).toBe(0);
  });

  it('keeps at most 64 sparkline points, both ends included', () => {
    expect(sparkIndices(10)).toHaveLength(10);
    const idx = sparkIndices(1000);
    expect(idx).toHaveLength(64);
    expect([idx[0], idx.at(-1)]).toEqual([0, 999]);
  });

  it('calls a steady climb growing, a constant flat, a steady fall shrinking, a saw fluctuating', () => {
    const t = minutes(20);
    const spark = sparkIndices(20);
    const grow = siteGrowth(
      t,
      t.map((_, i) => 1000 * i),
      spark,
    );
    expect([grow.verdict, grow.slopeBytesPerMin, grow.confidence]).toEqual(['growing', 1000, 1]);
    expect(
      siteGrowth(
        t,
        t.map(() => 5e6),
        spark,
      ).verdict,
    ).toBe('flat');
    const fall = siteGrowth(
      t,
      t.map((_, i) => 1e6 - 40_000 * i),
      spark,
    );
    expect([fall.verdict, fall.confidence]).toEqual(['shrinking', 0]);
    const saw = siteGrowth(
      t,
      t.map((_, i) => (i % 2 ? 1e6 : 0)),
      spark,
    );
    expect(saw.verdict).toBe('fluctuating');
  });

  it('ranks the steady grower above a larger flat site, and drops sites that never held memory', () => {
    const timeMs = minutes(30);
    const r = rankGrowth({
      timeMs,
      durationMs: timeMs.at(-1)!,
      sites: [
        { function: 'cache', file: 'c.py', line: 1, live: timeMs.map(() => 50e6) },
        { function: 'leak', file: 'l.py', line: 2, live: timeMs.map((_, i) => 1e5 * i) },
        { function: 'none', file: 'n.py', line: 3, live: timeMs.map(() => 0) },
      ],
    });
    expect(r.sites.map((s) => [s.function, s.verdict])).toEqual([
      ['leak', 'growing'],
      ['cache', 'flat'],
    ]);
    expect(r.totalSites).toBe(2);
    expect(r.sparkTimeMs).toEqual(timeMs);
  });
});
