// Which Summary numbers each format has, through every presentation: a number a capture did not
// measure is null (never a made-up zero), and the CLI text, the app's and the report's cards
// (shared/present) and the findings all leave it out. Present numbers equal the profilers' own.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenRequest, Summary } from '../../shared/api';
import { summaryCards } from '../../shared/present';
import { Engine } from '../../main/engine/engine';
import { formatSummary } from '../../main/cli/text/summary';
import { requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const M = 'memray/v13-memray1.20.0-py313';
const json = <T>(rel: string): T => JSON.parse(readFileSync(requireFixture(rel), 'utf8')) as T;
type MemrayStats = {
  total_num_allocations: number;
  total_bytes_allocated: number;
  metadata: { peak_memory: number };
};

/** Σ size × count of a memray CSV export (its snapshot's total). */
function csvTotal(rel: string): number {
  const lines = gunzipSync(readFileSync(requireFixture(rel)))
    .toString('utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.reduce((a, l) => a + Number(l.split(',')[2]), 0);
}

let engine: Engine;
beforeAll(() => {
  requireBuilt();
  engine = new Engine({ workerUrl: WORKER_URL });
});
afterAll(() => engine.closeAll());

async function summaryOf(req: OpenRequest): Promise<Summary> {
  const info = await engine.open(req);
  return engine.summary({ captureId: info.id });
}

/** The presentations of one summary: CLI text lines and the cards' texts by id. */
function shown(summary: Summary) {
  const text = formatSummary(summary, 10);
  const cards = Object.fromEntries(summaryCards(summary.info, summary).map((c) => [c.id, c]));
  return { text, cards, codes: summary.findings.map((f) => f.code) };
}

describe('Summary numbers by format', () => {
  it('memray: every number, equal to memray stats', async () => {
    const s = await summaryOf({ path: requireFixture(`${M}/basic.bin`) });
    const oracle = json<MemrayStats>(`${M}/basic.stats.json`);
    expect(s.peakBytes).toBe(oracle.metadata.peak_memory);
    expect(s.totalAllocations).toBe(oracle.total_num_allocations);
    expect(s.totalBytesAllocated).toBe(oracle.total_bytes_allocated);
    expect(s.peakTimeMs).toBeGreaterThan(0);
    expect(s.leakedBytes).toBeGreaterThan(0);
    const { text, cards, codes } = shown(s);
    expect(text).toMatch(/^ {2}peak memory: {4}52\.4 MB at \d+ ms$/m);
    expect(text).toContain(
      `  allocations:    ${oracle.total_num_allocations.toLocaleString('en-US')} (106.4 MB allocated)`,
    );
    expect(text).toMatch(/^ {2}leaked: {9}6\.3 MB in 18 allocations$/m);
    expect(cards['total-allocated'].value).toBe(oracle.total_bytes_allocated);
    expect(cards.leaked.value).toBe(s.leakedBytes);
    expect(codes).toContain('large-leaks');
  });

  it('memray --aggregate: leaks and a peak, no allocation totals', async () => {
    const s = await summaryOf({ path: requireFixture(`${M}/basic-aggregate.bin`) });
    expect(s.peakBytes).toBe(csvTotal(`${M}/basic-aggregate.hwm.csv.gz`));
    expect(s.leakedBytes).toBe(csvTotal(`${M}/basic-aggregate.leaks.csv.gz`));
    expect(s.totalAllocations).toBeNull();
    expect(s.totalBytesAllocated).toBeNull();
    const { text, cards } = shown(s);
    expect(text).not.toMatch(/allocations:/);
    expect(text).toMatch(/^ {2}leaked: /m);
    expect(cards['total-allocated'].text).toBe('—');
    expect(cards['total-allocated'].notes[0].text).toBe('not recorded in an aggregated capture');
  });

  it('a memray parent with its fork child: totals summed over both processes', async () => {
    const [alone, both] = await Promise.all([
      summaryOf({ path: requireFixture(`${M}/fork.bin`) }),
      summaryOf({ path: requireFixture(`${M}/fork.bin`), withForkChildren: true }),
    ]);
    const child = json<MemrayStats>(`${M}/fork.bin.21086.stats.json`);
    expect(both.totalAllocations).toBe(alone.totalAllocations! + child.total_num_allocations);
    expect(both.totalBytesAllocated).toBe(alone.totalBytesAllocated! + child.total_bytes_allocated);
  });

  it('a tracemalloc dump: the traced set, and no peak time, allocation totals or leaks', async () => {
    const s = await summaryOf({ path: requireFixture('tracemalloc/py311/inventory-after.pickle.gz') });
    const oracle = json<{ total_size: number; trace_count: number }>(
      'tracemalloc/py311/inventory-after.oracle.json',
    );
    expect(s.peakBytes).toBe(oracle.total_size);
    expect([s.peakTimeMs, s.totalAllocations, s.totalBytesAllocated, s.leakedBytes, s.leakedCount]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    const { text, cards, codes } = shown(s);
    expect(text).toMatch(/^ {2}traced: +6\.3 MB$/m);
    expect(text).not.toMatch(/allocations:|leaked:| at \d/);
    expect(cards['total-allocated'].text).toBe('—');
    expect(cards.leaked).toMatchObject({ title: 'Traced blocks', value: oracle.trace_count });
    expect(codes).not.toContain('large-leaks');
  });

  it('a series of tracemalloc dumps: its peak is one of the dumps, nothing leaked', async () => {
    const dir = requireFixture('tracemalloc/series');
    const files = Array.from({ length: 10 }, (_, i) => `${dir}/service.${i + 1}.pickle`);
    const s = await summaryOf({ path: files[0], series: files });
    const oracle = json<{ dumps: { file: string; total_size: number }[] }>(
      'tracemalloc/series/series-oracle.json',
    );
    const peak = Math.max(...oracle.dumps.map((d) => d.total_size));
    expect(s.peakBytes).toBe(peak);
    const at = oracle.dumps.findIndex((d) => d.total_size === peak);
    expect(s.leakedBytes).toBeNull();
    expect(s.totalAllocations).toBeNull();
    const { text, cards } = shown(s);
    expect(text).toContain(`in dump ${at + 1} of 10 (${oracle.dumps[at].file})`);
    expect(text).not.toMatch(/allocations:|leaked:/);
    expect(cards.peak.title).toBe('Peak memory');
    expect(cards.leaked.text).toBe('—');
  });

  it('a memray CSV: one snapshot, like a dump', async () => {
    const s = await summaryOf({ path: requireFixture('memray-csv/v13-memray1.20.0-py313/basic.hwm.csv') });
    expect(s.peakBytes).toBe(52_443_396);
    expect([s.peakTimeMs, s.totalAllocations, s.leakedBytes]).toEqual([null, null, null]);
    const { text, cards, codes } = shown(s);
    expect(text).not.toMatch(/allocations:|leaked:| at \d/);
    expect(cards.leaked.text).toBe('—');
    expect(codes).not.toContain('large-leaks');
  });

  it('Scalene: a footprint peak and allocation totals, no leaked set', async () => {
    const s = await summaryOf({ path: requireFixture('scalene/leak.json') });
    const profile = json<{ max_footprint_mb: number }>('scalene/leak.json');
    expect(s.peakBytes).toBe(Math.round(profile.max_footprint_mb * 1024 * 1024));
    expect(s.leakedBytes).toBeNull();
    expect(s.totalBytesAllocated).toBeGreaterThan(0);
    const { text, cards } = shown(s);
    expect(text).not.toMatch(/leaked:/);
    expect(text).toMatch(/allocations:/);
    expect(cards.peak.title).toBe('Peak footprint');
    expect(cards.leaked.notes[0].text).toMatch(/Scalene measures no leaked set/);
    // Without memory data there is nothing allocated to count either.
    const cpu = await summaryOf({ path: requireFixture('scalene/small_objects.cpu_only.json') });
    expect(cpu.totalAllocations).toBeNull();
    expect(cpu.totalBytesAllocated).toBeNull();
  });
});
