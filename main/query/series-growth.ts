/**
 * Growth of each site across a series of snapshots (several tracemalloc dumps of one service):
 * how fast its bytes rise (least-squares slope over the snapshots' positions), how steadily
 * (the share of steps between consecutive snapshots where they rose), and every value for a
 * sparkline. A site that leaks rises at nearly every step; a cache that is trimmed rises and
 * falls, and a one-off burst has a slope near zero. Pure, so any format with several snapshots
 * (memray moments too) can rank with it.
 */

import type { RankedGrowth, SiteSeries } from '../model/site-series';
import { growthShare, linearFit } from './growth';

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
      slopeBytes: linearFit(positions, bytes).slope,
      grewShare: growthShare(bytes),
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
