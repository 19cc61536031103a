import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { SnapshotSpec, StackFilter } from '@shared/api';

export type BaseSnapshotKind = 'peak' | 'leaks' | 'all' | 'temporary';

const DEFAULT_FILTER: StackFilter = { mergeThreads: true, hideImportSystem: false, hideInternals: true };

/**
 * What every view looks at: the active capture, which snapshot (peak / leaks / all / a brushed
 * range), and the frame filters. Views re-query when any of it changes.
 */
export const useViewStore = defineStore('view', () => {
  const captureId = ref<string | null>(null);
  const baselineId = ref<string | null>(null);
  const snapshot = ref<SnapshotSpec>({ kind: 'peak' });
  const filter = ref<StackFilter>({ ...DEFAULT_FILTER });
  /** A brushed time range (ms from start); when set, snapshot becomes a range snapshot. */
  const range = ref<{ fromMs: number; toMs: number } | null>(null);
  /** A site to focus in the flamegraph (SiteRow.key), set by clicking a table row. */
  const focusKey = ref<string | null>(null);
  /** The source line picked in the table; the timeline shows its own samples when the format has them. */
  const selectedLine = ref<{ file: string; line: number; label: string } | null>(null);

  // Thread ids belong to one capture; carried over they would silently hide everything.
  watch(captureId, () => {
    if (filter.value.threads) setFilter({ threads: undefined });
    selectedLine.value = null;
  });

  /** memray's temporary-allocation threshold N (its default: 1), kept while other kinds are shown. */
  const temporaryThreshold = ref(1);

  const effectiveSnapshot = computed<SnapshotSpec>(() => {
    const r = range.value;
    if (!r) return snapshot.value;
    // Temporaries of a range: those found (at their free) in it, the range's whole time buckets.
    if (snapshot.value.kind === 'temporary') return { ...snapshot.value, fromMs: r.fromMs, toMs: r.toMs };
    const measure =
      snapshot.value.kind === 'all' ? 'allocated' : snapshot.value.kind === 'leaks' ? 'live-at-end' : 'peak';
    return { kind: 'range', fromMs: r.fromMs, toMs: r.toMs, measure };
  });

  function setRange(next: { fromMs: number; toMs: number } | null): void {
    if (next) {
      // A brush dragged right-to-left, or past the ends, still means the same interval.
      const fromMs = Math.max(0, Math.min(next.fromMs, next.toMs));
      const toMs = Math.max(next.fromMs, next.toMs);
      range.value = { fromMs, toMs };
    } else {
      range.value = null;
    }
  }

  /** The selector's value: 'at' and 'range' snapshots come from the timeline, not the selector. */
  const snapshotKind = computed<BaseSnapshotKind>(() => {
    const k = snapshot.value.kind;
    return k === 'leaks' || k === 'all' || k === 'temporary' ? k : 'peak';
  });

  function setSnapshotKind(kind: BaseSnapshotKind): void {
    snapshot.value = kind === 'temporary' ? { kind, threshold: temporaryThreshold.value } : { kind };
  }

  function setTemporaryThreshold(n: number): void {
    temporaryThreshold.value = n;
    if (snapshot.value.kind === 'temporary') snapshot.value = { kind: 'temporary', threshold: n };
  }

  function setFilter(patch: Partial<StackFilter>): void {
    const next: StackFilter = { ...filter.value, ...patch };
    // An empty thread list would mean "no thread at all"; the selector means "all threads".
    if (next.threads && next.threads.length === 0) delete next.threads;
    for (const k of Object.keys(next) as (keyof StackFilter)[]) if (next[k] === undefined) delete next[k];
    filter.value = next;
  }

  /** Esc: back to the whole capture, nothing focused. Filters are a preference and stay. */
  function resetSelection(): void {
    range.value = null;
    focusKey.value = null;
    selectedLine.value = null;
  }

  return {
    captureId,
    baselineId,
    snapshot,
    filter,
    range,
    focusKey,
    selectedLine,
    effectiveSnapshot,
    setRange,
    snapshotKind,
    setSnapshotKind,
    temporaryThreshold,
    setTemporaryThreshold,
    setFilter,
    resetSelection,
  };
});
