import type { StackFilter } from '@shared/api';

/**
 * The toolbar filters that make the flamegraph, table and allocator breakdown count differently
 * from the process-wide Summary cards, top sites and Timeline (whose queries take no filter).
 * "Hide internals" is left out: it is on by default, so naming it would put the note on every
 * capture, and dropping frames moves bytes to the caller without changing any total.
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
