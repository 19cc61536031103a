/**
 * Python-semantics details of statistics / compare_to / Filter that the dump oracles exercise only
 * indirectly. Expected values are Python's (fnmatch results checked with CPython 3.11's fnmatch;
 * ordering rules from Lib/tracemalloc.py).
 */
import { describe, expect, it } from 'vitest';
import { FrameTable } from './frame-table';
import { SnapshotBuilder, type Snapshot } from './snapshot';
import { StackTrie } from './stack-trie';
import { filterTraces, fnmatch } from './tracemalloc/filters';
import { compareGroups, diffJson } from '../query/diff';
import { compareCodePoints, groupSnapshot, type Group } from './groups';

describe('code-point string order', () => {
  it('orders astral characters after the whole BMP (JS < does not)', () => {
    const fullwidth = '/srv/app/\uff46ullwidth.py';
    const emoji = '/srv/app/\u{1F600}emoji.py';
    expect(emoji < fullwidth).toBe(true); // UTF-16 order: 0xD83D < 0xFF46
    expect(compareCodePoints(emoji, fullwidth)).toBeGreaterThan(0); // code points: 0x1F600 > 0xFF46
    expect(compareCodePoints(fullwidth, emoji)).toBeLessThan(0);
  });

  it('keeps lone surrogates at their own code point', () => {
    expect(compareCodePoints('a\udcff', 'a\ue000')).toBeLessThan(0);
    expect(compareCodePoints('a\ud83d', 'a\u{1F600}')).toBeLessThan(0);
    expect(compareCodePoints('a\ud800', 'a\ud7ff')).toBeGreaterThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
  });
});

describe('fnmatch (POSIX fnmatch.fnmatch)', () => {
  const cases: [string, string, boolean][] = [
    ['/a/b/c.py', '*', true],
    ['/a/b/c.py', '/a/*.py', true],
    ['/a/b/c.py', '/a/?/c.py', true],
    ['/a/bb/c.py', '/a/?/c.py', false],
    ['x.py', '[!a-w].py', true],
    ['a.py', '[!a-w].py', false],
    ['[a.py', '[a.py', true],
    ['a+b(1).py', 'a+b(1).py', true],
    ['a+bb(1).py', 'a+b(1).py', false],
    ['-.py', '[a-].py', true],
    ['b.py', '[a-c].py', true],
    ['\\.py', '[\\].py', true],
    ['\u{1F600}.py', '?.py', true],
    ['<frozen importlib._bootstrap>', '<frozen importlib._bootstrap>', true],
    ['<frozen importlib._bootstrap_external>', '<frozen importlib._bootstrap>', false],
    ['a]b', '[]]b', false],
    [']b', '[]]b', true],
    ['ab', 'a[]b', false],
    ['a\nb', 'a*b', true],
    ['x.PY', '*.py', false],
  ];
  for (const [name, pattern, expected] of cases) {
    it(`${JSON.stringify(name)} ~ ${JSON.stringify(pattern)} → ${expected}`, () => {
      expect(fnmatch(name, pattern)).toBe(expected);
    });
  }
});

/** A memray-like snapshot: frames with function names, stacks oldest first. */
function snapshotOf(
  rows: { stack: [string, string, number][]; bytes: number; count: number; allocator?: number }[],
): Snapshot {
  const frames = new FrameTable();
  const stacks = new StackTrie();
  const b = new SnapshotBuilder();
  for (const r of rows) {
    const leaf = stacks.intern(r.stack.map(([fn, file, line]) => frames.intern(fn, file, line)));
    b.add(leaf, 0, r.allocator ?? 0, r.bytes, r.count);
  }
  return { frames, stacks, threads: [], allocators: ['A', 'B'], rows: b.build(), label: 'test' };
}

describe('groupSnapshot semantics', () => {
  const snap = snapshotOf([
    {
      stack: [
        ['main', 'm.py', 1],
        ['f', 'a.py', 10],
      ],
      bytes: 100,
      count: 1,
    },
    // Same (file, line) under another function name: one lineno group, as in Python.
    {
      stack: [
        ['main', 'm.py', 2],
        ['g', 'a.py', 10],
      ],
      bytes: 50,
      count: 2,
    },
    // Recursion: a.py:20 twice on one stack.
    {
      stack: [
        ['main', 'm.py', 1],
        ['r', 'a.py', 20],
        ['r', 'a.py', 20],
      ],
      bytes: 7,
      count: 1,
    },
  ]);

  it('lineno groups by the innermost (file, line) only', () => {
    const g = groupSnapshot(snap, { groupBy: 'lineno' });
    expect(g.map((x) => [x.frames[0].file, x.frames[0].line, x.size, x.count])).toEqual([
      ['a.py', 10, 150, 3],
      ['a.py', 20, 7, 1],
    ]);
  });

  it('cumulative counts a frame once per occurrence', () => {
    const g = groupSnapshot(snap, { groupBy: 'lineno', cumulative: true });
    const byKey = Object.fromEntries(
      g.map((x) => [`${x.frames[0].file}:${x.frames[0].line}`, [x.size, x.count]]),
    );
    expect(byKey['a.py:20']).toEqual([14, 2]);
    expect(byKey['m.py:1']).toEqual([107, 2]);
    const files = groupSnapshot(snap, { groupBy: 'filename', cumulative: true });
    expect(files.find((x) => x.frames[0].file === 'a.py')).toMatchObject({ size: 164, count: 5 });
  });

  it('traceback ignores function names but keeps the whole stack, oldest first', () => {
    const g = groupSnapshot(snap, { groupBy: 'traceback' });
    expect(g).toHaveLength(3);
    expect(g[2].frames.map((f) => f.line)).toEqual([1, 20, 20]);
    expect(() => groupSnapshot(snap, { groupBy: 'traceback', cumulative: true })).toThrow(/cumulative/);
  });

  it('function groups by (function, file) of the innermost frame', () => {
    const g = groupSnapshot(snap, { groupBy: 'function' });
    expect(g.map((x) => [x.frames[0].function, x.size])).toEqual([
      ['f', 100],
      ['g', 50],
      ['r', 7],
    ]);
  });

  it('ties on (size, count) fall back to traceback order, reversed', () => {
    const tie = snapshotOf([
      { stack: [['x', 'b.py', 1]], bytes: 10, count: 1 },
      { stack: [['x', 'a.py', 2]], bytes: 10, count: 1 },
      { stack: [['x', 'a.py', 1]], bytes: 10, count: 1 },
    ]);
    const g = groupSnapshot(tie, { groupBy: 'lineno' });
    expect(g.map((x) => `${x.frames[0].file}:${x.frames[0].line}`)).toEqual(['b.py:1', 'a.py:2', 'a.py:1']);
  });

  it('filters: exclude by glob, include with all_frames, lineno, .pyc as .py', () => {
    const kept = (filters: Parameters<typeof filterTraces>[1]) =>
      groupSnapshot(filterTraces(snap, filters), { groupBy: 'lineno' }).reduce((s, x) => s + x.size, 0);
    expect(kept([{ inclusive: false, filenamePattern: 'a.py', lineno: 20 }])).toBe(150);
    expect(kept([{ inclusive: true, filenamePattern: 'm.py' }])).toBe(0);
    expect(kept([{ inclusive: true, filenamePattern: 'm.py', allFrames: true }])).toBe(157);
    expect(kept([{ inclusive: true, filenamePattern: 'm.py', lineno: 2, allFrames: true }])).toBe(50);
    expect(kept([{ inclusive: false, filenamePattern: 'a.pyc' }])).toBe(0);
    expect(kept([])).toBe(157);
  });
});

describe('compareGroups / diffJson', () => {
  const g = (file: string, line: number, size: number, count: number): Group => ({
    keyType: 'lineno',
    key: `${file}\u0000${line}`,
    frames: [{ file, line, function: '' }],
    size,
    count,
  });

  it('computes diffs, statuses and compare_to order', () => {
    const old = [g('a.py', 1, 100, 1), g('b.py', 1, 40, 4), g('c.py', 1, 30, 3), g('d.py', 1, 5, 1)];
    const now = [g('a.py', 1, 100, 1), g('b.py', 1, 80, 2), g('c.py', 1, 10, 1), g('e.py', 1, 40, 1)];
    const rows = compareGroups(old, now);
    expect(rows.map((r) => [r.file, r.size, r.sizeDiff, r.count, r.countDiff, r.status])).toEqual([
      // |size_diff| 40 ties: size 80 beats 40.
      ['b.py', 80, 40, 2, -2, 'grown'],
      ['e.py', 40, 40, 1, 1, 'new'],
      ['c.py', 10, -20, 1, -2, 'shrunk'],
      ['d.py', 0, -5, 0, -1, 'gone'],
      ['a.py', 100, 0, 1, 0, 'same'],
    ]);
    expect(rows[1].sizeDiffRatio).toBe(Infinity);
    expect(rows[0].sizeDiffRatio).toBe(1);
    const json = diffJson(old, now, { top: 2 });
    expect(json.old).toEqual({ totalSize: 175, traceCount: 9 });
    expect(json.new).toEqual({ totalSize: 230, traceCount: 5 });
    expect(json.groupCount).toBe(5);
    expect(json.diff).toEqual([
      { filename: 'b.py', lineno: 1, size: 80, sizeDiff: 40, count: 2, countDiff: -2 },
      { filename: 'e.py', lineno: 1, size: 40, sizeDiff: 40, count: 1, countDiff: 1 },
    ]);
  });
});
