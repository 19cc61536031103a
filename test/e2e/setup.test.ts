/**
 * First run and opening files, in a real browser (issue 12): `heapscope` alone serves the sample
 * capture (what `npm start` shows without Electron), a failed or cancelled open leaves no tab
 * behind and keeps its reason on screen, and `~/…` typed in the open dialog is the home folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Engine } from '../../main/engine/index';
import { startServer, type RunningServer } from '../../main/server/index';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, SHOTS, startHarness, waitForCaptures, type Harness } from './harness';

const V13 = resolve(ROOT, 'test/fixtures/memray/v13-memray1.20.0-py313');
const SAMPLE_NAME = 'memray-threads.bin';
// About 15 s to read with 8-byte chunks: time enough to see it loading and cancel it.
const SLOW_FILE = resolve(ROOT, 'test/fixtures/memray/v10-memray1.10.0-py310/pymalloc.bin');

describe('heapscope with no arguments', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ argv: [] });
    await h.page.goto(h.baseUrl);
    await waitForCaptures(h, [SAMPLE_NAME]);
  });
  afterAll(async () => h?.close());

  it("serves the sample capture on loopback and shows memray's numbers on the first screen", async () => {
    expect(new URL(h.baseUrl).hostname).toBe('127.0.0.1');
    expect(h.serverLog()).toContain('serving the sample capture');
    const oracle = JSON.parse(readFileSync(join(V13, 'threads.stats.json'), 'utf8'));
    const peak = h.page.getByTestId('summary-peak');
    await expect
      .poll(() => peak.getAttribute('data-value'), { timeout: 30_000 })
      .toBe(String(oracle.metadata.peak_memory));
    // Several threads to pick from: main, loader, parser, writer.
    expect(await h.page.getByTestId('thread-select').locator('option').allTextContents()).toEqual([
      'All threads (4)',
      '0x1',
      '0x2 (loader)',
      '0x3 (parser)',
      '0x4 (writer)',
    ]);
    await h.screenshot('setup-sample-first-screen');
    expect(h.pageErrors).toEqual([]);
  });

  it("labels the record count as every record in the file, memray parse's count", async () => {
    // `memray parse` prints one line per record; the HEADER is not a record.
    const parsed = gunzipSync(readFileSync(join(V13, 'threads.parse.txt.gz')))
      .toString('utf8')
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('HEADER '));
    const allocationRecords = parsed.filter((line) => line.startsWith('ALLOCATION ')).length;
    const row = h.page.getByTestId('fact-records');
    const label = await row.evaluate((dd) => dd.previousElementSibling?.textContent?.trim());
    expect(label).toBe('Records in the file');
    const shown = Number((await row.innerText()).replace(/,/g, ''));
    expect([parsed.length, parsed.length - 1]).toContain(shown); // with or without the TRAILER
    // The hint says how this differs from memray's "total allocations" (ALLOCATION records only).
    const oracle = JSON.parse(readFileSync(join(V13, 'threads.stats.json'), 'utf8'));
    expect(oracle.metadata.total_allocations).toBe(allocationRecords);
    expect(await row.getAttribute('title')).toMatch(/total allocations.+allocation records only/);
  });

  it('names the flamegraph orientation button after what a click does', async () => {
    await h.page.getByTestId('tab-flamegraph').click();
    const button = h.page.getByTestId('flame-orientation');
    await button.waitFor();
    expect(await button.getAttribute('data-orientation')).toBe('icicle');
    expect((await button.innerText()).trim()).toBe('Flip to flame');
    await button.click();
    await expect.poll(() => button.getAttribute('data-orientation')).toBe('flame');
    expect((await button.innerText()).trim()).toBe('Flip to icicle');
    await button.click();
    await h.page.getByTestId('tab-summary').click();
  });

  it("keeps a capture tab's focus ring inside the button it belongs to", async () => {
    const tab = h.page.getByTestId('capture-tab').first();
    const name = tab.getByRole('button').first();
    const close = tab.getByRole('button', { name: `Close ${SAMPLE_NAME}` });
    await name.focus();
    await h.page.keyboard.press('Tab');
    await h.page.keyboard.press('Shift+Tab');
    const ring = await name.evaluate((el) => {
      const style = getComputedStyle(el);
      return { width: parseFloat(style.outlineWidth), offset: parseFloat(style.outlineOffset) };
    });
    expect(ring.width).toBeGreaterThan(0);
    // A ring reaches width + offset beyond the box: 0 keeps it off the × beside it.
    expect(ring.width + ring.offset).toBeLessThanOrEqual(0);
    const [a, b] = [await name.boundingBox(), await close.boundingBox()];
    expect(b!.x).toBeGreaterThanOrEqual(a!.x + a!.width - 0.5);
    await h.screenshot('setup-tab-focus');
  });
});

describe('a failed open', () => {
  // Tiny read chunks make a capture load slowly enough to cancel it (as views.test.ts does); that
  // engine option is not on the command line, so this server runs in the test process. One byte
  // per read: the 1.08 MB capture takes half a minute or more to open, so the open the startup
  // file begins with the server is still running when the page has loaded on a slow machine.
  let engine: Engine;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // The browser first: the file named at start begins loading with the server, and the page
    // must see it while it still loads.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    engine = new Engine({ workerUrl: pathToFileURL(resolve(ROOT, 'out/node/worker.js')), chunkSize: 1 });
    server = await startServer({
      engine,
      port: 0,
      files: [SLOW_FILE],
      dirs: [resolve(ROOT, 'test/fixtures')],
      rendererDir: resolve(ROOT, 'out/renderer'),
    });
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.closeAll();
  });

  /** Cancels the loading capture from its strip and checks what is left on screen. */
  async function cancelAndCheck(fileName: string, shot: string): Promise<void> {
    const tab = page.getByTestId('capture-tab').filter({ hasText: fileName });
    await tab.waitFor({ timeout: 30_000 });
    expect(await tab.getAttribute('data-status')).toBe('loading');
    await page.locator('.loading-strip').getByTestId('cancel-button').click();
    const error = page.getByTestId('open-error').filter({ hasText: fileName });
    await error.waitFor({ timeout: 30_000 });
    expect(await error.innerText()).toMatch(/Could not open .*cancelled/s);
    // No tab is left behind, so no view of an empty capture ("0 B · 0 allocations").
    expect(await page.getByTestId('capture-tab').count()).toBe(0);
    expect(await page.getByText('0 allocations').count()).toBe(0);
    await page.screenshot({ path: resolve(SHOTS, `${shot}.png`) });
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => error.count()).toBe(0);
  }

  it('of a file named on the command line leaves no tab, and says why', async () => {
    await cancelAndCheck('pymalloc.bin', 'setup-failed-startup-file');
  });

  it('of a typed path spelled differently from the file leaves no tab, and says why', async () => {
    // Relative to the server's folder (this process's) and through `..`: the absolute path the
    // capture reports does not end with it.
    const spelled = join(
      relative(process.cwd(), ROOT),
      'test/fixtures/memray/../memray/v10-memray1.10.0-py310/pymalloc.bin',
    );
    expect(resolve(spelled)).toBe(SLOW_FILE);
    await page.getByTestId('path-input').fill(spelled);
    await page.getByTestId('open-button').click();
    await cancelAndCheck('pymalloc.bin', 'setup-failed-typed-path');
  });
});

describe('the open dialog', () => {
  let h: Harness;
  let home: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'heapscope-home-'));
    copyFileSync(join(V13, 'basic.bin'), join(home, 'x.bin'));
    // The server's home folder is `home`; it may open files under it.
    h = await startHarness({ files: [home], env: { HOME: home, USERPROFILE: home } });
    await h.page.goto(h.baseUrl);
    await h.page.getByTestId('open-screen').waitFor();
  });
  afterAll(async () => {
    await h?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('reads ~/x.bin as x.bin in the home folder, not in a folder named ~', async () => {
    await h.page.getByTestId('path-input').fill('~/x.bin');
    await h.page.getByTestId('open-button').click();
    await waitForCaptures(h, ['x.bin']);
    const name = h.page.getByTestId('capture-tab').filter({ hasText: 'x.bin' }).getByRole('button').first();
    expect(await name.getAttribute('title')).toBe(join(home, 'x.bin'));
    expect(await h.page.getByTestId('open-error').count()).toBe(0);
  });
});
