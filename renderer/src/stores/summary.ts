import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { Summary, SummaryQuery } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useSettingsStore } from './settings';
import { useViewStore } from './view';

export const useSummaryStore = defineStore('summary', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const settings = useSettingsStore();
  const slot = latestQuery<SummaryQuery, Summary>((q) => useClient().summary(q));

  const query = computed<SummaryQuery | null>(() => {
    if (!view.captureId || !captures.activeReady) return null;
    // The findings' text carries sizes, so a change of units asks again.
    const units = settings.units;
    return view.range
      ? { captureId: view.captureId, range: { ...view.range }, units }
      : { captureId: view.captureId, units };
  });

  /**
   * Only show numbers that belong to the capture and range being looked at. A change of units
   * keeps them on screen (only the findings' wording waits for the new answer).
   */
  const summary = computed(() => {
    const loaded = slot.loadedKey.value !== null ? slot.dataQuery.value : null;
    return query.value && loaded && sameNumbers(loaded, query.value) ? slot.data.value : null;
  });

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return { summary, query, loading: slot.loading, error: slot.error, load, clear: slot.clear };
});

function sameNumbers(a: SummaryQuery, b: SummaryQuery): boolean {
  return JSON.stringify({ ...a, units: undefined }) === JSON.stringify({ ...b, units: undefined });
}
