/**
 * The preload's bridge object, built from injected ipcRenderer/webUtils so it is tested in
 * plain Node. It exposes exactly the HeapscopeClient surface: one function per API method,
 * progress and command subscriptions, and the shell dialogs. No ipcRenderer escapes.
 */
import type { Progress } from '../shared/api';
import { encodeBridgeError, type IpcEnvelope } from '../shared/api-error';
import { API_METHODS, EVENT_CHANNEL_PREFIX, SHELL_CHANNELS, type EngineEvents } from '../shared/ipc';
import type { HeapscopeClient } from '../shared/client';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

export interface WebUtilsLike {
  getPathForFile(file: File): string;
}

async function unwrap(promise: Promise<unknown>): Promise<unknown> {
  const envelope = (await promise) as IpcEnvelope<unknown>;
  if (envelope && envelope.ok === true) return envelope.value ?? undefined;
  if (envelope && envelope.ok === false) throw encodeBridgeError(envelope.error);
  throw encodeBridgeError({ code: 'internal', message: 'malformed reply from the main process' });
}

function subscribe<K extends keyof EngineEvents>(
  ipc: IpcRendererLike,
  name: K,
  listener: (payload: EngineEvents[K]) => void,
): () => void {
  const channel = EVENT_CHANNEL_PREFIX + name;
  // Wrapped so the renderer never sees the IpcRendererEvent (it carries `sender`).
  const wrapped = (_event: unknown, payload: unknown): void => listener(payload as EngineEvents[K]);
  ipc.on(channel, wrapped);
  return () => {
    ipc.removeListener(channel, wrapped);
  };
}

export function createBridge(ipc: IpcRendererLike, webUtils: WebUtilsLike): HeapscopeClient {
  const methods: Record<string, (arg?: unknown) => Promise<unknown>> = {};
  for (const method of API_METHODS) {
    // One argument at most: nothing else a page might pass reaches the main process.
    methods[method] = (arg?: unknown) =>
      unwrap(arg === undefined ? ipc.invoke(method) : ipc.invoke(method, arg));
  }
  const bridge = {
    ...methods,
    transport: 'electron' as const,
    onProgress: (listener: (p: Progress) => void) => subscribe(ipc, 'progress', listener),
    onHeader: (listener: (info: EngineEvents['header']) => void) => subscribe(ipc, 'header', listener),
    onPreview: (listener: (preview: EngineEvents['preview']) => void) => subscribe(ipc, 'preview', listener),
    onCommand: (listener: (c: EngineEvents['command']) => void) => subscribe(ipc, 'command', listener),
    shell: {
      chooseFiles: () => unwrap(ipc.invoke(SHELL_CHANNELS.chooseFiles)) as Promise<string[]>,
      chooseSavePath: (defaultName: string) =>
        unwrap(ipc.invoke(SHELL_CHANNELS.chooseSavePath, String(defaultName))) as Promise<string | null>,
      recentFiles: () => unwrap(ipc.invoke(SHELL_CHANNELS.recentFiles)) as Promise<string[]>,
      pathForDroppedFile: (file: File) => {
        const path = webUtils.getPathForFile(file);
        // Sent before the renderer can ask to open it: IPC messages arrive in order, so the
        // main process has granted the path by the time the `open` comes.
        if (path) void ipc.invoke(SHELL_CHANNELS.droppedFile, path).catch(() => undefined);
        return path;
      },
    },
  };
  return bridge as unknown as HeapscopeClient;
}
