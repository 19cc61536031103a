/**
 * Growth of each site across a series of snapshots (several tracemalloc dumps of one service):
 * how fast its bytes rise (least-squares slope over the snapshots' positions), how steadily
 * (the share of steps between consecutive snapshots where they rose), and every value for a
 * sparkline. A site that leaks rises at nearly every step; a cache that is trimmed rises and
 * falls, and a one-off burst has a slope near zero. Pure, so any format with several snapshots
 * (memray moments too) can rank with it.
 */

export interface SiteSeries<T> {
  /** Identity of the site (the same in every snapshot). */
  key: string;
  /** Bytes in each snapshot, in order (0 where the site has nothing). */
  bytes: readonly number[];
  /** Carried through to the result (function, file, line …). */
  site: T;
}

export interface RankedGrowth<T> {
  key: string;
  site: T;
  /** Bytes per unit of `positions` (per second on a time axis, per dump on an index axis). */
  slopeBytes: number;
  /** Rising steps / (snapshots − 1); 0 for a single snapshot. */
  grewShare: number;
  firstBytes: number;
  lastBytes: number;
  bytes: number[];
}

/**
 * Ordinary least-squares slope of y over x. With fewer than two distinct x there is no slope: 0.
 * Centred sums keep it exact for the integer bytes of a few hundred snapshots.
 */
export function leastSquaresSlope(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** The share of consecutive steps where the value rose. */
export function risingShare(y: readonly number[]): number {
  if (y.length < 2) return 0;
  let rose = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[i - 1]) rose++;
  return rose / (y.length - 1);
}

/**
 * Sites ranked by growth: largest slope first; equal slopes by the larger net change
 * (last − first), then by key so the order is the same on every run.
 */
export function rankSiteGrowth<T>(
  positions: readonly number[],
  sites: readonly SiteSeries<T>[],
): RankedGrowth<T>[] {
  const ranked = sites.map((s) => {
    const bytes = [...s.bytes];
    return {
      key: s.key,
      site: s.site,
      slopeBytes: leastSquaresSlope(positions, bytes),
      grewShare: risingShare(bytes),
      firstBytes: bytes[0] ?? 0,
      lastBytes: bytes[bytes.length - 1] ?? 0,
      bytes,
    };
  });
  return ranked.sort(
    (a, b) =>
      b.slopeBytes - a.slopeBytes ||
      b.lastBytes - b.firstBytes - (a.lastBytes - a.firstBytes) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}
