import type { CaptureInfo, HeapscopeApi, LoadPreview, Progress } from './api';

/**
 * One IPC contract, channel → signature, used by the Electron main process, the preload bridge,
 * the HTTP server and the renderer's transports. Channel names are the API method names.
 */
export type ApiMethod = keyof HeapscopeApi;

export const API_METHODS = [
  'open',
  'cancel',
  'close',
  'list',
  'summary',
  'flamegraph',
  'timeline',
  'allocators',
  'table',
  'diff',
  'export',
  'lineSamples',
  'lastSeconds',
  'growth',
  'layout',
  'layoutSites',
  'layoutBands',
] as const satisfies readonly ApiMethod[];

export type ApiArgs<M extends ApiMethod> = Parameters<HeapscopeApi[M]>;
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<HeapscopeApi[M]>>;

/** Channels only the desktop shell has (dialogs, recent files, menu commands). */
export interface ShellApi {
  /** Shows the native open dialog; resolves to the chosen paths (empty when cancelled). */
  chooseFiles(): Promise<string[]>;
  /** Shows the native save dialog for an export; resolves to the path or null. */
  chooseSavePath(defaultName: string): Promise<string | null>;
  recentFiles(): Promise<string[]>;
  /** Absolute path of a file dropped onto the window (Electron's webUtils). */
  pathForDroppedFile(file: File): string;
}

export const SHELL_CHANNELS = {
  chooseFiles: 'shell:chooseFiles',
  chooseSavePath: 'shell:chooseSavePath',
  recentFiles: 'shell:recentFiles',
  /** The preload tells the main process which path a drop gave, so it may be opened. */
  droppedFile: 'shell:droppedFile',
} as const;

/** Events pushed from the engine to the renderer. */
export interface EngineEvents {
  progress: Progress;
  /** A capture's header is read (facts known), before its records are. */
  header: CaptureInfo;
  /** A memray capture still indexing: header facts and the heap line so far (throttled). */
  preview: LoadPreview;
  /** A menu command from the desktop shell (e.g. "open", "export", "toggle-theme"). */
  command: { command: string; path?: string };
}

export const EVENT_CHANNEL_PREFIX = 'event:';

export function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name);
}
