import { describe, expect, it } from 'vitest';
import type { FlameTree, FrameInfo } from '../../shared/api';
import { buildFlameTree, focusNodes } from './flamegraph';
import { buildTable } from './table';
import { readFixture, snapshotFromMemrayCsv } from '../export/testing/fixtures';

const frames: FrameInfo[] = [
  { name: 'main', file: '/app/main.py', line: 1, kind: 'python' },
  { name: 'load', file: '/app/io.py', line: 20, kind: 'python' },
  { name: 'parse', file: '/app/io.py', line: 40, kind: 'python' },
  { name: 'build', file: '/app/model.py', line: 7, kind: 'python' },
];
// root → main → {load → parse, build}
const tree: FlameTree = {
  totalBytes: 1000,
  totalCount: 10,
  frames,
  parent: [-1, 0, 1, 2, 1],
  frame: [-1, 0, 1, 2, 3],
  bytes: [1000, 1000, 700, 600, 300],
  count: [10, 10, 7, 6, 3],
  mergedNodes: 0,
};

describe('focusNodes: the flame nodes of a table row, found by the query', () => {
  it('follows the table key format for every grouping', () => {
    expect(focusNodes(tree, 'line:["build","/app/model.py",7]')).toEqual([4]);
    expect(focusNodes(tree, 'function:["build","/app/model.py"]')).toEqual([4]);
    // A file holds load and parse, one inside the other.
    expect(focusNodes(tree, 'file:["/app/io.py"]')).toEqual([2, 3]);
    expect(focusNodes(tree, 'module:["/app/io.py"]')).toEqual([2, 3]);
    expect(
      focusNodes(
        tree,
        'traceback:[["main","/app/main.py",1],["load","/app/io.py",20],["parse","/app/io.py",40]]',
      ),
    ).toEqual([3]);
    // A traceback is one whole stack: skipping load is another stack.
    expect(focusNodes(tree, 'traceback:[["main","/app/main.py",1],["parse","/app/io.py",40]]')).toEqual([]);
  });

  it('finds nothing for a site not in the tree, an empty key or no key at all', () => {
    expect(focusNodes(tree, 'line:["build","/app/model.py",8]')).toEqual([]);
    expect(focusNodes(tree, 'function:[]')).toEqual([]);
    expect(focusNodes(tree, 'garbage')).toEqual([]);
    expect(focusNodes(tree, 'line:[not json')).toEqual([]);
  });

  it('a flamegraph query with a focusKey carries the nodes; the outermost add up to the row', () => {
    const snap = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
    const plain = buildFlameTree(snap, {});
    expect(plain.focus).toBeUndefined();
    for (const row of buildTable(snap, { groupBy: 'line' }).rows) {
      if (row.function === '<no stack>') continue;
      const focused = buildFlameTree(snap, { focusKey: row.key });
      // The same tree, plus the row's nodes.
      expect({ ...focused, focus: undefined }).toEqual({ ...plain, focus: undefined });
      expect(focused.focus?.key).toBe(row.key);
      const nodes = focused.focus!.nodes;
      const outer = nodes.filter((n) => {
        for (let p = plain.parent[n]; p > 0; p = plain.parent[p]) if (nodes.includes(p)) return false;
        return true;
      });
      expect(
        outer.reduce((s, n) => s + plain.bytes[n], 0),
        row.key,
      ).toBe(row.bytes);
    }
  });
});
