import type { CaptureFormat } from '@shared/api';

/**
 * What the "records" count of a capture counts, by format. For memray it is every record in the
 * file (allocations and frees, frames, threads, memory samples…), which is several times the
 * "total allocations" memray prints: that one counts only allocation records (allocations and
 * frees), so the two must not share a bare label.
 */
export function recordsLabel(format: CaptureFormat): { label: string; hint: string } {
  switch (format) {
    case 'memray':
      return {
        label: 'Records in the file',
        hint:
          'Every record memray wrote: allocations and frees, stack frames, code objects, threads, memory samples. ' +
          "memray's “total allocations” (stats metadata) counts the allocation records only.",
      };
    case 'memray-csv':
      return { label: 'CSV rows', hint: 'Rows of the memray transform csv file' };
    case 'tracemalloc':
      return { label: 'Traces', hint: 'Memory blocks the tracemalloc snapshot holds, one trace each' };
    default:
      return { label: 'Samples', hint: 'Allocation samples in the profile' };
  }
}
