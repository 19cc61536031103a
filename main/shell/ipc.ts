/**
 * IPC wiring of the desktop shell, written against a minimal ipcMain shape so it is tested in
 * plain Node. Every handler checks the sender first and resolves with an envelope, so error
 * codes, files and offsets survive the trip (ipcMain.handle would keep only the message).
 */
import type { ApiError, HeapscopeApi } from '../../shared/api';
import { toPlainApiError, type IpcEnvelope } from '../../shared/api-error';
import { API_METHODS, SHELL_CHANNELS, type ApiMethod } from '../../shared/ipc';
import { toApiError } from '../engine/errors';
import type { SenderFacts } from './security';

export interface IpcEventLike {
  sender: { id: number; mainFrame?: unknown };
  senderFrame?: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export function senderFactsOf(event: IpcEventLike): SenderFacts {
  const frame = event.senderFrame ?? undefined;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url,
    isMainFrame: frame !== undefined && frame === event.sender.mainFrame,
  };
}

/** The shell-only channels (native dialogs and the recent list). */
export interface ShellHandlers {
  chooseFiles(): Promise<string[]>;
  chooseSavePath(defaultName: string): Promise<string | null>;
  recentFiles(): Promise<string[]>;
}

export interface IpcOptions {
  api: HeapscopeApi;
  shell: ShellHandlers;
  trusted: (sender: SenderFacts) => boolean;
  /** Called after a successful open (recent files). */
  onOpened?: (path: string) => void;
}

const REFUSED: ApiError = {
  code: 'bad-input',
  message: 'refused: this IPC message does not come from the Heapscope window',
};

function fail(error: unknown): IpcEnvelope<never> {
  return { ok: false, error: toPlainApiError(toApiError(error)) };
}

/** Argument checks that keep a confused renderer from reaching the engine with nonsense. */
function checkArgs(method: ApiMethod, args: unknown[]): string | undefined {
  if (method === 'list') return undefined;
  const first = args[0];
  if (method === 'cancel' || method === 'close')
    return typeof first === 'string' ? undefined : `${method} needs a capture id`;
  if (typeof first !== 'object' || first === null) return `${method} needs a request object`;
  if (method === 'open' && typeof (first as { path?: unknown }).path !== 'string') return 'open needs a path';
  return undefined;
}

/** Registers one handler per API method and shell channel; returns a function removing them all. */
export function registerIpc(ipc: IpcMainLike, options: IpcOptions): () => void {
  const { api, shell, trusted } = options;
  // Export writes only where the user chose in the save dialog during this session.
  const approvedSavePaths = new Set<string>();
  const channels: string[] = [];

  const guarded = (channel: string, run: (args: unknown[]) => Promise<unknown>): void => {
    channels.push(channel);
    ipc.handle(channel, async (event, ...args) => {
      if (!trusted(senderFactsOf(event))) return { ok: false, error: REFUSED } satisfies IpcEnvelope<never>;
      try {
        return { ok: true, value: await run(args) } satisfies IpcEnvelope<unknown>;
      } catch (error) {
        return fail(error);
      }
    });
  };

  for (const method of API_METHODS) {
    guarded(method, async (args) => {
      const problem = checkArgs(method, args);
      if (problem) throw { code: 'bad-input', message: problem } satisfies ApiError;
      if (method === 'export') {
        const out = (args[0] as { outputPath?: unknown }).outputPath;
        if (out !== undefined && (typeof out !== 'string' || !approvedSavePaths.has(out))) {
          throw {
            code: 'bad-input',
            message: 'export may only write to a path chosen in the save dialog',
          } satisfies ApiError;
        }
      }
      const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(api, args.slice(0, 1));
      if (method === 'open') options.onOpened?.((args[0] as { path: string }).path);
      return value ?? null;
    });
  }
  guarded(SHELL_CHANNELS.chooseFiles, () => shell.chooseFiles());
  guarded(SHELL_CHANNELS.chooseSavePath, async (args) => {
    const name = typeof args[0] === 'string' ? args[0] : 'heapscope-export';
    const chosen = await shell.chooseSavePath(name);
    if (chosen) approvedSavePaths.add(chosen);
    return chosen;
  });
  guarded(SHELL_CHANNELS.recentFiles, () => shell.recentFiles());

  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
