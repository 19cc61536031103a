// A --follow-fork parent opens on its own and, on request, together with its child as one capture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHarness, type Harness } from './harness';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const oraclePeak = (name: string): number =>
  JSON.parse(readFileSync(join(DIR, `${name}.stats.json`), 'utf8')).metadata.peak_memory;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [join(DIR, 'fork.bin')] });
});
afterAll(async () => {
  await h?.close();
});

describe('fork children', () => {
  it('offers to open the parent with its child; the merged peak is the highest sum at one moment', async () => {
    await h.page.goto(h.baseUrl);
    const peak = h.page.getByTestId('summary-peak');
    // Locators and polling rather than string predicates: the app's CSP forbids eval.
    await h.page.locator('[data-testid=summary-peak][data-value]').waitFor({ timeout: 30_000 });
    expect(Number(await peak.getAttribute('data-value'))).toBe(oraclePeak('fork'));

    await h.page.getByTestId('open-with-children').click();
    await h.page.getByText('fork.bin + 1 fork child').first().waitFor({ timeout: 30_000 });
    // The processes peak at different moments: the card is below the sum of their own peaks,
    // which is shown beside it (the exact merged value is checked in peak.test.ts).
    const sumOfPeaks = oraclePeak('fork') + oraclePeak('fork.bin.15708');
    const sum = h.page.getByTestId('summary-sum-of-peaks');
    await expect
      .poll(async () => Number(await sum.getAttribute('data-value')), { timeout: 30_000 })
      .toBe(sumOfPeaks);
    const merged = Number(await peak.getAttribute('data-value'));
    expect(merged).toBeLessThan(sumOfPeaks);
    expect(merged).toBeGreaterThanOrEqual(Math.max(oraclePeak('fork'), oraclePeak('fork.bin.15708')));
    // The merged capture does not offer merging again, and names each process's threads.
    expect(await h.page.getByTestId('open-with-children').count()).toBe(0);
    expect(await h.page.getByTestId('summary-facts').innerText()).toMatch(/pid \d+ · 0x1/);
    await h.screenshot('fork-merged');
    expect(h.pageErrors).toEqual([]);
  });
});
