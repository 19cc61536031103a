// The time left while a capture loads, from its progress events (renderer/src/lib/eta.ts).
import { describe, expect, it } from 'vitest';
import type { Progress } from '@shared/api';
import { addSample, ETA_WINDOW_MS, etaMs, type ProgressSample } from '../../renderer/src/lib/eta';
import { progressStats } from '../../renderer/src/lib/format';

const TOTAL = 100_000_000;

function reading(elapsedMs: number, bytesDone: number): Progress {
  return { captureId: 'c1', phase: 'reading', bytesDone, bytesTotal: TOTAL, records: 0, elapsedMs };
}

/** A load that spends `warmupMs` before its first byte, then reads at a steady `bytesPerMs`. */
function steadyLoad(warmupMs: number, bytesPerMs: number, everyMs: number): Progress[] {
  const events: Progress[] = [];
  for (let t = warmupMs + everyMs; (t - warmupMs) * bytesPerMs < TOTAL; t += everyMs)
    events.push(reading(t, (t - warmupMs) * bytesPerMs));
  return events;
}

function feed(events: Progress[]): ProgressSample[] {
  return events.reduce<ProgressSample[]>((samples, p) => addSample(samples, p), []);
}

describe('time left while loading', () => {
  it('is the remaining bytes at the reading rate, whatever the start-up cost', () => {
    // 4 s of worker start and warm-up, then 10 MB/s: 10 s of reading in all.
    const events = steadyLoad(4000, 10_000, 100);
    for (let i = 1; i < events.length; i++) {
      const p = events[i];
      const exact = (TOTAL - p.bytesDone) / 10_000;
      expect(etaMs(feed(events.slice(0, i + 1)), TOTAL)).toBeCloseTo(exact, 6);
    }
    // The average since the start counts the warm-up as reading time: at 5 % it said 9 times too long.
    const early = events[4];
    const averaged = progressStats(early).etaMs!;
    const exact = (TOTAL - early.bytesDone) / 10_000;
    expect(averaged / exact).toBeCloseTo(9, 6);
  });

  it('follows a change of rate within the window', () => {
    const slow = steadyLoad(0, 2_500, 100).filter((p) => p.elapsedMs <= 4000);
    const atFour = slow[slow.length - 1].bytesDone;
    const fast: Progress[] = [];
    for (let t = 4100; t <= 4000 + 2 * ETA_WINDOW_MS; t += 100)
      fast.push(reading(t, atFour + (t - 4000) * 10_000));
    const samples = feed([...slow, ...fast]);
    const last = fast[fast.length - 1];
    expect(etaMs(samples, TOTAL)).toBeCloseTo((TOTAL - last.bytesDone) / 10_000, 6);
    // Only one sample from before the window is kept, as its start.
    expect(samples.filter((s) => last.elapsedMs - s.elapsedMs > ETA_WINDOW_MS).length).toBeLessThanOrEqual(1);
  });

  it('says nothing before a rate exists, and 0 once every byte is read', () => {
    expect(etaMs([], TOTAL)).toBeNull();
    expect(etaMs(feed([reading(900, 1_000_000)]), TOTAL)).toBeNull();
    expect(etaMs(feed([reading(900, 1_000_000), reading(1000, TOTAL)]), TOTAL)).toBe(0);
    // Header and indexing events carry no reading rate.
    const header: Progress = { ...reading(10, 0), phase: 'header' };
    expect(feed([header])).toEqual([]);
  });
});
