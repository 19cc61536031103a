/**
 * Export from the app in a real browser (browser mode, `heapscope serve`): pick a baseline from
 * the summary, see the diff view, export the HTML report through the Export dialog (a download),
 * then open the downloaded file with networking disabled and find the same top site and numbers
 * the app showed. Also: a hostile capture's report stays inert, and a chart PNG downloads.
 * Screenshots go to test-results/export-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Papa from 'papaparse';
import type { Download, Page } from 'playwright-core';
import { ROOT, SHOTS, startHarness, type Harness, waitForCaptures } from './harness';

const BEFORE = resolve(ROOT, 'test/fixtures/tracemalloc/py312/inventory-before.pickle.gz');
const AFTER = resolve(ROOT, 'test/fixtures/tracemalloc/py312/inventory-after.pickle.gz');
const CRAFTED = resolve(ROOT, 'test/fixtures/crafted/evil-names.hwm.csv');
const THREADS = resolve(ROOT, 'test/fixtures/memray/v12-memray1.19.3-py311/threads.bin');
const HOSTILE = '</script><script>document.title="pwned"</script>';

let harness: Harness;
let page: Page;

// Viewport only: a report page with hundreds of diff rows is too tall to look at whole.
async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `export-${name}.png`) });
}

async function activate(fileName: string): Promise<void> {
  await page.getByTestId('capture-tab').filter({ hasText: fileName }).locator('button.name').click();
}

/** Runs the dialog's export and saves the download under test-results/. */
async function exportVia(
  format: string,
  saveAs: string,
  options: { redact?: boolean; withBaseline?: boolean } = {},
): Promise<{ path: string; download: Download }> {
  await page.getByTestId('export-button').click();
  const dialog = page.getByTestId('export-dialog');
  await dialog.waitFor();
  await page.getByTestId(`export-format-${format}`).check();
  // The dialog remembers its choices between exports; each export here says what it wants.
  if (format === 'html') await page.getByTestId('export-redact').setChecked(!!options.redact);
  const baseline = page.getByTestId('export-with-baseline');
  if (options.withBaseline === false && (await baseline.count())) await baseline.uncheck();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.getByTestId('export-run').click(),
  ]);
  const path = join(SHOTS, saveAs);
  await download.saveAs(path);
  await page.getByTestId('export-result').waitFor({ timeout: 30_000 });
  return { path, download };
}

/**
 * Opens an exported report from disk in a fresh tab with the network switched off; any request
 * that is not the file itself is recorded and refused.
 */
async function openOffline(path: string): Promise<{ report: Page; requests: string[] }> {
  const report = await harness.context.newPage();
  const requests: string[] = [];
  await report.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await harness.context.setOffline(true);
  try {
    await report.goto(pathToFileURL(path).href);
    // A locator, not a waitForFunction predicate: the report's CSP forbids the eval that a string
    // predicate needs, which made that wait flaky.
    await report.locator('html[data-ready="1"]').waitFor({ state: 'attached', timeout: 30_000 });
  } catch (error) {
    // Leave the shared context online for the tests that follow.
    await harness.context.setOffline(false);
    throw error;
  }
  return { report, requests };
}

beforeAll(async () => {
  harness = await startHarness({ files: [BEFORE, AFTER, CRAFTED, THREADS] });
  page = harness.page;
  await page.goto(harness.baseUrl);
  await waitForCaptures(harness, [
    'inventory-before.pickle.gz',
    'inventory-after.pickle.gz',
    'evil-names.hwm.csv',
    'threads.bin',
  ]);
});

afterAll(async () => {
  await harness?.context.setOffline(false).catch(() => undefined);
  await harness?.close();
});

describe('export from the app', () => {
  let app: { site: string; sizeDiff: number; delta: number; topFile: string };

  it('picks a baseline from the summary and shows the diff', async () => {
    await activate('inventory-after.pickle.gz');
    await page.getByTestId('tab-summary').click();
    const topSite = page.getByTestId('top-site').first();
    await topSite.waitFor({ timeout: 30_000 });
    const topFile = (await topSite.locator('td.loc').getAttribute('title')) ?? '';
    await page.getByTestId('compare-select').selectOption({ label: 'inventory-before.pickle.gz' });
    await page.getByTestId('diff-view').waitFor();
    const first = page.getByTestId('diff-row').first();
    await first.waitFor({ timeout: 60_000 });
    app = {
      site: (await first.locator('td.site').getAttribute('title')) ?? '',
      sizeDiff: Number(await first.getAttribute('data-size-diff')),
      delta: Number(await page.getByTestId('diff-total-delta').getAttribute('data-bytes')),
      topFile,
    };
    expect(app.site).toMatch(/:\d+$/);
    expect(app.sizeDiff).not.toBe(0);
    await shot(page, 'diff-view');
  });

  it('states the frozen choices and exports the HTML report as a download', async () => {
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    await page.getByTestId('export-format-html').check();
    expect(await page.getByTestId('export-frozen-baseline').innerText()).toContain(
      'inventory-before.pickle.gz',
    );
    // A tracemalloc dump is one traced set, neither a peak nor leaks (issue 12 item 6).
    expect(await page.getByTestId('export-frozen-snapshot').innerText()).toBe('traced at snapshot');
    expect(await page.getByTestId('export-frozen-range').innerText()).toBe('whole capture');
    await shot(page, 'dialog');
    await page.getByTestId('export-close').click();

    const { path, download } = await exportVia('html', 'export-report.html');
    expect(download.suggestedFilename()).toBe('inventory-after-diff-report.html');
    const result = page.getByTestId('export-result');
    expect(await result.getAttribute('data-file-name')).toBe('inventory-after-diff-report.html');
    expect(await result.innerText()).toContain('Downloaded inventory-after-diff-report.html');
    expect(Number(await result.getAttribute('data-bytes'))).toBe(readFileSync(path).length);
    await shot(page, 'done');
    await page.getByTestId('export-close').click();
  });

  it('the exported file opens offline, draws its flame graphs and shows the same top site', async () => {
    const { report, requests } = await openOffline(join(SHOTS, 'export-report.html'));
    try {
      // The diff the app showed: same leading site, same Δ, same total change.
      const row = report.locator('#diff-table tbody tr').first();
      expect(await row.locator('td.loc').innerText()).toContain(app.site);
      expect(Number(await row.locator('td[data-bytes]').getAttribute('data-bytes'))).toBe(app.sizeDiff);
      const data = JSON.parse((await report.locator('#hs-data').textContent()) ?? '{}') as {
        diff: { base: { totalBytes: number }; target: { totalBytes: number } };
        frozen: { baseline?: string };
      };
      expect(data.diff.target.totalBytes - data.diff.base.totalBytes).toBe(app.delta);
      expect(data.frozen.baseline).toBe('inventory-before.pickle.gz');
      expect(await report.locator('#facts').innerText()).toContain('inventory-before.pickle.gz');
      // The summary's top site is the report's top site.
      expect(await report.locator('#top-sites tbody tr').first().locator('td.loc').innerText()).toContain(
        app.topFile,
      );
      // Both flame graphs are drawn.
      expect(Number(await report.locator('#diff-flame canvas').getAttribute('data-nodes'))).toBeGreaterThan(
        1,
      );
      expect(
        Number(await report.locator('#flame canvas').first().getAttribute('data-nodes')),
      ).toBeGreaterThan(1);
      expect(requests).toEqual([]);
      await shot(report, 'report');
    } finally {
      await harness.context.setOffline(false);
      await report.close();
    }
  });

  it('exports speedscope and CSV from the app as well', async () => {
    const oracle = JSON.parse(
      readFileSync(resolve(ROOT, 'test/fixtures/tracemalloc/py312/inventory-after.oracle.json'), 'utf8'),
    ) as { total_size: number };
    const speedscope = await exportVia('speedscope', 'export-after.speedscope.json');
    expect(speedscope.download.suggestedFilename()).toBe('inventory-after.speedscope.json');
    await page.getByTestId('export-close').click();
    const file = JSON.parse(readFileSync(speedscope.path, 'utf8')) as { profiles: { weights: number[] }[] };
    expect(file.profiles[0].weights.reduce((a, b) => a + b, 0)).toBe(oracle.total_size);

    const csv = await exportVia('csv', 'export-after-diff.csv');
    await page.getByTestId('export-close').click();
    const text = readFileSync(csv.path, 'utf8');
    expect(text).toMatch(/^# sites\n/);
    // The baseline is on, so the diff rows come along, led by the app's top row.
    const diffBlock = text.slice(text.indexOf('# diff\n') + '# diff\n'.length).split('\n\n')[0];
    const rows = Papa.parse<Record<string, string>>(diffBlock, { header: true, skipEmptyLines: true }).data;
    expect(Number(rows[0].size_diff)).toBe(app.sizeDiff);
    expect(`${rows[0].file}:${rows[0].line}`).toBe(app.site);
  });

  it('saves a PNG of a chart on the view', async () => {
    await page.getByTestId('export-button').click();
    const png = page.getByTestId('export-png-0');
    await png.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), png.click()]);
    expect(download.suggestedFilename()).toMatch(/^inventory-after-.+\.png$/);
    const path = join(SHOTS, 'export-chart.png');
    await download.saveAs(path);
    const bytes = readFileSync(path);
    // PNG signature, and more than an empty canvas.
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeGreaterThan(5000);
    // Esc closes the dialog (and is not also taken by the view underneath).
    await page.keyboard.press('Escape');
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  });

  it('a capture with <script> in its function names exports an inert, redacted report', async () => {
    await activate('evil-names.hwm.csv');
    await page.getByTestId('tab-summary').click();
    await page.getByTestId('top-site').first().waitFor({ timeout: 30_000 });
    // The baseline chosen earlier stays chosen; this report is about the capture alone.
    const { path, download } = await exportVia('html', 'export-evil-report.html', {
      redact: true,
      withBaseline: false,
    });
    expect(download.suggestedFilename()).toBe('evil-names-report.html');
    expect(await page.getByTestId('export-frozen-baseline').innerText()).toBe('none');
    await page.getByTestId('export-close').click();
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/\/home\/alice/);
    const { report, requests } = await openOffline(path);
    try {
      const errors: string[] = [];
      report.on('pageerror', (e) => errors.push(e.message));
      expect(await report.title()).toBe('Heapscope report: evil-names.hwm.csv');
      // The name is shown as text, not run as markup.
      expect(await report.locator('#top-sites tbody tr').first().locator('td.loc').innerText()).toContain(
        HOSTILE,
      );
      expect(await report.locator('#top-sites img').count()).toBe(0);
      expect(await report.locator('script').count()).toBe(2);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await shot(report, 'evil-report');
    } finally {
      await harness.context.setOffline(false);
      await report.close();
    }
  });

  it('freezes the thread, snapshot and filters chosen in the app into the report', async () => {
    await activate('threads.bin');
    await page.getByTestId('tab-summary').click();
    await page.getByTestId('top-site').first().waitFor({ timeout: 30_000 });
    const thread = page.getByTestId('thread-select');
    const option = thread.locator('option').nth(2);
    const [threadId, threadLabel] = [await option.getAttribute('value'), (await option.innerText()).trim()];
    await thread.selectOption(threadId!);
    await page.getByTestId('snapshot-select').selectOption('leaks');
    await page.getByTestId('filter-hide-imports').click();

    await page.getByTestId('export-button').click();
    expect(await page.getByTestId('export-frozen-threads').innerText()).toBe(threadLabel);
    expect(await page.getByTestId('export-frozen-snapshot').innerText()).toBe('leaks (alive at the end)');
    expect(await page.getByTestId('export-frozen-filters').innerText()).toContain(
      'import-system frames hidden',
    );
    await page.keyboard.press('Escape');
    const { path } = await exportVia('html', 'export-threads-report.html', { withBaseline: false });
    await page.getByTestId('export-close').click();
    const html = readFileSync(path, 'utf8');
    const data = JSON.parse(
      /<script type="application\/json" id="hs-data">([\s\S]*?)<\/script>/.exec(html)![1],
    ) as {
      frozen: {
        snapshot: string;
        threads?: string[];
        filter: { threads?: number[]; hideImportSystem?: boolean };
      };
      flames: { id: string; tree: { totalBytes: number } }[];
    };
    expect(data.frozen.snapshot).toBe('leaks (alive at the end)');
    expect(data.frozen.threads).toEqual([threadLabel]);
    expect(data.frozen.filter).toMatchObject({ threads: [Number(threadId)], hideImportSystem: true });
    expect(data.flames[0].id).toBe('leaks');

    const { report } = await openOffline(path);
    try {
      const facts = await report.locator('#facts').innerText();
      expect(facts).toContain(threadLabel);
      expect(facts).toContain('import-system frames hidden');
      await shot(report, 'threads-report');
    } finally {
      await harness.context.setOffline(false);
      await report.close();
    }
    expect(harness.pageErrors).toEqual([]);
  });
});
