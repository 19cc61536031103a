/**
 * The first screen of a capture still indexing (shared/api.ts LoadPreview). A capture's session
 * (capture-session.ts) hands every progress report of its open here; a preview is due at most
 * every `intervalMs` (longer when reducing the line took more than MAX_PREVIEW_SHARE of the
 * time), and only for loaders that report their heap line so far (memray). The line is reduced
 * again only when it grew.
 */
import type { CaptureInfo, LoadPreview, Timeline } from '../../shared/api';
import type { LoadProgress } from '../model/capture-model';
import { timelineSoFar } from './queries';

/**
 * Twice a second is live enough to watch a line grow. Each preview reduces the whole line so far
 * (the buckets widen as it grows); measured on this machine with other work running (load
 * average 12 on 2 cores): 4 ms for 100 000 memory records, 39 ms for a million.
 */
export const PREVIEW_INTERVAL_MS = 500;

/** A preview may cost at most this share of the load: a longer line waits longer for the next. */
const MAX_PREVIEW_SHARE = 0.02;

/**
 * Points of a preview's line: about 250 chart columns keep their extremes (6 points each: first,
 * last, lowest and highest heap and RSS), enough for the Summary's panel, and a preview stays
 * near 50 kB on the wire.
 */
export const PREVIEW_TIMELINE_POINTS = 1500;

export class LoadPreviews {
  private info?: CaptureInfo;
  private nextAt = -Infinity;
  private lastPoints = -1;
  private timeline: Timeline | null = null;

  constructor(
    private readonly captureId: string,
    private readonly intervalMs = PREVIEW_INTERVAL_MS,
  ) {}

  /** The header is read: previews may start (they carry its facts). */
  header(info: CaptureInfo): void {
    this.info = info;
  }

  /** The preview to post for this progress report; undefined when none is due or there is no line. */
  next(progress: LoadProgress, now = performance.now()): LoadPreview | undefined {
    if (!this.info || !progress.heapLine || now < this.nextAt) return undefined;
    const line = progress.heapLine();
    let spent = 0;
    if (line.timeMs.length !== this.lastPoints) {
      const started = performance.now();
      this.lastPoints = line.timeMs.length;
      this.timeline = timelineSoFar(line, this.info.durationMs, PREVIEW_TIMELINE_POINTS);
      spent = performance.now() - started;
    }
    this.nextAt = now + Math.max(this.intervalMs, spent / MAX_PREVIEW_SHARE);
    return {
      captureId: this.captureId,
      info: this.info,
      records: progress.records,
      bytesDone: progress.bytesDone,
      bytesTotal: progress.bytesTotal,
      timeline: this.timeline,
    };
  }
}
