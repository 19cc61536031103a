/**
 * The diff view in a real browser against browser mode: pick a baseline, see grown / shrunk /
 * new / gone rows whose numbers equal the CLI's `diff --json` (tracemalloc compare_to
 * semantics), swap, and two moments of one memray capture against `diff --from --to`.
 * Screenshots go to test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, SHOTS, startHarness, type Harness, waitForCaptures } from './harness';

const BEFORE = resolve(ROOT, 'test/fixtures/tracemalloc/py312/inventory-before.pickle.gz');
const AFTER = resolve(ROOT, 'test/fixtures/tracemalloc/py312/inventory-after.pickle.gz');
const MEMRAY = resolve(ROOT, 'test/fixtures/memray/v12-memray1.19.3-py311/basic.bin');

interface CliDiff {
  old: { totalSize: number; traceCount: number };
  new: { totalSize: number; traceCount: number };
  diff: {
    filename: string;
    lineno: number;
    size: number;
    sizeDiff: number;
    count: number;
    countDiff: number;
  }[];
}

function cli(args: string[]): CliDiff {
  const out = execFileSync(process.execPath, [resolve(ROOT, 'bin/heapscope.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as CliDiff;
}

let harness: Harness;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `diff-${name}.png`), fullPage: true });
}

async function delta(): Promise<number> {
  return Number(await page.getByTestId('diff-total-delta').getAttribute('data-bytes'));
}

async function activate(fileName: string): Promise<void> {
  await page.getByTestId('capture-tab').filter({ hasText: fileName }).click();
}

beforeAll(async () => {
  harness = await startHarness({ files: [BEFORE, AFTER, MEMRAY] });
  page = harness.page;
  await page.goto(harness.baseUrl);
  await waitForCaptures(harness, ['inventory-before.pickle.gz', 'inventory-after.pickle.gz', 'basic.bin']);
});

afterAll(async () => {
  await harness?.close();
});

describe('diff view', () => {
  it('compares the active capture with a chosen baseline, with the CLI numbers', async () => {
    await activate('inventory-after.pickle.gz');
    await page.getByTestId('tab-diff').click();
    await page.getByTestId('diff-hint').waitFor();
    await page.getByTestId('diff-baseline').selectOption({ label: 'inventory-before.pickle.gz' });
    await page.getByTestId('diff-row').first().waitFor({ timeout: 30_000 });

    const oracle = cli(['diff', BEFORE, AFTER, '--json', '--group-by', 'lineno']);
    expect(await delta()).toBe(oracle.new.totalSize - oracle.old.totalSize);
    // Rows are sorted by the size of the change, as compare_to sorts them.
    const top = oracle.diff.filter((d) => d.sizeDiff !== 0 || d.countDiff !== 0)[0];
    const first = page.getByTestId('diff-row').first();
    expect(Number(await first.getAttribute('data-size-diff'))).toBe(top.sizeDiff);
    expect(await first.innerText()).toContain(`${top.filename}:${top.lineno}`);

    // Every status has its tab; "new" rows have no base and "gone" rows no target.
    await page.getByTestId('diff-tab-new').click();
    const newRows = page.getByTestId('diff-row');
    expect(await newRows.count()).toBeGreaterThan(0);
    for (const status of await newRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))))
      expect(status).toBe('new');
    expect(await newRows.first().locator('td').last().innerText()).toBe('new');
    await page.getByTestId('diff-tab-gone').click();
    expect(await page.getByTestId('diff-row').first().getAttribute('data-status')).toBe('gone');
    await page.getByTestId('diff-tab-changed').click();

    await expect
      .poll(async () => Number(await page.getByTestId('diff-flame').getAttribute('data-rects')))
      .toBeGreaterThan(1);
    await shot('captures');

    // The diff flamegraph zooms on click and Esc zooms back out.
    const flame = page.getByTestId('diff-flame');
    const box = (await flame.boundingBox())!;
    await page.mouse.click(box.x + 6, box.y + 2 * 18 + 9);
    await expect.poll(async () => Number(await flame.getAttribute('data-zoom-root'))).toBeGreaterThan(0);
    // ECharts reuses elements across renders and once kept labels of the previous zoom on
    // rectangles too narrow for any: every label must sit on a rectangle wide enough for it.
    const labels = await flame.evaluate((el) => {
      type Drawn = {
        shape?: { width: number };
        getTextContent?: () => { ignore?: boolean; style: { text?: string } } | undefined;
      };
      const chart = (
        el as HTMLElement & {
          __flameChart?: { getZr(): { storage: { getDisplayList(u: boolean): Drawn[] } } };
        }
      ).__flameChart!;
      const out: { width: number; text: string }[] = [];
      for (const d of chart.getZr().storage.getDisplayList(true)) {
        const t = d.getTextContent?.();
        if (d.shape && t && !t.ignore && t.style.text) out.push({ width: d.shape.width, text: t.style.text });
      }
      return out;
    });
    expect(labels.length).toBeGreaterThan(0);
    for (const l of labels) expect(l.width, l.text).toBeGreaterThanOrEqual(20);
    await shot('captures-zoomed');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await expect.poll(async () => Number(await flame.getAttribute('data-zoom-root'))).toBe(0);
  });

  it('swap negates every delta', async () => {
    const before = await delta();
    const firstKey = await page.getByTestId('diff-row').first().innerText();
    const firstDiff = Number(await page.getByTestId('diff-row').first().getAttribute('data-size-diff'));
    await page.getByTestId('diff-swap').click();
    await expect.poll(delta, { timeout: 30_000 }).toBe(-before);
    // The same site leads (|Δ| is unchanged) with the opposite sign.
    const row = page.getByTestId('diff-row').first();
    await expect.poll(async () => Number(await row.getAttribute('data-size-diff'))).toBe(-firstDiff);
    expect((await row.innerText()).split('\t')[1]).toBe(firstKey.split('\t')[1]);
    await shot('swapped');
    await page.getByTestId('diff-swap').click();
    await expect.poll(delta, { timeout: 30_000 }).toBe(before);
  });

  it('groups by file and by traceback', async () => {
    await page.getByTestId('diff-groupby').selectOption('file');
    const oracle = cli(['diff', BEFORE, AFTER, '--json', '--group-by', 'filename']);
    const top = oracle.diff.filter((d) => d.sizeDiff !== 0 || d.countDiff !== 0)[0];
    await expect
      .poll(async () => Number(await page.getByTestId('diff-row').first().getAttribute('data-size-diff')), {
        timeout: 30_000,
      })
      .toBe(top.sizeDiff);
    await page.getByTestId('diff-groupby').selectOption('traceback');
    await expect.poll(() => page.getByTestId('diff-row').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.getByTestId('diff-groupby').selectOption('line');
  });

  it('two moments of one memray capture equal `diff --from --to`', async () => {
    await activate('basic.bin');
    await page.getByTestId('tab-diff').click();
    await page.getByTestId('diff-mode-moments').click();
    const t1 = 5;
    const t2 = 60;
    await page.getByTestId('diff-time-base').fill(String(t1));
    await page.getByTestId('diff-time-target').fill(String(t2));
    const oracle = cli(['diff', MEMRAY, '--from', String(t1), '--to', String(t2), '--json']);
    await expect.poll(delta, { timeout: 30_000 }).toBe(oracle.new.totalSize - oracle.old.totalSize);
    await page.getByTestId('diff-row').first().waitFor();
    // The header states the moments as chosen, in the inputs' unit (ms), like the CLI's text output.
    const sides = await page.getByTestId('diff-sides').innerText();
    expect(sides).toContain(`alive at ${t1} ms`);
    expect(sides).toContain(`alive at ${t2} ms`);
    const text = execFileSync(
      process.execPath,
      [resolve(ROOT, 'bin/heapscope.js'), 'diff', MEMRAY, '--from', String(t1), '--to', String(t2)],
      { encoding: 'utf8' },
    );
    expect(text.split('\n')[0]).toMatch(
      new RegExp(`^moments: old = alive at ${t1} ms.*; new = alive at ${t2} ms`),
    );
    await shot('moments');
    expect(harness.pageErrors).toEqual([]);
  });
});
