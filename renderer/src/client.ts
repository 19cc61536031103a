import type { CaptureInfo, HeapscopeApi, LoadPreview, Progress } from '@shared/api';
import type { ShellApi } from '@shared/ipc';

/**
 * What the views need from a transport. The real one comes from `renderer/src/api` (IPC in
 * Electron, HTTP + SSE in browser mode); tests hand in a fake. Stores never import a transport
 * directly so they stay testable without a DOM or a server.
 */
export interface ViewClient extends HeapscopeApi {
  /** Subscribes to engine progress; returns an unsubscribe function when the transport has one. */
  /** Subscribes to engine progress; returns an unsubscribe function when the transport has one. */
  onProgress(cb: (p: Progress) => void): (() => void) | void;
  /** Header facts of a capture still loading, when the transport forwards them. */
  onHeader?(cb: (info: CaptureInfo) => void): (() => void) | void;
  /** The heap line so far of a memray capture still indexing, when the transport forwards it. */
  onPreview?(cb: (preview: LoadPreview) => void): (() => void) | void;
  /** Menu commands from the desktop shell (open, toggle-theme …). */
  onCommand?(cb: (command: { command: string; path?: string }) => void): (() => void) | void;
  /** Only the desktop shell has dialogs, recent files and dropped-file paths. */
  shell?: ShellApi;
  /** Browser mode: the files named on `heapscope serve`, in command-line order (tab order). */
  startupFiles?(): Promise<string[]>;
}

let current: ViewClient | null = null;

export function setClient(client: ViewClient | null): void {
  current = client;
}

export function useClient(): ViewClient {
  if (!current) throw new Error('no Heapscope client: call setClient() before using the stores');
  return current;
}
