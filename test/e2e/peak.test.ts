/**
 * One peak everywhere: for a capture whose peak falls between memory records (allocators.bin:
 * its memory records never see the 262 MB high-water mark), the Summary's peak card, the
 * timeline's highest point (as handed to ECharts, read from the view's data attributes) and the
 * HTML report's peak all equal `heapscope stats --json`'s peakMemory, and the line ends at the
 * heap when tracking stopped, at the capture's end. Then a --follow-fork parent opened with its
 * child: the merged peak (highest sum at one moment) in the card and on the line equals a brute
 * force over memray's own record dumps. Screenshots: test-results/timeline-peak-between-records.png,
 * test-results/timeline-fork-merged.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ROOT, SHOTS, startHarness, waitForCaptures, type Harness } from './harness';
import { endEpochMs, mergedPeakBruteForce, replayDump } from '../memray-dump-replay';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const CAPTURE = join(DIR, 'allocators.bin');
const FORK = join(DIR, 'fork.bin');
const CHILD = join(DIR, 'fork.bin.15708');
const CLI = join(ROOT, 'bin', 'heapscope.js');

const dump = (path: string) =>
  replayDump(gunzipSync(readFileSync(`${path.replace(/\.bin$/, '')}.parse.txt.gz`)).toString());

function statsJson(path: string): { peakMemory: number; peakTimeMs: number } {
  return JSON.parse(execFileSync(process.execPath, [CLI, 'stats', path, '--json'], { encoding: 'utf8' }));
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [CAPTURE, FORK] });
});
afterAll(async () => {
  await h?.close();
});

async function activate(text: string): Promise<void> {
  await h.page.getByTestId('capture-tab').filter({ hasText: text }).first().locator('button.name').click();
}

/** The view's number attribute, once the view has set it. */
async function attr(testid: string, name: string): Promise<number> {
  const el = h.page.getByTestId(testid);
  await expect.poll(() => el.getAttribute(name), { timeout: 30_000 }).not.toBeNull();
  return Number(await el.getAttribute(name));
}

async function timelineReady(): Promise<void> {
  await h.page.getByTestId('tab-timeline').click();
  await expect
    .poll(() => h.page.getByTestId('timeline-chart').getAttribute('data-ready'), { timeout: 30_000 })
    .toBe('true');
}

describe('the peak agrees everywhere', () => {
  it('summary card, timeline and HTML report show stats --json peakMemory; the line ends at the end', async () => {
    const stats = statsJson(CAPTURE);
    const r = dump(CAPTURE);
    // the case this is about: no memory record sees the peak
    expect(Math.max(...r.records.map((x) => x.heap))).toBeLessThan(stats.peakMemory);

    await h.page.goto(h.baseUrl);
    await waitForCaptures(h, ['allocators.bin', 'fork.bin']);
    await activate('allocators.bin');
    await h.page.getByTestId('tab-summary').click();
    await expect.poll(() => attr('summary-peak', 'data-value'), { timeout: 30_000 }).toBe(stats.peakMemory);
    // RSS and heap at the end: both of the last memory record, stated
    const last = r.records.at(-1)!;
    expect(await attr('summary-rss-end', 'data-value')).toBe(last.rss);
    expect(await attr('summary-heap-end', 'data-value')).toBe(last.heap);
    expect(await attr('summary-end-time', 'data-value')).toBe(last.epochMs - r.startEpochMs);
    await h.screenshot('summary-peak-between-records');

    await timelineReady();
    expect(await attr('timeline-chart', 'data-heap-max')).toBe(stats.peakMemory);
    expect(await attr('timeline-chart', 'data-heap-max-ms')).toBe(stats.peakTimeMs);
    expect(await attr('timeline-chart', 'data-heap-end')).toBe(r.finalHeap);
    expect(await attr('timeline-chart', 'data-heap-end-ms')).toBe(endEpochMs(r) - r.startEpochMs);
    expect(await attr('timeline-peak', 'data-value')).toBe(stats.peakMemory);
    await h.screenshot('timeline-peak-between-records');

    const out = join(SHOTS, 'peak-report.html');
    execFileSync(process.execPath, [CLI, 'report', CAPTURE, '-o', out]);
    const report = await h.context.newPage();
    try {
      await report.goto(pathToFileURL(out).href);
      const card = report.locator('#summary-peak');
      await card.waitFor({ timeout: 30_000 });
      expect(Number(await card.getAttribute('data-bytes'))).toBe(stats.peakMemory);
      const heap = report.locator('path[data-series=heap]');
      expect(Number(await heap.getAttribute('data-max'))).toBe(stats.peakMemory);
      expect(Number(await heap.getAttribute('data-max-ms'))).toBe(stats.peakTimeMs);
      expect(Number(await heap.getAttribute('data-end'))).toBe(r.finalHeap);
    } finally {
      await report.close();
    }
    expect(h.pageErrors).toEqual([]);
  });

  it('a parent merged with its fork child: the peak is the highest sum at one moment, everywhere', async () => {
    const dumps = [dump(FORK), dump(CHILD)];
    const merged = mergedPeakBruteForce(dumps);
    const sumOfPeaks = dumps[0].peak + dumps[1].peak;
    await activate('fork.bin');
    await h.page.getByTestId('tab-summary').click();
    await h.page.getByTestId('open-with-children').click();
    await h.page.getByText('fork.bin + 1 fork child').first().waitFor({ timeout: 30_000 });
    await waitForCaptures(h, ['fork.bin + 1 fork child']);
    await expect.poll(() => attr('summary-peak', 'data-value'), { timeout: 30_000 }).toBe(merged.bytes);
    expect(await attr('summary-sum-of-peaks', 'data-value')).toBe(sumOfPeaks);
    await h.screenshot('summary-fork-merged');

    await timelineReady();
    expect(await attr('timeline-chart', 'data-heap-max')).toBe(merged.bytes);
    expect(await attr('timeline-chart', 'data-heap-max-ms')).toBe(merged.epochMs - dumps[0].startEpochMs);
    expect(await attr('timeline-sum-of-peaks', 'data-value')).toBe(sumOfPeaks);
    // one address space per process: no RSS bands (no error in their place), and the Memory
    // layout tab says why and what to open instead
    expect(await h.page.getByTestId('timeline-bands-toggle').count()).toBe(0);
    expect(await h.page.locator('.timeline .error-box').count()).toBe(0);
    expect(await h.page.getByTestId('timeline-view').innerText()).toMatch(/\) · duration \d/);
    await h.screenshot('timeline-fork-merged');
    await h.page.getByTestId('tab-layout').click();
    await expect
      .poll(() => h.page.getByTestId('layout-unavailable').innerText(), { timeout: 10_000 })
      .toMatch(/several processes, each with its own address space/);
    expect(h.pageErrors).toEqual([]);
  });
});
