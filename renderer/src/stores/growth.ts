import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { GrowthQuery, GrowthResult } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

/** Sites the Summary's growth panel lists. */
export const GROWTH_SITES = 12;

/** Leak suspects by growth for the active capture (when it has a time index), per thread filter. */
export const useGrowthStore = defineStore('growth', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const slot = latestQuery<GrowthQuery, GrowthResult>((q) => useClient().growth(q));

  const query = computed<GrowthQuery | null>(() => {
    if (!view.captureId || !captures.activeReady || !captures.active?.capabilities.growth) return null;
    const threads = view.filter.threads;
    return { captureId: view.captureId, limit: GROWTH_SITES, ...(threads && { threads: [...threads] }) };
  });

  const growth = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
  }

  return { growth, query, loading: slot.loading, error: slot.error, load, clear: slot.clear };
});
