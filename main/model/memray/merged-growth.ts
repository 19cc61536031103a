import type { GrowthSeries } from '../capture-model';

/** One process's sites over its own clock, and where that clock starts on the merged one. */
export interface ProcessGrowth {
  series: GrowthSeries;
  /** ms from the merged capture's start to this process's start. */
  offsetMs: number;
}

/** sites × points doubles of the merged series: at most 8 MB (as MemrayModel.growthSeries). */
const MAX_CELLS = 1_000_000;

/**
 * Several processes' live bytes per site on one clock (a parent and its fork children), for the
 * one growth ranking (main/query/growth.ts). A site is its innermost Python frame (function,
 * file, line), the same site in every process. At each point, a site holds the sum over the
 * processes running then of what it held at that process's latest point; a process runs from
 * its first point to its last, as the merged heap line counts it (multi.ts), so before it
 * starts and once it has exited it holds nothing. The points are every process's own points
 * (shifted onto the merged clock), at most `maxPoints` of them evenly chosen, the last kept.
 */
export function mergeGrowthSeries(
  parts: readonly ProcessGrowth[],
  durationMs: number,
  maxPoints = 512,
): GrowthSeries | undefined {
  const all = new Set<number>();
  for (const p of parts)
    for (let i = 0; i < p.series.timeMs.length; i++) all.add(p.series.timeMs[i] + p.offsetMs);
  if (all.size === 0) return undefined;
  const union = [...all].sort((a, b) => a - b);

  const siteIndex = new Map<string, number>();
  const sites: { function: string; file: string; line: number }[] = [];
  const perPart = parts.map((p) =>
    p.series.sites.map((s) => {
      const key = `${s.function}\0${s.file}\0${s.line}`;
      let i = siteIndex.get(key);
      if (i === undefined) {
        i = sites.length;
        siteIndex.set(key, i);
        sites.push({ function: s.function, file: s.file, line: s.line });
      }
      return i;
    }),
  );

  const cap = Math.max(2, Math.min(maxPoints, Math.floor(MAX_CELLS / Math.max(sites.length, 1))));
  const timeMs =
    union.length <= cap
      ? union
      : Array.from({ length: cap }, (_, j) => union[Math.round((j * (union.length - 1)) / (cap - 1))]);
  const n = timeMs.length;
  const matrix = new Float64Array(sites.length * n);
  parts.forEach((p, k) => {
    const t = p.series.timeMs;
    const last = t.length - 1;
    if (last < 0) return;
    const startMs = t[0] + p.offsetMs;
    const endMs = t[last] + p.offsetMs;
    let at = -1;
    for (let col = 0; col < n; col++) {
      const now = timeMs[col];
      if (now < startMs || now > endMs) continue;
      while (at < last && t[at + 1] + p.offsetMs <= now) at++;
      p.series.sites.forEach((s, j) => {
        matrix[perPart[k][j] * n + col] += s.live[at];
      });
    }
  });
  return {
    timeMs,
    durationMs,
    sites: sites.map((s, i) => ({ ...s, live: matrix.subarray(i * n, (i + 1) * n) })),
  };
}
