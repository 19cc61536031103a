import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CaptureInfo, LoadPreview, Progress } from '@shared/api';
import { useClient } from '../client';
import { errorMessage, isCancelled } from '../lib/errors';
import { readStored, writeStored } from '../lib/storage';
import { useViewStore } from './view';
import { symbolSearchOf, useSettingsStore } from './settings';

export type CaptureStatus = 'opening' | 'loading' | 'ready' | 'error' | 'cancelled';

export interface PendingOpen {
  path: string;
  error?: string;
}

const RECENT_KEY = 'heapscope.recent';
const RECENT_MAX = 10;

const TERMINAL: ReadonlySet<Progress['phase']> = new Set(['done', 'error', 'cancelled']);

export const useCapturesStore = defineStore('captures', () => {
  const view = useViewStore();
  const captures = shallowRef<CaptureInfo[]>([]);
  /** Latest progress per capture id, replaced wholesale so watchers see each event. */
  const progress = shallowRef<Record<string, Progress>>({});
  const pending = ref<PendingOpen[]>([]);
  const recent = ref<string[]>(readStored<string[]>(RECENT_KEY, []));
  const lastError = ref<string | null>(null);
  /** Captures whose records are fully read; until then only their header facts are known. */
  const loaded = shallowRef<ReadonlySet<string>>(new Set());
  /**
   * The latest preview per capture still indexing (header facts, heap line so far); dropped at
   * ready, when the views' own queries take over. Replaced wholesale: a shallowRef, like every
   * chart's data.
   */
  const previews = shallowRef<Readonly<Record<string, LoadPreview>>>({});
  let unsubscribers: ((() => void) | void)[] = [];
  /** Files named on `heapscope serve`, in order: their tabs keep that order, whatever loads first. */
  let startupOrder: readonly string[] = [];
  /** The capture this store made active on its own (not a person's choice), so a better one may replace it. */
  let autoActive: string | null = null;

  const active = computed(() => captures.value.find((c) => c.id === view.captureId) ?? null);

  /**
   * Progress for an open whose `open()` has not answered yet. Some engines only answer after
   * the whole file is indexed, so the capture id is first seen on progress events.
   */
  const pendingProgress = computed<Progress | null>(() => {
    const known = new Set(captures.value.map((c) => c.id));
    const orphan = Object.values(progress.value).filter(
      (p) => !known.has(p.captureId) && !TERMINAL.has(p.phase),
    );
    return orphan.length ? orphan[orphan.length - 1] : null;
  });

  function status(id: string): CaptureStatus {
    const p = progress.value[id];
    if (!captures.value.some((c) => c.id === id)) return 'opening';
    if (loaded.value.has(id)) return 'ready';
    if (p?.phase === 'error') return 'error';
    if (p?.phase === 'cancelled') return 'cancelled';
    return 'loading';
  }

  function markLoaded(id: string): void {
    if (loaded.value.has(id)) return;
    loaded.value = new Set([...loaded.value, id]);
    dropPreview(id);
  }

  function dropPreview(id: string): void {
    if (!(id in previews.value)) return;
    const rest = { ...previews.value };
    delete rest[id];
    previews.value = rest;
  }

  const activeStatus = computed<CaptureStatus | null>(() => (view.captureId ? status(view.captureId) : null));
  const activeReady = computed(() => activeStatus.value === 'ready');

  function upsert(info: CaptureInfo): void {
    const i = captures.value.findIndex((c) => c.id === info.id);
    captures.value =
      i < 0
        ? insertInOrder(captures.value, info, startupOrder)
        : captures.value.map((c) => (c.id === info.id ? info : c));
  }

  /**
   * With no tab chosen yet, the first tab becomes active; and while the store's own choice
   * stands, a tab that sorts before it (the first file named, loading later) takes over.
   */
  function autoActivate(): void {
    if (view.captureId !== null && view.captureId !== autoActive) return;
    const firstTab = captures.value[0];
    if (!firstTab || firstTab.id === view.captureId) return;
    view.captureId = firstTab.id;
    autoActive = firstTab.id;
  }

  function onProgress(p: Progress): void {
    progress.value = { ...progress.value, [p.captureId]: p };
    // Files named on `heapscope serve`'s command line load without an open() from this tab;
    // they join the list when their records are read.
    if (p.phase === 'done' && !loaded.value.has(p.captureId)) void refreshList();
    if ((p.phase === 'error' || p.phase === 'cancelled') && !loaded.value.has(p.captureId)) dropFailed(p);
  }

  /**
   * A capture that failed or was cancelled before its records were read holds nothing to show:
   * its tab goes (whoever opened it, however its path was spelled) and the reason stays on the
   * open screen. An open from this tab reports its own failure when its request answers, so a
   * reason is added here only for the others (files named on `heapscope serve`).
   */
  function dropFailed(p: Progress): void {
    const info = captures.value.find((c) => c.id === p.captureId);
    if (info) forget(p.captureId);
    const path = p.path ?? info?.facts.path;
    if (!path) return;
    const reason =
      p.phase === 'cancelled' ? 'Opening was cancelled.' : (p.message ?? 'the file could not be read');
    const reported = pending.value.some(
      (q) => q.error === undefined || samePath(q.path, path) || q.error.includes(reason),
    );
    if (!reported) pending.value = [...pending.value, { path, error: reason }];
  }

  /** Header facts arrive before the records: show them while the rest loads. */
  function onHeader(info: CaptureInfo): void {
    if (loaded.value.has(info.id)) return;
    upsert(info);
    const ours = pending.value.some(
      (p) => p.path === info.facts.path || info.facts.path.endsWith(p.path.replace(/^\.\//, '')),
    );
    if (ours) view.captureId = info.id;
    else autoActivate();
  }

  /** A capture still indexing shows its heap line so far; a preview can stand in for a missed header. */
  function onPreview(p: LoadPreview): void {
    if (loaded.value.has(p.captureId)) return;
    if (!captures.value.some((c) => c.id === p.captureId)) onHeader(p.info);
    previews.value = { ...previews.value, [p.captureId]: p };
  }

  async function refreshList(): Promise<void> {
    try {
      // The engine lists only captures whose records are read.
      const list = await useClient().list();
      for (const info of list) {
        upsert(info);
        markLoaded(info.id);
      }
      autoActivate();
    } catch (e) {
      lastError.value = errorMessage(e);
    }
  }

  async function init(): Promise<void> {
    const client = useClient();
    // Known before any capture arrives, so the first tab is the first file named.
    startupOrder = await loadStartupOrder(client);
    unsubscribers = [
      client.onProgress(onProgress),
      client.onHeader?.(onHeader),
      client.onPreview?.(onPreview),
    ];
    if (client.shell) {
      try {
        recent.value = await client.shell.recentFiles();
      } catch {
        // Recent files are a convenience; the open screen works without them.
      }
    }
    await refreshList();
  }

  function dispose(): void {
    for (const u of unsubscribers) if (typeof u === 'function') u();
    unsubscribers = [];
  }

  function remember(path: string): void {
    recent.value = [path, ...recent.value.filter((p) => p !== path)].slice(0, RECENT_MAX);
    writeStored(RECENT_KEY, recent.value);
  }

  /** Opens a capture; `withForkChildren` merges a memray parent with its `NAME.bin.PID` children. */
  async function open(
    path: string,
    options: { withForkChildren?: boolean } = {},
  ): Promise<CaptureInfo | null> {
    const trimmed = path.trim();
    if (!trimmed) return null;
    pending.value = [...pending.value.filter((p) => p.path !== trimmed), { path: trimmed }];
    lastError.value = null;
    try {
      const symbols = symbolSearchOf(useSettingsStore().symbols);
      const info = await useClient().open({
        path: trimmed,
        ...(options.withForkChildren && { withForkChildren: true }),
        ...(symbols && { symbols }),
      });
      upsert(info);
      markLoaded(info.id);
      view.captureId = info.id;
      view.setRange(null);
      view.focusKey = null;
      remember(trimmed);
      pending.value = pending.value.filter((p) => p.path !== trimmed);
      return info;
    } catch (e) {
      const message = isCancelled(e) ? 'Opening was cancelled.' : errorMessage(e);
      // A header shown early belongs to a capture that no longer exists.
      const orphan = captures.value.find(
        (c) =>
          !loaded.value.has(c.id) &&
          (c.facts.path === trimmed || c.facts.path.endsWith(trimmed.replace(/^\.\//, ''))),
      );
      if (orphan) forget(orphan.id);
      pending.value = pending.value.map((p) => (p.path === trimmed ? { ...p, error: message } : p));
      lastError.value = message;
      return null;
    }
  }

  function dismissPending(path: string): void {
    pending.value = pending.value.filter((p) => p.path !== path);
  }

  async function cancel(id: string): Promise<void> {
    await useClient().cancel(id);
  }

  function forget(id: string): void {
    captures.value = captures.value.filter((c) => c.id !== id);
    const rest = { ...progress.value };
    delete rest[id];
    progress.value = rest;
    if (loaded.value.has(id)) loaded.value = new Set([...loaded.value].filter((x) => x !== id));
    dropPreview(id);
    if (view.baselineId === id) view.baselineId = null;
    if (view.captureId === id) {
      view.captureId = captures.value[0]?.id ?? null;
      view.setRange(null);
      view.focusKey = null;
    }
  }

  async function close(id: string): Promise<void> {
    await useClient().close(id);
    forget(id);
  }

  function activate(id: string): void {
    if (view.captureId === id) return;
    view.captureId = id;
    view.setRange(null);
    view.focusKey = null;
    if (view.baselineId === id) view.baselineId = null;
  }

  return {
    captures,
    progress,
    loaded,
    previews,
    pending,
    recent,
    lastError,
    active,
    pendingProgress,
    activeStatus,
    activeReady,
    status,
    init,
    dispose,
    open,
    cancel,
    close,
    activate,
    dismissPending,
    refreshList,
  };
});

async function loadStartupOrder(client: { startupFiles?(): Promise<string[]> }): Promise<string[]> {
  if (!client.startupFiles) return [];
  try {
    return await client.startupFiles();
  } catch {
    // Without the order, tabs follow arrival; nothing else depends on it.
    return [];
  }
}

/** Whether a typed path names the (absolute) path a capture reports, as far as the text tells. */
function samePath(typed: string, reported: string): boolean {
  return typed === reported || reported.endsWith(typed.replace(/^\.\//, ''));
}

/** Where a capture sorts: its place on the command line, or after all of those in arrival order. */
function rankOf(info: CaptureInfo, order: readonly string[]): number {
  const i = order.indexOf(info.facts.path);
  return i < 0 ? order.length : i;
}

/** Inserts a new capture before the first one that sorts after it (stable for equal ranks). */
export function insertInOrder(
  list: readonly CaptureInfo[],
  info: CaptureInfo,
  order: readonly string[],
): CaptureInfo[] {
  const rank = rankOf(info, order);
  const at = list.findIndex((c) => rankOf(c, order) > rank);
  return at < 0 ? [...list, info] : [...list.slice(0, at), info, ...list.slice(at)];
}
