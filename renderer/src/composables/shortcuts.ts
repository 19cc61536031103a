import { onBeforeUnmount, onMounted } from 'vue';
import { useSettingsStore, TABS, type TabName } from '../stores/settings';
import { useViewStore } from '../stores/view';
import { useCapturesStore } from '../stores/captures';

export type ShortcutAction =
  | { type: 'tab'; index: number }
  | { type: 'search' }
  | { type: 'escape' }
  | { type: 'theme' }
  | { type: 'help' }
  | { type: 'open' }
  | { type: 'snapshot'; kind: 'peak' | 'leaks' | 'all' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** Whether focus is in a text field, where letters must stay letters. */
  inTextField: boolean;
}

/** Pure key → action mapping, so the table of shortcuts is testable without a DOM. */
export function shortcutFor(e: KeyLike): ShortcutAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return { type: 'escape' };
  if (e.inTextField) return null;
  if (/^[1-9]$/.test(e.key) && Number(e.key) <= TABS.length) return { type: 'tab', index: Number(e.key) - 1 };
  switch (e.key) {
    case '/':
      return { type: 'search' };
    case 't':
      return { type: 'theme' };
    case '?':
      return { type: 'help' };
    case 'o':
      return { type: 'open' };
    case 'p':
      return { type: 'snapshot', kind: 'peak' };
    case 'l':
      return { type: 'snapshot', kind: 'leaks' };
    case 'a':
      return { type: 'snapshot', kind: 'all' };
  }
  return null;
}

const VIEWS_OWNING_ESCAPE: ReadonlySet<TabName> = new Set(['flamegraph', 'diff']);

function isTextField(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement)
    return !['checkbox', 'radio', 'button', 'submit', 'range'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

function visible(el: HTMLElement): boolean {
  return el.offsetParent !== null;
}

/** Installs the global key handler for the app shell. */
export function useShortcuts(): void {
  const settings = useSettingsStore();
  const view = useViewStore();
  const captures = useCapturesStore();

  function focusSearch(): void {
    // Views mark their search box; one that does not still has a search input in the main area.
    const find = () =>
      [...document.querySelectorAll<HTMLElement>('[data-shortcut-search]')].find(visible) ??
      [...document.querySelectorAll<HTMLElement>('main input[type=search]')].find(visible);
    const el = find();
    if (el) {
      el.focus();
      return;
    }
    // Views without a search box send the user to the table, which has one.
    settings.setTab('table');
    requestAnimationFrame(() => find()?.focus());
  }

  function onKey(e: KeyboardEvent): void {
    const action = shortcutFor({
      key: e.key,
      ctrlKey: e.ctrlKey,
      metaKey: e.metaKey,
      altKey: e.altKey,
      inTextField: isTextField(document.activeElement),
    });
    if (!action) return;
    switch (action.type) {
      case 'tab':
        settings.setTab(TABS[action.index].name);
        // Focus left on the previously clicked tab would keep outlining the wrong one.
        if (document.activeElement?.closest('[role=tablist]')) (document.activeElement as HTMLElement).blur();
        break;
      case 'search':
        focusSearch();
        break;
      case 'theme':
        settings.toggleTheme();
        break;
      case 'help':
        settings.shortcutsOpen = !settings.shortcutsOpen;
        break;
      case 'open':
        settings.openOverlay = true;
        break;
      case 'snapshot': {
        const caps = captures.active?.capabilities;
        const allowed =
          !caps ||
          (action.kind === 'peak' ? caps.peak : action.kind === 'leaks' ? caps.leaks : caps.allAllocations);
        if (allowed) view.setSnapshotKind(action.kind);
        break;
      }
      case 'escape':
        if (settings.shortcutsOpen || settings.openOverlay) {
          settings.shortcutsOpen = false;
          settings.openOverlay = false;
        } else if (isTextField(document.activeElement)) {
          (document.activeElement as HTMLElement).blur();
        } else if (!VIEWS_OWNING_ESCAPE.has(settings.tab)) {
          view.resetSelection();
        } else {
          // The flamegraph and diff views reset their zoom on Esc; the range stays.
          return;
        }
        break;
    }
    e.preventDefault();
  }

  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
