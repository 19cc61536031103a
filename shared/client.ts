import type { HeapscopeApi, Progress } from './api';
import type { EngineEvents, ShellApi } from './ipc';

export type ProgressListener = (progress: Progress) => void;

/**
 * What every renderer view talks to. The Electron preload bridge and the browser-mode HTTP
 * transport (renderer/src/api) both provide it.
 */
export interface HeapscopeClient extends HeapscopeApi {
  /** Subscribes to progress of every open; returns the unsubscribe function. */
  onProgress(listener: ProgressListener): () => void;
  /** Menu commands from the desktop shell (open, export…); absent in browser mode. */
  onCommand?(listener: (command: EngineEvents['command']) => void): () => void;
  /** Native dialogs, recent files, dropped-file paths: only in the desktop shell. */
  shell?: ShellApi;
  readonly transport: 'electron' | 'http';
}
