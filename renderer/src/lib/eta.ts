/**
 * Time left for a load, from the progress events seen so far. The average since the start would
 * count the worker's start, the header and the first chunk's warm-up as if every later chunk were
 * as slow, which on a big capture made the first estimates several times too long; this one uses
 * the reading rate over the last few seconds of reading only.
 */
import type { Progress } from '@shared/api';

export interface ProgressSample {
  elapsedMs: number;
  bytesDone: number;
}

/** How far back the rate is measured: long enough to smooth chunk steps, short enough to follow changes. */
export const ETA_WINDOW_MS = 3000;

/** The samples after event `p`: one per reading event, back to the newest one at least a window old. */
export function addSample(samples: readonly ProgressSample[], p: Progress): ProgressSample[] {
  if (p.phase !== 'reading') return [...samples];
  const next = [
    ...samples.filter((s) => s.elapsedMs < p.elapsedMs),
    { elapsedMs: p.elapsedMs, bytesDone: p.bytesDone },
  ];
  while (next.length > 2 && p.elapsedMs - next[1].elapsedMs >= ETA_WINDOW_MS) next.shift();
  return next;
}

/**
 * Milliseconds left at the rate between the oldest and newest sample; null while there is no rate
 * yet (fewer than two reading events), 0 once every byte is read.
 */
export function etaMs(samples: readonly ProgressSample[], bytesTotal: number): number | null {
  const last = samples[samples.length - 1];
  if (!last || bytesTotal <= 0) return null;
  if (last.bytesDone >= bytesTotal) return 0;
  const first = samples[0];
  const ms = last.elapsedMs - first.elapsedMs;
  const bytes = last.bytesDone - first.bytesDone;
  if (ms <= 0 || bytes <= 0) return null;
  return ((bytesTotal - last.bytesDone) * ms) / bytes;
}
