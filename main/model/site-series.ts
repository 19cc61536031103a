/**
 * What a model made of several snapshots (a series of dumps) hands out for growth: each site's
 * bytes in every snapshot. Ranking them is a query (main/query/series-growth.ts); a model that
 * reports the ranking (its timeline, stats, findings) is handed it as a `SiteGrowthRanking`, the
 * way the memray model is handed a Symbolizer, since the model layer imports no query.
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

/** Sites ranked by growth over the snapshots at `positions`, best first. */
export type SiteGrowthRanking = <T>(
  positions: readonly number[],
  sites: readonly SiteSeries<T>[],
) => RankedGrowth<T>[];
