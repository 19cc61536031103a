// memray's allocator enumeration (vocabulary.ts) against the table of
// docs/formats/memray-format.md §13.1, read from the document itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorFamily } from '../allocator-family';
import {
  ALLOCATOR_FAMILY,
  ALLOCATOR_KIND,
  ALLOCATOR_NAMES,
  AllocatorKind,
  IS_PYMALLOC_ALLOCATION,
  LIBC_ALLOCATION_IDS,
  V12_TO_CANONICAL,
} from './vocabulary';

const DOC = readFileSync(join(import.meta.dirname, '../../../docs/formats/memray-format.md'), 'utf8');

const KINDS: Record<string, AllocatorKind> = {
  'simple allocator': AllocatorKind.SIMPLE_ALLOCATOR,
  'simple deallocator': AllocatorKind.SIMPLE_DEALLOCATOR,
  'ranged allocator': AllocatorKind.RANGED_ALLOCATOR,
  'ranged deallocator': AllocatorKind.RANGED_DEALLOCATOR,
};

/** The rows of §13.1's table: name | v10/v11 id | v12/v13 id | kind. */
function documentedAllocators(): { name: string; v10: number; v12: number; kind: AllocatorKind }[] {
  const section = DOC.slice(DOC.indexOf('### 13.1 Allocator enumeration'), DOC.indexOf('### 13.2'));
  return [...section.matchAll(/^\| ([A-Z_]+) \| (\d+) \| (\d+) \| \**([a-z ]+?)\** \|$/gm)].map((m) => ({
    name: m[1],
    v10: Number(m[2]),
    v12: Number(m[3]),
    kind: KINDS[m[4]],
  }));
}

describe('memray allocator vocabulary', () => {
  const rows = documentedAllocators();

  it('has every allocator of the format document, by both ids, with its kind', () => {
    expect(rows).toHaveLength(15);
    for (const row of rows) {
      expect(ALLOCATOR_NAMES[row.v10]).toBe(row.name);
      expect(V12_TO_CANONICAL[row.v12]).toBe(row.v10);
      expect(ALLOCATOR_KIND[row.v10]).toBe(row.kind);
    }
    expect(ALLOCATOR_NAMES).toHaveLength(16);
    expect(V12_TO_CANONICAL[0]).toBe(0);
  });

  it('families: PYMALLOC_* are pymalloc, MMAP and MUNMAP mmap, the rest malloc, by id and by name', () => {
    for (const row of rows) {
      const expected = row.name.startsWith('PYMALLOC_')
        ? 'pymalloc'
        : row.name === 'MMAP' || row.name === 'MUNMAP'
          ? 'mmap'
          : 'malloc';
      expect(ALLOCATOR_FAMILY[row.v10]).toBe(expected);
      expect(allocatorFamily(row.name)).toBe(expected);
      expect(allocatorFamily(row.name.toLowerCase())).toBe(expected);
    }
  });

  it('the id sets the layout reads: pymalloc allocations and libc allocation calls, by name', () => {
    expect(ALLOCATOR_NAMES.filter((_, id) => IS_PYMALLOC_ALLOCATION[id] === 1)).toEqual([
      'PYMALLOC_MALLOC',
      'PYMALLOC_CALLOC',
      'PYMALLOC_REALLOC',
    ]);
    expect(LIBC_ALLOCATION_IDS.map((id) => ALLOCATOR_NAMES[id]).sort()).toEqual([
      'ALIGNED_ALLOC',
      'CALLOC',
      'MALLOC',
      'MEMALIGN',
      'POSIX_MEMALIGN',
      'PVALLOC',
      'REALLOC',
      'VALLOC',
    ]);
  });
});
