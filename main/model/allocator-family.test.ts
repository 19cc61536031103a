import { describe, expect, it } from 'vitest';
import { allocatorFamily, familyTotals, libraryFamily, sizeHistogram } from './allocator-family';

describe('allocatorFamily', () => {
  it('maps memray allocator names (any case) to families', () => {
    expect(['PYMALLOC_MALLOC', 'pymalloc_calloc', 'PYMALLOC_REALLOC'].map((n) => allocatorFamily(n))).toEqual(
      ['pymalloc', 'pymalloc', 'pymalloc'],
    );
    expect(['MMAP', 'munmap'].map((n) => allocatorFamily(n))).toEqual(['mmap', 'mmap']);
    expect(
      [
        'MALLOC',
        'CALLOC',
        'REALLOC',
        'POSIX_MEMALIGN',
        'ALIGNED_ALLOC',
        'MEMALIGN',
        'VALLOC',
        'PVALLOC',
      ].every((n) => allocatorFamily(n) === 'malloc'),
    ).toBe(true);
    expect(allocatorFamily('SOMETHING')).toBe('other');
  });
  it('attributes jemalloc / mimalloc from the libraries on the native stack', () => {
    expect(libraryFamily(['/usr/lib/libffi.so.8', '/lib/x86_64-linux-gnu/libjemalloc.so.2'])).toBe(
      'jemalloc',
    );
    expect(allocatorFamily('MMAP', ['libffi.so.8', '/usr/lib/libmimalloc.so.2'])).toBe('mimalloc');
    expect(allocatorFamily('MMAP', ['libc.so.6'])).toBe('mmap');
  });
  it('sums families', () => {
    expect(
      familyTotals([
        { name: 'MALLOC', bytes: 5, count: 1 },
        { name: 'CALLOC', bytes: 7, count: 2 },
        { name: 'MMAP', bytes: 100, count: 1 },
      ]),
    ).toEqual([
      { family: 'mmap', bytes: 100, count: 1 },
      { family: 'malloc', bytes: 12, count: 3 },
    ]);
  });
});

describe('sizeHistogram', () => {
  it('puts 512 bytes on a bin edge and counts everything', () => {
    const bins = sizeHistogram([1, 512, 513, 4096, 100], [2, 3, 4, 1, 1]);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(11);
    const at512 = bins.find((b) => b.minBytes <= 512 && 512 <= b.maxBytes)!;
    expect(at512.maxBytes).toBe(512);
    expect(at512.count).toBe(3);
    const above = bins.find((b) => b.minBytes <= 513 && 513 <= b.maxBytes)!;
    expect(above.minBytes).toBe(513);
    expect(above.count).toBe(4);
    for (let i = 1; i < bins.length; i++) expect(bins[i].minBytes).toBe(bins[i - 1].maxBytes + 1);
  });
});
