import { describe, expect, it } from 'vitest';
import { filteredPath, isImportSystemFrame, isInternalFrame } from './frame-filter';
import { readFixture, snapshotFromMemrayCsv, syntheticSnapshot } from '../export/testing/fixtures';

const names = (s: ReturnType<typeof syntheticSnapshot>, path: number[]) => path.map((f) => s.frames.names[f]);

describe('frame flags', () => {
  it('recognises memray import-system frames', () => {
    expect(isImportSystemFrame('_find_and_load', '<frozen importlib._bootstrap>', 'python')).toBe(true);
    expect(isImportSystemFrame('import_name', 'Python/ceval.c', 'native')).toBe(true);
    expect(isImportSystemFrame('import_name', 'app.py', 'python')).toBe(false);
    expect(isImportSystemFrame('main', 'app.py', 'python')).toBe(false);
  });
  it('recognises internals but not a user project called memray', () => {
    expect(isInternalFrame('<frozen runpy>')).toBe(true);
    expect(isInternalFrame('/usr/lib/python3.11/runpy.py')).toBe(true);
    expect(isInternalFrame('/usr/lib/python3.11/tracemalloc.py')).toBe(true);
    expect(isInternalFrame('/venv/lib/python3.13/site-packages/memray/commands/run.py')).toBe(true);
    expect(isInternalFrame('/home/me/memray/app/models.py')).toBe(false);
  });
});

describe('filteredPath', () => {
  const snap = syntheticSnapshot([
    {
      stack: [
        ['_run_tracker', '/x/site-packages/memray/commands/run.py', 83],
        ['run_path', '<frozen runpy>', 280],
        ['main', '/srv/app/main.py', 10],
        ['_find_and_load', '<frozen importlib._bootstrap>', 1360],
        ['<module>', '/srv/app/lib.py', 3],
        ['helper', '/srv/app/lib.py', 9],
      ],
      bytes: 100,
    },
    {
      stack: [
        ['main', '/srv/app/main.py', 10],
        ['compress', '/srv/app/main.py', 20],
        ['deflate', 'zlib.so', 0, 'native'],
        ['malloc_wrapper', 'libc.so', 0, 'native'],
      ],
      bytes: 50,
    },
  ]);
  const leaf = (i: number) => snap.rows.stack[i];

  it('keeps everything without filters', () => {
    expect(names(snap, filteredPath(snap, leaf(0), {}))).toHaveLength(6);
  });
  it('cuts from the first import-system frame down', () => {
    expect(names(snap, filteredPath(snap, leaf(0), { hideImportSystem: true }))).toEqual([
      '_run_tracker',
      'run_path',
      'main',
    ]);
  });
  it('drops internals and re-parents their callees', () => {
    expect(names(snap, filteredPath(snap, leaf(0), { hideInternals: true }))).toEqual([
      'main',
      '_find_and_load',
      '<module>',
      'helper',
    ]);
    expect(names(snap, filteredPath(snap, leaf(0), { hideInternals: true, hideImportSystem: true }))).toEqual(
      ['main'],
    );
  });
  it('drops native frames in python-only mode', () => {
    expect(names(snap, filteredPath(snap, leaf(1), { pythonOnly: true }))).toEqual(['main', 'compress']);
  });
  it('hides the runpy/memray prologue of a real capture', () => {
    const real = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'));
    for (let r = 0; r < real.rows.length; r++) {
      const path = filteredPath(real, real.rows.stack[r], { hideInternals: true });
      for (const f of path) expect(real.frames.files[f]).not.toMatch(/runpy|memray\/commands/);
    }
  });
});
