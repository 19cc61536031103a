// Smoke: `heapscope serve` serves the renderer, the app mounts, and it reaches the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ files: [join(ROOT, 'test', 'fixtures', 'scalene', 'leak.json')] });
});

afterAll(async () => {
  await h?.close();
});

describe('browser mode smoke', () => {
  it('serves the page on loopback and the Vue app mounts without errors', async () => {
    expect(h.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const response = await h.page.goto(h.baseUrl);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    // Mounted: Vue replaced the empty #app with the app's own elements.
    // A locator, not a string predicate: the page's CSP forbids the eval one needs.
    await h.page.locator('#app > *').first().waitFor({ state: 'attached', timeout: 30_000 });
    // The capture opened by `serve` reaches the page through the HTTP transport (list + SSE).
    await h.page.getByText('leak.json').first().waitFor({ timeout: 30_000 });
    await h.screenshot('smoke-mounted');
    expect(h.pageErrors).toEqual([]);
  });

  it('the page reaches the engine over HTTP: the capture opened at start is listed', async () => {
    const names = await h.page.evaluate(async () => {
      // The page's own token, from its address, as the renderer's transport sends it.
      const token = new URLSearchParams(location.search).get('token') ?? '';
      for (let i = 0; i < 100; i++) {
        const res = await fetch('/api/list', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Heapscope-Token': token },
          body: '[]',
        });
        const list = (await res.json()) as { facts: { fileName: string } }[];
        if (list.length > 0) return list.map((c) => c.facts.fileName);
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    });
    expect(names).toContain('leak.json');
  });
});
