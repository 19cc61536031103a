import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { SnapshotSpec, StackFilter } from '@shared/api';

/**
 * What every view looks at: the active capture, which snapshot (peak / leaks / all / a brushed
 * range), and the frame filters. Views re-query when any of it changes.
 */
export const useViewStore = defineStore('view', () => {
  const captureId = ref<string | null>(null);
  const baselineId = ref<string | null>(null);
  const snapshot = ref<SnapshotSpec>({ kind: 'peak' });
  const filter = ref<StackFilter>({ mergeThreads: true, hideImportSystem: false, hideInternals: true });
  /** A brushed time range (ms from start); when set, snapshot becomes a range snapshot. */
  const range = ref<{ fromMs: number; toMs: number } | null>(null);
  /** A site to focus in the flamegraph (SiteRow.key), set by clicking a table row. */
  const focusKey = ref<string | null>(null);

  const effectiveSnapshot = computed<SnapshotSpec>(() => {
    const r = range.value;
    if (!r) return snapshot.value;
    const measure = snapshot.value.kind === 'all' ? 'allocated' : snapshot.value.kind === 'leaks' ? 'live-at-end' : 'peak';
    return { kind: 'range', fromMs: r.fromMs, toMs: r.toMs, measure };
  });

  function setRange(next: { fromMs: number; toMs: number } | null): void {
    range.value = next;
  }

  return { captureId, baselineId, snapshot, filter, range, focusKey, effectiveSnapshot, setRange };
});
