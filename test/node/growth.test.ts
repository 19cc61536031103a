import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../main/formats/memray/index';
import type { MemrayModel } from '../../main/model/memray/model';
import { handlers } from '../../main/engine/handlers';
import { rankGrowth } from '../../main/query/growth';
import { encodeCapture, frameLine } from '../generator/memray-capture';
import { CODES, leakAndCache, type Built } from '../generator/growth-program';

/**
 * Leak suspects by growth, against an independent brute force: a generated capture with a
 * steady leak at one site, a cache that fills and then only replaces entries at another, and
 * churn at a third. The test replays the program's own events per site (live bytes after each
 * memory record) and fits the slope itself; the model's time index and the growth query must
 * give the same numbers.
 */

const tmp = mkdtempSync(join(tmpdir(), 'heapscope-growth-'));
const MIN = 60_000;

/** Least squares written out again, over the brute-force series (x in minutes). */
function bruteFit(timeMs: number[], y: number[]): { slope: number; r2: number; share: number } {
  const x = timeMs.map((t) => t / MIN);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  let up = 0;
  for (let i = 1; i < n; i++) if (y[i] > y[i - 1]) up++;
  return { slope: sxy / sxx, r2: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy), share: up / (n - 1) };
}

async function open(built: Built, name: string): Promise<MemrayModel> {
  const path = join(tmp, `${name}.bin`);
  writeFileSync(path, encodeCapture(built.program));
  return (await loadMemrayModel(path, {})) as MemrayModel;
}

describe('leak suspects by growth', () => {
  for (const version of [10, 12, 13] as const) {
    it(`v${version}: the model's series and fit equal a brute force over the program`, async () => {
      const built = leakAndCache(version, 180, 1000);
      const m = await open(built, `growth-v${version}`);
      const series = m.growthSeries();
      expect(series).toBeDefined();
      expect(Array.from(series!.timeMs)).toEqual(built.timeMs);
      const result = rankGrowth(series!, 10);
      for (const code of CODES) {
        const line = frameLine(version, code, { code: code.id, offset: 0, entry: true });
        const site = series!.sites.find((s) => s.function === code.name);
        expect(site, code.name).toBeDefined();
        expect([site!.file, site!.line]).toEqual([code.file, line]);
        expect(Array.from(site!.live)).toEqual(built.live.get(code.id));
        const want = bruteFit(built.timeMs, built.live.get(code.id)!);
        const got = result.sites.find((s) => s.function === code.name);
        if (code.id === 3) {
          // churn holds nothing at any memory record: no site to rank
          expect(got).toBeUndefined();
          continue;
        }
        expect(got!.slopeBytesPerMin).toBeCloseTo(want.slope, 6);
        expect(got!.rSquared).toBeCloseTo(want.r2, 9);
        expect(got!.growthShare).toBeCloseTo(want.share, 12);
      }
      const [first, second] = result.sites;
      expect(first.function).toBe('leaky_handler');
      expect(first.verdict).toBe('growing');
      // ~65 kB per second: 3.9 MB/min
      expect(first.slopeBytesPerMin / 1e6).toBeCloseTo(3.9, 1);
      expect(first.growthShare).toBe(1);
      expect(second.function).toBe('lru_cache_fill');
      expect(second.verdict).toBe('flat');
      expect(second.confidence).toBeLessThan(0.1);
      expect(first.sparkline.length).toBeLessThanOrEqual(64);
      expect(first.sparkline.at(-1)).toBe(built.live.get(1)!.at(-1));
    });
  }

  it('coarse buckets: neighbours merge, the series still equals the brute force at their ends', async () => {
    const built = leakAndCache(12, 300, 500);
    const m = await open(built, 'growth-points');
    const series = m.growthSeries({ maxPoints: 50 })!;
    expect(series.timeMs.length).toBe(50);
    for (let i = 0; i < series.timeMs.length; i++) {
      const record = built.timeMs.indexOf(series.timeMs[i]);
      expect(record).toBeGreaterThanOrEqual(0);
      const leak = series.sites.find((s) => s.function === 'leaky_handler')!;
      expect(leak.live[i]).toBe(built.live.get(1)![record]);
    }
  });

  it('findings: a steady leak is a suspect, a large flat cache is told apart', async () => {
    const built = leakAndCache(12, 180, 1000);
    const m = await open(built, 'growth-findings');
    const summary = handlers.summary(m, {}, { captureId: 'x' });
    const steady = summary.findings.find((f) => f.code === 'steady-growth');
    const flat = summary.findings.find((f) => f.code === 'large-but-flat');
    expect(steady?.text).toMatch(
      /^leaky_handler at \/srv\/gen\/app\.py:\d+ grows by 3\.9\d? MB\/min, growing in 100% of the run/,
    );
    expect(flat?.text).toMatch(
      /^lru_cache_fill at \/srv\/gen\/cache\.py:\d+ holds up to 2(\.0+)? MB but stays flat/,
    );
    const result = handlers.growth(m, { limit: 5 }, { captureId: 'x' });
    expect(result.sites[0].function).toBe('leaky_handler');
  });

  it('a flat capture has no growth suspect', async () => {
    const built = leakAndCache(12, 120, 1000, 0);
    const m = await open(built, 'growth-flat');
    const summary = handlers.summary(m, {}, { captureId: 'x' });
    expect(summary.findings.map((f) => f.code)).not.toContain('steady-growth');
    expect(summary.findings.map((f) => f.code)).toContain('large-but-flat');
  });
});
