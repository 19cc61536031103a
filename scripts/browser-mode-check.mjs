// `node scripts/browser-mode-check.mjs URL NAME`: loads the URL that `npm start` / `heapscope serve`
// printed (with whatever secret it carries) in Debian's Chromium and waits until a capture tab named
// NAME has finished loading, as a person opening the link would see it. Used by .ci/fresh-clone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, name] = process.argv.slice(2);
if (!url || !name) {
  process.stderr.write('usage: node scripts/browser-mode-check.mjs URL CAPTURE-NAME\n');
  process.exit(2);
}

const page = await fetch(url);
if (!page.ok) throw new Error(`GET ${url}: HTTP ${page.status}`);
if (!/<title>Heapscope<\/title>/.test(await page.text())) throw new Error(`GET ${url}: not the app's page`);

const profile = mkdtempSync(join(tmpdir(), 'heapscope-check-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  headless: true,
});
try {
  const tab = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto(url);
  const ready = tab.locator('[data-testid=capture-tab][data-status=ready]').filter({ hasText: name });
  await ready.waitFor({ timeout: 60_000 });
  const tabs = await tab.locator('[data-testid=capture-tab] button:first-child').allTextContents();
  if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
  process.stdout.write(`browser mode shows ${tabs.map((t) => t.replace(/\s+/g, ' ').trim()).join(', ')}\n`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
