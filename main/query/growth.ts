import type { GrowthResult, GrowthSite } from '../../shared/api';
import type { GrowthSeries } from '../model/capture-model';

/**
 * Leak suspects by growth: rank sites by how steadily their live bytes grow across the capture,
 * not by what is alive at its end. A leak grows all along; a cache fills up and stays, a
 * working set comes and goes. Pure: the model gives one series of live bytes per site.
 */

export const SPARKLINE_POINTS = 64;
const MS_PER_MIN = 60_000;
/** A fit this good (and this steady) is a trend; below, the site is called fluctuating. */
const STEADY = 0.5;
/** A site whose range stays within this share of its largest value is flat. */
const FLAT_SHARE = 0.05;
/**
 * So is one whose fitted change over the run is within this share of its largest value: a cache
 * that fills in the first moments and then only replaces entries.
 */
const FLAT_FIT_SHARE = 0.1;

/** Least-squares line through (x, y): slope and R² (0 when x or y does not vary). */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; rSquared: number } {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: 0, rSquared: 0 };
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, rSquared: 0 };
  const slope = sxy / sxx;
  return { slope, rSquared: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

/** Share of the steps between consecutive values that went up. */
export function growthShare(y: ArrayLike<number>): number {
  if (y.length < 2) return 0;
  let up = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[i - 1]) up++;
  return up / (y.length - 1);
}

/** At most `points` indices, evenly spaced over 0 … n − 1, both ends included. */
export function sparkIndices(n: number, points = SPARKLINE_POINTS): number[] {
  if (n <= points) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: points }, (_, j) => Math.round((j * (n - 1)) / (points - 1)));
}

/** One site's growth numbers over the series' time axis. */
export function siteGrowth(
  timeMs: ArrayLike<number>,
  live: ArrayLike<number>,
  spark: readonly number[],
): Omit<GrowthSite, 'function' | 'file' | 'line'> & { score: number } {
  const n = Math.min(timeMs.length, live.length);
  const minutes = Array.from({ length: n }, (_, i) => timeMs[i] / MS_PER_MIN);
  const { slope, rSquared } = linearFit(minutes, live);
  const share = growthShare(live);
  let max = 0;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    if (live[i] > max) max = live[i];
    if (live[i] < min) min = live[i];
  }
  const confidence = slope > 0 ? rSquared * share : 0;
  const fitted = n > 1 ? slope * (minutes[n - 1] - minutes[0]) : 0;
  const flat =
    n < 2 || max - min <= FLAT_SHARE * Math.max(max, 1) || Math.abs(fitted) <= FLAT_FIT_SHARE * max;
  const verdict: GrowthSite['verdict'] = flat
    ? 'flat'
    : slope > 0 && confidence >= STEADY
      ? 'growing'
      : slope < 0 && rSquared >= STEADY
        ? 'shrinking'
        : 'fluctuating';
  return {
    slopeBytesPerMin: slope,
    growthShare: share,
    rSquared,
    confidence,
    finalBytes: n > 0 ? live[n - 1] : 0,
    maxBytes: max,
    sparkline: spark.map((i) => live[i]),
    verdict,
    // the fitted growth over the run, discounted by how little it looks like steady growth
    score: verdict === 'flat' ? 0 : confidence * Math.max(0, fitted),
  };
}

/** Every site's growth, best suspects first (ties: the most bytes held first). */
export function rankGrowth(series: GrowthSeries, limit = 20): GrowthResult {
  const n = series.timeMs.length;
  const spark = sparkIndices(n);
  const ranked = series.sites
    .map((s) => ({
      function: s.function,
      file: s.file,
      line: s.line,
      ...siteGrowth(series.timeMs, s.live, spark),
    }))
    .filter((s) => s.maxBytes > 0)
    .sort((a, b) => b.score - a.score || b.maxBytes - a.maxBytes);
  return {
    points: n,
    durationMs: series.durationMs,
    sparkTimeMs: spark.map((i) => series.timeMs[i]),
    totalSites: ranked.length,
    sites: ranked.slice(0, limit).map(({ score: _score, ...site }) => site),
  };
}

/** The largest site whose live bytes stay flat: "large, but not growing" (a cache, a working set). */
export function largestFlat(result: GrowthResult): GrowthSite | undefined {
  let best: GrowthSite | undefined;
  for (const s of result.sites) if (s.verdict === 'flat' && (!best || s.maxBytes > best.maxBytes)) best = s;
  return best;
}
