import { defineStore } from 'pinia';
import { computed } from 'vue';
import type {
  LastSeconds,
  LastSecondsQuery,
  LineSamples,
  LineSamplesQuery,
  Timeline,
  TimelineQuery,
} from '@shared/api';
import { useClient } from '../client';
import { latestQuery } from '../lib/latest';
import { useCapturesStore } from './captures';
import { useViewStore } from './view';
import { useSettingsStore } from './settings';

/**
 * Point budget of the timeline query. The engine keeps, per chart column, the first, last,
 * lowest and highest heap and RSS points (up to 6 per column, more with fork children), so this
 * covers about 1500 columns: a full-width chart without shipping the whole time index.
 */
export const TIMELINE_POINTS = 9000;

export const useTimelineStore = defineStore('timeline', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const slot = latestQuery<TimelineQuery, Timeline>((q) => useClient().timeline(q));

  const available = computed(() => captures.active?.capabilities.timeline !== false);

  const query = computed<TimelineQuery | null>(() =>
    view.captureId && captures.activeReady && available.value
      ? {
          captureId: view.captureId,
          maxPoints: TIMELINE_POINTS,
          // the temporary-allocation rate follows the N chosen for the temporary snapshot
          ...(view.temporaryThreshold !== 1 && { temporaryThreshold: view.temporaryThreshold }),
        }
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

  const settings = useSettingsStore();
  const lastSlot = latestQuery<LastSecondsQuery, LastSeconds>((q) => useClient().lastSeconds(q));
  /** A capture cut short (a kill), or one checked against a limit: its final seconds. */
  const lastQuery = computed<LastSecondsQuery | null>(() => {
    const active = captures.active;
    const limitBytes = settings.memoryLimitBytes;
    if (!query.value || !active?.capabilities.ranges || active.series || active.captureSeries) return null;
    if (!active.truncated && limitBytes === null) return null;
    return {
      captureId: query.value.captureId,
      units: settings.units,
      ...(limitBytes !== null && { limitBytes }),
    };
  });
  const lastSeconds = computed(() =>
    lastQuery.value && lastSlot.loadedKey.value === JSON.stringify(lastQuery.value)
      ? lastSlot.data.value
      : null,
  );

  async function load(force = false): Promise<void> {
    if (query.value) await slot.run(query.value, force);
    if (samplesQuery.value) await samplesSlot.run(samplesQuery.value, force);
    if (lastQuery.value) await lastSlot.run(lastQuery.value, force);
  }

  return {
    timeline,
    lineSamples,
    lastSeconds,
    lastQuery,
    lastError: lastSlot.error,
    available,
    query,
    samplesQuery,
    loading: slot.loading,
    error: slot.error,
    load,
    clear: slot.clear,
  };
});
