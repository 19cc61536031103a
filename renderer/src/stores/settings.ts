import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { SymbolSearch } from '@shared/api';
import { DEFAULT_UNITS, isUnitSystem, parseSize, type UnitSystem } from '@shared/units';
import { readStored, writeStored } from '../lib/storage';

export type Theme = 'dark' | 'light';

export type TabName = 'summary' | 'flamegraph' | 'timeline' | 'allocators' | 'layout' | 'table' | 'diff';

export const TABS: { name: TabName; label: string }[] = [
  { name: 'summary', label: 'Summary' },
  { name: 'flamegraph', label: 'Flamegraph' },
  { name: 'timeline', label: 'Timeline' },
  { name: 'allocators', label: 'Allocators' },
  { name: 'layout', label: 'Memory layout' },
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
const UNITS_KEY = 'heapscope.units';
const SYMBOLS_KEY = 'heapscope.symbols';
const LIMIT_KEY = 'heapscope.memoryLimit';

/**
 * The container's memory limit as typed ("2GiB", "1.5 GB", "" for none): bytes, or an error
 * saying why the text is no size (labels are read as written: GB decimal, GiB binary).
 */
export function parseMemoryLimit(text: string): { bytes: number | null; error: string | null } {
  if (text.trim() === '') return { bytes: null, error: null };
  try {
    const bytes = parseSize(text.trim());
    return bytes > 0 ? { bytes, error: null } : { bytes: null, error: 'the limit must be above 0' };
  } catch (error) {
    return { bytes: null, error: (error as Error).message };
  }
}

/** Directories as typed: one per entry, blanks and repeats dropped. */
export function cleanDirs(dirs: unknown): string[] {
  if (!Array.isArray(dirs)) return [];
  return [...new Set(dirs.filter((d): d is string => typeof d === 'string').map((d) => d.trim()))].filter(
    (d) => d !== '',
  );
}

/** What the engine is sent with each open; undefined when nothing was set (the defaults apply). */
export function symbolSearchOf(s: SymbolSearch): SymbolSearch | undefined {
  const sysroots = cleanDirs(s.sysroots);
  const debugDirs = cleanDirs(s.debugDirs);
  if (sysroots.length === 0 && debugDirs.length === 0) return undefined;
  return { ...(sysroots.length && { sysroots }), ...(debugDirs.length && { debugDirs }) };
}

function initialSymbols(): SymbolSearch {
  const stored = readStored<SymbolSearch | null>(SYMBOLS_KEY, null);
  return stored && typeof stored === 'object'
    ? { sysroots: cleanDirs(stored.sysroots), debugDirs: cleanDirs(stored.debugDirs) }
    : { sysroots: [], debugDirs: [] };
}

/** Sizes in kB/MB/GB (SI, the default, as memray prints them) or KiB/MiB/GiB (IEC). */
function initialUnits(): UnitSystem {
  const stored = readStored<unknown>(UNITS_KEY, null);
  return isUnitSystem(stored) ? stored : DEFAULT_UNITS;
}

function initialTheme(): Theme {
  const stored = readStored<Theme | null>(THEME_KEY, null);
  if (stored === 'dark' || stored === 'light') return stored;
  const prefersLight = globalThis.matchMedia?.('(prefers-color-scheme: light)').matches;
  return prefersLight ? 'light' : 'dark';
}

export const useSettingsStore = defineStore('settings', () => {
  const theme = ref<Theme>(initialTheme());
  /** Every size on screen (views, charts, tooltips, findings, exported reports) uses these. */
  const units = ref<UnitSystem>(initialUnits());
  const tab = ref<TabName>('summary');
  const shortcutsOpen = ref(false);
  /** The open screen shown over the views, to open another capture. */
  const openOverlay = ref(false);
  /** Settings › Symbols: where native frames' libraries and debug files are searched. */
  const symbols = ref<SymbolSearch>(initialSymbols());
  const symbolsOpen = ref(false);
  /** The container's memory limit as typed; drawn on the timeline, checked in the last seconds. */
  const memoryLimit = ref<string>(
    readStored<unknown>(LIMIT_KEY, '') === '' ? '' : String(readStored(LIMIT_KEY, '')),
  );
  const memoryLimitBytes = computed(() => parseMemoryLimit(memoryLimit.value).bytes);
  const memoryLimitError = computed(() => parseMemoryLimit(memoryLimit.value).error);

  watch(theme, (t) => writeStored(THEME_KEY, t));
  watch(units, (u) => writeStored(UNITS_KEY, u));
  watch(symbols, (s) => writeStored(SYMBOLS_KEY, s), { deep: true });
  watch(memoryLimit, (m) => writeStored(LIMIT_KEY, m));

  function toggleTheme(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }

  function toggleUnits(): void {
    units.value = units.value === 'si' ? 'iec' : 'si';
  }

  function setTab(name: TabName): void {
    tab.value = name;
  }

  return {
    theme,
    units,
    tab,
    shortcutsOpen,
    openOverlay,
    symbols,
    symbolsOpen,
    memoryLimit,
    memoryLimitBytes,
    memoryLimitError,
    toggleTheme,
    toggleUnits,
    setTab,
    tabs: TABS,
    shortcuts: SHORTCUTS,
  };
});
