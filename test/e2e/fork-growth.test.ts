// Leak suspects by growth for a --follow-fork parent merged with its child (issue 15 §2 for
// merged captures): the growth panel ranks every process's sites on one clock; at the merged
// capture's end only the processes still running hold bytes, each site as memray's leaks CSV
// of that process has it. Screenshot: test-results/fork-merged-growth.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseCsv } from '../../main/formats/memray/oracles';
import { ROOT, startHarness, type Harness } from './harness';

const DIR = join(ROOT, 'test', 'fixtures', 'memray', 'v12-memray1.19.3-py311');
const gz = (name: string) => gunzipSync(readFileSync(join(DIR, name))).toString('utf8');
/** The epoch ms of a dump's start and of its last memory record. */
function span(dump: string): [number, number] {
  const records = [...dump.matchAll(/^MEMORY_RECORD time=(\d+)/gm)].map((m) => Number(m[1]));
  return [Number(/ start_time=(\d+)/.exec(dump)![1]), records[records.length - 1]];
}
function leaksBySite(csv: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of parseCsv(csv)) {
    const [fn, file, line] = row.stack_trace.split('|')[0].split(';');
    out.set(`${fn} ${file}:${line}`, (out.get(`${fn} ${file}:${line}`) ?? 0) + Number(row.size));
  }
  return out;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ files: [join(DIR, 'fork.bin')], viewport: { width: 1400, height: 900 } });
});
afterAll(async () => {
  await h?.close();
});

describe('growth of a merged --follow-fork capture', () => {
  it('ranks the sites of both processes; at the end each holds what memray’s leaks CSV says', async () => {
    const parent = span(gz('fork.parse.txt.gz'));
    const child = span(gz('fork.bin.15708.parse.txt.gz'));
    // the child has exited before the parent's last memory record: at the end only the parent holds
    expect(child[1]).toBeLessThan(parent[1]);
    const leaks = leaksBySite(gz('fork.leaks.csv.gz'));

    await h.page.goto(h.baseUrl);
    await h.page.getByTestId('open-with-children').click();
    await h.page.getByText('fork.bin + 1 fork child').first().waitFor({ timeout: 30_000 });
    const panel = h.page.getByTestId('summary-growth');
    await panel.waitFor({ timeout: 30_000 });
    expect(await h.page.getByTestId('growth-note').innerText()).toMatch(
      /every process's sites on one clock, summed over the processes running at each moment/,
    );
    const rows = h.page.getByTestId('growth-site');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const site = `${await row.getAttribute('data-function')} ${await row.locator('td.loc').innerText()}`;
      expect(Number(await row.getAttribute('data-final-bytes')), site).toBe(leaks.get(site) ?? 0);
    }
    await panel.scrollIntoViewIfNeeded();
    await h.screenshot('fork-merged-growth');
    expect(h.pageErrors).toEqual([]);
  });
});
