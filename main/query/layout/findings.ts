import type { Finding } from '../../../shared/api';
import type { MemoryLayout } from '../../../shared/layout';
import {
  formatBytes,
  formatCount,
  formatCountOf,
  formatPercent,
  type UnitSystem,
} from '../../../shared/units';
import { siteLabel } from '../../../shared/present';

/**
 * Findings of a memory layout: what holds the memory, the evidence, and the remedies people use,
 * each a suggestion with its trade-off. Every number is the layout's own (estimates, as labelled).
 */

/** Held bytes below this are not worth a finding. */
const MIN_HELD = 8 * 1024 * 1024;
/** Free space below the brk heap's top worth a finding. */
const MIN_FREE_BELOW_TOP = 16 * 1024 * 1024;

const PYMALLOC_REMEDIES =
  'Remedies (suggestions): free what keeps the blocks alive — clear caches (functools.lru_cache’s cache_clear(), module-level dicts), drop references, gc.collect() for reference cycles — at the cost of recomputing what they held; ' +
  'create long-lived objects together (e.g. fill caches before a burst of temporaries) so they share arenas, at the cost of restructuring the code; ' +
  'or run with PYTHONMALLOC=malloc, which sends small objects to glibc malloc (no arenas to pin, and malloc_trim can return free pages), at the cost of slower small-object allocation and glibc fragmentation of its own.';

const BRK_REMEDIES =
  'Remedies (suggestions): call malloc_trim(0) after freeing large structures (ctypes.CDLL("libc.so.6").malloc_trim(0)), which returns the free pages below the top without moving anything, at the cost of a pass over the heap; ' +
  'free or reallocate the pinning block earlier, or allocate long-lived blocks before short-lived ones; ' +
  'or lower MALLOC_MMAP_THRESHOLD_ so large blocks get mappings of their own that free() returns at once, at the cost of more mmap/munmap calls.';

const ARENA_REMEDIES =
  'Remedy (suggestion): MALLOC_ARENA_MAX=2 (or 1) caps glibc’s arenas, so threads share heaps and less memory sits free in per-thread heaps, at the cost of more lock contention between threads that allocate at the same time.';

export function layoutFindings(layout: MemoryLayout, units: UnitSystem): Finding[] {
  const out: Finding[] = [];
  const b = (n: number) => formatBytes(n, units);
  const p = layout.pymalloc;
  if (p.modelled && p.arenas > 0 && p.heldBytes >= MIN_HELD) {
    const used = p.liveBytes / Math.max(p.arenaBytes, 1);
    let text = `pymalloc holds ${b(p.heldBytes)} beyond its live blocks (estimate): ${formatCountOf(p.arenas, 'arena')} (${b(p.arenaBytes)}) ${p.arenas === 1 ? 'is' : 'are'} ${formatPercent(used, 0)} used by ${formatCountOf(p.liveBlocks, 'live small block')} (${b(p.liveBytes)}), in ${formatCountOf(p.pools, 'pool')}.`;
    if (p.sparseArenas > 0) {
      text += ` ${formatCountOf(p.sparseArenas, 'arena')} ${p.sparseArenas === 1 ? 'is' : 'are'} at most ${formatPercent(p.sparseShare, 0)} used: pymalloc returns an arena to the OS only when all its pools are empty, so a few live blocks keep each of them.`;
      const top = p.pinning[0];
      if (top)
        text += ` ${formatCountOf(top.blocks, 'live block')} from ${siteLabel(top)} keep${top.blocks === 1 ? 's' : ''} ${formatCount(top.arenas)} of them resident (their share: ${b(top.keptBytes)}).`;
    }
    out.push({
      severity: p.heldBytes >= Math.max(64 * 1024 * 1024, p.liveBytes) ? 'warning' : 'info',
      code: 'layout-pymalloc-held',
      text: `${text} ${PYMALLOC_REMEDIES}`,
    });
  }
  const brk = layout.mallocHeap.brk;
  if (brk && layout.mallocHeap.heldEstimated && brk.freeBelowTopBytes >= MIN_FREE_BELOW_TOP) {
    const pin = brk.pin;
    const pinText = pin
      ? `the malloc heap’s top is pinned by a ${b(pin.size)} ${pin.allocator} block from ${siteLabel(pin)}; `
      : '';
    out.push({
      severity: brk.freeBelowTopBytes >= 64 * 1024 * 1024 ? 'warning' : 'info',
      code: 'layout-brk-pinned',
      text: `${pinText}${b(brk.freeBelowTopBytes)} below it is free but held (estimate: the brk heap spans ${b(brk.topAddress - brk.fromAddress)} for ${b(brk.liveBytes)} of live blocks). ${BRK_REMEDIES}`,
    });
  }
  const mh = layout.mallocHeap;
  if (mh.heldEstimated && mh.threadHeaps.length >= 2 && mh.threadHeldBytes >= MIN_HELD)
    out.push({
      severity: 'info',
      code: 'layout-thread-arenas',
      text: `${mh.threadHeaps.length} glibc thread-arena heaps hold ${b(mh.threadHeldBytes)} beyond their live blocks (estimate). ${ARENA_REMEDIES}`,
    });
  for (const m of layout.mappings.byFamily) {
    if ((m.family !== 'jemalloc' && m.family !== 'mimalloc') || m.reservedBytes < MIN_HELD) continue;
    const used = m.usedBytes !== undefined ? `, ${b(m.usedBytes)} of it in live malloc blocks` : '';
    const remedy =
      m.family === 'jemalloc'
        ? 'Remedy (suggestion): MALLOC_CONF="background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0" makes jemalloc return unused pages sooner, at the cost of more page faults when they are needed again.'
        : 'Remedy (suggestion): MIMALLOC_PURGE_DELAY=0 (or mi_collect(true)) makes mimalloc return unused pages at once, at the cost of more page faults and system calls.';
    out.push({
      severity: 'info',
      code: `layout-${m.family}-reserved`,
      text: `${m.family} has ${b(m.reservedBytes)} mapped${m.ranges !== undefined ? ` in ${formatCount(m.ranges)} live ranges` : ''}${used} (reserved address space; resident is at most this). ${remedy}`,
    });
  }
  if (layout.rssBytes !== undefined && layout.rssBytes > 0) {
    const rest = Math.max(0, layout.rssBytes - layout.heapBytes - layout.heldBytes);
    out.push({
      severity: 'info',
      code: 'layout-rss-split',
      text: `RSS ${b(layout.rssBytes)} at ${layout.moment.label}: ${b(layout.heapBytes)} live tracked heap, ${b(layout.heldBytes)} held by allocators beyond live blocks (estimate, the parts shown), ${b(rest)} the rest (interpreter, code, file mappings, memory memray does not track).`,
    });
  }
  return out;
}
