import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { Summary, SummaryQuery } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

export const useSummaryStore = defineStore('summary', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const slot = latestQuery<SummaryQuery, Summary>((q) => useClient().summary(q));

  const query = computed<SummaryQuery | null>(() => {
    if (!view.captureId || !captures.activeReady) return null;
    return view.range
      ? { captureId: view.captureId, range: { ...view.range } }
      : { captureId: view.captureId };
  });

  /** Only show numbers that belong to the capture and range being looked at. */
  const summary = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return { summary, query, loading: slot.loading, error: slot.error, load, clear: slot.clear };
});
