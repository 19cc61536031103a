import type { CaptureInfo, HeapscopeApi, LoadPreview, Progress } from './api';
import { decodeBridgeError } from './api-error';
import { API_METHODS, type EngineEvents, type ShellApi } from './ipc';

export type ProgressListener = (progress: Progress) => void;

/**
 * What every renderer view talks to. The Electron preload bridge and the browser-mode HTTP
 * transport (renderer/src/api) both provide it.
 */
export interface HeapscopeClient extends HeapscopeApi {
  /** Subscribes to progress of every open; returns the unsubscribe function. */
  onProgress(listener: ProgressListener): () => void;
  /** Header facts of a capture still loading, so a first screen can appear early. */
  onHeader?(listener: (info: CaptureInfo) => void): () => void;
  /** The heap line so far of a capture still indexing (memray), so the timeline appears early. */
  onPreview?(listener: (preview: LoadPreview) => void): () => void;
  /** Menu commands from the desktop shell (open, export…); absent in browser mode. */
  onCommand?(listener: (command: EngineEvents['command']) => void): () => void;
  /** Native dialogs, recent files, dropped-file paths: only in the desktop shell. */
  shell?: ShellApi;
  readonly transport: 'electron' | 'http';
}

/**
 * Wraps the preload bridge (`window.heapscope`): calls go straight through, and a rejected call
 * is turned back into a HeapscopeError with its code, file and offset.
 */
export function wrapBridgeClient(bridge: HeapscopeClient): HeapscopeClient {
  const client: Record<string, unknown> = {
    transport: 'electron',
    onProgress: bridge.onProgress.bind(bridge),
    ...(bridge.onHeader && { onHeader: bridge.onHeader.bind(bridge) }),
    ...(bridge.onPreview && { onPreview: bridge.onPreview.bind(bridge) }),
    ...(bridge.onCommand && { onCommand: bridge.onCommand.bind(bridge) }),
    ...(bridge.shell && { shell: bridge.shell }),
  };
  for (const method of API_METHODS) {
    const fn = bridge[method] as (...args: unknown[]) => Promise<unknown>;
    client[method] = async (...args: unknown[]) => {
      try {
        return await fn(...args.map(toPlainData));
      } catch (error) {
        throw decodeBridgeError(error);
      }
    };
  }
  return client as unknown as HeapscopeClient;
}

/**
 * Electron's IPC uses structured clone, which rejects Vue's reactive proxies (a filter's thread
 * array, a snapshot spec from a store). Every argument is JSON-shaped by contract (the HTTP
 * transport sends the same values as JSON), so a JSON round trip yields plain data.
 */
export function toPlainData<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
