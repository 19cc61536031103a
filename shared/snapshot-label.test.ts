import { describe, expect, it } from 'vitest';
import type { CaptureFormat } from './api';
import { describeSnapshot, ownShare, topSitesBasis, TRACED_AT_SNAPSHOT } from './snapshot-label';

const summary = (format: CaptureFormat, peakBytes: number, totalBytesAllocated: number) => ({
  info: { facts: { format } },
  peakBytes,
  totalBytesAllocated,
});

describe('describeSnapshot', () => {
  it('names a tracemalloc dump what it is: traced at snapshot, never a peak or leaks', () => {
    for (const kind of ['peak', 'leaks', 'all'] as const)
      expect(describeSnapshot({ kind }, 'tracemalloc')).toBe(TRACED_AT_SNAPSHOT);
    expect(TRACED_AT_SNAPSHOT).toBe('traced at snapshot');
  });

  it('keeps memray’s names (a capture with a history has a peak and leaks)', () => {
    expect(describeSnapshot({ kind: 'peak' }, 'memray')).toBe('peak');
    expect(describeSnapshot({ kind: 'leaks' }, 'memray')).toBe('leaks (alive at the end)');
    expect(describeSnapshot({ kind: 'peak' })).toBe('peak');
  });
});

describe('topSitesBasis', () => {
  it('scales Scalene’s sites (bytes allocated over the run) to everything allocated', () => {
    // The recursive_nested profile (Scalene 1.5.16): 91.6 MiB allocated on one line of 121 MiB
    // allocated in all, with a 114.7 MiB peak footprint.
    const MIB = 1024 * 1024;
    const basis = topSitesBasis(summary('scalene', 114.7175 * MIB, 121.16 * MIB));
    expect(basis.shareOf).toBe('of all bytes allocated');
    expect(basis.heading).toMatch(/allocated over the run/);
    const share = ownShare({ ownBytes: 91.61 * MIB }, basis);
    expect(share).toBeCloseTo(91.61 / 121.16, 9);
    expect(share).toBeLessThanOrEqual(1);
  });

  it('shares of a memray peak, a range and a tracemalloc snapshot are of that set', () => {
    expect(topSitesBasis(summary('memray', 400, 9000))).toMatchObject({
      totalBytes: 400,
      shareOf: 'of the peak',
    });
    expect(topSitesBasis(summary('memray', 300, 9000), true)).toMatchObject({
      totalBytes: 300,
      heading: 'Top allocation sites in the range',
    });
    expect(topSitesBasis(summary('tracemalloc', 500, 0))).toMatchObject({
      totalBytes: 500,
      shareOf: 'of the snapshot',
    });
    expect(ownShare({ ownBytes: 100 }, { totalBytes: 400 })).toBe(0.25);
    expect(ownShare({ ownBytes: 100 }, { totalBytes: 0 })).toBe(0);
  });
});
