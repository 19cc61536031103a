/**
 * Issue 15 in the browser, the rest of it:
 * - a folder of memray captures of one program served as one series: the timeline lays them end
 *   to end (each capture's peak memray's own), the growth panel ranks sites across them (each
 *   site's bytes at the end memray's leaks CSV), and the Diff view's picker compares two of them
 *   at their peak and at their end, each side memray's own total;
 * - the picker on a folder of tracemalloc dumps: two dumps' diff equals CPython's compare_to;
 * - the temporary snapshot of a brushed range equals memray's rule over its record dump,
 *   restricted to the memory-record intervals the range overlaps.
 * Screenshots: test-results/timeline-memray-series.png, summary-memray-series-growth.png,
 * diff-memray-series.png, diff-tracemalloc-series.png, temporary-range-flamegraph.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ROOT, startHarness, waitForCaptures, type Harness } from './harness';
import { parseCsv } from '../../main/formats/memray/oracles';
import { temporariesFromDump } from '../memray-temporary-oracle';

const MEMRAY = resolve(ROOT, 'test/fixtures/memray');
const gz = (path: string) => gunzipSync(readFileSync(path)).toString('utf8');

/** Three captures of workloads/basic.py, renamed; series order is their header start times. */
const RUNS = [
  { name: 'run-1.bin', folder: 'v12-memray1.19.3-py311', file: 'basic' },
  { name: 'run-2.bin', folder: 'v13-memray1.20.0-py313', file: 'basic' },
  { name: 'run-3.bin', folder: 'v12-memray1.19.3-py312', file: 'basic-nocompress' },
].map((r) => {
  const base = join(MEMRAY, r.folder, r.file);
  const dump = gz(`${base}.parse.txt.gz`);
  const leaks = parseCsv(gz(`${base}.leaks.csv.gz`));
  return {
    ...r,
    path: `${base}.bin`,
    start: Number(/ start_time=(\d+)/.exec(dump)![1]),
    peak: (JSON.parse(readFileSync(`${base}.stats.json`, 'utf8')) as { metadata: { peak_memory: number } })
      .metadata.peak_memory,
    leaked: leaks.reduce((s, row) => s + Number(row.size), 0),
    /** memray's leaks CSV by innermost frame "function file:line". */
    sites: leaks.reduce((m, row) => {
      const [fn, file, line] = row.stack_trace.split('|')[0].split(';');
      const key = `${fn} ${file}:${line}`;
      return m.set(key, (m.get(key) ?? 0) + Number(row.size));
    }, new Map<string, number>()),
  };
});
const ORDERED = [...RUNS].sort((a, b) => a.start - b.start);

const RUN_DIR = mkdtempSync(join(tmpdir(), 'heapscope-e2e-runs-'));
for (const r of RUNS) copyFileSync(r.path, join(RUN_DIR, r.name));
const SERIES_TAB = `${basename(RUN_DIR)} (3 memray captures)`;

const DUMPS = join(ROOT, 'test', 'fixtures', 'tracemalloc', 'series');
interface OracleRow {
  filename: string;
  lineno: number;
  size_diff?: number;
}
const tracemalloc = JSON.parse(readFileSync(join(DUMPS, 'series-oracle.json'), 'utf8')) as {
  dumps: { file: string; total_size: number; compare_to_previous_lineno?: OracleRow[] }[];
};

const BASIC = join(MEMRAY, 'v12-memray1.19.3-py311', 'basic.bin');
const BASIC_DUMP = gz(join(MEMRAY, 'v12-memray1.19.3-py311', 'basic.parse.txt.gz'));

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness({ files: [RUN_DIR, DUMPS, BASIC], viewport: { width: 1400, height: 900 } });
  page = h.page;
  await page.goto(h.baseUrl);
  await waitForCaptures(h, [SERIES_TAB, 'series (10 dumps)', 'basic.bin']);
});
afterAll(async () => {
  await h?.close();
});

async function show(name: string, tab: string): Promise<void> {
  await page.getByTestId('capture-tab').filter({ hasText: name }).first().locator('button.name').click();
  await page.getByTestId(tab).click();
}

const bytesOf = async (testid: string) => Number(await page.getByTestId(testid).getAttribute('data-bytes'));

describe('a series of memray captures of one program', () => {
  it('the timeline lays them end to end; its peak is memray’s highest, the order said', async () => {
    await show(SERIES_TAB, 'tab-timeline');
    const chart = page.getByTestId('timeline-chart');
    await expect.poll(() => chart.getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    expect(Number(await chart.getAttribute('data-heap-max'))).toBe(Math.max(...RUNS.map((r) => r.peak)));
    expect(Number(await page.getByTestId('timeline-peak').getAttribute('data-value'))).toBe(
      Math.max(...RUNS.map((r) => r.peak)),
    );
    const note = await page.getByTestId('capture-series-order').innerText();
    expect(note).toMatch(
      /^3 memray captures of \/srv\/app\/service\/workloads\/basic\.py\. Ordered by the start time/,
    );
    await h.screenshot('timeline-memray-series');
  });

  it('the growth panel ranks sites across the captures; each one’s end is memray’s leaks CSV', async () => {
    await show(SERIES_TAB, 'tab-summary');
    const panel = page.getByTestId('summary-growth');
    await panel.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('growth-note').innerText()).toMatch(/one point per capture/);
    const rows = page.getByTestId('growth-site');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const last = ORDERED[ORDERED.length - 1];
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const fn = await row.getAttribute('data-function');
      const where = await row.locator('td.loc').innerText();
      const end = Number(await row.getAttribute('data-final-bytes'));
      expect(end, `${fn} ${where}`).toBe(last.sites.get(`${fn} ${where}`) ?? 0);
    }
    await panel.scrollIntoViewIfNeeded();
    await h.screenshot('summary-memray-series-growth');
  });

  it('the Diff picker: two captures of the series at their peak, then at their end', async () => {
    await show(SERIES_TAB, 'tab-diff');
    expect(await page.getByTestId('diff-mode-members').getAttribute('class')).toMatch(/\bon\b/);
    await page.getByTestId('diff-member-base').selectOption({ label: `1: ${ORDERED[0].name}` });
    await page.getByTestId('diff-member-target').selectOption({ label: `3: ${ORDERED[2].name}` });
    await expect.poll(() => bytesOf('diff-target'), { timeout: 30_000 }).toBe(ORDERED[2].peak);
    expect(await bytesOf('diff-base')).toBe(ORDERED[0].peak);
    expect(await bytesOf('diff-total-delta')).toBe(ORDERED[2].peak - ORDERED[0].peak);
    expect(await page.getByTestId('diff-member-kind').innerText()).toMatch(/^each at its peak/);
    expect(await page.getByTestId('diff-sides').innerText()).toContain(`capture 3 of 3 (${ORDERED[2].name})`);
    await page.getByTestId('snapshot-select').selectOption('leaks');
    await expect.poll(() => bytesOf('diff-target'), { timeout: 30_000 }).toBe(ORDERED[2].leaked);
    expect(await bytesOf('diff-base')).toBe(ORDERED[0].leaked);
    await page.getByTestId('diff-member-base').selectOption({ label: `2: ${ORDERED[1].name}` });
    await expect.poll(() => bytesOf('diff-base'), { timeout: 30_000 }).toBe(ORDERED[1].leaked);
    await h.screenshot('diff-memray-series');
    await page.getByTestId('snapshot-select').selectOption('peak');
  });
});

describe('the Diff picker on a series of tracemalloc dumps', () => {
  it('two dumps: their totals and every changed line equal CPython’s compare_to', async () => {
    await show('series (10 dumps)', 'tab-diff');
    expect(await page.getByTestId('diff-mode-members').innerText()).toBe('Two dumps of the series');
    const [a, b] = [3, 4];
    await page.getByTestId('diff-member-base').selectOption({ index: a });
    await page.getByTestId('diff-member-target').selectOption({ index: b });
    await expect
      .poll(() => bytesOf('diff-target'), { timeout: 30_000 })
      .toBe(tracemalloc.dumps[b].total_size);
    expect(await bytesOf('diff-base')).toBe(tracemalloc.dumps[a].total_size);
    await page.getByTestId('diff-groupby').selectOption('line');
    const want = (tracemalloc.dumps[b].compare_to_previous_lineno ?? [])
      .filter((r) => (r.size_diff ?? 0) !== 0)
      .map((r) => [`${r.filename}:${r.lineno}`, r.size_diff] as const)
      .sort();
    const got = async () =>
      (
        await page
          .getByTestId('diff-row')
          .evaluateAll((rows) =>
            rows.map((r) => [
              r.querySelector('.loc')?.textContent ?? '',
              Number(r.getAttribute('data-size-diff')),
            ]),
          )
      ).sort();
    expect(want.length).toBeGreaterThan(0);
    await expect.poll(got, { timeout: 30_000 }).toEqual(want);
    await h.screenshot('diff-tracemalloc-series');
  });
});

describe('the temporary snapshot of a brushed range', () => {
  it('counts only the temporaries found in the range, as memray’s rule over its dump says', async () => {
    await show('basic.bin', 'tab-timeline');
    await page.getByTestId('snapshot-select').selectOption('temporary');
    const chart = page.getByTestId('timeline-chart');
    await expect.poll(() => chart.getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    const box = (await chart.boundingBox())!;
    const y = box.y + box.height * 0.35;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 6 });
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 6 });
    await page.mouse.up();
    const range = page.getByTestId('timeline-range');
    await range.waitFor({ timeout: 10_000 });
    const fromMs = Number(await range.getAttribute('data-from'));
    const toMs = Number(await range.getAttribute('data-to'));
    const tally = (w?: { fromMs: number; toMs: number }) =>
      [...temporariesFromDump(BASIC_DUMP, 1, w).byAllocator.values()].reduce(
        (s, v) => ({ count: s.count + v.count, bytes: s.bytes + v.bytes }),
        { count: 0, bytes: 0 },
      );
    const inRange = tally({ fromMs, toMs });
    const whole = tally();
    expect(inRange.count).toBeGreaterThan(0);
    expect(inRange.count).toBeLessThan(whole.count);
    await page.getByTestId('tab-flamegraph').click();
    const total = page.getByTestId('flame-total');
    await expect
      .poll(async () => Number(await total.getAttribute('data-bytes')), { timeout: 30_000 })
      .toBe(inRange.bytes);
    expect(Number(await total.getAttribute('data-count'))).toBe(inRange.count);
    await h.screenshot('temporary-range-flamegraph');
    await page.getByTestId('toolbar-clear-range').click();
    await expect
      .poll(async () => Number(await total.getAttribute('data-bytes')), { timeout: 30_000 })
      .toBe(whole.bytes);
    await page.getByTestId('snapshot-select').selectOption('peak');
    expect(h.pageErrors).toEqual([]);
  });
});
