import { describe, expect, it } from 'vitest';
import { mergeDiffFlame } from './diff-flame';
import { buildFlameTree } from './flamegraph';
import { matchCaptures, moduleName, pathIdentity } from './path-identity';
import {
  readFixture,
  snapshotFromMemrayCsv,
  syntheticSnapshot,
  type FrameSpec,
} from '../export/testing/fixtures';

function program(root: string, venv: string, extra = 0) {
  const main: FrameSpec = ['main', `${root}/app/main.py`, 3];
  const load: FrameSpec = ['load', `${root}/app/io/loader.py`, 10];
  const np: FrameSpec = ['zeros', `${venv}/lib/python3.11/site-packages/numpy/core/numeric.py`, 200];
  const rows = [
    { stack: [main, load, np], bytes: 1000 + extra },
    { stack: [main, ['cache', `${root}/app/cache.py`, 5] as FrameSpec], bytes: 300 },
  ];
  if (!extra) rows.push({ stack: [main, ['old', `${root}/app/legacy.py`, 1] as FrameSpec], bytes: 77 });
  return syntheticSnapshot(rows);
}

describe('path identity', () => {
  it('uses v13 sys.path roots (module-relative)', () => {
    const id = pathIdentity(
      {
        sysPath: ['/home/a/proj', '/usr/lib/python3.11'],
        sitePackages: ['/home/a/venv/lib/python3.11/site-packages'],
      },
      [],
    );
    expect(id.method).toBe('module-relative');
    expect(id.relative('/home/a/proj/app/main.py')).toBe('app/main.py');
    expect(id.relative('/home/a/venv/lib/python3.11/site-packages/numpy/core/numeric.py')).toBe(
      'numpy/core/numeric.py',
    );
    expect(id.relative('<frozen runpy>')).toBe('<frozen runpy>');
    expect(moduleName('numpy/core/__init__.py')).toBe('numpy.core');
  });

  it('falls back to the common-prefix heuristic and never returns an absolute path', () => {
    const files = [
      '/srv/x/app/main.py',
      '/srv/x/app/io/loader.py',
      '/opt/v/lib/python3.12/site-packages/pkg/m.py',
      '/usr/lib/libc.so.6',
    ];
    const id = pathIdentity(undefined, files);
    expect(id.method).toBe('heuristic-prefix');
    expect(files.map((f) => id.relative(f))).toEqual(['main.py', 'io/loader.py', 'pkg/m.py', 'libc.so.6']);
  });

  it('a stray script in another tree does not spoil the prefix of the project files', () => {
    const files = ['/opt/bigapp/pkg0/mod0.py', '/opt/bigapp/pkg1/mod1.py', '/srv/tools/run/make_large.py'];
    const id = pathIdentity(undefined, files);
    expect(files.map((f) => id.relative(f))).toEqual(['pkg0/mod0.py', 'pkg1/mod1.py', 'make_large.py']);
  });

  it('module-relative paths of a real v13 capture', () => {
    const snap = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
    const id = pathIdentity(
      {
        sysPath: ['/srv/app/service/workloads', '/opt/pythons/versions/3.13.0/lib/python3.13'],
        sitePackages: ['/srv/app/service/site-1.20.0-py313'],
      },
      snap.frames.files,
    );
    const rel = new Set(snap.frames.files.map((f) => id.relative(f)));
    expect(rel).toContain('basic.py');
    expect(rel).toContain('memray/commands/run.py');
    expect(rel).toContain('collections/__init__.py');
  });
});

describe('mergeDiffFlame', () => {
  it('diffing a capture with itself is all zeros', () => {
    const snap = snapshotFromMemrayCsv(readFixture('pymalloc.hwm.csv'));
    const tree = buildFlameTree(snap, {});
    const diff = mergeDiffFlame(tree, tree);
    expect(diff.parent.length).toBe(tree.parent.length);
    diff.baseBytes.forEach((b, i) => expect(diff.targetBytes[i] - b).toBe(0));
    expect(diff.targetBytes[0]).toBe(tree.totalBytes);
  });

  it('matches different checkouts (heuristic) and keeps removed frames with width 0', () => {
    const base = program('/home/alice/src/proj', '/home/alice/.venv');
    const target = program('/builds/ci/proj-7f3a', '/opt/venv', 500);
    const m = matchCaptures({ files: base.frames.files }, { files: target.frames.files });
    expect(m.matching).toBe('heuristic-prefix');
    expect(m.note).toBeTruthy();
    const diff = mergeDiffFlame(buildFlameTree(base, {}), buildFlameTree(target, {}), m);
    const byName = (name: string) =>
      diff.frame.map((f, i) => (f >= 0 && diff.frames[f].name === name ? i : -1)).filter((i) => i >= 0);
    // One merged node per function: the paths matched.
    expect(byName('main')).toHaveLength(1);
    const zeros = byName('zeros');
    expect(zeros).toHaveLength(1);
    expect([diff.baseBytes[zeros[0]], diff.targetBytes[zeros[0]]]).toEqual([1000, 1500]);
    const old = byName('old');
    expect(old).toHaveLength(1);
    expect([diff.baseBytes[old[0]], diff.targetBytes[old[0]]]).toEqual([77, 0]);
    expect(diff.baseBytes[0]).toBe(1377);
    expect(diff.targetBytes[0]).toBe(1800);
    // Children are ordered by target bytes: the removed frame comes last under main.
    const kids = diff.parent.map((p, i) => (p === byName('main')[0] ? i : -1)).filter((i) => i >= 0);
    expect(kids[kids.length - 1]).toBe(old[0]);
    // Without path matching, nothing below the root would line up.
    const naive = mergeDiffFlame(buildFlameTree(base, {}), buildFlameTree(target, {}));
    expect(naive.frame.filter((f) => f >= 0 && naive.frames[f].name === 'main')).toHaveLength(2);
  });

  it('can match frames whose line numbers moved', () => {
    const base = syntheticSnapshot([
      {
        stack: [
          ['main', '/p/a.py', 3],
          ['work', '/p/a.py', 10],
        ],
        bytes: 10,
      },
    ]);
    const target = syntheticSnapshot([
      {
        stack: [
          ['main', '/p/a.py', 5],
          ['work', '/p/a.py', 12],
        ],
        bytes: 30,
      },
    ]);
    const strict = mergeDiffFlame(buildFlameTree(base, {}), buildFlameTree(target, {}));
    expect(strict.parent.length).toBe(5);
    const loose = mergeDiffFlame(buildFlameTree(base, {}), buildFlameTree(target, {}), {
      ...matchCaptures({ files: [] }, { files: [] }),
      ignoreLines: true,
    });
    expect(loose.parent.length).toBe(3);
    expect([loose.baseBytes[2], loose.targetBytes[2]]).toEqual([10, 30]);
    expect(loose.frames[loose.frame[2]].line).toBe(12); // target's frame is shown
  });

  it('uses exact matching when both captures ran from the same place, module-relative with v13 roots', () => {
    const a = program('/p', '/v');
    expect(matchCaptures({ files: a.frames.files }, { files: a.frames.files }).matching).toBe('exact');
    const facts = (root: string) => ({ sysPath: [`${root}/app`], sitePackages: [`${root}/sp`] });
    expect(matchCaptures({ facts: facts('/a'), files: [] }, { facts: facts('/b'), files: [] }).matching).toBe(
      'module-relative',
    );
  });
});
