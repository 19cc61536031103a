/**
 * A capture whose memory layout is known by construction (issue 14): small blocks placed to fill
 * chosen pools of a few arenas, a few kept to pin them, raw-domain blocks off the pool grid, a brk
 * heap whose top is pinned above a hole, a thread-arena heap, an allocation with a mapping of its
 * own and an mmap range. test/node/layout-crafted.test.ts derives the expected layout from the
 * events; the CLI tests use it too.
 */
import { ALLOC, frameLine, type CaptureEvent, type CaptureProgram, type CodeObject } from './memray-capture';

export const CODES: CodeObject[] = [
  { id: 1, name: 'load_cache', file: '/srv/app/cache.py', firstLine: 10 },
  { id: 2, name: 'churn', file: '/srv/app/work.py', firstLine: 40 },
  { id: 3, name: 'native_buffers', file: '/srv/app/buffers.py', firstLine: 70 },
];
export const site = (code: number) => {
  const c = CODES[code - 1];
  return { function: c.name, file: c.file, line: frameLine(12, c, { code, offset: 0, entry: false }) };
};

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const POOL = 16 * KIB;
export const ARENA = MIB;
export const OVERHEAD = 48;
/** Two arenas of the mmap area (1 MiB apart: mapped one after the other). */
export const A1 = 0x7f1000000000;
export const A2 = A1 + ARENA;
export const CHURN_ARENAS = 10;
export const RAW = 0x555555559000;
export const BRK_LOW = 0x555555560010;
export const BRK_PIN = 0x55555a000010;
export const OWN_MMAP = 0x7f2000000010;
export const THREAD_HEAP = 0x7f3004000000;
export const RANGE = 0x7f4000000000;

export interface Built {
  program: CaptureProgram;
  /** Memory record times, in order. */
  records: number[];
}

/** The crafted program: phases separated by memory records. */
export function craft(header?: CaptureProgram['header'], churnArenas = CHURN_ARENAS): Built {
  const events: CaptureEvent[] = [{ kind: 'switch', tid: 1 }];
  const records: number[] = [];
  const inFrame = (code: number, body: () => void) => {
    events.push({ kind: 'push', frame: { code, offset: 0, entry: false } });
    body();
    events.push({ kind: 'pop', count: 1 });
  };
  const alloc = (allocator: number, address: number, size: number) =>
    events.push({ kind: 'alloc', allocator, address, size });
  const free = (allocator: number, address: number) => events.push({ kind: 'free', allocator, address });
  const memory = (ms: number) => {
    records.push(ms);
    events.push({ kind: 'memory', rss: 200 * MIB + ms * KIB, ms });
  };
  // phase 1: load_cache fills pool 0 (100 × 30 B → 32 B blocks) and pool 1 (50 × 60 B → 64 B) of A1
  inFrame(1, () => {
    for (let i = 0; i < 100; i++) alloc(ALLOC.PYMALLOC_MALLOC, A1 + OVERHEAD + 32 * i, 30);
    for (let i = 0; i < 50; i++) alloc(ALLOC.PYMALLOC_CALLOC, A1 + POOL + OVERHEAD + 64 * i, 60);
  });
  // native_buffers: the malloc heap, an own mapping, a thread heap, an mmap range
  inFrame(3, () => {
    alloc(ALLOC.MALLOC, BRK_LOW, 100);
    alloc(ALLOC.MALLOC, BRK_LOW + 0x1000, 4000);
    alloc(ALLOC.PYMALLOC_MALLOC, BRK_LOW + 0x10000, 1000); // > 512 B: malloc's
    alloc(ALLOC.MALLOC, OWN_MMAP, 2 * MIB);
    alloc(ALLOC.MALLOC, THREAD_HEAP + 0x8b0, 1000);
    alloc(ALLOC.CALLOC, THREAD_HEAP + 0x1000, 500);
    alloc(ALLOC.MMAP, RANGE, 3 * MIB);
    // raw-domain PyMem_RawMalloc blocks, recorded as PYMALLOC_*: off the pool grid
    alloc(ALLOC.PYMALLOC_MALLOC, RAW + 0x20, 32);
    alloc(ALLOC.PYMALLOC_MALLOC, RAW + 0x68, 40);
  });
  memory(10);
  // phase 2: churn fills every pool of ten arenas A2 … A11 with 100 B requests (112 B blocks), but
  // pool 7 of A2, where load_cache gets two of the last slots; the heap peaks here
  const perPool = Math.floor((POOL - OVERHEAD) / 112);
  const churned: number[] = [];
  inFrame(2, () => {
    for (let ar = 0; ar < churnArenas; ar++)
      for (let p = 0; p < 64; p++)
        for (let i = 0; i < (ar === 0 && p === 7 ? perPool - 2 : perPool); i++) {
          const a = A2 + ar * ARENA + p * POOL + OVERHEAD + 112 * i;
          alloc(ALLOC.PYMALLOC_MALLOC, a, 100);
          churned.push(a);
        }
  });
  inFrame(1, () => {
    alloc(ALLOC.PYMALLOC_MALLOC, A2 + 7 * POOL + OVERHEAD + 112 * (perPool - 2), 100);
    alloc(ALLOC.PYMALLOC_MALLOC, A2 + 7 * POOL + OVERHEAD + 112 * (perPool - 1), 100);
  });
  memory(20);
  // phase 3: churn frees all but three blocks in pool 40 of A2 and one in each other arena; the
  // brk heap's top gets pinned
  const kept = new Set([
    A2 + 40 * POOL + OVERHEAD,
    A2 + 40 * POOL + OVERHEAD + 112,
    A2 + 40 * POOL + OVERHEAD + 224,
  ]);
  for (let ar = 1; ar < churnArenas; ar++) kept.add(A2 + ar * ARENA + ar * POOL + OVERHEAD + 112 * ar);
  for (const a of churned) if (!kept.has(a)) free(ALLOC.PYMALLOC_FREE, a);
  inFrame(3, () => alloc(ALLOC.MALLOC, BRK_PIN, 4096));
  memory(30);
  // phase 4: load_cache drops half of pool 0
  for (let i = 0; i < 50; i++) free(ALLOC.PYMALLOC_FREE, A1 + OVERHEAD + 32 * i);
  memory(40);
  return {
    program: { version: 12, codes: CODES, events, startTimeMs: 1_700_000_000_000, ...(header && { header }) },
    records,
  };
}
