import { defineStore } from 'pinia';
import { computed, markRaw, ref } from 'vue';
import type { DiffQuery, DiffResult, SnapshotSpec } from '@shared/api';
import { filterDiffRows, layoutDiffFlame, type DiffLayout, type DiffRowFilter } from '../../charts/flameDiff';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

export type DiffGroupBy = 'file' | 'line' | 'traceback';
/** Two captures, or two moments of one capture ("what grew between t1 and t2"). */
export type DiffMode = 'captures' | 'moments';

export const useDiffStore = defineStore('diff', () => {
  const view = useViewStore();
  const captures = useCapturesStore();

  const groupBy = ref<DiffGroupBy>('line');
  const status = ref<DiffRowFilter>('changed');
  const modeChoice = ref<DiffMode>('captures');
  /** Flips which side is the base, without touching the app's active capture. */
  const swapped = ref(false);
  /** Moments mode: ms from capture start of the base and target moments. */
  const baseTimeMs = ref(0);
  const targetTimeMs = ref(0);

  const slot = latestQuery<DiffQuery, DiffResult>((q) => useClient().diff(q));

  /** Snapshot files (tracemalloc, CSV) hold a single moment. */
  const hasTimeline = computed(() => captures.active?.capabilities?.timeline !== false);

  /** Choosing the active capture itself as baseline means comparing two of its moments. */
  const mode = computed<DiffMode>(() => {
    if (!hasTimeline.value) return 'captures';
    return view.baselineId && view.baselineId === view.captureId ? 'moments' : modeChoice.value;
  });

  /**
   * Both captures are compared on the same kind of snapshot. A brushed range is in the active
   * capture's time, which means nothing in another capture, so a range falls back to its kind.
   */
  const sideSnapshot = computed<SnapshotSpec>(() => {
    const s = view.snapshot;
    return s.kind === 'at' || s.kind === 'range' ? { kind: 'peak' } : s;
  });

  const query = computed<DiffQuery | null>(() => {
    const target = view.captureId;
    if (!target || !captures.activeReady) return null;
    let q: DiffQuery;
    if (mode.value === 'moments') {
      const a: SnapshotSpec = { kind: 'at', timeMs: baseTimeMs.value };
      const b: SnapshotSpec = { kind: 'at', timeMs: targetTimeMs.value };
      q = {
        base: { captureId: target, snapshot: swapped.value ? b : a },
        target: { captureId: target, snapshot: swapped.value ? a : b },
        groupBy: groupBy.value,
        filter: { ...view.filter },
      };
    } else {
      const base = view.baselineId;
      if (!base || captures.status(base) !== 'ready') return null;
      const snap = sideSnapshot.value;
      q = {
        base: { captureId: swapped.value ? target : base, snapshot: snap },
        target: { captureId: swapped.value ? base : target, snapshot: snap },
        groupBy: groupBy.value,
        filter: { ...view.filter },
      };
    }
    return q;
  });

  const result = computed<DiffResult | null>(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );
  const flame = computed<DiffLayout | null>(() =>
    result.value ? markRaw(layoutDiffFlame(result.value.flame)) : null,
  );
  const rows = computed(() => (result.value ? filterDiffRows(result.value.rows, status.value) : []));

  function swap(): void {
    swapped.value = !swapped.value;
  }

  function setMode(next: DiffMode): void {
    modeChoice.value = next;
    if (next === 'captures' && view.baselineId === view.captureId) view.baselineId = null;
  }

  /** Defaults for moments: the start and the end of the capture. */
  function setMoments(baseMs: number, targetMs: number): void {
    baseTimeMs.value = Math.max(0, baseMs);
    targetTimeMs.value = Math.max(0, targetMs);
  }

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return {
    groupBy,
    status,
    mode,
    modeChoice,
    hasTimeline,
    swapped,
    baseTimeMs,
    targetTimeMs,
    query,
    result,
    flame,
    rows,
    loading: slot.loading,
    error: slot.error,
    swap,
    setMode,
    setMoments,
    load,
  };
});
