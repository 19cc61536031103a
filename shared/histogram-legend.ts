import type { AllocatorBreakdown } from './api';
import { formatBytes, type UnitSystem } from './units';

/**
 * What a capture's size histogram may say about pymalloc, for the app's Allocators view and the
 * HTML report alike (DOM-free): small bins are "pymalloc's" only when the capture traced it.
 */

/**
 * Whether the capture recorded pymalloc's own requests: memray only does with
 * --trace-python-allocators, and then they show up as the pymalloc family. Without them every
 * small block in the histogram is a malloc call, and calling it pymalloc's would mislead.
 */
export function pymallocRecorded(
  breakdown: Pick<AllocatorBreakdown, 'byFamily' | 'byFamilyAll'>,
  tracePythonAllocators: boolean | undefined,
): boolean {
  if (tracePythonAllocators) return true;
  const families = [...breakdown.byFamily, ...(breakdown.byFamilyAll ?? [])];
  return families.some((f) => f.family === 'pymalloc' && (f.bytes > 0 || f.count > 0));
}

/** The sentence under the histogram: what the colours mean for this capture. */
export function histogramLegend(thresholdBytes: number, pymalloc: boolean, units: UnitSystem = 'si'): string {
  const limit = formatBytes(thresholdBytes, units);
  return pymalloc
    ? `Requests up to ${limit} are served by pymalloc's arenas (blue); larger ones go to the system allocator (orange). A grey bin holds sizes on both sides of the limit.`
    : `≤ ${limit} is pymalloc's size range, but pymalloc was not traced in this capture: every allocation shown, small ones too, is a call to malloc or another hooked allocator (orange; see the families). The dashed line marks the ${limit} limit for reference.`;
}
