/**
 * Settings › Symbols in a real browser (issue 17): two `--native` captures of a service whose
 * libfoo.so is not on this machine at the recorded path (built here from C, stripped, its debug
 * file in a build-id tree; test/generator/native-fixture.ts). With the sysroot and the debug
 * folder set in the panel, the flamegraph, the table and the diff name its functions with their
 * source lines, and the Summary says what symbolization found. Oracles: the function names nm
 * lists, the lines of the C source, the bytes the captures were written with.
 * Screenshots go to test-results/symbols-*.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SHOTS, startHarness, type Harness } from './harness';
import { buildNativeFixture, NATIVE_SOURCE_LINES, type NativeFixture } from '../generator/native-fixture';
import { findLineTool } from '../../main/symbols/lines';

/** The server finds lines only where a line tool is installed (llvm-symbolizer, addr2line). */
const LINES = findLineTool() !== null;
const ROW = 18;

let dir: string;
let fx: NativeFixture;
let harness: Harness;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `symbols-${name}.png`) });
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heapscope-e2e-symbols-'));
  fx = buildNativeFixture(dir);
  // The folder named on `serve`: its captures may be opened, its folders searched for symbols.
  harness = await startHarness({ argv: ['serve', dir, '--port', '0'] });
  page = harness.page;
  await page.goto(harness.baseUrl);
});

afterAll(async () => {
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Settings › Symbols', () => {
  it('takes a sysroot and a debug folder, and captures opened then are symbolised with them', async () => {
    await page.getByTestId('symbols-button').click();
    const panel = page.getByTestId('symbols-panel');
    await panel.waitFor();
    await page.getByTestId('symbols-sysroots').fill(fx.sysroot);
    await page.getByTestId('symbols-debug-dirs').fill(fx.debugDir);
    await shot('panel');
    await page.getByTestId('symbols-save').click();
    await expect.poll(() => panel.count()).toBe(0);

    await openByPath(fx.before);
    await waitReady('service-before.bin');
    await openByPath(fx.after);
    await waitReady('service-after.bin');
    await page.getByTestId('capture-tab').filter({ hasText: 'service-after.bin' }).click();
  });

  it('the flamegraph names the library’s functions, the static one from the debug file, with lines', async () => {
    await page.getByTestId('tab-flamegraph').click();
    const chart = page.getByTestId('flame-chart');
    await chart.waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => Number(await chart.getAttribute('data-rects')), { timeout: 30_000 })
      .toBeGreaterThan(1);
    // Searching by name finds the static function: its bytes are what the capture gave it.
    await page.getByTestId('flame-search').fill('scale_buffer');
    const share = page.getByTestId('flame-share');
    await share.waitFor({ timeout: 10_000 });
    expect(Number(await share.getAttribute('data-bytes'))).toBe(fx.bytes.after.scale_buffer);
    await page.getByTestId('flame-search').fill('');

    // The heaviest path is leftmost: all, <module>, rebuild_index, libgone.so.3+0x1234, foo_grow, scale_buffer.
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 5 * ROW + ROW / 2);
    const tip = page
      .locator('div')
      .filter({ hasText: /^scale_buffer/ })
      .last();
    await tip.waitFor({ timeout: 10_000 });
    const text = await tip.innerText();
    if (LINES) expect(text).toMatch(new RegExp(`foo\\.c:${NATIVE_SOURCE_LINES.scale_buffer}\\b`));
    expect(text).toContain('libfoo.so');
    await shot('flamegraph');
    await page.mouse.move(box.x + 30, box.y + box.height + 200);
  });

  it('the table shows the native rows by name and source line', async () => {
    await page.getByTestId('tab-table').click();
    const row = page.getByTestId('table-row').filter({ hasText: 'service::handle(unsigned long)' });
    await row.first().waitFor({ timeout: 30_000 });
    const named = page.getByTestId('table-row').filter({ hasText: 'foo_alloc' }).first();
    expect(Number(await named.getAttribute('data-own-bytes'))).toBe(fx.bytes.after.foo_alloc);
    if (LINES)
      expect(await named.getByTestId('table-location').innerText()).toContain(
        `foo.c:${NATIVE_SOURCE_LINES.foo_alloc} (libfoo.so)`,
      );
  });

  it('the diff against the other capture names the grown native site and its line', async () => {
    await page.getByTestId('tab-diff').click();
    await page.getByTestId('diff-baseline').selectOption({ label: 'service-before.bin' });
    const first = page.getByTestId('diff-row').first();
    await first.waitFor({ timeout: 30_000 });
    const grown = page.getByTestId('diff-row').filter({ hasText: 'scale_buffer' }).first();
    expect(await grown.getAttribute('data-status')).toBe('grown');
    expect(Number(await grown.getAttribute('data-size-diff'))).toBe(
      fx.bytes.after.scale_buffer - fx.bytes.before.scale_buffer,
    );
    if (LINES) expect(await grown.innerText()).toContain(`foo.c:${NATIVE_SOURCE_LINES.scale_buffer}`);
    // Nothing stays library+offset in the library the debug file covers.
    expect(await page.getByTestId('diff-row').filter({ hasText: 'libfoo.so+0x' }).count()).toBe(0);
    await shot('diff');
  });

  it('the Summary’s sites stay Python locations (memray’s rule) and it says what was resolved', async () => {
    await page.getByTestId('tab-summary').click();
    const sites = page.getByTestId('top-site');
    await sites.first().waitFor({ timeout: 30_000 });
    expect(await sites.first().innerText()).toMatch(/rebuild_index[\s\S]*service(\.py)?:41/);
    const note = page.getByTestId('summary-symbols');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.innerText()).toMatch(/1 of 2 objects named/);
    expect(await note.innerText()).toMatch(/not found: libgone\.so\.3/);
    await shot('summary');
    expect(harness.pageErrors).toEqual([]);
  });
});
