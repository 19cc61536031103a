import { defineStore } from 'pinia';
import { computed, markRaw, ref, watch } from 'vue';
import type { DiffQuery, DiffResult, SnapshotSpec } from '@shared/api';
import { seriesMembers, seriesMemberSnapshot, type MemberKind } from '@shared/series-members';
import { filterDiffRows, type DiffRowFilter } from '../../charts/flameDiff';
import { layoutDiffFlame, type DiffLayout } from '../../flame/diff-layout';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

export type DiffGroupBy = 'file' | 'line' | 'traceback';
/**
 * Two captures, two moments of one capture ("what grew between t1 and t2"), or two members of
 * an open series (two of its tracemalloc dumps, or two of its memray captures).
 */
export type DiffMode = 'captures' | 'moments' | 'members';

export const useDiffStore = defineStore('diff', () => {
  const view = useViewStore();
  const captures = useCapturesStore();

  const groupBy = ref<DiffGroupBy>('line');
  const status = ref<DiffRowFilter>('changed');
  /** The mode the user chose; until then two members for a series, else two captures. */
  const modeChoice = ref<DiffMode | null>(null);
  /** Flips which side is the base, without touching the app's active capture. */
  const swapped = ref(false);
  /** Moments mode: ms from capture start of the base and target moments. */
  const baseTimeMs = ref(0);
  const targetTimeMs = ref(0);
  /** Members mode: the base and target members of the series (0-based, series order). */
  const baseMember = ref(0);
  const targetMember = ref<number | null>(null);

  /** The members of the active capture when it is a series (empty otherwise). */
  const members = computed(() => seriesMembers(captures.active));
  const isSeries = computed(() => members.value.length > 1);
  /** The target defaults to the last member: "first vs last", the usual growth question. */
  const targetIndex = computed(() =>
    Math.min(targetMember.value ?? members.value.length - 1, Math.max(0, members.value.length - 1)),
  );
  /** What a memray capture's side compares (a dump holds one set): the toolbar's snapshot kind. */
  const memberKind = computed<MemberKind>(() => view.snapshotKind);
  // Members belong to one series: another capture starts again at "first vs last".
  watch(
    () => view.captureId,
    () => {
      baseMember.value = 0;
      targetMember.value = null;
    },
  );

  const slot = latestQuery<DiffQuery, DiffResult>((q) => useClient().diff(q));

  /** Snapshot files (tracemalloc, CSV) hold a single moment. */
  const hasTimeline = computed(() => captures.active?.capabilities?.timeline !== false);

  /** Choosing the active capture itself as baseline means comparing two of its moments. */
  const mode = computed<DiffMode>(() => {
    const chosen = modeChoice.value ?? (isSeries.value ? 'members' : 'captures');
    if (chosen === 'members') return isSeries.value ? 'members' : 'captures';
    if (!hasTimeline.value) return 'captures';
    return view.baselineId && view.baselineId === view.captureId ? 'moments' : chosen;
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
    if (mode.value === 'members') {
      const info = captures.active!;
      const side = (i: number): SnapshotSpec =>
        seriesMemberSnapshot(info, i, memberKind.value, view.temporaryThreshold);
      const a = side(Math.min(baseMember.value, members.value.length - 1));
      const b = side(targetIndex.value);
      q = {
        base: { captureId: target, snapshot: swapped.value ? b : a },
        target: { captureId: target, snapshot: swapped.value ? a : b },
        groupBy: groupBy.value,
        filter: { ...view.filter },
      };
    } else if (mode.value === 'moments') {
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

  function setMembers(base: number, target: number): void {
    baseMember.value = base;
    targetMember.value = target;
  }

  return {
    groupBy,
    status,
    mode,
    modeChoice,
    hasTimeline,
    members,
    isSeries,
    baseMember,
    targetIndex,
    memberKind,
    setMembers,
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
