/**
 * One capture's flamegraph in the app and in the HTML report exported from it, side by side in a
 * real browser: at the same width both canvases must hold the same pixels (the same rectangles,
 * colours and labels; both paint renderer/flame's scene). Screenshots of both go to
 * test-results/flame-report-{app,report}.png for a person to compare.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { ROOT, SHOTS, startHarness, type Harness, waitForCaptures } from './harness';

const DIR = resolve(ROOT, 'test/fixtures/memray/v13-memray1.20.0-py313');
// Native frames (their own blue-greys) and a wide Python import tree with sub-pixel merges.
const CAPTURES = ['native.bin', 'pymalloc.bin'];

let harness: Harness;
let page: Page;

/** The first canvas inside `selector` as a PNG data URL, at the canvas's own resolution. */
async function canvasPng(p: Page, selector: string): Promise<string> {
  return p.evaluate(
    (sel) => document.querySelector(sel)!.querySelector('canvas')!.toDataURL('image/png'),
    selector,
  );
}

beforeAll(async () => {
  harness = await startHarness({ files: CAPTURES.map((name) => resolve(DIR, name)) });
  page = harness.page;
  await page.goto(harness.baseUrl);
  await waitForCaptures(harness, CAPTURES);
});

afterAll(async () => {
  await harness?.close();
});

interface PixelDifference {
  width: number;
  height: number;
  /** Pixels painted on either image. */
  painted: number;
  /** Pixels that differ by more than a shade. */
  differ: number;
  where: string;
}

/**
 * Compares two PNGs pixel by pixel inside a page (megapixels are too slow to ship to Node).
 * Both went through the same PNG round trip, so only what was painted can tell them apart.
 */
async function pixelDifference(p: Page, a: string, b: string): Promise<PixelDifference> {
  return p.evaluate(
    async ([pngA, pngB]) => {
      const pixels = async (png: string) => {
        const img = new Image();
        img.src = png;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, c.width, c.height);
      };
      const [x, y] = [await pixels(pngA), await pixels(pngB)];
      if (x.width !== y.width || x.height !== y.height)
        return {
          width: -1,
          height: -1,
          painted: 0,
          differ: 0,
          where: `${x.width}×${x.height} vs ${y.width}×${y.height}`,
        };
      let painted = 0;
      let differ = 0;
      const box = { x0: Infinity, y0: Infinity, x1: -1, y1: -1 };
      let first = '';
      for (let i = 0; i < x.data.length; i += 4) {
        if (x.data[i + 3] > 0 || y.data[i + 3] > 0) painted++;
        // Rectangle edges at fractional x are antialiased by a path fill in ECharts and by
        // fillRect in the report: a shade apart at most (seen: 231,128,175,32 vs 224,124,170,33).
        let same = true;
        for (let c = 0; c < 4; c++) if (Math.abs(x.data[i + c] - y.data[i + c]) > 12) same = false;
        if (same) continue;
        differ++;
        const px = (i / 4) % x.width;
        const py = Math.floor(i / 4 / x.width);
        box.x0 = Math.min(box.x0, px);
        box.x1 = Math.max(box.x1, px);
        box.y0 = Math.min(box.y0, py);
        box.y1 = Math.max(box.y1, py);
        if (!first)
          first = ` first at (${px}, ${py}): ${x.data.slice(i, i + 4).join()} vs ${y.data.slice(i, i + 4).join()}`;
      }
      const where = differ ? `x ${box.x0}–${box.x1}, y ${box.y0}–${box.y1};${first}` : 'nowhere';
      return { width: x.width, height: x.height, painted, differ, where };
    },
    [a, b] as const,
  );
}

/** The app's flamegraph of one capture against its exported report, optionally searching. */
async function compare(capture: string, search = ''): Promise<void> {
  const name = `${capture.replace(/\.bin$/, '')}${search ? '-search' : ''}`;
  await page.getByTestId('capture-tab').filter({ hasText: capture }).locator('button.name').click();
  await page.getByTestId('tab-flamegraph').click();
  await page.getByTestId('flame-search').fill(search);
  const chart = page.getByTestId('flame-chart');
  await expect
    .poll(async () => Number(await chart.getAttribute('data-rects')), { timeout: 30_000 })
    .toBeGreaterThan(1);
  if (search) await page.getByTestId('flame-share').waitFor();
  // The chart's canvas is painted a frame after its option is set.
  await page.waitForTimeout(300);
  const app = await canvasPng(page, '[data-testid=flame-chart]');
  const appWidth = await chart.evaluate((el) => el.querySelector('canvas')!.width);
  const cssWidth = await chart.evaluate((el) => Math.floor(el.clientWidth));
  await chart.screenshot({ path: join(SHOTS, `flame-report-${name}-app.png`) });

  // The report of the same view, as the app exports it.
  await page.getByTestId('export-button').click();
  await page.getByTestId('export-dialog').waitFor();
  await page.getByTestId('export-format-html').check();
  await page.getByTestId('export-redact').setChecked(false);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.getByTestId('export-run').click(),
  ]);
  const path = join(SHOTS, `flame-report-${name}.html`);
  await download.saveAs(path);
  await page.getByTestId('export-close').click();

  const report = await harness.context.newPage();
  try {
    await report.goto(pathToFileURL(path).href);
    await report.locator('html[data-ready="1"]').waitFor({ state: 'attached', timeout: 30_000 });
    const flame = report.locator('#flame .flame').first();
    if (search) await flame.locator('input[type=search]').fill(search);
    // The report's graph at the app's width: the page redraws it on resize.
    await flame.evaluate((el, w) => {
      (el as HTMLElement).style.width = `${w}px`;
      window.dispatchEvent(new Event('resize'));
    }, cssWidth);
    await expect
      .poll(() => flame.locator('canvas').evaluate((c) => (c as HTMLCanvasElement).width))
      .toBe(appWidth);
    const drawn = await canvasPng(report, '#flame .flame');
    await flame.locator('canvas').screenshot({ path: join(SHOTS, `flame-report-${name}-report.png`) });
    const { width, painted, differ, where } = await pixelDifference(report, app, drawn);
    expect(width, where).toBe(appWidth);
    // A real graph, not two empty canvases…
    expect(painted).toBeGreaterThan(width * 18 * 3);
    // …with the same pixels (a glyph edge may be rasterised a shade apart, nothing more).
    expect(differ / painted, `${differ} of ${painted} pixels differ (${where})`).toBeLessThan(0.002);
  } finally {
    await report.close();
  }
}

describe('the flamegraph looks the same in the app and in its report', () => {
  it('a native capture: same pixels at the same width', async () => {
    await compare('native.bin');
  });

  it('a wide Python tree, then a search: same pixels at the same width', async () => {
    await compare('pymalloc.bin');
    await compare('pymalloc.bin', 'importlib');
    await page.getByTestId('flame-search').fill('');
    expect(harness.pageErrors).toEqual([]);
  });
});
