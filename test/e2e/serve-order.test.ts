/**
 * Issue 12 item 8: with several files named on `heapscope serve`, the tabs follow the command
 * line and the first file named is active, whichever file's facts reach the page first. The
 * Scalene profile is named first on purpose: it has no early header (its facts come only once
 * the whole JSON is read), so the memray capture's header reaches the page well before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ROOT, startHarness, type Harness, waitForCaptures } from './harness';

const SCALENE = resolve(ROOT, 'test/fixtures/scalene/small_objects.json');
const MEMRAY = resolve(ROOT, 'test/fixtures/memray/v12-memray1.19.3-py311/basic.bin');
const TRACEMALLOC = resolve(ROOT, 'test/fixtures/tracemalloc/py311/inventory-after.pickle.gz');
const NAMES = ['small_objects.json', 'basic.bin', 'inventory-after.pickle.gz'];

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ files: [SCALENE, MEMRAY, TRACEMALLOC] });
  await h.page.goto(h.baseUrl);
  await waitForCaptures(h, NAMES);
});

afterAll(async () => {
  await h?.close();
});

async function tabNames(): Promise<string[]> {
  return (await h.page.getByTestId('capture-tab').locator('button.name').allInnerTexts()).map((t) =>
    t.trim(),
  );
}

describe('files named on heapscope serve', () => {
  it('get their tabs in command-line order, and the first named is active', async () => {
    expect(await tabNames()).toEqual(NAMES);
    const active = h.page.locator('[data-testid=capture-tab].active');
    expect(await active.count()).toBe(1);
    expect((await active.locator('button.name').innerText()).trim()).toBe('small_objects.json');
    await h.screenshot('serve-order');
    expect(h.pageErrors).toEqual([]);
  });

  it('keep that order after a reload, when everything is already loaded', async () => {
    await h.page.reload();
    await waitForCaptures(h, NAMES);
    expect(await tabNames()).toEqual(NAMES);
    const active = h.page.locator('[data-testid=capture-tab].active button.name');
    expect((await active.innerText()).trim()).toBe('small_objects.json');
  });
});
