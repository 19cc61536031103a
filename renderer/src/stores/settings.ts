import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { readStored, writeStored } from '../lib/storage';

export type Theme = 'dark' | 'light';

export type TabName = 'summary' | 'flamegraph' | 'timeline' | 'allocators' | 'table' | 'diff';

export const TABS: { name: TabName; label: string }[] = [
  { name: 'summary', label: 'Summary' },
  { name: 'flamegraph', label: 'Flamegraph' },
  { name: 'timeline', label: 'Timeline' },
  { name: 'allocators', label: 'Allocators' },
  { name: 'table', label: 'Table' },
  { name: 'diff', label: 'Diff' },
];

export interface Shortcut {
  keys: string;
  description: string;
}

/** The single list both the key handler's documentation and the `?` overlay read. */
export const SHORTCUTS: Shortcut[] = [
  ...TABS.map((t, i) => ({ keys: String(i + 1), description: `Show ${t.label}` })),
  { keys: '/', description: 'Focus the search box' },
  { keys: 'Esc', description: 'Close overlays; clear the time range (flamegraph: reset the zoom)' },
  { keys: 't', description: 'Toggle dark / light theme' },
  { keys: 'o', description: 'Open another capture' },
  { keys: 'p / l / a', description: 'Snapshot: peak / leaks / all allocations' },
  { keys: '?', description: 'Show this list' },
];

const THEME_KEY = 'heapscope.theme';

function initialTheme(): Theme {
  const stored = readStored<Theme | null>(THEME_KEY, null);
  if (stored === 'dark' || stored === 'light') return stored;
  const prefersLight = globalThis.matchMedia?.('(prefers-color-scheme: light)').matches;
  return prefersLight ? 'light' : 'dark';
}

export const useSettingsStore = defineStore('settings', () => {
  const theme = ref<Theme>(initialTheme());
  const tab = ref<TabName>('summary');
  const shortcutsOpen = ref(false);
  /** The open screen shown over the views, to open another capture. */
  const openOverlay = ref(false);

  watch(theme, (t) => writeStored(THEME_KEY, t));

  function toggleTheme(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }

  function setTab(name: TabName): void {
    tab.value = name;
  }

  return { theme, tab, shortcutsOpen, openOverlay, toggleTheme, setTab, tabs: TABS, shortcuts: SHORTCUTS };
});
