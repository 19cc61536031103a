import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type {
  LayoutBands,
  LayoutBandsQuery,
  LayoutMoment,
  LayoutQuery,
  LayoutRegion,
  LayoutSites,
  LayoutSitesQuery,
  MemoryLayout,
} from '@shared/api';
import { heapSegments } from '@shared/layout-present';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useSettingsStore } from './settings';
import { useViewStore } from './view';

/** The brk heap strip is cut into this many address segments, each selectable. */
export const HEAP_SEGMENTS = 40;

/** A region picked in the picture, with the words the sites panel heads its list with. */
export interface LayoutSelection {
  region: LayoutRegion;
  label: string;
}

/** Live malloc-family bytes and count starting in each segment of the brk heap strip. */
export interface SegmentFill {
  fromAddress: number;
  toAddress: number;
  bytes: number;
  count: number;
}

interface SegmentsQuery {
  captureId: string;
  segments: { fromAddress: number; toAddress: number }[];
}

/** The moment the toolbar's snapshot stands for: leaks are what is live at the end. */
function momentOfSnapshot(kind: string): LayoutMoment | null {
  if (kind === 'peak') return { kind: 'peak' };
  if (kind === 'leaks') return { kind: 'end' };
  return null;
}

/** The layout moment of the timeline bands' point `i` (a checkpoint, the peak or the end). */
export function bandPointMoment(bands: Pick<LayoutBands, 'timeMs' | 'kind'>, i: number): LayoutMoment | null {
  const ms = bands.timeMs[i];
  const kind = bands.kind[i];
  if (ms === undefined || !kind) return null;
  return kind === 'at' ? { kind, timeMs: ms } : { kind };
}

/** Whether two moments ask the same question. */
export function sameMoment(a: LayoutMoment, b: LayoutMoment): boolean {
  return a.kind === b.kind && (a.kind !== 'at' || (b.kind === 'at' && a.timeMs === b.timeMs));
}

/**
 * The Memory layout view's state: which moment is shown (peak / end / a checkpoint; it follows
 * the toolbar's peak / leaks and a click on the timeline's bands, and the toolbar follows it), the region selected in the
 * picture and the stacks of its live blocks, and the brk heap's segment fills.
 */
export const useLayoutStore = defineStore('layout', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const settings = useSettingsStore();

  const moment = ref<LayoutMoment>(momentOfSnapshot(view.snapshotKind) ?? { kind: 'peak' });
  const selection = ref<LayoutSelection | null>(null);
  /** Arena rows: by address, or the emptiest first. */
  const order = ref<'address' | 'emptiest'>('address');
  const page = ref(0);

  const available = computed(() => captures.active?.capabilities.layout === true);

  watch(
    () => view.snapshotKind,
    (kind) => {
      const m = momentOfSnapshot(kind);
      if (m) setMoment(m);
    },
  );
  watch(
    () => view.captureId,
    () => {
      selection.value = null;
      page.value = 0;
    },
  );

  const slot = latestQuery<LayoutQuery, MemoryLayout>((q) => useClient().layout(q));
  const query = computed<LayoutQuery | null>(() =>
    view.captureId && captures.activeReady && available.value
      ? { captureId: view.captureId, at: { ...moment.value }, units: settings.units }
      : null,
  );
  const layout = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );
  /** The answer on screen: the current one, or while it loads the previous one of this capture. */
  const shown = computed(
    () => layout.value ?? (slot.dataQuery.value?.captureId === view.captureId ? slot.data.value : null),
  );
  const settled = computed(() => !!layout.value && !slot.loading.value);

  /** Stacks are known one by one at the peak and the end only: anywhere else the panel says so instead. */
  const sitesSlot = latestQuery<LayoutSitesQuery, LayoutSites>((q) => useClient().layoutSites(q));
  const sitesQuery = computed<LayoutSitesQuery | null>(() => {
    const l = layout.value;
    const sel = selection.value;
    if (!query.value || !l || !sel || !l.sitesAvailable) return null;
    return { captureId: query.value.captureId, at: { ...moment.value }, region: sel.region, limit: 50 };
  });
  const sites = computed(() =>
    sitesQuery.value && sitesSlot.loadedKey.value === JSON.stringify(sitesQuery.value)
      ? sitesSlot.data.value
      : null,
  );

  // The layout has the brk heap's span and live total only; each segment's fill is what its
  // live blocks add up to, asked of layoutSites (the rows are not needed: limit 1).
  const segmentsSlot = latestQuery<SegmentsQuery, SegmentFill[]>(async (q) =>
    Promise.all(
      q.segments.map(async (s) => {
        const r = await useClient().layoutSites({
          captureId: q.captureId,
          at: { kind: 'end' },
          region: { kind: 'heap-range', ...s },
          limit: 1,
        });
        return { ...s, bytes: r.totalBytes, count: r.totalCount };
      }),
    ),
  );
  const segmentsQuery = computed<SegmentsQuery | null>(() => {
    const l = layout.value;
    const brk = l?.mallocHeap.brk;
    if (!query.value || !l?.sitesAvailable || !brk) return null;
    return { captureId: query.value.captureId, segments: heapSegments(brk, HEAP_SEGMENTS) };
  });
  const segments = computed(() =>
    segmentsQuery.value && segmentsSlot.loadedKey.value === JSON.stringify(segmentsQuery.value)
      ? segmentsSlot.data.value
      : null,
  );

  function setMoment(m: LayoutMoment): void {
    // The toolbar's snapshot says the same moment as the view (peak memory, or what is alive at
    // the end: leaks), so one screen never shows two; a checkpoint has no toolbar kind of its own.
    const kind = m.kind === 'peak' ? 'peak' : m.kind === 'end' ? 'leaks' : null;
    if (kind && view.snapshotKind !== kind) view.setSnapshotKind(kind);
    if (sameMoment(m, moment.value)) return;
    moment.value = m;
    // A pool of one moment may not exist at another; arenas keep their rank, not their content.
    selection.value = null;
  }

  function select(next: LayoutSelection | null): void {
    const cur = selection.value;
    // A second click on the same region clears it.
    selection.value = next && cur && JSON.stringify(cur.region) === JSON.stringify(next.region) ? null : next;
  }

  function setOrder(next: 'address' | 'emptiest'): void {
    order.value = next;
    page.value = 0;
  }

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
    if (sitesQuery.value) await sitesSlot.run(sitesQuery.value, force);
    if (segmentsQuery.value) await segmentsSlot.run(segmentsQuery.value, force);
  }

  function clear(): void {
    slot.clear();
    sitesSlot.clear();
    segmentsSlot.clear();
  }

  return {
    moment,
    selection,
    order,
    page,
    available,
    query,
    layout,
    shown,
    settled,
    sitesQuery,
    sites,
    segmentsQuery,
    segments,
    loading: slot.loading,
    error: slot.error,
    sitesLoading: sitesSlot.loading,
    sitesError: sitesSlot.error,
    segmentsError: segmentsSlot.error,
    setMoment,
    select,
    setOrder,
    load,
    clear,
  };
});

/** The RSS bands of the timeline (layoutBands), and whether they are drawn. */
export const useLayoutBandsStore = defineStore('layoutBands', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  /** Drawn by default where the capture has them; the timeline's toggle hides them. */
  const show = ref(true);
  const slot = latestQuery<LayoutBandsQuery, LayoutBands>((q) => useClient().layoutBands(q));
  const available = computed(() => captures.active?.capabilities.layout === true);
  const query = computed<LayoutBandsQuery | null>(() =>
    view.captureId && captures.activeReady && available.value && show.value
      ? { captureId: view.captureId }
      : null,
  );
  const bands = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return { show, available, query, bands, error: slot.error, load, clear: slot.clear };
});
