/**
 * memray's vocabulary, defined once: the allocator enumeration in both numberings, what each
 * allocator does to the heap and which family it belongs to (docs/formats/memray-format.md
 * §13.1), and the record type names `memray parse` prints. The record readers
 * (main/formats/memray), the heap replay and the allocator families (main/model) import it from
 * here. The WebAssembly record loop (main/formats/memray/wasm/assembly/totals.ts) cannot import
 * TypeScript; main/formats/memray/wasm/vocabulary.test.ts checks that its copies equal these.
 */

/**
 * What an allocator does to the heap (memray's `AllocatorKind`). A `const enum`: the bundler
 * writes the numbers in place, so the record loops pay nothing for the names.
 */
export const enum AllocatorKind {
  SIMPLE_ALLOCATOR = 0,
  SIMPLE_DEALLOCATOR = 1,
  RANGED_ALLOCATOR = 2,
  RANGED_DEALLOCATOR = 3,
}

/** The families the memray allocators fall in by name; jemalloc / mimalloc come from libraries. */
export type MemrayAllocatorFamily = 'pymalloc' | 'malloc' | 'mmap';

interface Allocator {
  name: string;
  /** The id in v12/v13 captures (the canonical id is the v10/v11 one: the position below). */
  v12: number;
  kind: AllocatorKind;
  family: MemrayAllocatorFamily;
}

/** §13.1, in canonical order: memray's v10/v11 numbering (also its Python `AllocatorType`), 1–15. */
const ALLOCATORS: readonly Allocator[] = [
  { name: 'MALLOC', v12: 6, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'FREE', v12: 5, kind: AllocatorKind.SIMPLE_DEALLOCATOR, family: 'malloc' },
  { name: 'CALLOC', v12: 8, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'REALLOC', v12: 7, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'POSIX_MEMALIGN', v12: 9, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'ALIGNED_ALLOC', v12: 10, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'MEMALIGN', v12: 11, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'VALLOC', v12: 12, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'PVALLOC', v12: 13, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'malloc' },
  { name: 'MMAP', v12: 14, kind: AllocatorKind.RANGED_ALLOCATOR, family: 'mmap' },
  { name: 'MUNMAP', v12: 15, kind: AllocatorKind.RANGED_DEALLOCATOR, family: 'mmap' },
  { name: 'PYMALLOC_MALLOC', v12: 2, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'pymalloc' },
  { name: 'PYMALLOC_CALLOC', v12: 3, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'pymalloc' },
  { name: 'PYMALLOC_REALLOC', v12: 4, kind: AllocatorKind.SIMPLE_ALLOCATOR, family: 'pymalloc' },
  { name: 'PYMALLOC_FREE', v12: 1, kind: AllocatorKind.SIMPLE_DEALLOCATOR, family: 'pymalloc' },
];

/** Canonical id → name as stats.json prints it; id 0 is no allocator (readers refuse it). */
export const ALLOCATOR_NAMES: readonly string[] = ['', ...ALLOCATORS.map((a) => a.name)];

export const A_MMAP = ALLOCATOR_NAMES.indexOf('MMAP');

/**
 * Canonical id → kind, read once per ALLOCATION record. Id 0 reads as a deallocator, which
 * leaves the heap alone, though no reader lets an id 0 through.
 */
export const ALLOCATOR_KIND = Uint8Array.from([
  AllocatorKind.SIMPLE_DEALLOCATOR,
  ...ALLOCATORS.map((a) => a.kind),
]);

/** Canonical id → 1 for the allocations pymalloc serves (PYMALLOC_MALLOC, _CALLOC, _REALLOC). */
export const IS_PYMALLOC_ALLOCATION = Uint8Array.from([
  0,
  ...ALLOCATORS.map((a) => (a.family === 'pymalloc' && a.kind === AllocatorKind.SIMPLE_ALLOCATOR ? 1 : 0)),
]);

/** Canonical ids of libc's allocation calls (MALLOC … PVALLOC, not FREE). */
export const LIBC_ALLOCATION_IDS: readonly number[] = ALLOCATORS.flatMap((a, i) =>
  a.family === 'malloc' && a.kind === AllocatorKind.SIMPLE_ALLOCATOR ? [i + 1] : [],
);

/** v12/v13 allocator id → canonical id (0 stays 0: invalid in both). */
export const V12_TO_CANONICAL = new Uint8Array(16);
ALLOCATORS.forEach((a, i) => (V12_TO_CANONICAL[a.v12] = i + 1));

/** Canonical id → family (`undefined` for id 0). */
export const ALLOCATOR_FAMILY: readonly (MemrayAllocatorFamily | undefined)[] = [
  undefined,
  ...ALLOCATORS.map((a) => a.family),
];

/** Record type names as `memray parse` prints them, for per-type counts (index = count slot). */
export const RECORD_TYPES = [
  'ALLOCATION',
  'ALLOCATION_WITH_NATIVE',
  'FRAME_ID',
  'FRAME_PUSH',
  'FRAME_POP',
  'NATIVE_FRAME_ID',
  'MEMORY_MAP_START',
  'SEGMENT_HEADER',
  'SEGMENT',
  'MEMORY_RECORD',
  'CONTEXT_SWITCH',
  'THREAD',
  'TRAILER',
  'CODE_OBJECT',
  'OBJECT_RECORD',
  'MEMORY_SNAPSHOT',
  'AGGREGATED_ALLOCATION',
  'PYTHON_FRAME_INDEX',
  'PYTHON_TRACE_INDEX',
  'SURVIVING_OBJECT',
  'AGGREGATED_TRAILER',
] as const;
export type RecordTypeName = (typeof RECORD_TYPES)[number];
/** Record type name → its count slot. */
export const R = Object.fromEntries(RECORD_TYPES.map((n, i) => [n, i])) as Record<RecordTypeName, number>;

/**
 * The columns of `memray transform csv` (memray/reporters/transform.py), which Heapscope reads
 * as a capture and writes as an export. `stack_trace` is `function;file;line` frames joined by
 * `|`, most recent first.
 */
export const MEMRAY_CSV_COLUMNS = [
  'allocator',
  'num_allocations',
  'size',
  'tid',
  'thread_name',
  'stack_trace',
] as const;
