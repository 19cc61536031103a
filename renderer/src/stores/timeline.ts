import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { LineSamples, LineSamplesQuery, Timeline, TimelineQuery } from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';

/** Enough points for a 1280-px-wide chart without shipping the whole time index. */
export const TIMELINE_POINTS = 1500;

export const useTimelineStore = defineStore('timeline', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const slot = latestQuery<TimelineQuery, Timeline>((q) => useClient().timeline(q));

  const available = computed(() => captures.active?.capabilities.timeline !== false);

  const query = computed<TimelineQuery | null>(() =>
    view.captureId && captures.activeReady && available.value
      ? { captureId: view.captureId, maxPoints: TIMELINE_POINTS }
      : null,
  );

  const timeline = computed(() =>
    query.value && slot.loadedKey.value === JSON.stringify(query.value) ? slot.data.value : null,
  );

  const samplesSlot = latestQuery<LineSamplesQuery, LineSamples | null>((q) => useClient().lineSamples(q));
  const samplesQuery = computed<LineSamplesQuery | null>(() => {
    const sel = view.selectedLine;
    return query.value && sel ? { captureId: query.value.captureId, file: sel.file, line: sel.line } : null;
  });
  /** Samples of the line picked in the table; null when none is picked or the format has none. */
  const lineSamples = computed(() =>
    samplesQuery.value && samplesSlot.loadedKey.value === JSON.stringify(samplesQuery.value)
      ? samplesSlot.data.value
      : null,
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
    if (samplesQuery.value) await samplesSlot.run(samplesQuery.value, force);
  }

  return {
    timeline,
    lineSamples,
    available,
    query,
    samplesQuery,
    loading: slot.loading,
    error: slot.error,
    load,
    clear: slot.clear,
  };
});
