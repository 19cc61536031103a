import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CaptureInfo, Progress } from '@shared/api';
import { useClient } from '../client';
import { errorMessage, isCancelled } from '../lib/errors';
import { readStored, writeStored } from '../lib/storage';
import { useViewStore } from './view';

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
  let unsubscribers: ((() => void) | void)[] = [];

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
  }

  const activeStatus = computed<CaptureStatus | null>(() => (view.captureId ? status(view.captureId) : null));
  const activeReady = computed(() => activeStatus.value === 'ready');

  function upsert(info: CaptureInfo): void {
    const i = captures.value.findIndex((c) => c.id === info.id);
    captures.value =
      i < 0 ? [...captures.value, info] : captures.value.map((c) => (c.id === info.id ? info : c));
  }

  function onProgress(p: Progress): void {
    progress.value = { ...progress.value, [p.captureId]: p };
    // Files named on `heapscope serve`'s command line load without an open() from this tab;
    // they join the list when their records are read.
    if (p.phase === 'done' && !loaded.value.has(p.captureId)) void refreshList();
  }

  /** Header facts arrive before the records: show them while the rest loads. */
  function onHeader(info: CaptureInfo): void {
    if (loaded.value.has(info.id)) return;
    upsert(info);
    const ours = pending.value.some(
      (p) => p.path === info.facts.path || info.facts.path.endsWith(p.path.replace(/^\.\//, '')),
    );
    if (ours || !view.captureId) view.captureId = info.id;
  }

  async function refreshList(): Promise<void> {
    try {
      // The engine lists only captures whose records are read.
      const list = await useClient().list();
      for (const info of list) {
        upsert(info);
        markLoaded(info.id);
      }
      if (!view.captureId && list.length) view.captureId = list[0].id;
    } catch (e) {
      lastError.value = errorMessage(e);
    }
  }

  async function init(): Promise<void> {
    const client = useClient();
    unsubscribers = [client.onProgress(onProgress), client.onHeader?.(onHeader)];
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
      const info = await useClient().open({
        path: trimmed,
        ...(options.withForkChildren && { withForkChildren: true }),
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
