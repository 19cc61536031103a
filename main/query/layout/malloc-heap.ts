import type { HeapPin, MallocHeapLayout, ThreadHeap } from '../../../shared/layout';
import { siteKey } from '../table';

/**
 * glibc malloc's heaps, from the addresses of live malloc-family allocations (x86-64 glibc, the
 * platform memray records on). Every number is an estimate; these are the rules, shown as such.
 */
export const MALLOC_RULES = {
  chunk:
    'Chunks: each allocation occupies max(32, its size + 8 rounded up to 16) bytes (glibc’s chunk header and alignment).',
  ownMmap:
    'Own mapping: an allocation of at least 128 KiB (glibc’s default M_MMAP_THRESHOLD) whose address is 16 bytes past a page boundary got an mmap of its own, which free() returns at once. The threshold rises (up to 32 MiB) as such blocks are freed, so later large ones may sit in a heap instead.',
  brk: 'Main (brk) heap: the lowest live allocations, up to the first gap of 16 GiB or more and below any address known to be in the mmap area (pymalloc pools, mmap ranges, own mappings). It spans from its lowest live allocation to the end of its highest one; glibc can only shrink it from the top, so the highest live allocation pins everything below it.',
  freeBelowTop:
    'Freed but held: the brk heap’s span minus its live chunks. malloc_trim(0) can return the whole free pages of it (and free() returns the top only when more than M_TRIM_THRESHOLD, 128 KiB, is free above the highest chunk). An upper bound: what was allocated before tracking started, or by code memray does not hook, sits there too.',
  untracked:
    'memray saw no libc malloc call in this capture (no MALLOC, CALLOC, REALLOC … records; the PYMALLOC_* blocks above 512 bytes are the interpreter’s): untracked native allocations may fill the heaps, so their free space is shown as an upper bound and not counted as held.',
  thread:
    'Thread arenas: glibc gives threads arenas whose heaps are HEAP_MAX_SIZE (64 MiB) regions aligned to 64 MiB; live allocations in the mmap area are grouped by that alignment. Held: from the heap’s start to its highest live chunk, minus its live chunks.',
};

const MMAP_THRESHOLD = 128 * 1024;
const HEAP_MAX = 64 * 1024 * 1024;
const BRK_GAP = 16 * 1024 ** 3;
/** glibc's heap_info + malloc_state at the start of a thread arena's first heap, roughly. */
const THREAD_HEAP_HEADER = 2240;

export function chunkBytes(size: number): number {
  return Math.max(32, Math.ceil((size + 8) / 16) * 16);
}

export function isOwnMmap(address: number, size: number): boolean {
  return size + 8 >= MMAP_THRESHOLD && address % 4096 === 16;
}

export interface MallocBlocks {
  n: number;
  address: Float64Array;
  size: Float64Array;
  key: Int32Array;
  allocator: string[];
}

export interface HeapSite {
  siteOfKey: (key: number) => { function: string; file: string; line: number };
}

/** Where each block lives: 0 brk heap, 1 thread heap, 2 own mapping. */
export interface MallocClassification {
  layout: MallocHeapLayout;
  where: Uint8Array;
}

/**
 * Classifies live malloc-family blocks. `mmapFloor` is the lowest address known to be in the
 * mmap area (pymalloc pools, mmap ranges), Infinity when none.
 */
export function classifyMallocHeap(
  blocks: MallocBlocks,
  mmapFloor: number,
  sites: HeapSite,
  heldEstimated = true,
): MallocClassification {
  const where = new Uint8Array(blocks.n);
  let ownCount = 0;
  let ownBytes = 0;
  let floor = mmapFloor;
  const rest: number[] = [];
  for (let i = 0; i < blocks.n; i++) {
    if (isOwnMmap(blocks.address[i], blocks.size[i])) {
      where[i] = 2;
      ownCount++;
      ownBytes += blocks.size[i];
      if (blocks.address[i] < floor) floor = blocks.address[i];
    } else rest.push(i);
  }
  rest.sort((a, b) => blocks.address[a] - blocks.address[b]);
  // the brk heap: the lowest run, up to a big gap, below the mmap area
  let brkEnd = 0;
  if (rest.length > 0 && blocks.address[rest[0]] < floor) {
    let end = blocks.address[rest[0]] + blocks.size[rest[0]];
    brkEnd = 1;
    for (; brkEnd < rest.length; brkEnd++) {
      const a = blocks.address[rest[brkEnd]];
      if (a - end >= BRK_GAP || a >= floor) break;
      end = Math.max(end, a + blocks.size[rest[brkEnd]]);
    }
  }
  let brk: MallocHeapLayout['brk'];
  if (brkEnd > 0) {
    let live = 0;
    let chunks = 0;
    let top = -1;
    let pinAt = -1;
    for (let j = 0; j < brkEnd; j++) {
      const i = rest[j];
      where[i] = 0;
      live += blocks.size[i];
      chunks += chunkBytes(blocks.size[i]);
      const end = blocks.address[i] + blocks.size[i];
      if (end > top) {
        top = end;
        pinAt = i;
      }
    }
    const from = blocks.address[rest[0]] - 16;
    const site = sites.siteOfKey(blocks.key[pinAt]);
    const pin: HeapPin = {
      address: blocks.address[pinAt],
      size: blocks.size[pinAt],
      allocator: blocks.allocator[pinAt],
      key: siteKey('line', [site.function, site.file, site.line]),
      ...site,
    };
    brk = {
      fromAddress: from,
      topAddress: top,
      liveBytes: live,
      liveCount: brkEnd,
      freeBelowTopBytes: Math.max(0, top - from - chunks),
      pin,
    };
  }
  const heaps = new Map<number, ThreadHeap & { chunks: number; end: number }>();
  for (let j = brkEnd; j < rest.length; j++) {
    const i = rest[j];
    where[i] = 1;
    const base = Math.floor(blocks.address[i] / HEAP_MAX) * HEAP_MAX;
    let h = heaps.get(base);
    if (!h)
      heaps.set(
        base,
        (h = { address: base, spanBytes: 0, liveBytes: 0, liveCount: 0, freeBytes: 0, chunks: 0, end: base }),
      );
    h.liveBytes += blocks.size[i];
    h.liveCount++;
    h.chunks += chunkBytes(blocks.size[i]);
    h.end = Math.max(h.end, blocks.address[i] + blocks.size[i]);
  }
  const threadHeaps: ThreadHeap[] = [...heaps.values()]
    .sort((a, b) => a.address - b.address)
    .map((h) => {
      const span = h.end - h.address;
      return {
        address: h.address,
        spanBytes: span,
        liveBytes: h.liveBytes,
        liveCount: h.liveCount,
        freeBytes: Math.max(0, span - h.chunks - THREAD_HEAP_HEADER),
      };
    });
  let liveBytes = 0;
  for (let i = 0; i < blocks.n; i++) liveBytes += blocks.size[i];
  return {
    where,
    layout: {
      modelled: true,
      heldEstimated,
      ...(brk && { brk }),
      threadHeaps,
      threadHeldBytes: threadHeaps.reduce((s, h) => s + h.freeBytes, 0),
      ownMmap: { count: ownCount, bytes: ownBytes },
      liveCount: blocks.n,
      liveBytes,
      rules: [
        MALLOC_RULES.chunk,
        MALLOC_RULES.ownMmap,
        MALLOC_RULES.brk,
        MALLOC_RULES.freeBelowTop,
        MALLOC_RULES.thread,
      ],
    },
  };
}
