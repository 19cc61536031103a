/**
 * Diffs against their oracles (issue 5's "must show"), through the code the diff view calls
 * (Engine.diff: one worker per capture, groups and flame trees merged on the main thread):
 * - each tracemalloc before/after pair equals CPython's own `compare_to` (lineno top 100,
 *   traceback top 20, every filename group);
 * - a capture diffed with itself is all zeros; swapping the sides negates every delta;
 * - two moments of one memray capture equal `heapscope stats --range` at those times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { DiffFlameTree, DiffResult, DiffRow, StackFilter } from '../../shared/api';
import type { DiffJson, MemrayStatsJson } from '../../shared/stats';
import { Engine } from '../../main/engine/engine';
import { CLI, REPO, requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const PYTHONS = ['py39', 'py310', 'py311', 'py312', 'py313'];

interface OracleDiffRow {
  size: number;
  size_diff: number;
  count: number;
  count_diff: number;
}
interface Oracle {
  total_size: number;
  trace_count: number;
  compare_to: {
    old_file: string;
    old_total_size: number;
    old_trace_count: number;
    lineno_len: number;
    lineno_top100: (OracleDiffRow & { filename: string; lineno: number })[];
    traceback_len: number;
    traceback_top20: (OracleDiffRow & { frames: [string, number][] })[];
    filename: (OracleDiffRow & { filename: string })[];
  };
}

/** The numeric part every compare_to row shares, in our field names. */
const numbers = (r: OracleDiffRow) => [r.size, r.size_diff, r.count, r.count_diff];
const ours = (r: DiffRow) => [r.size, r.sizeDiff, r.count, r.countDiff];
/** toEqual tells -0 from 0; an unchanged row has no sign. */
const neg = (n: number) => (n === 0 ? 0 : -n);

let engine: Engine;

beforeAll(() => {
  requireBuilt();
  engine = new Engine({ workerUrl: WORKER_URL });
});
afterAll(async () => {
  await engine?.closeAll();
});

async function openPair(py: string): Promise<{ before: string; after: string; oracle: Oracle }> {
  const dir = `tracemalloc/${py}`;
  const oracle = JSON.parse(
    readFileSync(requireFixture(`${dir}/inventory-after.oracle.json`), 'utf8'),
  ) as Oracle;
  // The oracle was computed against this exact "before" dump.
  expect(oracle.compare_to.old_file).toBe('inventory-before.pickle');
  const [before, after] = await Promise.all([
    engine.open({ path: requireFixture(`${dir}/inventory-before.pickle.gz`) }),
    engine.open({ path: requireFixture(`${dir}/inventory-after.pickle.gz`) }),
  ]);
  return { before: before.id, after: after.id, oracle };
}

function diff(
  base: string,
  target: string,
  groupBy: 'line' | 'file' | 'traceback',
  filter?: StackFilter,
): Promise<DiffResult> {
  return engine.diff({
    base: { captureId: base, snapshot: { kind: 'peak' } },
    target: { captureId: target, snapshot: { kind: 'peak' } },
    groupBy,
    ...(filter && { filter }),
  });
}

describe.each(PYTHONS)('tracemalloc %s: Engine.diff equals compare_to', (py) => {
  let ids: { before: string; after: string; oracle: Oracle };
  beforeAll(async () => {
    ids = await openPair(py);
  });

  it('by line: totals, group count and the top 100 rows in compare_to order', async () => {
    const { oracle } = ids;
    const result = await diff(ids.before, ids.after, 'line');
    expect(result.base.totalBytes).toBe(oracle.compare_to.old_total_size);
    expect(result.base.totalCount).toBe(oracle.compare_to.old_trace_count);
    expect(result.target.totalBytes).toBe(oracle.total_size);
    expect(result.target.totalCount).toBe(oracle.trace_count);
    expect(result.groupCount).toBe(oracle.compare_to.lineno_len);
    expect(result.matching).toBe('exact');
    const expected = oracle.compare_to.lineno_top100;
    expect(result.rows.slice(0, expected.length).map((r) => [r.file, r.line, ...ours(r)])).toEqual(
      expected.map((e) => [e.filename, e.lineno, ...numbers(e)]),
    );
  });

  it("with the view's default filters (what the diff view sends) the lineno numbers still match", async () => {
    const { oracle } = ids;
    const viewDefault: StackFilter = { mergeThreads: true, hideImportSystem: false, hideInternals: true };
    const result = await diff(ids.before, ids.after, 'line', viewDefault);
    const expected = oracle.compare_to.lineno_top100;
    expect(result.groupCount).toBe(oracle.compare_to.lineno_len);
    expect(result.rows.slice(0, expected.length).map((r) => [r.file, r.line, ...ours(r)])).toEqual(
      expected.map((e) => [e.filename, e.lineno, ...numbers(e)]),
    );
  });

  it('by traceback: the top 20 rows, frames oldest first', async () => {
    const { oracle } = ids;
    const result = await diff(ids.before, ids.after, 'traceback');
    expect(result.groupCount).toBe(oracle.compare_to.traceback_len);
    const expected = oracle.compare_to.traceback_top20;
    expect(
      result.rows
        .slice(0, expected.length)
        .map((r) => [(r.frames ?? []).map((f) => [f.file, f.line]), ...ours(r)]),
    ).toEqual(expected.map((e) => [e.frames, ...numbers(e)]));
  });

  it('by file: every group', async () => {
    const { oracle } = ids;
    const result = await diff(ids.before, ids.after, 'file');
    const expected = oracle.compare_to.filename;
    expect(result.groupCount).toBe(expected.length);
    expect(result.rows.map((r) => [r.file, ...ours(r)])).toEqual(
      expected.map((e) => [e.filename, ...numbers(e)]),
    );
    // Each row's status follows from its numbers.
    for (const r of result.rows) {
      const status =
        r.size - r.sizeDiff === 0 && r.count - r.countDiff === 0
          ? 'new'
          : r.size === 0 && r.count === 0
            ? 'gone'
            : r.sizeDiff > 0
              ? 'grown'
              : r.sizeDiff < 0
                ? 'shrunk'
                : r.countDiff > 0
                  ? 'grown'
                  : r.countDiff < 0
                    ? 'shrunk'
                    : 'same';
      expect(r.status, `${r.file}`).toBe(status);
    }
  });
});

/** (path of frame identities) → [base, target] for every node of a diff flame tree. */
function flameByPath(tree: DiffFlameTree): Map<string, [number, number, number, number]> {
  const paths: string[] = [];
  const out = new Map<string, [number, number, number, number]>();
  for (let i = 0; i < tree.parent.length; i++) {
    const f = tree.frame[i] >= 0 ? tree.frames[tree.frame[i]] : undefined;
    const id = f ? `${f.name}\u0000${f.file}\u0000${f.line}` : '<root>';
    paths[i] = tree.parent[i] >= 0 ? `${paths[tree.parent[i]]}\u0001${id}` : id;
    out.set(paths[i], [tree.baseBytes[i], tree.targetBytes[i], tree.baseCount[i], tree.targetCount[i]]);
  }
  return out;
}

describe('a capture diffed with itself, and swap', () => {
  let ids: { before: string; after: string; oracle: Oracle };
  let memray: string;
  beforeAll(async () => {
    ids = await openPair('py312');
    memray = (await engine.open({ path: requireFixture('memray/v12-memray1.19.3-py311/basic.bin') })).id;
  });

  it('is all zeros, in the table and in the flame graph', async () => {
    const cases: [string, 'line' | 'file' | 'traceback'][] = [
      [ids.after, 'line'],
      [ids.after, 'traceback'],
      [memray, 'line'],
      [memray, 'file'],
    ];
    for (const [id, groupBy] of cases) {
      const result = await diff(id, id, groupBy);
      expect(result.rows.length).toBeGreaterThan(0);
      expect(result.base.totalBytes).toBe(result.target.totalBytes);
      for (const r of result.rows) {
        expect([r.sizeDiff, r.countDiff, r.status], r.key).toEqual([0, 0, 'same']);
        expect(r.size).toBeGreaterThanOrEqual(0);
      }
      expect(result.flame.baseBytes).toEqual(result.flame.targetBytes);
      expect(result.flame.baseCount).toEqual(result.flame.targetCount);
      expect(result.flame.targetBytes[0]).toBe(result.target.totalBytes);
    }
  });

  it('swap negates every delta (rows, totals and flame)', async () => {
    for (const groupBy of ['line', 'traceback', 'file'] as const) {
      const [forward, backward] = await Promise.all([
        diff(ids.before, ids.after, groupBy, { hideInternals: true }),
        diff(ids.after, ids.before, groupBy, { hideInternals: true }),
      ]);
      expect(backward.base).toEqual(forward.target);
      expect(backward.target).toEqual(forward.base);
      expect(backward.groupCount).toBe(forward.groupCount);
      const back = new Map(backward.rows.map((r) => [r.key, r]));
      expect(back.size).toBe(forward.rows.length);
      const flipped: Record<string, string> = {
        grown: 'shrunk',
        shrunk: 'grown',
        new: 'gone',
        gone: 'new',
        same: 'same',
      };
      for (const r of forward.rows) {
        const b = back.get(r.key);
        expect(b, r.key).toBeDefined();
        expect([b!.sizeDiff, b!.countDiff], r.key).toEqual([neg(r.sizeDiff), neg(r.countDiff)]);
        // The swapped "now" is the forward "before".
        expect([b!.size, b!.count], r.key).toEqual([r.size - r.sizeDiff, r.count - r.countDiff]);
        expect(b!.status, r.key).toBe(flipped[r.status]);
      }
      const f = flameByPath(forward.flame);
      const s = flameByPath(backward.flame);
      expect([...s.keys()].sort()).toEqual([...f.keys()].sort());
      for (const [path, [b, t, bc, tc]] of f) expect(s.get(path), path).toEqual([t, b, tc, bc]);
    }
  });
});

// memray run of a loop that grows a list until it is killed: its heap rises across the capture.
const KILLED = requireFixture('memray/v12-memray1.19.3-py311/killed.bin');

function cli<T>(args: string[]): T {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`heapscope ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('two moments of one memray capture', () => {
  const T1 = 500;
  const T2 = 1200;

  it('`diff --from --to` totals equal `stats --range 0:T` (the live heap at T) at both moments', () => {
    const moments = cli<DiffJson>(['diff', KILLED, '--from', String(T1), '--to', String(T2), '--json']);
    const at1 = cli<MemrayStatsJson>(['stats', KILLED, '--json', '--range', `0:${T1}`]);
    const at2 = cli<MemrayStatsJson>(['stats', KILLED, '--json', '--range', `0:${T2}`]);
    // Over 0..T everything alive at T was made inside the range, so "leaked" is the live heap.
    expect(moments.old.totalSize).toBe(at1.leakedBytes);
    expect(moments.new.totalSize).toBe(at2.leakedBytes);
    // The heap grows here, so the moment diff is not vacuous.
    expect(moments.new.totalSize).toBeGreaterThan(moments.old.totalSize);
    // Row deltas add up to the change of the totals.
    expect(moments.diff).toHaveLength(moments.groupCount);
    expect(moments.diff.reduce((s, r) => s + r.sizeDiff, 0)).toBe(
      moments.new.totalSize - moments.old.totalSize,
    );
    expect(moments.diff.reduce((s, r) => s + r.size, 0)).toBe(moments.new.totalSize);
  });

  it('Engine.diff with `at` snapshots equals the range snapshots of the view, site by site', async () => {
    const id = (await engine.open({ path: KILLED })).id;
    const result = await engine.diff({
      base: { captureId: id, snapshot: { kind: 'at', timeMs: T1 } },
      target: { captureId: id, snapshot: { kind: 'at', timeMs: T2 } },
      groupBy: 'line',
    });
    const liveAt = async (t: number) => {
      const [summary, table] = await Promise.all([
        engine.summary({ captureId: id, range: { fromMs: 0, toMs: t } }),
        engine.table({
          captureId: id,
          snapshot: { kind: 'range', fromMs: 0, toMs: t, measure: 'live-at-end' },
          groupBy: 'line',
          limit: 100_000,
        }),
      ]);
      // compare_to's lineno groups are by file:line of the innermost frame; the table's line
      // groups also carry the function, so several may share one file:line.
      const bySite = new Map<string, { size: number; count: number }>();
      for (const r of table.rows) {
        const k = `${r.file}:${r.line}`;
        const prev = bySite.get(k) ?? { size: 0, count: 0 };
        bySite.set(k, { size: prev.size + r.ownBytes, count: prev.count + r.ownCount });
      }
      return { summary, bySite, total: table.totalBytes };
    };
    const [a, b] = await Promise.all([liveAt(T1), liveAt(T2)]);
    expect(result.base.totalBytes).toBe(a.summary.leakedBytes);
    expect(result.target.totalBytes).toBe(b.summary.leakedBytes);
    expect(result.base.totalBytes).toBe(a.total);
    expect(result.target.totalBytes).toBe(b.total);
    expect(result.rows.length).toBeGreaterThan(1);
    for (const r of result.rows) {
      const k = `${r.file}:${r.line}`;
      const then = a.bySite.get(k) ?? { size: 0, count: 0 };
      const now = b.bySite.get(k) ?? { size: 0, count: 0 };
      expect([r.size, r.count, r.size - r.sizeDiff, r.count - r.countDiff], k).toEqual([
        now.size,
        now.count,
        then.size,
        then.count,
      ]);
    }
    // The same numbers as the CLI's two-moment diff.
    const moments = cli<DiffJson>(['diff', KILLED, '--from', String(T1), '--to', String(T2), '--json']);
    expect(result.rows.map((r) => [r.file, r.line, r.size, r.sizeDiff, r.count, r.countDiff])).toEqual(
      moments.diff.map((r) => [
        'filename' in r ? r.filename : '',
        'lineno' in r ? r.lineno : 0,
        r.size,
        r.sizeDiff,
        r.count,
        r.countDiff,
      ]),
    );
  });
});
