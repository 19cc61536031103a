// main/index.ts wired against a stand-in `electron` module: Electron itself cannot run here, but
// the window options, guards, CSP, IPC registration and argv handling of the real file can.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_METHODS, EVENT_CHANNEL_PREFIX, SHELL_CHANNELS } from '../../shared/ipc';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  const state = {
    userData: '',
    appEvents: new Map<string, Listener>(),
    windows: [] as FakeWindowShape[],
    handlers: new Map<string, Listener>(),
    headerHook: undefined as undefined | Listener,
    permissionHandler: undefined as undefined | Listener,
    menuTemplate: undefined as unknown,
    ready: undefined as undefined | (() => void),
  };
  interface FakeWindowShape {
    options: { webPreferences: Record<string, unknown> };
    webContents: Record<string, unknown>;
    contentsEvents: Map<string, Listener>;
    openHandler?: Listener;
    sent: [string, unknown][];
    loaded?: string;
  }
  let nextId = 1;
  class BrowserWindow implements FakeWindowShape {
    contentsEvents = new Map<string, Listener>();
    openHandler?: Listener;
    sent: [string, unknown][] = [];
    loaded?: string;
    webContents: Record<string, unknown>;
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      const id = nextId++;
      this.webContents = {
        id,
        on: (event: string, fn: Listener) => this.contentsEvents.set(event, fn),
        setWindowOpenHandler: (fn: Listener) => (this.openHandler = fn),
        send: (channel: string, payload: unknown) => this.sent.push([channel, payload]),
      };
      state.windows.push(this);
    }
    static getAllWindows() {
      return state.windows;
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    focus() {}
    restore() {}
    show() {}
    async loadFile(path: string) {
      this.loaded = path;
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
  }
  const electron = {
    app: {
      isPackaged: false,
      getPath: () => state.userData,
      getAppPath: () => '/app',
      requestSingleInstanceLock: () => true,
      quit: () => undefined,
      on: (event: string, fn: Listener) => state.appEvents.set(event, fn),
      whenReady: () => new Promise<void>((resolve) => (state.ready = resolve)),
    },
    BrowserWindow,
    dialog: {
      showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
      showSaveDialog: async () => ({ canceled: true }),
      // "Cancel" unless a test says otherwise.
      showMessageBox: vi.fn(async () => ({ response: 1 })),
    },
    ipcMain: {
      handle: (channel: string, fn: Listener) => state.handlers.set(channel, fn),
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    Menu: {
      buildFromTemplate: (template: unknown) => (state.menuTemplate = template),
      setApplicationMenu: () => undefined,
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: Listener) => (state.headerHook = fn) },
        setPermissionRequestHandler: (fn: Listener) => (state.permissionHandler = fn),
        setPermissionCheckHandler: () => undefined,
      },
    },
    shell: { openExternal: vi.fn(async () => undefined) },
  };
  return { state, electron };
});

vi.mock('electron', () => fake.electron);

const { state, electron } = fake;
const argv = process.argv;
const rendererUrl = process.env.ELECTRON_RENDERER_URL;

beforeAll(async () => {
  state.userData = mkdtempSync(join(tmpdir(), 'heapscope-electron-'));
  // What `electron . FILE` passes: binary, app path, then the user's arguments.
  process.argv = ['electron', '/app', '--enable-logging', 'first.bin'];
  // Set by something other than `electron-vite dev` (no NODE_ENV_ELECTRON_VITE=development): ignored.
  process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173';
  await import('../../main/index');
  state.ready!();
  // Let whenReady's continuation (IPC, menu, window) run.
  for (let i = 0; i < 20 && state.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
});

afterAll(() => {
  process.argv = argv;
  if (rendererUrl === undefined) delete process.env.ELECTRON_RENDERER_URL;
  else process.env.ELECTRON_RENDERER_URL = rendererUrl;
  rmSync(state.userData, { recursive: true, force: true });
});

describe('main/index.ts', () => {
  it('creates one window with sandboxed, isolated webPreferences and the CJS preload', () => {
    expect(state.windows).toHaveLength(1);
    const prefs = state.windows[0].options.webPreferences;
    expect(prefs).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/);
    // ELECTRON_RENDERER_URL alone does not make the window load (and trust) another page.
    expect(state.windows[0].loaded).toMatch(/renderer[\\/]index\.html$/);
  });

  it('registers a sender-checked IPC handler for every API method and shell channel', async () => {
    expect([...state.handlers.keys()].sort()).toEqual(
      [...API_METHODS, ...Object.values(SHELL_CHANNELS)].sort(),
    );
    // A message from some other webContents is refused without reaching the engine.
    const reply = await state.handlers.get('list')!({
      sender: { id: 999 },
      senderFrame: { url: 'https://evil.example/' },
    });
    expect(reply).toMatchObject({ ok: false, error: { message: expect.stringMatching(/refused/) } });
  });

  it('answers IPC from its own window showing the renderer', async () => {
    const win = state.windows[0];
    const frame = { url: `file://${String(win.loaded)}` };
    const reply = await state.handlers.get('list')!({
      sender: { id: win.webContents.id as number, mainFrame: frame },
      senderFrame: frame,
    });
    expect(reply).toEqual({ ok: true, value: [] });
  });

  it('adds the CSP header to every response', () => {
    let headers: Record<string, string[]> = {};
    state.headerHook!(
      { responseHeaders: { 'Content-Type': ['text/html'] } },
      (r: { responseHeaders: Record<string, string[]> }) => {
        headers = r.responseHeaders;
      },
    );
    expect(headers['Content-Security-Policy'][0]).toContain("script-src 'self'");
  });

  it('denies permissions, new windows and navigation away from the renderer', async () => {
    let allowed: boolean | undefined;
    state.permissionHandler!(undefined, 'media', (ok: boolean) => (allowed = ok));
    expect(allowed).toBe(false);
    const win = state.windows[0];
    // Documentation opens in the system browser; another link only after the person agrees.
    expect(win.openHandler!({ url: 'https://bloomberg.github.io/memray/' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://bloomberg.github.io/memray/');
    expect(win.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    await vi.waitFor(() => expect(electron.dialog.showMessageBox).toHaveBeenCalledTimes(1));
    expect(electron.shell.openExternal).not.toHaveBeenCalledWith('https://example.com/');
    electron.dialog.showMessageBox.mockResolvedValueOnce({ response: 0 });
    win.openHandler!({ url: 'https://example.org/page' });
    await vi.waitFor(() =>
      expect(electron.shell.openExternal).toHaveBeenCalledWith('https://example.org/page'),
    );
    expect(win.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(electron.dialog.showMessageBox).toHaveBeenCalledTimes(2);
    const event = { preventDefault: vi.fn() };
    win.contentsEvents.get('will-navigate')!(event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    const ok = { preventDefault: vi.fn() };
    win.contentsEvents.get('will-navigate')!(ok, `file://${String(win.loaded)}`);
    expect(ok.preventDefault).not.toHaveBeenCalled();
  });

  it('opens the argv FILE once the renderer has loaded, telling the renderer', () => {
    const win = state.windows[0];
    expect(win.sent).toEqual([]);
    win.contentsEvents.get('did-finish-load')!();
    expect(win.sent).toContainEqual([
      `${EVENT_CHANNEL_PREFIX}command`,
      { command: 'open', path: 'first.bin' },
    ]);
  });

  it('a second `heapscope FILE` goes to the running window', () => {
    const win = state.windows[0];
    state.appEvents.get('second-instance')!({}, ['electron', '/app', 'second.bin']);
    expect(win.sent).toContainEqual([
      `${EVENT_CHANNEL_PREFIX}command`,
      { command: 'open', path: 'second.bin' },
    ]);
  });

  it('IPC open reaches only files named on argv, chosen in the dialog or listed as recent', async () => {
    const win = state.windows[0];
    const frame = { url: `file://${String(win.loaded)}` };
    const event = { sender: { id: win.webContents.id as number, mainFrame: frame }, senderFrame: frame };
    const open = (path: string) =>
      state.handlers.get('open')!(event, { path }) as Promise<{ ok: boolean; error?: { message: string } }>;
    for (const path of ['/etc/passwd', '/picked/a.bin'])
      expect(await open(path), path).toMatchObject({
        ok: false,
        error: { message: expect.stringMatching(/^refused/) },
      });
    // argv (first.bin) and the second instance (second.bin) were granted: the engine is asked.
    for (const path of ['first.bin', 'second.bin']) {
      const reply = await open(path);
      expect(reply.error?.message ?? '', path).not.toMatch(/^refused/);
    }
    electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/picked/a.bin'] });
    expect(await state.handlers.get(SHELL_CHANNELS.chooseFiles)!(event)).toEqual({
      ok: true,
      value: ['/picked/a.bin'],
    });
    expect((await open('/picked/a.bin')).error?.message ?? '').not.toMatch(/^refused/);
  });

  it('a second instance started elsewhere opens its files relative to where it ran', () => {
    const win = state.windows[0];
    state.appEvents.get('second-instance')!({}, ['electron', '/app', 'third.bin'], '/home/u/runs');
    expect(win.sent).toContainEqual([
      `${EVENT_CHANNEL_PREFIX}command`,
      { command: 'open', path: '/home/u/runs/third.bin' },
    ]);
  });
});
