import { describe, expect, it } from 'vitest';
import { siteLabel } from './labels';
import { describeFilter } from './filters';

describe('siteLabel', () => {
  it('names a site by function and location, or by what it has', () => {
    expect(siteLabel({ function: 'f', file: 'a/b.py', line: 12 })).toBe('f at a/b.py:12');
    expect(siteLabel({ function: 'f', file: 'libx.so', line: 0 })).toBe('f at libx.so');
    // tracemalloc records no function names.
    expect(siteLabel({ function: '', file: 'a.py', line: 3 })).toBe('a.py:3');
    expect(siteLabel({ function: 'f', file: '', line: 0, module: 'pkg.mod' })).toBe('f at pkg.mod');
    expect(siteLabel({ function: '', file: '', line: 0 })).toBe('(unknown)');
    expect(siteLabel({ function: 'g', file: 'libx.so', line: 0, source: { file: 'x.c', line: 5 } })).toBe(
      'g at x.c:5 (libx.so)',
    );
  });
});

describe('describeFilter', () => {
  it('states every choice, the defaults included', () => {
    expect(describeFilter({})).toBe('import-system frames shown; internals shown; threads merged');
    expect(
      describeFilter({
        hideImportSystem: true,
        hideInternals: true,
        pythonOnly: true,
        mergeThreads: false,
        allocators: ['MALLOC', 'MMAP'],
      }),
    ).toBe(
      'import-system frames hidden; memray/tracemalloc/runpy internals hidden; Python frames only; threads kept apart; allocators MALLOC, MMAP',
    );
  });
});
