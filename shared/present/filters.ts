/** Stack filters in words: frozen into an export or a report, or noted beside a view. */
import type { StackFilter } from '../api';

/**
 * Every choice of a filter, stated: what an export or report was made with. Threads are named
 * apart, by their labels, where the thread ids of `filter.threads` would mean nothing.
 */
export function describeFilter(f: StackFilter): string {
  const parts = [
    f.hideImportSystem ? 'import-system frames hidden' : 'import-system frames shown',
    f.hideInternals ? 'memray/tracemalloc/runpy internals hidden' : 'internals shown',
  ];
  if (f.pythonOnly) parts.push('Python frames only');
  parts.push(f.mergeThreads === false ? 'threads kept apart' : 'threads merged');
  if (f.allocators?.length) parts.push(`allocators ${f.allocators.join(', ')}`);
  return parts.join('; ');
}

/**
 * The toolbar filters that make the flamegraph, table and allocator breakdown count differently
 * from the process-wide Summary cards, top sites and Timeline (whose queries take no filter),
 * named like the toolbar's buttons. "Hide internals" is left out: it is on by default, so naming
 * it would put the note on every capture, and dropping frames moves bytes to the caller without
 * changing any total.
 */
export function activeFilterLabels(
  filter: StackFilter,
  threads: readonly { id: number; label: string }[],
): string[] {
  const labels: string[] = [];
  for (const id of filter.threads ?? []) {
    labels.push(`thread ${threads.find((t) => t.id === id)?.label ?? id}`);
  }
  if (filter.pythonOnly) labels.push('Python only');
  if (filter.hideImportSystem) labels.push('Hide imports');
  return labels;
}

/** The note a process-wide view shows while filters are set; null when none is. */
export function processWideNote(labels: readonly string[], what: string): string | null {
  if (labels.length === 0) return null;
  return `Process-wide: ${what} cover every thread and frame. The filters set (${labels.join(' · ')}) apply to the flamegraph, table and allocator breakdown only.`;
}
