import { describe, expect, it } from 'vitest';
import { snapshotTotals } from '../model/snapshot';
import { buildFlameTree } from './flamegraph';
import { moduleResolver } from './path-identity';
import { buildTable, flameNodesForKey, parseSiteKey } from './table';
import {
  parseMemraySummary,
  readFixture,
  snapshotFromMemrayCsv,
  syntheticSnapshot,
} from '../export/testing/fixtures';

describe('buildTable against memray summary (function grouping = memray table reporter)', () => {
  for (const name of ['basic', 'threads']) {
    it(`${name}: total memory, own memory and allocation count per function`, () => {
      const snap = snapshotFromMemrayCsv(readFixture(`${name}.hwm.csv`));
      const oracle = parseMemraySummary(readFixture(`${name}.summary.txt`));
      const table = buildTable(snap, { groupBy: 'function' });
      expect(oracle.rows.length).toBeGreaterThan(5);
      for (const o of oracle.rows) {
        // memray prints a stack-less group as "??? at ???".
        const row =
          o.function === '???'
            ? table.rows.find((r) => r.function === '<no stack>')
            : table.rows.find((r) => r.function === o.function && r.file === o.file);
        expect(row, `${o.function} at ${o.file}`).toBeDefined();
        expect(Math.abs(row!.bytes - o.totalBytes)).toBeLessThanOrEqual(oracle.tolerance(o.totalBytes));
        expect(Math.abs(row!.ownBytes - o.ownBytes)).toBeLessThanOrEqual(oracle.tolerance(o.ownBytes));
        expect(row!.count).toBe(o.count);
      }
      // memray lists rows by total memory, largest first; so do we.
      const ours = table.rows.slice(0, 3).map((r) => r.bytes);
      expect(ours).toEqual([...ours].sort((a, b) => b - a));
    });
  }
});

describe('buildTable grouping', () => {
  const snap = syntheticSnapshot([
    {
      stack: [
        ['main', '/p/app/main.py', 1],
        ['load', '/p/app/io.py', 5],
        ['load', '/p/app/io.py', 7],
      ],
      bytes: 100,
      count: 2,
    },
    {
      stack: [
        ['main', '/p/app/main.py', 1],
        ['parse', '/p/app/io.py', 20],
      ],
      bytes: 50,
      count: 1,
    },
    { stack: [['main', '/p/app/main.py', 2]], bytes: 7, count: 1 },
    { stack: [], bytes: 3, count: 1 },
  ]);

  it('counts a recursive function once per stack', () => {
    const t = buildTable(snap, { groupBy: 'function' });
    const load = t.rows.find((r) => r.function === 'load')!;
    expect(load.bytes).toBe(100);
    expect(load.ownBytes).toBe(100);
    expect(load.count).toBe(2);
    const main = t.rows.find((r) => r.function === 'main')!;
    expect(main.bytes).toBe(157);
    expect(main.ownBytes).toBe(7);
    expect(main.share).toBeCloseTo(157 / 160);
    expect(t.totalBytes).toBe(snapshotTotals(snap.rows).bytes);
    expect(t.rows.find((r) => r.function === '<no stack>')!.bytes).toBe(3);
  });

  it('a function row names its function and file, never one of its lines', () => {
    // load allocates on lines 5 and 7, parse on 20: no single line owns a function's bytes.
    const t = buildTable(snap, { groupBy: 'function' });
    for (const name of ['load', 'parse', 'main']) {
      const row = t.rows.find((r) => r.function === name)!;
      expect(row.line).toBe(0);
      expect(row.file).toMatch(/\/p\/app\/(io|main)\.py$/);
    }
    // The line grouping keeps each line apart, with its own bytes.
    const lines = buildTable(snap, { groupBy: 'line' }).rows.filter((r) => r.function === 'load');
    expect(lines.map((r) => [r.line, r.ownBytes]).sort()).toEqual([
      [5, 0],
      [7, 100],
    ]);
  });

  it('groups by line, file, module and traceback', () => {
    const line = buildTable(snap, { groupBy: 'line' });
    expect(
      line.rows
        .filter((r) => r.function === 'main')
        .map((r) => r.line)
        .sort(),
    ).toEqual([1, 2]);
    const file = buildTable(snap, { groupBy: 'file' });
    expect(file.rows.find((r) => r.file === '/p/app/io.py')!.bytes).toBe(150);
    const moduleOf = moduleResolver(undefined, ['/p/app/main.py', '/p/app/io.py']);
    const mod = buildTable(snap, { groupBy: 'module', moduleOf });
    expect(
      mod.rows
        .map((r) => r.module)
        .filter(Boolean)
        .sort(),
    ).toEqual(['io', 'main']);
    expect(mod.rows.find((r) => r.module === 'io')!.bytes).toBe(150);
    const tb = buildTable(snap, { groupBy: 'traceback' });
    const first = tb.rows[0];
    expect(first.bytes).toBe(100);
    expect(first.frames!.map((f) => f.function)).toEqual(['main', 'load', 'load']);
  });

  it('sorts, searches and pages', () => {
    const byName = buildTable(snap, { groupBy: 'function', sortBy: 'name' });
    expect(byName.rows.map((r) => r.function)).toEqual(['<no stack>', 'load', 'main', 'parse']);
    const own = buildTable(snap, { groupBy: 'function', sortBy: 'ownBytes' });
    expect(own.rows[0].function).toBe('load');
    const search = buildTable(snap, { groupBy: 'function', search: 'PARS' });
    expect(search.rows.map((r) => r.function)).toEqual(['parse']);
    const page = buildTable(snap, { groupBy: 'function', offset: 1, limit: 2 });
    expect(page.rows.map((r) => r.function)).toEqual(['load', 'parse']);
    expect(page.totalRows).toBe(4);
  });

  it('keys focus the matching flame nodes', () => {
    const tree = buildFlameTree(snap, {});
    for (const groupBy of ['function', 'line', 'file', 'traceback'] as const) {
      const t = buildTable(snap, { groupBy });
      for (const row of t.rows) {
        if (row.function === '<no stack>') continue;
        expect(parseSiteKey(row.key).groupBy).toBe(groupBy);
        const nodes = flameNodesForKey(tree, row.key);
        expect(nodes.length, row.key).toBeGreaterThan(0);
        // Outermost matching nodes add up to the row's bytes.
        const outer = nodes.filter((n) => {
          for (let p = tree.parent[n]; p > 0; p = tree.parent[p]) if (nodes.includes(p)) return false;
          return true;
        });
        expect(outer.reduce((s, n) => s + tree.bytes[n], 0)).toBe(row.bytes);
      }
    }
  });
});
