/**
 * Issue 15 §1–§2 in a real browser against `heapscope serve`:
 * - the "Temporary allocations" snapshot with a chosen N: the flamegraph's total equals memray's
 *   rule replayed over memray's own record dump (test/memray-temporary-oracle.ts), and the
 *   toolbar says which rule it is;
 * - the timeline carries the temporary-allocation rate;
 * - the Summary's "Leak suspects by growth" panel ranks a generated lruleak-like capture's
 *   steady leak first as growing, and on a capture whose only large site is a cache, calls that
 *   site flat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, startHarness, type Harness, waitForCaptures } from './harness';
import { encodeCapture } from '../generator/memray-capture';
import { leakAndCache } from '../generator/growth-program';
import { temporariesFromDump } from '../memray-temporary-oracle';

const V12 = resolve(ROOT, 'test/fixtures/memray/v12-memray1.19.3-py311');
const BASIC = resolve(V12, 'basic.bin');
const BASIC_DUMP = gunzipSync(readFileSync(resolve(V12, 'basic.parse.txt.gz'))).toString('utf8');

const dir = mkdtempSync(join(tmpdir(), 'heapscope-e2e-growth-'));
const LRULEAK = join(dir, 'lruleak.bin');
const FLATCACHE = join(dir, 'flatcache.bin');
writeFileSync(LRULEAK, encodeCapture(leakAndCache(12, 240, 500).program));
writeFileSync(FLATCACHE, encodeCapture(leakAndCache(12, 240, 500, 0).program));

let h: Harness;
let page: Page;

async function show(name: string, tab: string): Promise<void> {
  await page.getByTestId('capture-tab').filter({ hasText: name }).click();
  await page.getByTestId(tab).click();
}

beforeAll(async () => {
  h = await startHarness({ files: [BASIC, LRULEAK, FLATCACHE], viewport: { width: 1400, height: 900 } });
  page = h.page;
  await page.goto(h.baseUrl);
  await waitForCaptures(h, ['basic.bin', 'lruleak.bin', 'flatcache.bin']);
});

afterAll(async () => {
  await h?.close();
});

const total = (tally: Map<string, { count: number; bytes: number }>) =>
  [...tally.values()].reduce((s, v) => ({ count: s.count + v.count, bytes: s.bytes + v.bytes }), {
    count: 0,
    bytes: 0,
  });

describe('temporary allocations', () => {
  it('the flamegraph of temporary allocations, N selectable, equals memray’s rule over its dump', async () => {
    await show('basic.bin', 'tab-flamegraph');
    await page.getByTestId('snapshot-select').selectOption('temporary');
    const threshold = page.getByTestId('temporary-threshold');
    await threshold.waitFor({ timeout: 30_000 });
    // the rule is said where N is chosen
    expect(await threshold.locator('xpath=..').getAttribute('title')).toMatch(/memray's rule/);
    expect(await page.getByTestId('temporary-rule').innerText()).toMatch(
      /freed after ≤ 1 other allocation on their thread \(memray's rule\)/,
    );
    const bytes = async () => Number(await page.getByTestId('flame-total').getAttribute('data-bytes'));
    const count = async () => Number(await page.getByTestId('flame-total').getAttribute('data-count'));
    const n1 = total(temporariesFromDump(BASIC_DUMP, 1).byAllocator);
    await expect.poll(bytes, { timeout: 30_000 }).toBe(n1.bytes);
    expect(await count()).toBe(n1.count);
    await threshold.selectOption('8');
    const n8 = total(temporariesFromDump(BASIC_DUMP, 8).byAllocator);
    expect(n8.count).toBeGreaterThan(n1.count);
    await expect.poll(bytes, { timeout: 30_000 }).toBe(n8.bytes);
    expect(await count()).toBe(n8.count);
    await h.screenshot('temporary-flamegraph');
    // the table of the same snapshot: every temporary byte is some line's own
    await page.getByTestId('tab-table').click();
    await page.getByTestId('groupby-line').click();
    const ownSum = async () =>
      (
        await page
          .getByTestId('table-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-own-bytes')))
      )
        .map(Number)
        .reduce((x, y) => x + y, 0);
    await expect.poll(ownSum, { timeout: 30_000 }).toBe(n8.bytes);
    await h.screenshot('temporary-table');
  });

  it('the timeline shows the temporary-allocation rate', async () => {
    await show('basic.bin', 'tab-timeline');
    const chart = page.getByTestId('timeline-chart');
    await chart.waitFor({ timeout: 30_000 });
    // the rate follows the N chosen for the snapshot (8 above); every temporary sits in one interval
    const n8 = total(temporariesFromDump(BASIC_DUMP, 8).byAllocator);
    await expect
      .poll(async () => Number(await chart.getAttribute('data-temporary-count')), { timeout: 30_000 })
      .toBe(n8.count);
    expect(await chart.getAttribute('data-temporary-threshold')).toBe('8');
    await h.screenshot('temporary-timeline');
    await page.getByTestId('snapshot-select').selectOption('peak');
  });
});

describe('leak suspects by growth', () => {
  it('an lruleak-like capture: the steady leak ranks first, growing; the cache is flat', async () => {
    await show('lruleak.bin', 'tab-summary');
    const rows = page.getByTestId('growth-site');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.first().getAttribute('data-function')).toBe('leaky_handler');
    expect(await rows.first().getAttribute('data-verdict')).toBe('growing');
    const cache = rows.filter({ has: page.locator('td', { hasText: 'lru_cache_fill' }) });
    expect(await cache.getAttribute('data-verdict')).toBe('flat');
    expect(await page.getByTestId('growth-sparkline').count()).toBe(await rows.count());
    const findings = await page.getByTestId('summary-findings').innerText();
    expect(findings).toMatch(/leaky_handler at \/srv\/gen\/app\.py:\d+ grows by [\d.]+ MB\/min/);
    expect(findings).toMatch(/lru_cache_fill .* stays flat/);
    await page.getByTestId('summary-growth').scrollIntoViewIfNeeded();
    await h.screenshot('growth-lruleak');
  });

  it('a flat-cache capture: nothing grows, the large cache is flat', async () => {
    await show('flatcache.bin', 'tab-summary');
    const rows = page.getByTestId('growth-site');
    await expect
      .poll(async () => rows.first().getAttribute('data-function'), { timeout: 30_000 })
      .toBe('lru_cache_fill');
    expect(await rows.first().getAttribute('data-verdict')).toBe('flat');
    expect(await page.locator('[data-testid=growth-site][data-verdict=growing]').count()).toBe(0);
    const findings = await page.getByTestId('summary-findings').innerText();
    expect(findings).not.toMatch(/grows by/);
    await page.getByTestId('summary-growth').scrollIntoViewIfNeeded();
    await h.screenshot('growth-flatcache');
    expect(h.pageErrors).toEqual([]);
  });
});
