/**
 * The first screen before the whole index, in a real browser: while a memray capture indexes,
 * the Summary shows its header facts and the heap line so far with "indexing… N%", the Timeline
 * tab shows that line too, and everything else appears at ready; Cancel still stops the open.
 * Tiny read chunks make a generated capture (40 000 memory records) load for seconds; that
 * engine option is not on the command line, so this server runs in the test process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Engine } from '../../main/engine/index';
import { startServer, type RunningServer } from '../../main/server/index';
import { writeGrowingCapture } from '../node/engine-helpers/growing-capture';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, SHOTS } from './harness';

const WORKER = resolve(ROOT, 'out/node/worker.js');

let dir = '';
let capture = '';
let live: number[] = [];
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapscope-preview-e2e-'));
  capture = join(dir, 'growing.bin');
  live = await writeGrowingCapture(capture, 40_000);
  engine = new Engine({ workerUrl: pathToFileURL(WORKER), chunkSize: 16 });
  server = await startServer({
    engine,
    port: 0,
    dirs: [dir],
    rendererDir: resolve(ROOT, 'out/renderer'),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.getByTestId('open-screen').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await engine?.closeAll();
  await rm(dir, { recursive: true, force: true });
});

async function openCapture(): Promise<void> {
  await page.getByTestId('path-input').fill(capture);
  await page.getByTestId('open-button').click();
}

const readTo = async (): Promise<number> =>
  Number(await page.getByTestId('preview-timeline').getAttribute('data-read-to-ms'));

describe('opening a memray capture that takes seconds to index', () => {
  it('shows the header facts and the heap line so far before ready, then the whole Summary', async () => {
    await openCapture();
    const tab = page.getByTestId('capture-tab');
    const soFar = page.getByTestId('preview-timeline');
    await soFar.waitFor({ timeout: 30_000 });
    expect(await tab.getAttribute('data-status')).toBe('loading');
    expect(Number(await soFar.getAttribute('data-points'))).toBeGreaterThan(0);

    // the header card: what the generator wrote (test/generator/memray-capture.ts), and the state
    expect(await page.getByTestId('fact-command').innerText()).toBe('python3 -m memray run generated.py');
    expect(await page.getByTestId('fact-python').innerText()).toContain('Python 3.11.2');
    expect(await page.getByTestId('summary-facts').innerText()).toMatch(/PID\s+4242/);
    expect(await page.getByTestId('fact-duration').innerText()).toContain('started 2023-11-14 22:13:20 UTC');
    expect(await page.getByTestId('fact-records').innerText()).toMatch(/^[\d,]+ so far$/);
    expect(await page.getByTestId('facts-indexing').innerText()).toMatch(/^indexing… \d+%$/);
    expect(await page.getByTestId('preview-state').innerText()).toMatch(/^indexing… \d+%$/);
    // the numbers that need the index wait for it
    expect(await page.getByTestId('summary-peak').innerText()).toBe('…');

    // the line grows as the read goes on (a preview at most every half second)
    const first = await readTo();
    await expect.poll(readTo, { timeout: 20_000 }).toBeGreaterThan(first);
    expect(await tab.getAttribute('data-status')).toBe('loading');
    await page.screenshot({ path: resolve(SHOTS, 'preview-loading.png') });

    // the Timeline tab shows the same line until the index is ready
    await page.getByTestId('tab-timeline').click();
    await soFar.waitFor();
    expect(await page.getByTestId('view-waiting').count()).toBe(0);
    await page.screenshot({ path: resolve(SHOTS, 'preview-loading-timeline.png') });

    // at ready the preview gives way to the Timeline view's own chart, and the Summary's numbers
    await expect.poll(() => tab.getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    const chart = page.getByTestId('timeline-chart');
    await expect.poll(() => chart.getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    expect(await soFar.count()).toBe(0);
    // the heap when tracking stopped: what the program left live after its last memory record
    expect(Number(await chart.getAttribute('data-heap-end'))).toBe(live.at(-1));
    await page.getByTestId('tab-summary').click();
    await expect.poll(() => page.getByTestId('summary-peak').innerText(), { timeout: 30_000 }).toMatch(/\d/);
    expect(await page.getByTestId('fact-records').innerText()).toMatch(/^[\d,]+$/);
    expect(await page.getByTestId('facts-indexing').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('still cancels while the preview shows', async () => {
    // the same path is open already: close it first so this open reads the file again
    await page.getByRole('button', { name: 'Close growing.bin' }).click();
    await expect.poll(() => page.getByTestId('capture-tab').count()).toBe(0);
    await page.getByTestId('open-screen').waitFor();
    await openCapture();
    await page.getByTestId('preview-timeline').waitFor({ timeout: 30_000 });
    await page.getByTestId('cancel-button').click();
    await expect
      .poll(() => page.getByTestId('open-error').innerText(), { timeout: 30_000 })
      .toMatch(/cancel/i);
    expect(await page.getByTestId('capture-tab').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
