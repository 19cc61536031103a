import type { AllocatorFamily, SizeBin } from '../../shared/api';
import { ALLOCATOR_FAMILY, ALLOCATOR_NAMES } from './memray/vocabulary';

/** CPython's small-object threshold: requests above it bypass pymalloc and go to malloc. */
export const PYMALLOC_THRESHOLD_BYTES = 512;

/** The families in the order the memray model keeps per-family sums (index = slot). */
export const FAMILIES: readonly AllocatorFamily[] = [
  'pymalloc',
  'malloc',
  'mmap',
  'jemalloc',
  'mimalloc',
  'other',
];

/**
 * The library a native stack passes through decides jemalloc / mimalloc: memray only sees the
 * libc entry points (or the mmap calls the arena makes), never the third-party allocator's own
 * name, so the names of the shared objects on the stack are the only evidence.
 */
export function libraryFamily(libraryNames: Iterable<string>): 'jemalloc' | 'mimalloc' | undefined {
  for (const raw of libraryNames) {
    const base = raw.split(/[\\/]/).pop()?.toLowerCase() ?? '';
    if (base.startsWith('libjemalloc')) return 'jemalloc';
    if (base.startsWith('libmimalloc')) return 'mimalloc';
  }
  return undefined;
}

/**
 * memray allocator enum name (upper or lower case, as stats.json and the table reporter print
 * them) → family: memray's own names by its enumeration (memray/vocabulary.ts), other names by
 * their prefix. `nativeLibraries` are the shared objects of the allocation's native stack,
 * when the capture has one; they win over the entry point because an arena's MMAP is still a
 * jemalloc/mimalloc allocation.
 */
export function allocatorFamily(name: string, nativeLibraries?: Iterable<string>): AllocatorFamily {
  if (nativeLibraries) {
    const lib = libraryFamily(nativeLibraries);
    if (lib) return lib;
  }
  const upper = name.toUpperCase();
  const memray = ALLOCATOR_FAMILY[ALLOCATOR_NAMES.indexOf(upper)];
  if (memray) return memray;
  if (upper.startsWith('PYMALLOC')) return 'pymalloc';
  if (upper === 'MMAP64') return 'mmap';
  if (upper.includes('JEMALLOC') || upper.startsWith('JE_')) return 'jemalloc';
  if (upper.includes('MIMALLOC') || upper.startsWith('MI_')) return 'mimalloc';
  return 'other';
}

/**
 * Log-scale size histogram (powers of two by default), so the 512-byte pymalloc boundary falls
 * on a bin edge. `sizes`/`counts` are parallel; empty leading/trailing bins are dropped.
 */
export function sizeHistogram(
  sizes: ArrayLike<number>,
  counts?: ArrayLike<number>,
  options: { base?: number } = {},
): SizeBin[] {
  const base = options.base ?? 2;
  const bins = new Map<number, number>();
  const logBase = Math.log(base);
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i];
    const n = counts ? counts[i] : 1;
    if (n === 0) continue;
    // Bin k holds sizes in (base^(k-1), base^k]; size 0 and 1 share bin 0.
    const k = size <= 1 ? 0 : Math.ceil(Math.log(size) / logBase - 1e-9);
    bins.set(k, (bins.get(k) ?? 0) + n);
  }
  if (bins.size === 0) return [];
  const keys = [...bins.keys()];
  const lo = Math.min(...keys);
  const hi = Math.max(...keys);
  const out: SizeBin[] = [];
  for (let k = lo; k <= hi; k++) {
    out.push({
      minBytes: k === 0 ? 0 : Math.floor(base ** (k - 1)) + 1,
      maxBytes: Math.floor(base ** k),
      count: bins.get(k) ?? 0,
    });
  }
  return out;
}

/** Sums a breakdown per allocator name into families, largest first. */
export function familyTotals(
  byAllocator: readonly { name: string; family?: AllocatorFamily; bytes: number; count: number }[],
): { family: AllocatorFamily; bytes: number; count: number }[] {
  const acc = new Map<AllocatorFamily, { family: AllocatorFamily; bytes: number; count: number }>();
  for (const a of byAllocator) {
    const family = a.family ?? allocatorFamily(a.name);
    const entry = acc.get(family) ?? { family, bytes: 0, count: 0 };
    entry.bytes += a.bytes;
    entry.count += a.count;
    acc.set(family, entry);
  }
  return [...acc.values()].sort((a, b) => b.bytes - a.bytes);
}
