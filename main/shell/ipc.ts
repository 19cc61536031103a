/**
 * IPC wiring of the desktop shell, written against a minimal ipcMain shape so it is tested in
 * plain Node. Every handler checks the sender first and resolves with an envelope, so error
 * codes, files and offsets survive the trip (ipcMain.handle would keep only the message).
 */
import { isAbsolute } from 'node:path';
import type { ApiError, HeapscopeApi } from '../../shared/api';
import { toPlainApiError, type IpcEnvelope } from '../../shared/api-error';
import { API_METHODS, SHELL_CHANNELS } from '../../shared/ipc';
import { toApiError } from '../engine/errors';
import { checkApiArgs } from '../server/validate';
import type { PathGrants } from './grants';
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
  /**
   * The only paths `open` accepts. The dialog's choices, drops and the recent list are granted
   * here; main/index.ts grants argv and open-file events.
   */
  grants: PathGrants;
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

/** Why `open` of a path the person never gave is refused. */
export function notGrantedMessage(path: string): string {
  return (
    `refused: ${path} was not chosen in the open dialog, dropped on the window, named on the ` +
    'command line or listed in recent files; use File › Open… to open it'
  );
}

function refuse(message: string): never {
  throw { code: 'bad-input', message } satisfies ApiError;
}

/** Registers one handler per API method and shell channel; returns a function removing them all. */
export function registerIpc(ipc: IpcMainLike, options: IpcOptions): () => void {
  const { api, shell, trusted, grants } = options;
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
      // Argument checks keep a confused renderer from reaching the engine with nonsense.
      const problem = checkApiArgs(method, args);
      if (problem) refuse(problem);
      if (method === 'open') {
        const { path, series } = args[0] as { path: string; series?: string[] };
        // Every dump of a series must have been given too, not only the path that names it.
        for (const p of [path, ...(series ?? [])]) if (!grants.allows(p)) refuse(notGrantedMessage(p));
      }
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
  guarded(SHELL_CHANNELS.chooseFiles, async () => {
    const chosen = await shell.chooseFiles();
    grants.grant(chosen);
    return chosen;
  });
  guarded(SHELL_CHANNELS.chooseSavePath, async (args) => {
    const name = typeof args[0] === 'string' ? args[0] : 'heapscope-export';
    const chosen = await shell.chooseSavePath(name);
    if (chosen) approvedSavePaths.add(chosen);
    return chosen;
  });
  guarded(SHELL_CHANNELS.recentFiles, async () => {
    // main wrote the list itself, from files that were granted when they were opened.
    const recent = await shell.recentFiles();
    grants.grant(recent);
    return recent;
  });
  // Only the preload sends this, with the path Electron's webUtils gave for a File the person
  // dropped (a File a page makes up has no path); the page never reaches ipcRenderer itself.
  guarded(SHELL_CHANNELS.droppedFile, async (args) => {
    const path = args[0];
    if (typeof path !== 'string' || !isAbsolute(path)) refuse('a dropped file needs its absolute path');
    grants.grant([path]);
    return null;
  });

  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
