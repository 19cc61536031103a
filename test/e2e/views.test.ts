/**
 * The views in a real browser against `heapscope serve` on real captures: summary numbers against
 * memray's, tracemalloc's and Scalene's own outputs, brushing the timeline (checked against
 * `heapscope stats --range`), the allocator, thread and table views, progress and cancel,
 * shortcuts and themes. Screenshots go to test-results/ for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Papa from 'papaparse';
import { chromium, type Browser, type Page } from 'playwright-core';
import { formatBytes } from '../../shared/units';
import { Engine } from '../../main/engine/index';
import { startServer, type RunningServer } from '../../main/server/index';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(ROOT, 'test-results');
const MEMRAY_DIR = 'test/fixtures/memray/v12-memray1.19.3-py311';
const MEMRAY = resolve(ROOT, MEMRAY_DIR, 'basic.bin');
const MEMRAY_STATS = JSON.parse(readFileSync(resolve(ROOT, MEMRAY_DIR, 'basic.stats.json'), 'utf8')) as {
  total_num_allocations: number;
  total_bytes_allocated: number;
  allocator_type_distribution: Record<string, number>;
  top_allocations_by_size: { location: string; size: number }[];
  metadata: { peak_memory: number; python_allocator: string; command_line: string };
};
const TRACEMALLOC = resolve(ROOT, 'test/fixtures/tracemalloc/py311/inventory-after.pickle.gz');
const TRACEMALLOC_ORACLE = JSON.parse(
  readFileSync(resolve(ROOT, 'test/fixtures/tracemalloc/py311/inventory-after.oracle.json'), 'utf8'),
) as {
  total_size: number;
  total_count: number;
};
const WORKER = resolve(ROOT, 'out/node/worker.js');

let browser: Browser;
let page: Page;
let serveProcess: ChildProcess;
const pageErrors: string[] = [];
let baseUrl: string;

/** `heapscope serve FILE… --port 0`, as a user starts it; resolves to the URL it prints. */
function serve(files: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [resolve(ROOT, 'bin/heapscope.js'), 'serve', ...files, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`heapscope serve did not start: ${out}${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Up to the line's end: a chunk may stop in the middle of the URL's token.
      const match = /serving on (\S+)\r?\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`heapscope serve exited with ${code}: ${out}${err}`)));
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `views-${name}.png`) });
}

/** The raw number a view put in data-value, so tests compare numbers, not formatted text. */
async function value(testid: string): Promise<number> {
  const el = page.getByTestId(testid);
  await expect.poll(() => el.getAttribute('data-value'), { timeout: 30_000 }).not.toBeNull();
  return Number(await el.getAttribute('data-value'));
}

async function openByPath(path: string): Promise<void> {
  if (!(await page.getByTestId('path-input').isVisible())) await page.getByTestId('open-other').click();
  await page.getByTestId('path-input').fill(path);
  await page.getByTestId('open-button').click();
}

async function waitReady(fileName: string): Promise<void> {
  const tab = page.getByTestId('capture-tab').filter({ hasText: fileName });
  await tab.waitFor({ timeout: 60_000 });
  await expect.poll(() => tab.getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');
}

async function selectedTab(): Promise<string | null> {
  // the app's view tabs only: the Diff view has a tablist of its own (added, removed, …)
  return page.locator('nav[role=tablist] > [role=tab][aria-selected=true]').getAttribute('data-testid');
}

beforeAll(async () => {
  if (!existsSync(WORKER) || !existsSync(resolve(ROOT, 'out/renderer/index.html'))) {
    throw new Error('build first: npm run build (the test serves out/renderer and runs out/node/worker.js)');
  }
  mkdirSync(SHOTS, { recursive: true });
  // The fixtures folder on the command line lets the page open the other captures by path.
  const served = await serve([MEMRAY, resolve(ROOT, 'test/fixtures')]);
  serveProcess = served.child;
  baseUrl = served.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Start from a known theme whatever the headless browser prefers (a string: this file has no DOM types).
  await page.addInitScript(`localStorage.setItem('heapscope.theme', JSON.stringify('dark'))`);
  await page.goto(baseUrl);
});

afterAll(async () => {
  await browser?.close();
  serveProcess?.kill('SIGTERM');
  // Any uncaught error in the page during the whole run is a failure.
  expect(pageErrors).toEqual([]);
});

describe('memray capture', () => {
  it('opens the file named on the command line and shows the oracle numbers on the summary', async () => {
    await waitReady('basic.bin');

    const peak = await value('summary-peak');
    expect(peak).toBe(MEMRAY_STATS.metadata.peak_memory);
    expect(await page.getByTestId('summary-peak').innerText()).toBe(
      formatBytes(MEMRAY_STATS.metadata.peak_memory),
    );
    expect(await value('summary-total-allocated')).toBe(MEMRAY_STATS.total_bytes_allocated);
    expect(await page.getByTestId('summary-total-allocated').innerText()).toBe(
      formatBytes(MEMRAY_STATS.total_bytes_allocated),
    );
    expect(await value('summary-total-allocations')).toBe(MEMRAY_STATS.total_num_allocations);
    // basic.py leaks one 5 MiB bytes object on purpose.
    expect(await value('summary-leaked')).toBeGreaterThanOrEqual(5_242_913);
    expect(await page.getByTestId('fact-python').innerText()).toContain(
      MEMRAY_STATS.metadata.python_allocator,
    );
    expect(await page.getByTestId('fact-command').innerText()).toBe(MEMRAY_STATS.metadata.command_line);
    await expect.poll(() => page.getByTestId('top-site').count()).toBeGreaterThan(0);
    await shot('summary-dark');
  });

  it('the units button switches every size to KiB / MiB and back, remembered; the exact count is a hover away', async () => {
    await waitReady('basic.bin');
    await page.getByTestId('tab-summary').click();
    const peak = MEMRAY_STATS.metadata.peak_memory;
    const card = page.getByTestId('summary-peak');
    const toggle = page.getByTestId('units-toggle');
    await expect.poll(() => card.innerText()).toBe(`${(peak / 1e6).toFixed(1)} MB`);
    expect(await card.getAttribute('title')).toBe(`${peak.toLocaleString('en-US')} B`);
    expect(await toggle.innerText()).toBe('MB');
    const leakFinding = page.locator('[data-testid=finding][data-code=large-leaks]');
    await expect.poll(() => leakFinding.innerText()).toMatch(/\d MB in [\d,]+ allocations were still/);

    await toggle.click();
    await expect.poll(() => card.innerText()).toBe(`${(peak / 2 ** 20).toFixed(1)} MiB`);
    expect(await toggle.innerText()).toBe('MiB');
    // The findings are worded again by the engine, in the same units.
    await expect.poll(() => leakFinding.innerText()).toMatch(/\d MiB in [\d,]+ allocations were still/);
    await page.reload();
    await waitReady('basic.bin');
    await expect.poll(() => page.getByTestId('units-toggle').innerText()).toBe('MiB');
    await expect
      .poll(() => page.getByTestId('summary-peak').innerText())
      .toBe(`${(peak / 2 ** 20).toFixed(1)} MiB`);

    await page.getByTestId('units-toggle').click();
    await expect
      .poll(() => page.getByTestId('summary-peak').innerText())
      .toBe(`${(peak / 1e6).toFixed(1)} MB`);
  });

  it('brushing the timeline sets a range that the other views re-aggregate for', async () => {
    const fullTotal = await value('summary-total-allocated');
    await page.getByTestId('tab-timeline').click();
    const chart = page.getByTestId('timeline-chart');
    await expect.poll(() => chart.getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    const duration = Number(await chart.getAttribute('data-duration'));
    expect(duration).toBeGreaterThan(0);
    const box = (await chart.boundingBox())!;
    const y = box.y + box.height * 0.35;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 6 });
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 6 });
    await page.mouse.up();

    const range = page.getByTestId('timeline-range');
    await range.waitFor({ timeout: 10_000 });
    const from = Number(await range.getAttribute('data-from'));
    const to = Number(await range.getAttribute('data-to'));
    expect(from).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    expect(to).toBeLessThanOrEqual(duration);
    expect(await page.getByTestId('range-chip').getAttribute('data-from')).toBe(String(from));
    await shot('timeline-brushed');

    await page.getByTestId('tab-summary').click();
    await page.getByTestId('summary-range-note').waitFor();
    // Bytes allocated inside part of the run are fewer than over the whole run.
    await expect.poll(() => value('summary-total-allocated'), { timeout: 30_000 }).toBeLessThan(fullTotal);
    expect(await value('summary-peak')).toBeLessThanOrEqual(MEMRAY_STATS.metadata.peak_memory);
    // The CLI answers the same question for the same range.
    const cli = JSON.parse(
      execFileSync(
        process.execPath,
        [resolve(ROOT, 'bin/heapscope.js'), 'stats', MEMRAY, '--json', '--range', `${from}:${to}`],
        { encoding: 'utf8' },
      ),
    ) as { totalBytesAllocated: number; peakMemory: number; totalAllocations: number };
    expect(await value('summary-total-allocated')).toBe(cli.totalBytesAllocated);
    expect(await value('summary-total-allocations')).toBe(cli.totalAllocations);
    expect(await value('summary-peak')).toBe(cli.peakMemory);
    await shot('summary-range');

    // Esc clears the range from any view other than the flamegraph (whose Esc resets its zoom).
    await page.locator('body').click({ position: { x: 5, y: 790 } });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('range-chip').count()).toBe(0);
    await expect.poll(() => value('summary-total-allocated'), { timeout: 30_000 }).toBe(fullTotal);

    // The button on the timeline does the same.
    await page.getByTestId('tab-timeline').click();
    await page.mouse.move(box.x + box.width * 0.5, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, y, { steps: 8 });
    await page.mouse.up();
    await range.waitFor({ timeout: 10_000 });
    await page.getByTestId('clear-range').click();
    await expect.poll(() => page.getByTestId('range-chip').count()).toBe(0);
    await page.getByTestId('tab-summary').click();
    await expect.poll(() => value('summary-total-allocated'), { timeout: 30_000 }).toBe(fullTotal);
  });

  it('allocators: families at peak add up to the peak, and the view switches to allocator functions', async () => {
    const leaked = await value('summary-leaked');
    await page.keyboard.press('4');
    const view = page.getByTestId('allocators-view');
    await view.waitFor();
    const rows = page.getByTestId('family-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const bytes = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-bytes'))));
    expect(bytes.reduce((a, b) => a + b, 0)).toBe(MEMRAY_STATS.metadata.peak_memory);
    const families = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-family')));
    // No --trace-python-allocators: memray saw only the malloc family and mmap.
    expect(families.every((f) => f === 'malloc' || f === 'mmap')).toBe(true);
    expect(await page.getByTestId('python-allocator').innerText()).toBe(
      MEMRAY_STATS.metadata.python_allocator,
    );
    await shot('allocators-family');
    // The snapshot selector re-aggregates every view: the leaked families add up to "leaked".
    await page.getByTestId('snapshot-select').selectOption('leaks');
    await expect
      .poll(
        async () =>
          (await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-bytes'))))).reduce(
            (a, b) => a + b,
            0,
          ),
        { timeout: 30_000 },
      )
      .toBe(leaked);
    await page.getByTestId('snapshot-select').selectOption('peak');
    await expect.poll(() => view.getAttribute('data-mode')).toBe('family');
    await page.getByTestId('allocators-mode-function').click();
    await expect.poll(() => view.getAttribute('data-mode')).toBe('function');
    await page.waitForTimeout(300);
    await shot('allocators-function');
  });

  it('table: header clicks sort, the search box filters, a row click focuses the flamegraph', async () => {
    await page.getByTestId('tab-table').click();
    const rows = page.getByTestId('table-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(1);
    const column = (attr: string) =>
      rows.evaluateAll((els, a) => els.map((e) => Number(e.getAttribute(a))), attr);
    const sortedDesc = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] >= x);
    const sortedAsc = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
    expect(sortedDesc(await column('data-bytes'))).toBe(true);

    await page.getByTestId('table-sort-count').click();
    await expect
      .poll(() => page.getByTestId('table-sort-count').getAttribute('aria-sort'))
      .toBe('descending');
    await expect
      .poll(async () => sortedDesc(await column('data-count')) && !sortedDesc(await column('data-bytes')), {
        timeout: 30_000,
      })
      .toBe(true);
    await page.getByTestId('table-sort-count').click();
    await expect.poll(async () => sortedAsc(await column('data-count')), { timeout: 30_000 }).toBe(true);
    await shot('table-sorted');

    await page.keyboard.press('/');
    await expect.poll(() => page.locator(':focus').getAttribute('data-testid')).toBe('search-input');
    // The largest single allocation (basic.py's 50 MiB buffer) is alive at the peak.
    const biggest = MEMRAY_STATS.top_allocations_by_size[0];
    const fn = biggest.location.split(':')[0];
    await page.keyboard.type(fn);
    const view = page.getByTestId('table-view');
    await expect
      .poll(
        async () => `${await view.getAttribute('data-search')}/${await view.getAttribute('data-loading')}`,
        { timeout: 30_000 },
      )
      .toBe(`${fn}/false`);
    const texts = await rows.allInnerTexts();
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.every((t) => t.toLowerCase().includes(fn.toLowerCase()))).toBe(true);
    expect(Number(await rows.first().getAttribute('data-own-bytes'))).toBeGreaterThanOrEqual(biggest.size);
    await shot('table-search');

    const key = await rows.first().getAttribute('data-key');
    expect(key).toBeTruthy();
    await rows.first().click();
    await expect.poll(selectedTab).toBe('tab-flamegraph');
  });

  it('keyboard: ? lists the shortcuts, t flips the theme', async () => {
    await page.locator('body').click({ position: { x: 5, y: 790 } });
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-overlay').waitFor();
    await shot('shortcuts');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('shortcuts-overlay').count()).toBe(0);
    const theme = () => page.locator('html').getAttribute('data-theme');
    const before = await theme();
    expect(before).toBe('dark');
    await page.keyboard.press('t');
    await expect.poll(theme).toBe('light');
    await page.keyboard.press('1');
    await expect.poll(selectedTab).toBe('tab-summary');
    await shot('summary-light');
  });
});

describe('a truncated memray capture', () => {
  it('warns on the summary and marks the cut on the timeline', async () => {
    const dir = resolve(ROOT, MEMRAY_DIR);
    const killed = JSON.parse(readFileSync(resolve(dir, 'killed.stats.json'), 'utf8')) as {
      metadata: { peak_memory: number };
    };
    await openByPath(resolve(dir, 'killed.bin'));
    await waitReady('killed.bin');
    await page.keyboard.press('1');
    await page.getByTestId('truncated-warning').waitFor();
    expect(await value('summary-peak')).toBe(killed.metadata.peak_memory);
    await shot('killed-summary');
    await page.keyboard.press('3');
    await expect
      .poll(() => page.getByTestId('timeline-chart').getAttribute('data-ready'), { timeout: 30_000 })
      .toBe('true');
    await page.waitForTimeout(300);
    await shot('killed-timeline');
  });
});

describe('a multi-threaded memray capture', () => {
  it("the thread selector keeps one thread: the threads partition the peak as memray's CSV does", async () => {
    const dir = resolve(ROOT, MEMRAY_DIR);
    const peak = (
      JSON.parse(readFileSync(resolve(dir, 'threads.stats.json'), 'utf8')) as {
        metadata: { peak_memory: number };
      }
    ).metadata.peak_memory;
    const csv = Papa.parse<{ size: string; thread_name: string }>(
      gunzipSync(readFileSync(resolve(dir, 'threads.hwm.csv.gz'))).toString('utf8'),
      {
        header: true,
        skipEmptyLines: true,
      },
    ).data;
    const csvPerThread = new Map<string, number>();
    for (const row of csv)
      csvPerThread.set(row.thread_name, (csvPerThread.get(row.thread_name) ?? 0) + Number(row.size));

    await openByPath(resolve(dir, 'threads.bin'));
    await waitReady('threads.bin');
    await page.keyboard.press('4');
    await page.getByTestId('allocators-view').waitFor();
    // The mode chosen earlier stays; the per-family table is shown in family mode.
    await page.getByTestId('allocators-mode-family').click();
    const select = page.getByTestId('thread-select');
    const labels = (await select.locator('option').allInnerTexts()).slice(1);
    expect(new Set(labels)).toEqual(new Set(csvPerThread.keys()));
    const rows = page.getByTestId('family-row');
    const familySum = async () =>
      (await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-bytes'))))).reduce(
        (a, b) => a + b,
        0,
      );
    await expect.poll(familySum, { timeout: 30_000 }).toBe(peak);

    const view = page.getByTestId('allocators-view');
    let sum = 0;
    for (const label of labels) {
      await select.selectOption({ label });
      await expect.poll(() => view.getAttribute('data-settled'), { timeout: 30_000 }).toBe('true');
      const bytes = await familySum();
      sum += bytes;
      // memray's CSV merges identical stacks of different threads into one row labelled with
      // one of them (a few 16 KiB mmaps here), so a thread agrees to within that, not exactly.
      expect(Math.abs(bytes - csvPerThread.get(label)!)).toBeLessThanOrEqual(64 * 1024);
      if (label === '0x3 (parser)') await shot('threads-allocators');
    }
    expect(sum).toBe(peak);
    await select.selectOption('all');
    await expect.poll(familySum, { timeout: 30_000 }).toBe(peak);
  });
});

describe('compare with…', () => {
  it('picks a baseline from the summary and lands on the diff view', async () => {
    await page
      .getByTestId('capture-tab')
      .filter({ hasText: 'basic.bin' })
      .getByRole('button')
      .first()
      .click();
    await page.keyboard.press('1');
    const select = page.getByTestId('compare-select');
    await select.selectOption({ label: 'killed.bin' });
    await expect.poll(selectedTab).toBe('tab-diff');
    await expect
      .poll(() => page.getByTestId('capture-tab').filter({ hasText: 'killed.bin' }).innerText())
      .toContain('baseline');
    await page.waitForTimeout(500);
    await shot('compare-diff');
  });
});

describe('tracemalloc dump', () => {
  it('opens beside the memray capture and shows the snapshot total of its oracle', async () => {
    await openByPath(TRACEMALLOC);
    await waitReady('inventory-after.pickle.gz');
    await page
      .getByTestId('capture-tab')
      .filter({ hasText: 'inventory-after' })
      .getByRole('button')
      .first()
      .click();
    await page.keyboard.press('1');
    expect(await value('summary-peak')).toBe(TRACEMALLOC_ORACLE.total_size);
    // A single snapshot has no time axis, and neither a peak nor leaks (issue 12, item 6).
    expect(await page.getByTestId('tab-timeline').isDisabled()).toBe(true);
    expect((await page.getByTestId('summary-peak-title').innerText()).toLowerCase()).toBe(
      'traced at snapshot',
    );
    expect((await page.getByTestId('summary-leaked-title').innerText()).toLowerCase()).not.toMatch(
      /peak|leak/,
    );
    await shot('tracemalloc-summary');
    await page.getByTestId('tab-table').click();
    // The search typed for the memray capture stays; clear it for this one.
    await page.getByTestId('search-input').fill('');
    await expect.poll(() => page.getByTestId('table-row').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot('tracemalloc-table');
  });
});

describe('loading a capture', () => {
  // Tiny read chunks make a small capture load slowly enough to watch and cancel; that engine
  // option is not on the command line, so this server runs in the test process. One byte per
  // read: pymalloc.bin (745 kB) takes ~23 s to open that way in-process, against ~1 s for the
  // steps before Cancel. With 64-byte reads it took 0.6 s, and a slow clean-clone CI run finished
  // the open between the test's last look and its click on Cancel (stop 26).
  let slowEngine: Engine;
  let slowServer: RunningServer;
  let slowPage: Page;

  beforeAll(async () => {
    slowEngine = new Engine({ workerUrl: pathToFileURL(WORKER), chunkSize: 1 });
    slowServer = await startServer({
      engine: slowEngine,
      port: 0,
      dirs: [resolve(ROOT, 'test/fixtures')],
      rendererDir: resolve(ROOT, 'out/renderer'),
    });
    slowPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await slowPage.goto(slowServer.url);
    await slowPage.getByTestId('open-screen').waitFor();
    await slowPage.screenshot({ path: resolve(SHOTS, 'views-open-screen.png') });
  });

  afterAll(async () => {
    await slowPage?.close();
    await slowServer?.close();
    await slowEngine?.closeAll();
  });

  it('says why a path cannot be opened', async () => {
    const missing = resolve(ROOT, 'test/fixtures/no-such-capture.bin');
    await slowPage.getByTestId('path-input').fill(missing);
    await slowPage.getByTestId('open-button').click();
    const error = slowPage.getByTestId('open-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.innerText()).toContain('no-such-capture.bin');
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => error.count()).toBe(0);
  });

  it('shows bytes, records/s and an ETA while reading, and Cancel stops the open', async () => {
    const file = resolve(ROOT, MEMRAY_DIR, 'pymalloc.bin');
    await slowPage.getByTestId('path-input').fill(file);
    await slowPage.getByTestId('open-button').click();
    const bar = slowPage.getByTestId('progress-bar');
    await expect
      .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await slowPage.getByTestId('progress-bytes').innerText()).toContain(
      `of ${formatBytes(statSync(file).size)}`,
    );
    expect(await slowPage.getByTestId('progress-records').innerText()).toMatch(/records\/s/);
    await expect
      .poll(() => slowPage.getByTestId('progress-eta').innerText(), { timeout: 10_000 })
      .toMatch(/left|finishing/);
    // The header's facts are on screen while the records are still being read.
    expect(await slowPage.getByTestId('capture-tab').getAttribute('data-status')).toBe('loading');
    expect(await slowPage.getByTestId('fact-python').innerText()).toContain('pymalloc');
    await slowPage.screenshot({ path: resolve(SHOTS, 'views-progress.png') });
    await slowPage.getByTestId('cancel-button').click();
    await expect
      .poll(() => slowPage.getByTestId('open-error').innerText(), { timeout: 30_000 })
      .toMatch(/cancel/i);
    expect(await slowPage.getByTestId('capture-tab').count()).toBe(0);
    await slowPage.screenshot({ path: resolve(SHOTS, 'views-cancelled.png') });
  });
});

describe('a Scalene profile', () => {
  it("shows the peak footprint of the profile and the leak suspect on line 9, labelled as Scalene's hint", async () => {
    const file = resolve(ROOT, 'test/fixtures/scalene/leak.json');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { max_footprint_mb: number };
    await openByPath(file);
    await waitReady('leak.json');
    await page
      .getByTestId('capture-tab')
      .filter({ hasText: 'leak.json' })
      .getByRole('button')
      .first()
      .click();
    await page.keyboard.press('1');
    expect(await value('summary-peak')).toBe(Math.round(profile.max_footprint_mb * 1024 * 1024));
    const suspect = page.getByTestId('finding').filter({ hasText: 'leak.py:9' }).first();
    await suspect.waitFor();
    expect(await suspect.innerText()).toMatch(/Scalene/);
    await shot('scalene-summary');

    // Picking line 9 in the table puts that line's own samples on the timeline.
    type Line = { lineno: number; memory_samples?: unknown[] };
    const full = JSON.parse(readFileSync(file, 'utf8')) as { files: Record<string, { lines: Line[] }> };
    const line9 = Object.values(full.files)
      .flatMap((f) => f.lines)
      .find((l) => l.lineno === 9)!;
    await page.getByTestId('tab-table').click();
    await page.getByTestId('search-input').fill('');
    await page.getByTestId('groupby-line').click();
    const row = page.locator('[data-testid=table-row][data-line="9"]').first();
    await row.click();
    await expect.poll(selectedTab).toBe('tab-flamegraph');
    await page.keyboard.press('3');
    const note = page.getByTestId('line-samples');
    await note.waitFor({ timeout: 30_000 });
    expect(Number(await note.getAttribute('data-count'))).toBe(line9.memory_samples!.length);
    expect(await note.innerText()).toMatch(/Scalene's hint: possible leak/);
    // A sampled footprint has no per-allocation times: no brush, no range to clear.
    expect(await page.getByTestId('clear-range').count()).toBe(0);
    await page.waitForTimeout(300);
    await shot('scalene-line-samples');
  });
});
