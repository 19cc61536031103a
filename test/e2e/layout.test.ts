/**
 * The Memory layout view and the RSS bands in a real browser, on a real memray capture made with
 * --trace-python-allocators (CPython 3.11: 16 KiB pools in 1 MiB arenas): at the peak and at the
 * end the view's arenas, pools, live blocks and RSS split are the API's numbers, and the grid
 * draws exactly the API's pools; selecting a pool at the end lists the stacks of its blocks (the
 * API's count for that pool) and one of them opens the flamegraph; the timeline draws the bands
 * at the API's points; the HTML report's layout section draws the same arenas. Screenshots:
 * test-results/layout-peak.png, layout-end.png, layout-pool-selected.png, timeline-rss-bands.png,
 * report-layout.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LayoutBands, LayoutSites, MemoryLayout } from '../../shared/api';
import { ROOT, SHOTS, startHarness, waitForCaptures, type Harness } from './harness';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const CAPTURE = join(DIR, 'pymalloc.bin');
/** Recorded without --trace-python-allocators: pymalloc's part cannot be shown. */
const UNTRACED = join(DIR, 'basic.bin');

let h: Harness;
let captureId: string;

async function api<T>(method: string, ...args: unknown[]): Promise<T> {
  const r = await fetch(`${h.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Heapscope-Token': h.token },
    body: JSON.stringify(args),
  });
  expect(r.ok).toBe(true);
  return (await r.json()) as T;
}

async function attr(testid: string, name: string): Promise<number> {
  const el = h.page.getByTestId(testid).first();
  await expect.poll(() => el.getAttribute(name), { timeout: 30_000 }).not.toBeNull();
  return Number(await el.getAttribute(name));
}

async function settledAt(kind: string): Promise<void> {
  const v = h.page.getByTestId('layout-view');
  await expect.poll(() => v.getAttribute('data-moment'), { timeout: 30_000 }).toBe(kind);
  await expect.poll(() => v.getAttribute('data-settled'), { timeout: 30_000 }).toBe('true');
}

/** The view's numbers against the API's layout of the same moment. */
async function expectLayout(l: MemoryLayout): Promise<void> {
  const p = l.pymalloc;
  expect(await attr('layout-arenas', 'data-value')).toBe(p.arenas);
  expect(await attr('layout-pools', 'data-value')).toBe(p.pools);
  expect(await attr('layout-blocks', 'data-value')).toBe(p.liveBlocks);
  expect(await attr('layout-blocks', 'data-bytes')).toBe(p.liveBytes);
  expect(await attr('layout-pymalloc-held', 'data-value')).toBe(p.heldBytes);
  expect(await attr('layout-sparse', 'data-value')).toBe(p.sparseArenas);
  // the grid draws every listed arena and every pool in them (one page: fewer than 64 arenas)
  expect(p.arenaList.length).toBeLessThanOrEqual(64);
  expect(p.arenasOmitted).toBe(0);
  expect(await attr('layout-arena-grid', 'data-arenas')).toBe(p.arenaList.length);
  expect(await attr('layout-arena-grid', 'data-rows')).toBe(p.arenaList.length);
  expect(await attr('layout-arena-grid', 'data-pools-drawn')).toBe(p.pools);
  expect(await attr('layout-arena-grid', 'data-slots')).toBe(64);
  expect(await attr('layout-size-classes', 'data-classes')).toBe(p.sizeClasses.length);
  // RSS split: the API's heap and held, the rest what RSS leaves
  expect(await attr('layout-rss-heap', 'data-value')).toBe(l.heapBytes);
  expect(await attr('layout-rss-held', 'data-value')).toBe(l.heldBytes);
  expect(l.rssBytes).toBeDefined();
  expect(await attr('layout-rss-total', 'data-value')).toBe(l.rssBytes);
  expect(await attr('layout-rss-rest', 'data-value')).toBe(
    Math.max(0, l.rssBytes! - l.heapBytes - l.heldBytes),
  );
  expect(await h.page.getByTestId('layout-finding').count()).toBe(l.findings.length);
}

/** Clicks pool `slot` of arena row `row` in the grid (the chart's own geometry: grid and axes). */
async function clickPool(row: number, slot: number, rows: number): Promise<void> {
  const box = (await h.page.getByTestId('layout-arena-grid').boundingBox())!;
  const grid = { left: 92, right: 12, top: 26, bottom: 8 };
  const xMin = -9.5;
  const xMax = 63.5;
  const w = box.width - grid.left - grid.right;
  const x = box.x + grid.left + ((slot - xMin) / (xMax - xMin)) * w;
  const rowH = (box.height - grid.top - grid.bottom) / rows;
  const y = box.y + grid.top + (row + 0.5) * rowH;
  await h.page.mouse.click(x, y);
}

/** The layout at `at`, the fullest pool of its first arena, and the API's stacks of that pool. */
async function fullestPoolSites(at: { kind: 'peak' } | { kind: 'end' }) {
  const p = (await api<MemoryLayout>('layout', { captureId, at })).pymalloc;
  const a = p.arenaList[0];
  let k = 0;
  for (let i = 1; i < a.poolIndex.length; i++) if (a.poolBlocks[i] > a.poolBlocks[k]) k = i;
  const address = a.address + a.poolIndex[k] * p.geometry!.poolBytes;
  const expected = await api<LayoutSites>('layoutSites', {
    captureId,
    at,
    region: { kind: 'pool', address },
    limit: 50,
  });
  return { p, a, k, expected };
}

beforeAll(async () => {
  h = await startHarness({ files: [CAPTURE, UNTRACED], viewport: { width: 1400, height: 1700 } });
  await h.page.goto(h.baseUrl);
  await waitForCaptures(h, ['pymalloc.bin', 'basic.bin']);
  const list =
    await api<{ id: string; facts: { fileName: string }; capabilities: { layout?: boolean } }[]>('list');
  const mine = list.find((c) => c.facts.fileName === 'pymalloc.bin')!;
  captureId = mine.id;
  expect(mine.capabilities.layout).toBe(true);
});
afterAll(async () => {
  if (h?.serverLog()) console.log(`server log:\n${h.serverLog()}`);
  await h?.close();
});

describe('the memory layout view', () => {
  it('shows the API’s arenas, pools and RSS split at the peak and at the end', async () => {
    const peak = await api<MemoryLayout>('layout', { captureId, at: { kind: 'peak' } });
    const end = await api<MemoryLayout>('layout', { captureId, at: { kind: 'end' } });
    expect(peak.pymalloc.modelled).toBe(true);
    expect(peak.pymalloc.pools).toBeGreaterThan(end.pymalloc.pools);

    await h.page.getByTestId('tab-layout').click();
    await settledAt('peak');
    await h.screenshot('layout-peak');
    await expectLayout(peak);
    // at the peak the malloc heap is not laid out and says so; the pool blocks' stacks are known
    expect(await h.page.getByTestId('layout-limit').count()).toBe(peak.limits.length);
    expect(peak.sitesAvailable).toBe(true);
    expect(peak.limits.some((l) => l.part === 'sites')).toBe(false);
    expect(await h.page.getByTestId('layout-pinning-row').count()).toBe(peak.pymalloc.pinning.length);

    expect(await h.page.getByTestId('snapshot-select').inputValue()).toBe('peak');
    await h.page.getByTestId('layout-moment-end').click();
    await settledAt('end');
    // the toolbar says the same moment: what is alive at the end
    expect(await h.page.getByTestId('snapshot-select').inputValue()).toBe('leaks');
    await h.screenshot('layout-end');
    await expectLayout(end);
    // the brk heap strip: its segments' live blocks add up to the API's brk heap
    const brk = end.mallocHeap.brk!;
    expect(brk).toBeDefined();
    await expect.poll(() => h.page.getByTestId('layout-brk-segment').count(), { timeout: 30_000 }).toBe(40);
    const segs = await h.page
      .getByTestId('layout-brk-segment')
      .evaluateAll((els) =>
        els.map((e) => [Number(e.getAttribute('data-count')), Number(e.getAttribute('data-bytes'))]),
      );
    expect(segs.reduce((s, x) => s + x[0], 0)).toBe(brk.liveCount);
    expect(segs.reduce((s, x) => s + x[1], 0)).toBe(brk.liveBytes);
    expect(await h.page.getByTestId('layout-brk-pin').count()).toBe(brk.pin ? 1 : 0);
    expect(await h.page.getByTestId('layout-pinning-row').count()).toBe(end.pymalloc.pinning.length);
  });

  it('lists the stacks of a selected pool’s blocks and opens one in the flamegraph', async () => {
    const { p, a, k, expected } = await fullestPoolSites({ kind: 'end' });
    expect(expected.totalCount).toBe(a.poolBlocks[k]);

    await clickPool(0, a.poolIndex[k], p.arenaList.length);
    await expect.poll(() => h.page.getByTestId('layout-selection').getAttribute('data-kind')).toBe('pool');
    expect(await attr('layout-sites-total', 'data-count')).toBe(expected.totalCount);
    expect(await attr('layout-sites-total', 'data-bytes')).toBe(expected.totalBytes);
    await expect.poll(() => h.page.getByTestId('layout-site-row').count()).toBe(expected.rows.length);
    expect(expected.rows.length).toBeGreaterThan(0);
    expect(await h.page.getByTestId('layout-site-row').first().getAttribute('data-key')).toBe(
      expected.rows[0].key,
    );
    await h.screenshot('layout-pool-selected');

    await h.page.getByTestId('layout-site-flame').first().click();
    await expect.poll(() => h.page.getByTestId('tab-flamegraph').getAttribute('aria-selected')).toBe('true');
    expect(h.pageErrors).toEqual([]);
  });

  it('lists the stacks of a pool’s blocks at the peak, blocks freed after it included', async () => {
    await h.page.getByTestId('tab-layout').click();
    await h.page.getByTestId('layout-moment-peak').click();
    await settledAt('peak');
    expect(await h.page.getByTestId('snapshot-select').inputValue()).toBe('peak');
    const { p, a, k, expected } = await fullestPoolSites({ kind: 'peak' });
    // the peak's pool holds exactly the blocks the page table counted there
    expect(expected.totalCount).toBe(a.poolBlocks[k]);
    expect(expected.totalBytes).toBe(a.poolLiveBytes[k]);
    await clickPool(0, a.poolIndex[k], p.arenaList.length);
    await expect.poll(() => h.page.getByTestId('layout-selection').getAttribute('data-kind')).toBe('pool');
    await expect.poll(() => attr('layout-sites-total', 'data-count')).toBe(expected.totalCount);
    expect(await attr('layout-sites-total', 'data-bytes')).toBe(expected.totalBytes);
    await expect.poll(() => h.page.getByTestId('layout-site-row').count()).toBe(expected.rows.length);
    await h.screenshot('layout-peak-stacks');
    expect(h.pageErrors).toEqual([]);
  });

  it('draws the RSS bands on the timeline at the API’s points, and hides them on request', async () => {
    const bands = await api<LayoutBands>('layoutBands', { captureId });
    expect(bands.timeMs.length).toBeGreaterThan(2);
    // the stacked bands reach RSS wherever RSS is known
    bands.timeMs.forEach((_, i) => {
      if (bands.rssBytes[i] != null && bands.restBytes[i]! > 0)
        expect(bands.heapBytes[i] + bands.heldBytes[i] + bands.restBytes[i]!).toBe(bands.rssBytes[i]);
    });
    await h.page.getByTestId('tab-timeline').click();
    await expect
      .poll(() => h.page.getByTestId('timeline-chart').getAttribute('data-ready'), { timeout: 30_000 })
      .toBe('true');
    await expect.poll(() => attr('timeline-chart', 'data-bands')).toBe(bands.timeMs.length);
    await expect(h.page.getByTestId('timeline-bands-note').isVisible()).resolves.toBe(true);
    await h.screenshot('timeline-rss-bands');
    await h.page.getByTestId('timeline-bands-toggle').uncheck();
    await expect.poll(() => attr('timeline-chart', 'data-bands')).toBe(0);
    await h.page.getByTestId('timeline-bands-toggle').check();
    await expect.poll(() => attr('timeline-chart', 'data-bands')).toBe(bands.timeMs.length);
  });

  it('the HTML report draws the layout at the peak and the end with the API’s arenas', async () => {
    const peak = await api<MemoryLayout>('layout', { captureId, at: { kind: 'peak' } });
    const end = await api<MemoryLayout>('layout', { captureId, at: { kind: 'end' } });
    const out = join(SHOTS, 'layout-report.html');
    execFileSync(process.execPath, [join(ROOT, 'bin', 'heapscope.js'), 'report', CAPTURE, '-o', out]);
    const report = await h.context.newPage();
    try {
      await report.goto(pathToFileURL(out).href);
      await report.locator('html[data-ready="1"]').waitFor({ state: 'attached', timeout: 30_000 });
      const canvas = (id: string) => report.locator(`#${id} canvas.arenas`);
      expect(Number(await canvas('layout-peak').getAttribute('data-arenas'))).toBe(
        peak.pymalloc.arenaList.length,
      );
      expect(Number(await canvas('layout-peak').getAttribute('data-pools'))).toBe(peak.pymalloc.pools);
      expect(Number(await canvas('layout-end').getAttribute('data-pools'))).toBe(end.pymalloc.pools);
      expect(Number(await report.getByTestId('layout-peak-held').getAttribute('data-bytes'))).toBe(
        peak.heldBytes,
      );
      expect(await report.locator('#layout-end ul.findings li').count()).toBe(end.findings.length);
      await report.locator('#layout').scrollIntoViewIfNeeded();
      await report.locator('#layout').screenshot({ path: join(SHOTS, 'report-layout.png') });
    } finally {
      await report.close();
    }
  });

  it('says which part a capture cannot show, and how to record one that can', async () => {
    await h.page.getByTestId('capture-tab').filter({ hasText: 'basic.bin' }).locator('button.name').click();
    await h.page.getByTestId('tab-layout').click();
    // the earlier flamegraph jump chose the leaks snapshot, which the layout follows to the end
    await h.page.getByTestId('layout-moment-peak').click();
    await settledAt('peak');
    const note = h.page.locator('[data-testid=layout-limit][data-part=pymalloc]');
    await expect.poll(() => note.count()).toBe(1);
    const text = await note.innerText();
    expect(text).toContain('without --trace-python-allocators');
    expect(text).toContain('memray run --trace-python-allocators');
    expect(await h.page.getByTestId('layout-pymalloc').getAttribute('data-modelled')).toBe('false');
    expect(await h.page.getByTestId('layout-arena-grid').count()).toBe(0);
  });
});
