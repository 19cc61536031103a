/**
 * How sites are named and focused, in a real browser against `heapscope serve` (issue 10 §6,
 * issue 12 items 2, 3, 4, 6, 12):
 * - a table row whose function has several paths in the flamegraph shows all of them, not the
 *   heaviest one (pymalloc.bin: `main` allocates on three lines, the heaviest holds 61%);
 * - the summary's top sites sort and draw their bar on own bytes (share of the peak);
 * - on a --native capture the top sites are Python locations, as memray's stats names them;
 * - a tracemalloc dump is "traced at snapshot", its file:line in the Location column;
 * - a Scalene 1.5 profile names each line's function.
 * Expected numbers come from memray's and Python's own files beside the fixtures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, startHarness, type Harness, waitForCaptures } from './harness';

const V13 = resolve(ROOT, 'test/fixtures/memray/v13-memray1.20.0-py313');
const PYMALLOC = resolve(V13, 'pymalloc.bin');
const NATIVE = resolve(V13, 'native.bin');
const NATIVE_STATS = JSON.parse(readFileSync(resolve(V13, 'native.stats.json'), 'utf8')) as {
  metadata: { peak_memory: number };
};
const PYMALLOC_STATS = JSON.parse(readFileSync(resolve(V13, 'pymalloc.stats.json'), 'utf8')) as {
  metadata: { peak_memory: number };
};
const TRACEMALLOC = resolve(ROOT, 'test/fixtures/tracemalloc/py311/inventory-after.pickle.gz');
const SCALENE15 = resolve(ROOT, 'test/fixtures/scalene/v1.5.16/recursive_nested.json');

let h: Harness;
let page: Page;

async function show(name: string, tab: string): Promise<void> {
  await page.getByTestId('capture-tab').filter({ hasText: name }).click();
  await page.getByTestId(tab).click();
}

beforeAll(async () => {
  h = await startHarness({ files: [PYMALLOC, NATIVE, TRACEMALLOC, SCALENE15] });
  page = h.page;
  await page.goto(h.baseUrl);
  await waitForCaptures(h, ['pymalloc.bin', 'native.bin', 'inventory-after', 'recursive_nested.json']);
});

afterAll(async () => {
  await h?.close();
});

describe('sites', () => {
  it('a function row with several paths highlights all of them and shows all its bytes', async () => {
    await show('pymalloc.bin', 'tab-table');
    await page.getByTestId('groupby-function').click();
    await page.getByTestId('search-input').fill('');
    const row = page.locator('[data-testid=table-row][data-key^="function:[\\"main\\","]').first();
    await row.waitFor({ timeout: 30_000 });
    const rowBytes = Number(await row.getAttribute('data-bytes'));
    expect(rowBytes).toBeGreaterThan(PYMALLOC_STATS.metadata.peak_memory / 2);
    // A function row names its file, never one of its lines.
    expect(await row.getAttribute('data-line')).toBe('0');
    expect(await row.getByTestId('table-location').innerText()).not.toMatch(/:\d+$/);
    await row.click();
    const focus = page.getByTestId('flame-focus');
    await focus.waitFor({ timeout: 30_000 });
    expect(Number(await focus.getAttribute('data-bytes'))).toBe(rowBytes);
    expect(Number(await focus.getAttribute('data-paths'))).toBeGreaterThan(1);
    // Nothing of the function is cut away: what the graph shows holds all of the row.
    const shown = Number(await page.getByTestId('flame-total').getAttribute('data-bytes'));
    expect(shown).toBeGreaterThanOrEqual(rowBytes);
    await h.screenshot('sites-function-focus');
    // The merged caller/callee view of the function is one click away and weighs the same.
    await page.getByTestId('flame-sandwich').click();
    await page.getByTestId('flame-sandwich-view').waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => Number(await page.getByTestId('flame-total').getAttribute('data-bytes')), {
        timeout: 30_000,
      })
      .toBe(rowBytes);
    await page.getByTestId('flame-sandwich-close').click();
  });

  it('top sites: the culprit (own bytes) leads and the bar is of own bytes', async () => {
    await show('pymalloc.bin', 'tab-summary');
    const rows = page.getByTestId('top-site');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(1);
    const own: number[] = [];
    const shares: number[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const r = rows.nth(i);
      own.push(Number(await r.getAttribute('data-own-bytes')));
      shares.push(Number(await r.getAttribute('data-share')));
      const width = await r
        .locator('.bar span')
        .evaluate((el) => parseFloat((el as HTMLElement).style.width));
      // The style keeps a few decimals of the percentage.
      expect(width).toBeCloseTo(Math.min(100, shares[i] * 100), 3);
    }
    expect(own).toEqual([...own].sort((a, b) => b - a));
    own.forEach((o, i) => expect(shares[i]).toBeCloseTo(o / PYMALLOC_STATS.metadata.peak_memory, 12));
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
  });

  it('a --native capture names Python locations in its top sites', async () => {
    await show('native.bin', 'tab-summary');
    const locations = page.getByTestId('top-site-location');
    await expect.poll(() => locations.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    for (const text of await locations.allInnerTexts()) expect(text).not.toMatch(/\.so|\+0x/);
    const dominates = page.locator('[data-testid=finding]').filter({ hasText: 'of the peak comes from' });
    if ((await dominates.count()) > 0) expect(await dominates.innerText()).toMatch(/\.py:\d+/);
    expect(NATIVE_STATS.metadata.peak_memory).toBeGreaterThan(0);
  });

  it('a tracemalloc dump is traced at snapshot; file:line sits in the Location column', async () => {
    await show('inventory-after', 'tab-flamegraph');
    await expect
      .poll(() => page.getByTestId('flame-total').innerText(), { timeout: 30_000 })
      .toContain('traced at snapshot');
    expect(await page.getByTestId('flame-total').innerText()).not.toMatch(/peak|leaked/);
    await page.getByTestId('tab-table').click();
    await page.getByTestId('groupby-line').click();
    await page.getByTestId('search-input').fill('');
    // tracemalloc frames have no function name: its line keys start with an empty one.
    const row = page.locator('[data-testid=table-row][data-key^="line:[\\"\\","]').first();
    await row.waitFor({ timeout: 30_000 });
    expect((await row.getByTestId('table-name').innerText()).trim()).toBe('—');
    const line = await row.getAttribute('data-line');
    expect(await row.getByTestId('table-location').innerText()).toMatch(new RegExp(`:${line}$`));
  });

  it('a Scalene 1.5 profile names each line’s function', async () => {
    await show('recursive_nested.json', 'tab-table');
    await page.getByTestId('groupby-line').click();
    await page.getByTestId('search-input').fill('');
    const line6 = page
      .locator('[data-testid=table-row][data-key*="recursive_nested"][data-line="6"]')
      .first();
    await line6.waitFor({ timeout: 30_000 });
    expect((await line6.getByTestId('table-name').innerText()).trim()).toMatch(/^build\b/);
    await page.getByTestId('groupby-function').click();
    const functions = page.locator('[data-testid=table-row][data-key^="function:"] [data-testid=table-name]');
    await expect
      .poll(async () => (await functions.allInnerTexts()).map((t) => t.trim().split(/\s/)[0]).sort(), {
        timeout: 30_000,
      })
      // The profile's lines with n_malloc_mb > 0 are 5–8 (in build) and 17, 19 (in chain).
      .toEqual(['build', 'chain']);
    expect(h.pageErrors).toEqual([]);
  });
});
