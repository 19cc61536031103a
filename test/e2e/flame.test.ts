/**
 * The flamegraph in a real browser against browser mode on a real memray capture: its totals
 * against the CLI and memray's own oracles, click-to-zoom with breadcrumbs, Esc, search share,
 * inverted and sandwich views. Screenshots go to test-results/ for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ROOT, SHOTS, startHarness, type Harness, waitForCaptures } from './harness';

const DIR = resolve(ROOT, 'test/fixtures/memray/v12-memray1.19.3-py311');
const CAPTURE = resolve(DIR, 'basic.bin');
const THREADS = resolve(DIR, 'threads.bin');
const ORACLE = JSON.parse(readFileSync(resolve(DIR, 'basic.stats.json'), 'utf8')) as {
  metadata: { peak_memory: number };
};
const ROW = 18;

/** memray's own high-water-mark rows: allocator,num_allocations,size,tid,thread_name,stack_trace. */
function hwmRows(name = 'basic'): { size: number; thread: string; stack: string[] }[] {
  const text = gunzipSync(readFileSync(resolve(DIR, `${name}.hwm.csv.gz`))).toString('utf8');
  return text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const cols = line.split(',');
      // The stack is the last column and may itself contain commas; memray writes CRLF lines.
      return { size: Number(cols[2]), thread: cols[4], stack: cols.slice(5).join(',').split('|') };
    });
}

function cliStats(): { peakMemory: number; leakedBytes: number } {
  const out = execFileSync(
    process.execPath,
    [resolve(ROOT, 'bin/heapscope.js'), 'stats', CAPTURE, '--json'],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as { peakMemory: number; leakedBytes: number };
}

let harness: Harness;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `flame-${name}.png`) });
}

async function total(): Promise<number> {
  return Number(await page.getByTestId('flame-total').getAttribute('data-bytes'));
}

async function chartReady(testid = 'flame-chart'): Promise<void> {
  const chart = page.getByTestId(testid);
  await chart.waitFor({ timeout: 30_000 });
  await expect
    .poll(async () => Number(await chart.getAttribute('data-rects')), { timeout: 30_000 })
    .toBeGreaterThan(1);
}

/** Esc outside any input resets the zoom (inside the search box it clears the search). */
async function resetZoom(): Promise<void> {
  await page.locator('body').click({ position: { x: 5, y: 790 } });
  await page.keyboard.press('Escape');
  await expect.poll(() => page.getByTestId('flame-breadcrumbs').count()).toBe(0);
}

beforeAll(async () => {
  harness = await startHarness({ files: [CAPTURE, THREADS] });
  page = harness.page;
  await page.goto(harness.baseUrl);
  // expect.poll only works inside tests; wait on the DOM directly here. The app shows the
  // capture whose header arrived first, which on a loaded machine can be threads.bin: pick.
  await waitForCaptures(harness, ['basic.bin', 'threads.bin']);
  await page.getByTestId('capture-tab').filter({ hasText: 'basic.bin' }).click();
});

afterAll(async () => {
  await harness?.close();
});

describe('flamegraph on a memray capture', () => {
  it('shows the peak total that the CLI and memray report', async () => {
    await page.getByTestId('tab-flamegraph').click();
    await chartReady();
    const cli = cliStats();
    expect(cli.peakMemory).toBe(ORACLE.metadata.peak_memory);
    await expect.poll(total, { timeout: 30_000 }).toBe(cli.peakMemory);
    await shot('peak');

    // The tooltip of make_big_buffer (row 3: all, <module>, main, make_big_buffer).
    const box = (await page.getByTestId('flame-chart').boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + 3 * ROW + ROW / 2);
    const tip = page
      .locator('div')
      .filter({ hasText: /^make_big_buffer.*allocations?$/s })
      .last();
    await tip.waitFor({ timeout: 10_000 });
    const text = await tip.innerText();
    expect(text).toMatch(/basic\.py:\d+/);
    expect(text).toContain('%');
    await page.locator('.flame-hover').waitFor();
    await shot('hover');
    await page.mouse.move(box.x + 40, box.y + box.height + 200);
  });

  it('zooms on click: breadcrumbs appear, the total becomes the node, Esc resets', async () => {
    const full = await total();
    const chart = page.getByTestId('flame-chart');
    // Click the leftmost (heaviest) node one row deeper each time until the zoom narrows: the
    // first rows can be single-child chains as wide as the root.
    let zoomed = full;
    for (let depth = 1; depth < 30 && zoomed === full; depth++) {
      const box = (await chart.boundingBox())!;
      await page.mouse.click(box.x + 6, box.y + depth * ROW + ROW / 2);
      await expect
        .poll(async () => Number(await chart.getAttribute('data-zoom-root')), { timeout: 5_000 })
        .toBeGreaterThan(0);
      zoomed = await total();
    }
    expect(zoomed).toBeGreaterThan(0);
    expect(zoomed).toBeLessThan(full);
    const crumbs = page.getByTestId('flame-breadcrumbs');
    await crumbs.waitFor();
    expect(await crumbs.locator('button').count()).toBeGreaterThanOrEqual(2);
    // The percentage next to the total is the zoomed node's share of the whole snapshot.
    expect(await page.getByTestId('flame-total').innerText()).toContain(
      `${((zoomed / full) * 100).toFixed(1)}%`,
    );
    await shot('zoomed');

    // A breadcrumb zooms back out one step at a time.
    await crumbs.locator('button').first().click();
    await expect.poll(total).toBe(full);
    await page.mouse.click(
      (await chart.boundingBox())!.x + 6,
      (await chart.boundingBox())!.y + 3 * ROW + ROW / 2,
    );
    await expect.poll(total).toBeLessThanOrEqual(full);
    await resetZoom();
    await expect.poll(total).toBe(full);
  });

  it('search highlights matches and sums their share, each stack once', async () => {
    await resetZoom();
    const full = await total();
    // memray's hwm.csv: the bytes of every stack that passes through make_big_buffer.
    const expected = hwmRows()
      .filter((r) => r.stack.some((f) => f.split(';')[0] === 'make_big_buffer'))
      .reduce((a, r) => a + r.size, 0);
    expect(expected).toBeGreaterThan(50 * 1024 * 1024);
    await page.getByTestId('flame-search').fill('make_big_buffer');
    const share = page.getByTestId('flame-share');
    await share.waitFor();
    expect(Number(await share.getAttribute('data-bytes'))).toBe(expected);
    expect(Number(await share.getAttribute('data-share'))).toBeCloseTo(expected / full, 9);
    expect(await share.innerText()).toContain(`${((expected / full) * 100).toFixed(1)}%`);
    await shot('search');

    // A query matching a whole call chain (main and everything under it) counts each stack once.
    await page.getByTestId('flame-search').fill('basic.py');
    const chain = hwmRows()
      .filter((r) => r.stack.some((f) => f.split(';')[1]?.endsWith('basic.py')))
      .reduce((a, r) => a + r.size, 0);
    await expect.poll(async () => Number(await share.getAttribute('data-bytes'))).toBe(chain);
    expect(chain).toBeLessThanOrEqual(full);
    await page.getByTestId('flame-search').fill('');
    await expect.poll(() => share.count()).toBe(0);
  });

  it('inverted and flame toggles keep the total; sandwich shows callers and callees', async () => {
    await resetZoom();
    const full = await total();
    await page.getByTestId('flame-invert').click();
    await expect.poll(() => page.getByTestId('flame-invert').getAttribute('aria-pressed')).toBe('true');
    await chartReady();
    await expect.poll(total).toBe(full);
    await page.getByTestId('flame-orientation').click();
    await shot('inverted-flame');
    await page.getByTestId('flame-orientation').click();
    await page.getByTestId('flame-invert').click();
    await expect.poll(() => page.getByTestId('flame-invert').getAttribute('aria-pressed')).toBe('false');
    await chartReady();

    // make_big_buffer holds most of the peak, so the leftmost path leads to it.
    const chart = page.getByTestId('flame-chart');
    let selected = false;
    for (let depth = 1; depth < 30 && !selected; depth++) {
      const box = (await chart.boundingBox())!;
      await page.mouse.click(box.x + 6, box.y + depth * ROW + ROW / 2);
      selected = /make_big_buffer/.test(await page.getByTestId('flame-sandwich').innerText());
    }
    expect(selected).toBe(true);
    const fnBytes = await total();
    await page.getByTestId('flame-sandwich').click();
    await page.getByTestId('flame-sandwich-view').waitFor({ timeout: 30_000 });
    await chartReady('flame-chart-callers');
    await chartReady('flame-chart-callees');
    // Both halves weigh the stacks through the function: the same bytes as its node.
    await expect.poll(total).toBe(fnBytes);
    await shot('sandwich');
    await page.getByTestId('flame-sandwich-close').click();
    await chartReady();
  });

  it('clicking a table row zooms the flamegraph to that site', async () => {
    await resetZoom();
    await page.getByTestId('tab-table').click();
    const row = page.locator('[data-testid=table-row][data-key*="make_big_buffer"]').first();
    await row.waitFor({ timeout: 30_000 });
    const rowBytes = Number(await row.getAttribute('data-bytes'));
    await row.click();
    await page.getByTestId('flame-breadcrumbs').waitFor({ timeout: 30_000 });
    // make_big_buffer is called from one place, so its one node holds the row's bytes.
    await expect.poll(total).toBe(rowBytes);
    expect(await page.getByTestId('flame-breadcrumbs').innerText()).toContain('make_big_buffer');
    await shot('focused-from-table');
  });

  it('a brushed timeline range re-aggregates the flamegraph to `stats --range`', async () => {
    await resetZoom();
    await page.getByTestId('tab-timeline').click();
    const chart = page.getByTestId('timeline-chart');
    await expect.poll(() => chart.getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    const box = (await chart.boundingBox())!;
    const y = box.y + box.height * 0.35;
    // The late part of the run: make_big_buffer's 50 MiB is long freed there.
    await page.mouse.move(box.x + box.width * 0.62, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, y, { steps: 6 });
    await page.mouse.move(box.x + box.width * 0.92, y, { steps: 6 });
    await page.mouse.up();
    const range = page.getByTestId('timeline-range');
    await range.waitFor({ timeout: 10_000 });
    const from = Number(await range.getAttribute('data-from'));
    const to = Number(await range.getAttribute('data-to'));
    expect(to).toBeGreaterThan(from);

    await page.getByTestId('tab-flamegraph').click();
    const out = execFileSync(
      process.execPath,
      [resolve(ROOT, 'bin/heapscope.js'), 'stats', CAPTURE, '--json', '--range', `${from}:${to}`],
      { encoding: 'utf8' },
    );
    const ranged = JSON.parse(out) as { peakMemory: number };
    await expect.poll(total, { timeout: 30_000 }).toBe(ranged.peakMemory);
    expect(ranged.peakMemory).toBeLessThan(ORACLE.metadata.peak_memory);
    await chartReady();
    await shot('range');
    // On the flamegraph Esc belongs to the zoom; the range is cleared from its chip.
    await resetZoom();
    expect(await total()).toBe(ranged.peakMemory);
    await page.getByTestId('toolbar-clear-range').click();
    await expect.poll(total, { timeout: 30_000 }).toBe(ORACLE.metadata.peak_memory);
  });

  it('the leaks snapshot total equals the CLI', async () => {
    await resetZoom();
    await page.getByTestId('snapshot-select').selectOption('leaks');
    await expect.poll(total, { timeout: 30_000 }).toBe(cliStats().leakedBytes);
    await chartReady();
    await shot('leaks');
    await page.getByTestId('snapshot-select').selectOption('peak');
    expect(harness.pageErrors).toEqual([]);
  });

  it('threads kept apart: one root child per thread, each with the bytes memray gives it', async () => {
    await resetZoom();
    await page.getByTestId('capture-tab').filter({ hasText: 'threads.bin' }).click();
    await page.getByTestId('tab-flamegraph').click();
    const rows = hwmRows('threads');
    const perThread = new Map<string, number>();
    for (const r of rows) perThread.set(r.thread, (perThread.get(r.thread) ?? 0) + r.size);
    const all = [...perThread.values()].reduce((a, b) => a + b, 0);
    await expect.poll(total, { timeout: 30_000 }).toBe(all);

    await page.getByTestId('filter-merge-threads').click();
    await chartReady();
    // Splitting threads moves bytes between subtrees; it never changes the total.
    await expect.poll(total, { timeout: 30_000 }).toBe(all);
    await shot('threads');
    // The leftmost root child is the heaviest thread: the writer's 32 MiB list.
    const [heaviest, bytes] = [...perThread].sort((a, b) => b[1] - a[1])[0];
    const box = (await page.getByTestId('flame-chart').boundingBox())!;
    await page.mouse.click(box.x + 6, box.y + ROW + ROW / 2);
    await page.getByTestId('flame-breadcrumbs').waitFor();
    expect(await page.getByTestId('flame-breadcrumbs').innerText()).toContain(heaviest);
    // memray's CSV has a few allocations without any stack (parser thread, 49,248 B); the
    // engine places them on other threads' nodes (reported to the engine owner), so the
    // writer's node is its stacks' bytes plus at most those.
    const stackless = rows.filter((r) => r.stack.join('') === '').reduce((a, r) => a + r.size, 0);
    const zoomed = await total();
    expect(zoomed).toBeGreaterThanOrEqual(bytes);
    expect(zoomed).toBeLessThanOrEqual(bytes + stackless);
    await shot('thread-zoomed');
    await page.getByTestId('filter-merge-threads').click();
    await page.getByTestId('capture-tab').filter({ hasText: 'basic.bin' }).click();
    expect(harness.pageErrors).toEqual([]);
  });
});
