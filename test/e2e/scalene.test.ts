// Browser mode on a Scalene profile: leak.json opens and the summary shows Scalene's leak hint on
// line 9 (MANIFEST: leak line 9, likelihood 0.98), with the peak from max_footprint_mb.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHarness, type Harness } from './harness';

const LEAK = join(ROOT, 'test', 'fixtures', 'scalene', 'leak.json');
/** Read from the fixture itself, so the expectation is the profile's number, not ours. */
const PROFILE = JSON.parse(readFileSync(LEAK, 'utf8')) as {
  max_footprint_mb: number;
  memory_stacks: [unknown[], number][];
  files: Record<string, { lines: { lineno: number; n_malloc_mb: number }[] }>;
};
const MIB = 1024 * 1024;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ files: [LEAK] });
  await h.page.goto(h.baseUrl);
});

afterAll(async () => {
  await h?.close();
});

describe('Scalene profile in browser mode', () => {
  it('opens leak.json and shows the leak suspect on line 9 as Scalene’s hint', async () => {
    const { page } = h;
    const tab = page.getByTestId('capture-tab').filter({ hasText: 'leak.json' });
    await tab.waitFor({ timeout: 60_000 });
    await expect.poll(() => tab.getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');
    await tab.click();
    if (await page.getByTestId('tab-summary').isVisible()) await page.getByTestId('tab-summary').click();

    const leak = page.locator('[data-testid=finding][data-code=scalene-leak]');
    await leak.first().waitFor({ timeout: 30_000 });
    expect(await leak.count()).toBe(1);
    const text = await leak.first().innerText();
    expect(text).toContain('leak.py:9');
    expect(text).toMatch(/Scalene's hint/);
    expect(text).toMatch(/likelihood 98%/);

    const peak = page.getByTestId('summary-peak');
    await expect.poll(() => peak.getAttribute('data-value'), { timeout: 30_000 }).not.toBeNull();
    expect(Number(await peak.getAttribute('data-value'))).toBeCloseTo(PROFILE.max_footprint_mb * MIB, 0);
    await h.screenshot('scalene-leak-summary');
    expect(h.pageErrors).toEqual([]);
  });

  it('draws the memory flamegraph from memory_stacks: its root is their MB sum', async () => {
    const { page } = h;
    await page.getByTestId('tab-flamegraph').click();
    const chart = page.getByTestId('flame-chart');
    await chart.waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => Number(await chart.getAttribute('data-rects')), { timeout: 30_000 })
      .toBeGreaterThan(1);
    const expected = PROFILE.memory_stacks.reduce((a, s) => a + s[1], 0) * MIB;
    // Whole bytes: each stack's MB (6 decimals) rounds to the nearest byte.
    await expect
      .poll(
        async () =>
          Math.abs(Number(await page.getByTestId('flame-total').getAttribute('data-bytes')) - expected),
        { timeout: 30_000 },
      )
      .toBeLessThanOrEqual(PROFILE.memory_stacks.length);
    await h.screenshot('scalene-leak-flamegraph');
    expect(h.pageErrors).toEqual([]);
  });
});

describe('heapscope stats on a Scalene profile', () => {
  it('--json gives format "scalene", peakMemory in bytes and topBySize by line', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'heapscope.js'), 'stats', LEAK, '--json'], {
      encoding: 'utf8',
    });
    const stats = JSON.parse(out) as {
      format: string;
      peakMemory: number;
      topBySize: { location: string; bytes: number }[];
    };
    expect(stats.format).toBe('scalene');
    expect(stats.peakMemory).toBeCloseTo(PROFILE.max_footprint_mb * MIB, 0);
    const [file, f] = Object.entries(PROFILE.files)[0];
    const byLine = [...f.lines]
      .filter((l) => l.n_malloc_mb > 0)
      .sort((a, b) => b.n_malloc_mb - a.n_malloc_mb);
    expect(stats.topBySize.map((t) => t.location)).toEqual(byLine.map((l) => `${file}:${l.lineno}`));
    expect(stats.topBySize[0].location).toMatch(/leak\.py:9$/);
    expect(Math.abs(stats.topBySize[0].bytes - byLine[0].n_malloc_mb * MIB)).toBeLessThanOrEqual(1);
  });
});
