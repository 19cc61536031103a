import { computed, watch, type ComputedRef } from 'vue';
import { PALETTES, type ChartPalette } from '../../charts/palette';
import { useSettingsStore } from '../stores/settings';

export function usePalette(): ComputedRef<ChartPalette> {
  const settings = useSettingsStore();
  return computed(() => PALETTES[settings.theme]);
}

/**
 * Keeps a query store in step with the toolbar while the view that needs it is mounted.
 * `extra` names further inputs of load() beyond store.query.
 */
export function useAutoLoad(
  store: { query: unknown; load: () => Promise<void> },
  extra?: () => unknown,
): void {
  watch(
    () => JSON.stringify([store.query, extra?.()]),
    () => void store.load(),
    { immediate: true },
  );
}
