/**
 * Views that never mislead (issue 12). The Summary cards and the Timeline take no thread or frame
 * filter: while one is set in the toolbar they say so, and say nothing once it is cleared. The
 * size histogram's legend names pymalloc only for a capture memray's own stats say traced it
 * (`trace_python_allocators`, PYMALLOC_* allocators): basic.bin was recorded without
 * --trace-python-allocators, pymalloc.bin with it. Screenshots: test-results/process-wide-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHarness, waitForCaptures, type Harness } from './harness';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const THREADS = join(DIR, 'threads.bin');
const BASIC = join(DIR, 'basic.bin');
const PYMALLOC = join(DIR, 'pymalloc.bin');

/** What memray's own `stats --json` says about Python allocator tracing. */
function tracedPymalloc(bin: string): boolean {
  const stats = JSON.parse(readFileSync(bin.replace(/\.bin$/, '.stats.json'), 'utf8')) as {
    allocator_type_distribution: Record<string, number>;
    metadata: { trace_python_allocators: boolean };
  };
  const pymallocCalls = Object.keys(stats.allocator_type_distribution).some((k) => k.startsWith('PYMALLOC_'));
  // the two oracles agree; either alone would do
  expect(pymallocCalls).toBe(stats.metadata.trace_python_allocators);
  return stats.metadata.trace_python_allocators;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [THREADS, BASIC, PYMALLOC] });
  await h.page.goto(h.baseUrl);
  await waitForCaptures(h, ['threads.bin', 'basic.bin', 'pymalloc.bin']);
});
afterAll(async () => {
  await h?.close();
});

async function activate(text: string): Promise<void> {
  await h.page.getByTestId('capture-tab').filter({ hasText: text }).first().locator('button.name').click();
}

async function noteCount(): Promise<number> {
  return h.page.getByTestId('process-wide-note').count();
}

describe('process-wide views say so while filters are set', () => {
  it('shows the note on Summary and Timeline with a thread selected, and drops it when cleared', async () => {
    await activate('threads.bin');
    const page = h.page;
    await page.getByTestId('tab-summary').click();
    await page.getByTestId('summary-peak').waitFor();
    expect(await noteCount()).toBe(0);

    const thread = page.getByTestId('thread-select');
    const option = thread.locator('option').nth(2);
    const threadLabel = (await option.innerText()).trim();
    await thread.selectOption((await option.getAttribute('value'))!);
    const summaryNote = page.getByTestId('summary-view').getByTestId('process-wide-note');
    await summaryNote.waitFor();
    expect(await summaryNote.innerText()).toContain(threadLabel);
    expect(await summaryNote.innerText()).toContain('Process-wide');
    await h.screenshot('process-wide-summary');

    await page.getByTestId('tab-timeline').click();
    const timelineNote = page.getByTestId('timeline-view').getByTestId('process-wide-note');
    await timelineNote.waitFor();
    expect(await timelineNote.innerText()).toContain(threadLabel);
    await h.screenshot('process-wide-timeline');

    await thread.selectOption('all');
    await expect.poll(noteCount).toBe(0);
    await page.getByTestId('tab-summary').click();
    await page.getByTestId('summary-peak').waitFor();
    expect(await noteCount()).toBe(0);

    // a frame filter too (Python only is off without native traces): it moves bytes to other frames
    await page.getByTestId('filter-hide-imports').click();
    await summaryNote.waitFor();
    expect(await summaryNote.innerText()).toContain('Hide imports');
    await page.getByTestId('filter-hide-imports').click();
    await expect.poll(noteCount).toBe(0);
    expect(h.pageErrors).toEqual([]);
  });
});

describe('the size histogram names pymalloc only when the capture traced it', () => {
  for (const [bin, name] of [
    [BASIC, 'basic.bin'],
    [PYMALLOC, 'pymalloc.bin'],
  ] as const) {
    it(`follows memray's stats for ${name}`, async () => {
      const traced = tracedPymalloc(bin);
      await activate(name);
      await h.page.getByTestId('tab-allocators').click();
      const legend = h.page.getByTestId('histogram-legend');
      await legend.waitFor({ timeout: 30_000 });
      await expect.poll(() => legend.getAttribute('data-pymalloc')).toBe(String(traced));
      const text = await legend.innerText();
      if (traced) {
        expect(text).toContain("served by pymalloc's arenas");
      } else {
        expect(text).not.toContain("served by pymalloc's");
        expect(text).toContain('pymalloc was not traced in this capture');
      }
      await h.screenshot(`process-wide-histogram-${name.replace('.bin', '')}`);
    });
  }
});
