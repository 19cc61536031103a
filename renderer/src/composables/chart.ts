import { computed, watch, type ComputedRef } from 'vue';
import { PALETTES, type ChartPalette } from '../../charts/palette';
import { useSettingsStore } from '../stores/settings';

export function usePalette(): ComputedRef<ChartPalette> {
  const settings = useSettingsStore();
  return computed(() => PALETTES[settings.theme]);
}

/** Keeps a query store in step with the toolbar while the view that needs it is mounted. */
export function useAutoLoad(store: { query: unknown; load: () => Promise<void> }): void {
  watch(
    () => JSON.stringify(store.query),
    () => void store.load(),
    { immediate: true },
  );
}
