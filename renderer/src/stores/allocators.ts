import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AllocatorBreakdown, AllocatorQuery } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

/** Families (pymalloc / malloc / mmap …) or memray's allocator functions (MALLOC, CALLOC …). */
export type AllocatorMode = 'family' | 'function';

export const useAllocatorsStore = defineStore('allocators', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const mode = ref<AllocatorMode>('family');
  const slot = latestQuery<AllocatorQuery, AllocatorBreakdown>((q) => useClient().allocators(q));

  const query = computed<AllocatorQuery | null>(() =>
    view.captureId && captures.activeReady
      ? { captureId: view.captureId, snapshot: view.effectiveSnapshot, filter: { ...view.filter } }
      : null,
  );

  const breakdown = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );
  /** The answer to the current question is on screen. */
  const settled = computed(() => !!breakdown.value && !slot.loading.value);
  /**
   * What the charts draw: the current answer, or while it loads the previous one for the same
   * capture, so changing a filter does not blank the page.
   */
  const shown = computed(
    () => breakdown.value ?? (slot.dataQuery.value?.captureId === view.captureId ? slot.data.value : null),
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return {
    mode,
    breakdown,
    shown,
    settled,
    query,
    loading: slot.loading,
    error: slot.error,
    load,
    clear: slot.clear,
  };
});
