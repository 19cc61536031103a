/**
 * Issue 15 in the browser. A folder of tracemalloc dumps served as one series: the timeline has
 * one point per dump at CPython's Σ trace sizes, the order note says the numbers in the names
 * decided it, and the growth table's per-dump bytes are statistics('lineno') of every dump.
 * A killed memray capture with a memory limit typed in: the last-seconds panel's heap at the
 * window's start and end and its RSS equal a plain replay of memray's record dump, and the
 * finding says RSS was next to the limit. Screenshots: test-results/timeline-series.png,
 * test-results/timeline-killed-last-seconds.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT, startHarness, waitForCaptures, type Harness } from './harness';
import { replayDump } from '../memray-dump-replay';

const SERIES = join(ROOT, 'test', 'fixtures', 'tracemalloc', 'series');
const KILLED = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311', 'killed.bin');

interface Oracle {
  dumps: {
    file: string;
    total_size: number;
    statistics_lineno: { filename: string; lineno: number; size: number }[];
  }[];
}
const oracle = JSON.parse(readFileSync(join(SERIES, 'series-oracle.json'), 'utf8')) as Oracle;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [SERIES, KILLED], viewport: { width: 1400, height: 900 } });
  await h.page.goto(h.baseUrl);
  await waitForCaptures(h, ['series (10 dumps)', 'killed.bin']);
});
afterAll(async () => {
  await h?.close();
});

async function activate(text: string): Promise<void> {
  await h.page.getByTestId('capture-tab').filter({ hasText: text }).first().locator('button.name').click();
}

async function timelineReady(): Promise<void> {
  await h.page.getByTestId('tab-timeline').click();
  await expect
    .poll(() => h.page.getByTestId('timeline-chart').getAttribute('data-ready'), { timeout: 30_000 })
    .toBe('true');
}

describe('a snapshot series and the last seconds of a kill', () => {
  it('the series timeline: a point per dump, CPython’s totals, growth per site, the order said', async () => {
    await activate('series (10 dumps)');
    await timelineReady();
    const chart = h.page.getByTestId('timeline-chart');
    expect(Number(await chart.getAttribute('data-points'))).toBe(oracle.dumps.length);
    const totals = oracle.dumps.map((d) => d.total_size);
    expect(Number(await chart.getAttribute('data-heap-max'))).toBe(Math.max(...totals));
    expect(Number(await chart.getAttribute('data-heap-end'))).toBe(totals.at(-1));
    await expect
      .poll(() => h.page.getByTestId('series-order').textContent())
      .toMatch(/number in each file name/);
    const rows = h.page.getByTestId('growth-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const [file, line] = (await row.getAttribute('data-site'))!.split(':');
      const expected = oracle.dumps.map(
        (d) => d.statistics_lineno.find((r) => r.filename === file && r.lineno === Number(line))?.size ?? 0,
      );
      expect((await row.getAttribute('data-bytes'))!.split(',').map(Number), `${file}:${line}`).toEqual(
        expected,
      );
    }
    expect(await rows.first().getAttribute('data-site')).toBe('service/jobs.py:7');
    expect(await h.page.getByTestId('last-seconds').count()).toBe(0);
    await h.screenshot('timeline-series');
  });

  it('the killed capture: its last seconds against the replay, RSS next to the 700 MiB limit', async () => {
    await activate('killed.bin');
    await timelineReady();
    const panel = h.page.getByTestId('last-seconds');
    await panel.waitFor({ timeout: 30_000 });
    await h.page.getByTestId('memory-limit').fill('700MiB');
    await h.page.getByTestId('memory-limit').press('Enter');
    await expect
      .poll(() => h.page.getByTestId('timeline-chart').getAttribute('data-limit'))
      .toBe(String(700 * 2 ** 20));
    const replay = replayDump(
      gunzipSync(readFileSync(KILLED.replace(/\.bin$/, '.parse.txt.gz'))).toString('utf8'),
    );
    await expect
      .poll(() => h.page.locator('[data-code=oom-consistent]').count(), { timeout: 30_000 })
      .toBe(1);
    const from = Number(await panel.getAttribute('data-from'));
    const v = replay.records.findIndex((r) => r.epochMs - replay.startEpochMs === from);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(Number(await panel.getAttribute('data-heap-start'))).toBe(replay.records[v].heap);
    expect(Number(await panel.getAttribute('data-heap-end'))).toBe(replay.finalHeap);
    expect(Number(await h.page.getByTestId('last-rss').getAttribute('data-value'))).toBe(
      replay.records.at(-1)!.rss,
    );
    const peakRss = Math.max(...replay.records.map((r) => r.rss));
    expect(Number(await h.page.getByTestId('last-headroom').getAttribute('data-value'))).toBe(
      700 * 2 ** 20 - peakRss,
    );
    expect(await h.page.locator('[data-code=oom-consistent]').textContent()).toMatch(
      /^RSS was 662\.9 MB of a 700 MiB limit \(90%\) .*consistent with an OOM kill\.$/,
    );
    expect(await h.page.getByTestId('last-site').first().textContent()).toMatch(
      /grow_step at .*longloop\.py:8/,
    );
    // A size without its unit label is refused, not guessed.
    await h.page.getByTestId('memory-limit').fill('2G');
    await h.page.getByTestId('memory-limit').press('Enter');
    await expect.poll(() => h.page.getByTestId('memory-limit-error').count()).toBe(1);
    await h.page.getByTestId('memory-limit').fill('700MiB');
    await h.page.getByTestId('memory-limit').press('Enter');
    await expect
      .poll(() => h.page.locator('[data-code=oom-consistent]').count(), { timeout: 30_000 })
      .toBe(1);
    await h.screenshot('timeline-killed-last-seconds');
    expect(h.pageErrors).toEqual([]);
  });
});
