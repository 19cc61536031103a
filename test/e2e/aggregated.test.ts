// An --aggregate capture (memray's own `stats` refuses it) opens with what it holds, and the app
// does not invent an allocation history it does not have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Papa from 'papaparse';
import { ROOT, startHarness, type Harness } from './harness';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v13-memray1.20.0-py313');

/** Σ size of memray's `transform csv` rows: the bytes alive at the high-water mark (or at the end). */
function csvTotal(name: string): number {
  const text = gunzipSync(readFileSync(join(DIR, name))).toString('utf8');
  const rows = Papa.parse<{ size: string }>(text, { header: true, skipEmptyLines: true }).data;
  return rows.reduce((sum, row) => sum + Number(row.size), 0);
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [join(DIR, 'basic-aggregate.bin')] });
});
afterAll(async () => {
  await h?.close();
});

describe('aggregated memray capture', () => {
  it("shows memray's high-water mark and leaks, and no made-up totals", async () => {
    await h.page.goto(h.baseUrl);
    // A locator rather than a string predicate: the app's CSP forbids eval.
    await h.page.locator('[data-testid=summary-peak][data-value]').waitFor({ timeout: 30_000 });
    const value = async (id: string) => Number(await h.page.getByTestId(id).getAttribute('data-value'));
    expect(await value('summary-peak')).toBe(csvTotal('basic-aggregate.hwm.csv.gz'));
    expect(await value('summary-leaked')).toBe(csvTotal('basic-aggregate.leaks.csv.gz'));
    expect(await h.page.getByTestId('summary-total-allocated').innerText()).toBe('—');
    await h.page.getByText('not recorded in an aggregated capture').waitFor();
    await h.screenshot('aggregated-summary');
    expect(h.pageErrors).toEqual([]);
  });
});
