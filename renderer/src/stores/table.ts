import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { GroupBy, TableQuery, TableResult } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

export type SortColumn = NonNullable<TableQuery['sortBy']>;

export const PAGE_SIZES = [25, 50, 100, 250] as const;

export const useTableStore = defineStore('table', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const groupBy = ref<Exclude<GroupBy, 'traceback'>>('function');
  const sortBy = ref<SortColumn>('bytes');
  const descending = ref(true);
  const search = ref('');
  const page = ref(0);
  const pageSize = ref<number>(50);
  const slot = latestQuery<TableQuery, TableResult>((q) => useClient().table(q));

  const query = computed<TableQuery | null>(() => {
    if (!view.captureId || !captures.activeReady) return null;
    const q: TableQuery = {
      captureId: view.captureId,
      snapshot: view.effectiveSnapshot,
      filter: { ...view.filter },
      groupBy: groupBy.value,
      sortBy: sortBy.value,
      descending: descending.value,
      offset: page.value * pageSize.value,
      limit: pageSize.value,
    };
    const s = search.value.trim();
    if (s) q.search = s;
    return q;
  });

  // A new question starts on its first page; otherwise a narrowed search can land past the end.
  watch(
    () => [
      view.captureId,
      JSON.stringify(view.effectiveSnapshot),
      JSON.stringify(view.filter),
      groupBy.value,
      search.value.trim(),
      sortBy.value,
      descending.value,
      pageSize.value,
    ],
    () => {
      page.value = 0;
    },
  );

  const result = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );
  /** Rows stay on screen while the next page or sort loads, so the table does not flicker. */
  const shownRows = computed(() => (result.value ?? slot.data.value)?.rows ?? []);
  const pageCount = computed(() => {
    const total = (result.value ?? slot.data.value)?.totalRows ?? 0;
    return Math.max(1, Math.ceil(total / pageSize.value));
  });

  /** Clicking a header: the same column flips direction; a new one starts at its natural order. */
  function sortOn(column: SortColumn): void {
    if (sortBy.value === column) {
      descending.value = !descending.value;
    } else {
      sortBy.value = column;
      descending.value = column !== 'name';
    }
  }

  function setPage(next: number): void {
    page.value = Math.min(Math.max(0, next), pageCount.value - 1);
  }

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return {
    groupBy,
    sortBy,
    descending,
    search,
    page,
    pageSize,
    query,
    result,
    shownRows,
    pageCount,
    loading: slot.loading,
    error: slot.error,
    sortOn,
    setPage,
    load,
    clear: slot.clear,
  };
});
