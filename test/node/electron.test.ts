// The desktop shell's rules and wiring, in plain Node (Electron itself is never launched here).
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CaptureInfo, HeapscopeApi, OpenRequest, Progress } from '../../shared/api';
import { decodeBridgeError, HeapscopeError } from '../../shared/api-error';
import { API_METHODS, EVENT_CHANNEL_PREFIX, SHELL_CHANNELS } from '../../shared/ipc';
import { filesFromArgv } from '../../main/shell/argv';
import { PathGrants } from '../../main/shell/grants';
import {
  notGrantedMessage,
  registerIpc,
  senderFactsOf,
  type IpcEventLike,
  type IpcMainLike,
} from '../../main/shell/ipc';
import { menuTemplate, type MenuItemSpec } from '../../main/shell/menu';
import { addRecent, MAX_RECENT, RecentFiles } from '../../main/shell/recent';
import {
  contentSecurityPolicy,
  devServerUrlFrom,
  isAppUrl,
  isDocumentationUrl,
  isTrustedSender,
  secureWebPreferences,
  shouldPreventNavigation,
  windowOpenDecision,
  withCspHeader,
} from '../../main/shell/security';
import { createBridge, type IpcRendererLike } from '../../preload/bridge';
import { wrapBridgeClient as createElectronClient } from '../../shared/client';

const RENDERER = 'file:///opt/heapscope/out/renderer/index.html';
const APP = { rendererFileUrl: RENDERER };
const DEV = { rendererFileUrl: RENDERER, devServerUrl: 'http://localhost:5173' };

describe('Electron security rules', () => {
  it('webPreferences: sandboxed, isolated, no Node, web security on', () => {
    const prefs = secureWebPreferences('/x/preload/index.cjs');
    expect(prefs).toMatchObject({
      preload: '/x/preload/index.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('CSP allows only our own scripts and connections', () => {
    const csp = contentSecurityPolicy();
    const directives = Object.fromEntries(
      csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-eval/);
    // In development the HMR socket of the dev server is the one addition.
    expect(contentSecurityPolicy('http://localhost:5173')).toContain(
      "connect-src 'self' http://localhost:5173 ws://localhost:5173",
    );
  });

  it('withCspHeader replaces any CSP the response had, whatever its case', () => {
    const headers = withCspHeader(
      { 'content-security-policy': ['default-src *'], 'Content-Type': 'text/html' },
      "default-src 'self'",
    );
    expect(headers['Content-Security-Policy']).toEqual(["default-src 'self'"]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(withCspHeader(undefined, 'x')['Content-Security-Policy']).toEqual(['x']);
  });

  it('recognises only our renderer as the app', () => {
    expect(isAppUrl(RENDERER, APP)).toBe(true);
    expect(isAppUrl(`${RENDERER}#/diff`, APP)).toBe(true);
    expect(isAppUrl('file:///opt/heapscope/out/renderer/other.html', APP)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', APP)).toBe(false);
    expect(isAppUrl('https://example.com/', APP)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', APP)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', DEV)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', DEV)).toBe(false);
    expect(isAppUrl(undefined, APP)).toBe(false);
    expect(isAppUrl('not a url', APP)).toBe(false);
  });

  it('navigation away from the renderer is prevented', () => {
    expect(shouldPreventNavigation('https://evil.example/', APP)).toBe(true);
    expect(shouldPreventNavigation('file:///data/capture.bin', APP)).toBe(true);
    expect(shouldPreventNavigation(RENDERER, APP)).toBe(false);
  });

  it('new windows are always denied; documentation opens in the browser, other web links ask first', () => {
    expect(windowOpenDecision('https://bloomberg.github.io/memray/')).toEqual({
      action: 'deny',
      openExternally: true,
      askFirst: false,
    });
    expect(windowOpenDecision('https://bloomberg.github.io/memray/run.html#aggregated')).toMatchObject({
      openExternally: true,
    });
    for (const url of [
      'https://example.com/',
      'http://bloomberg.github.io/memray/',
      'https://evil.example/memray/',
    ])
      expect(windowOpenDecision(url), url).toEqual({ action: 'deny', openExternally: false, askFirst: true });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'not a url'])
      expect(windowOpenDecision(url), url).toEqual({
        action: 'deny',
        openExternally: false,
        askFirst: false,
      });
  });

  it('documentation URLs match by origin and path prefix, https only', () => {
    expect(
      isDocumentationUrl('https://docs.python.org/3/library/tracemalloc.html#tracemalloc.Snapshot'),
    ).toBe(true);
    expect(isDocumentationUrl('https://docs.python.org/3/library/tracemalloc.html.evil.example/')).toBe(
      false,
    );
    expect(isDocumentationUrl('https://docs.python.org/3/library/os.html')).toBe(false);
    expect(isDocumentationUrl('https://bloomberg.github.io/memrayx/')).toBe(false);
    expect(isDocumentationUrl('https://bloomberg.github.io.evil.example/memray/')).toBe(false);
    expect(isDocumentationUrl('https://user:pw@bloomberg.github.io/memray/')).toBe(false);
    expect(isDocumentationUrl('https://github.com/plasma-umass/scalene/blob/master/README.md')).toBe(true);
    expect(isDocumentationUrl('https://github.com/plasma-umass/scalene-fork')).toBe(false);
  });

  it('the dev server URL is honoured only under `npm run dev`, on loopback, unpackaged', () => {
    const dev = { ELECTRON_RENDERER_URL: 'http://localhost:5173', NODE_ENV_ELECTRON_VITE: 'development' };
    expect(devServerUrlFrom(dev, false)).toBe('http://localhost:5173');
    expect(devServerUrlFrom({ ...dev, ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/' }, false)).toBe(
      'http://127.0.0.1:5173/',
    );
    // electron-vite preview (npm start) and a plain `electron .`: the built renderer.
    expect(devServerUrlFrom({ ...dev, NODE_ENV_ELECTRON_VITE: 'production' }, false)).toBeUndefined();
    expect(devServerUrlFrom({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, false)).toBeUndefined();
    expect(devServerUrlFrom(dev, true)).toBeUndefined();
    expect(
      devServerUrlFrom({ ...dev, ELECTRON_RENDERER_URL: 'https://evil.example/' }, false),
    ).toBeUndefined();
    expect(devServerUrlFrom({ ...dev, ELECTRON_RENDERER_URL: 'file:///var/x.html' }, false)).toBeUndefined();
    expect(devServerUrlFrom({ ...dev, ELECTRON_RENDERER_URL: 'nonsense' }, false)).toBeUndefined();
    expect(devServerUrlFrom({ NODE_ENV_ELECTRON_VITE: 'development' }, false)).toBeUndefined();
  });

  it('trusts IPC only from our window, top frame, showing our renderer', () => {
    const app = { windowWebContentsId: 7, ...APP };
    expect(isTrustedSender({ webContentsId: 7, frameUrl: RENDERER, isMainFrame: true }, app)).toBe(true);
    expect(isTrustedSender({ webContentsId: 8, frameUrl: RENDERER, isMainFrame: true }, app)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: RENDERER, isMainFrame: false }, app)).toBe(false);
    expect(
      isTrustedSender({ webContentsId: 7, frameUrl: 'https://evil.example/', isMainFrame: true }, app),
    ).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: undefined, isMainFrame: true }, app)).toBe(false);
    expect(
      isTrustedSender(
        { webContentsId: 7, frameUrl: RENDERER, isMainFrame: true },
        { ...app, windowWebContentsId: undefined },
      ),
    ).toBe(false);
  });
});

/** ipcMain and ipcRenderer joined in memory: invoke → handler with a chosen sender. */
class FakeIpc implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  readonly listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  mainFrame = { url: RENDERER };
  event: IpcEventLike = { sender: { id: 1, mainFrame: this.mainFrame }, senderFrame: this.mainFrame };

  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  renderer(): IpcRendererLike {
    return {
      invoke: async (channel, ...args) => {
        const handler = this.handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        // Structured clone, as Electron does between processes.
        return structuredClone(await handler(this.event, ...structuredClone(args)));
      },
      on: (channel, listener) => {
        if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
        this.listeners.get(channel)!.add(listener);
      },
      removeListener: (channel, listener) => {
        this.listeners.get(channel)?.delete(listener);
      },
    };
  }
  send(channel: string, payload: unknown): void {
    for (const l of this.listeners.get(channel) ?? []) l({ sender: 'secret' }, payload);
  }
}

const INFO = {
  id: 'c1',
  facts: { format: 'memray', path: '/x/a.bin', fileName: 'a.bin', sizeBytes: 1 },
} as CaptureInfo;

function fakeApi(calls: unknown[][]): HeapscopeApi {
  const api = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const m of API_METHODS)
    api[m] = async (...args: unknown[]) => {
      calls.push([m, ...args]);
      if (m === 'open') {
        const req = args[0] as OpenRequest;
        if (req.path.endsWith('.bad'))
          throw new HeapscopeError({
            code: 'bad-input',
            message: 'not a capture',
            file: req.path,
            offset: 12,
          });
        return INFO;
      }
      if (m === 'list') return [INFO];
      if (m === 'export')
        return { format: 'csv', bytes: 3, outputPath: (args[0] as { outputPath?: string }).outputPath };
      return undefined;
    };
  return api as unknown as HeapscopeApi;
}

function wire(options: { trusted?: boolean } = {}) {
  const ipc = new FakeIpc();
  const calls: unknown[][] = [];
  const opened: string[] = [];
  const grants = new PathGrants();
  const dispose = registerIpc(ipc, {
    grants,
    api: fakeApi(calls),
    shell: {
      chooseFiles: async () => ['/data/a.bin'],
      chooseSavePath: async (name) => `/home/u/${name}`,
      recentFiles: async () => ['/data/r.bin'],
    },
    trusted: (sender) =>
      (options.trusted ?? true) && isTrustedSender(sender, { windowWebContentsId: 1, ...APP }),
    onOpened: (p) => opened.push(p),
  });
  const client = createElectronClient(
    createBridge(ipc.renderer(), {
      getPathForFile: (f) => `/dropped/${(f as unknown as { name: string }).name}`,
    }),
  );
  return { ipc, calls, opened, dispose, client, grants };
}

describe('IPC wiring (main) and the preload bridge', () => {
  it('registers one handler per API method and shell channel', () => {
    const { ipc, dispose } = wire();
    expect([...ipc.handlers.keys()].sort()).toEqual(
      [...API_METHODS, ...Object.values(SHELL_CHANNELS)].sort(),
    );
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('carries calls and results through the bridge, and records opened files', async () => {
    const { client, calls, opened } = wire();
    expect(client.transport).toBe('electron');
    await client.shell!.chooseFiles();
    await expect(client.open({ path: '/data/a.bin' })).resolves.toEqual(INFO);
    await expect(client.list()).resolves.toEqual([INFO]);
    await expect(client.close('c1')).resolves.toBeUndefined();
    expect(calls).toEqual([['open', { path: '/data/a.bin' }], ['list'], ['close', 'c1']]);
    expect(opened).toEqual(['/data/a.bin']);
  });

  it('keeps the ApiError code, file and offset across the bridge', async () => {
    const { client, grants } = wire();
    grants.grant(['/data/x.bad']);
    const error = await client.open({ path: '/data/x.bad' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeapscopeError);
    expect(error).toMatchObject({
      code: 'bad-input',
      message: 'not a capture',
      file: '/data/x.bad',
      offset: 12,
    });
  });

  it('refuses messages from any other sender', async () => {
    const { ipc, client, calls } = wire();
    ipc.event = { sender: { id: 2, mainFrame: ipc.mainFrame }, senderFrame: ipc.mainFrame };
    await expect(client.list()).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/refused/),
    });
    const iframe = { url: RENDERER };
    ipc.event = { sender: { id: 1, mainFrame: ipc.mainFrame }, senderFrame: iframe };
    await expect(client.list()).rejects.toMatchObject({ message: expect.stringMatching(/refused/) });
    const foreign = { url: 'https://evil.example/' };
    ipc.event = { sender: { id: 1, mainFrame: foreign }, senderFrame: foreign };
    await expect(client.shell!.recentFiles()).rejects.toMatchObject({
      message: expect.stringMatching(/refused/),
    });
    expect(calls).toEqual([]);
  });

  it('rejects malformed arguments before they reach the engine', async () => {
    const { ipc, calls } = wire();
    const invoke = ipc.renderer().invoke;
    expect(await invoke('open', 'not an object')).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await invoke('close', 42)).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await invoke('summary', null)).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: 'summary needs a request object' },
    });
    expect(
      await invoke('table', { captureId: 'c1', snapshot: { kind: 'peak' }, groupBy: 'colour' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: expect.stringMatching(/groupBy must be one of/) },
    });
    expect(calls).toEqual([]);
  });

  it('open reaches only paths the person gave: dialog, drop, recent list', async () => {
    const { client, calls, ipc } = wire();
    for (const path of ['/etc/passwd', '/data/a.bin', '/dropped/drop.bin', '/data/r.bin', 'relative.bin']) {
      await expect(client.open({ path }), path).rejects.toMatchObject({
        code: 'bad-input',
        message: notGrantedMessage(path),
      });
    }
    expect(calls).toEqual([]);
    // The dialog's choice.
    await client.shell!.chooseFiles();
    await expect(client.open({ path: '/data/a.bin' })).resolves.toEqual(INFO);
    // The recent list the renderer was shown.
    await client.shell!.recentFiles();
    await expect(client.open({ path: '/data/r.bin' })).resolves.toEqual(INFO);
    // A drop: the preload reports the path as it hands it to the page, and the page opens it.
    const path = client.shell!.pathForDroppedFile({ name: 'drop.bin' } as unknown as File);
    await expect(client.open({ path })).resolves.toEqual(INFO);
    // Granting is exact: a neighbour of a granted file is not granted.
    await expect(client.open({ path: '/data/b.bin' })).rejects.toMatchObject({ code: 'bad-input' });
    // The drop channel takes absolute paths only.
    expect(await ipc.renderer().invoke(SHELL_CHANNELS.droppedFile, 'x.bin')).toMatchObject({ ok: false });
    expect(await ipc.renderer().invoke(SHELL_CHANNELS.droppedFile, 42)).toMatchObject({ ok: false });
  });

  it('a File with no path (one a page made up) grants nothing', async () => {
    const ipc = new FakeIpc();
    const grants = new PathGrants();
    registerIpc(ipc, {
      api: fakeApi([]),
      shell: { chooseFiles: async () => [], chooseSavePath: async () => null, recentFiles: async () => [] },
      trusted: () => true,
      grants,
    });
    const bridge = createBridge(ipc.renderer(), { getPathForFile: () => '' });
    expect(bridge.shell!.pathForDroppedFile({} as File)).toBe('');
    await new Promise((r) => setImmediate(r));
    expect(grants.size).toBe(0);
  });

  it('PathGrants resolves paths the way the engine does', () => {
    const grants = new PathGrants();
    grants.grant(['rel/a.bin'], '/home/u');
    grants.grant(['b.bin']);
    expect(grants.allows('/home/u/rel/a.bin')).toBe(true);
    expect(grants.allows('/home/u/rel/../rel/a.bin')).toBe(true);
    expect(grants.allows(resolve('b.bin'))).toBe(true);
    expect(grants.allows('b.bin')).toBe(true);
    expect(grants.allows('/home/u/rel')).toBe(false);
  });

  it('export writes only to a path chosen in the save dialog', async () => {
    const { client } = wire();
    await expect(
      client.export({ captureId: 'c1', format: 'csv', outputPath: '/etc/cron.d/evil' }),
    ).rejects.toMatchObject({ code: 'bad-input' });
    const path = await client.shell!.chooseSavePath('report.csv');
    expect(path).toBe('/home/u/report.csv');
    await expect(client.export({ captureId: 'c1', format: 'csv', outputPath: path! })).resolves.toMatchObject(
      { outputPath: path },
    );
    // Without outputPath the content comes back, which needs no approval.
    await expect(client.export({ captureId: 'c1', format: 'csv' })).resolves.toMatchObject({ format: 'csv' });
  });

  it('pushes progress, previews and menu commands without exposing the IPC event', async () => {
    const { ipc, client } = wire();
    const got: Progress[] = [];
    const commands: unknown[] = [];
    const off = client.onProgress((p) => got.push(p));
    client.onCommand!((c) => commands.push(c));
    const previews: unknown[] = [];
    client.onPreview!((v) => previews.push(v));
    const progress: Progress = {
      captureId: 'c1',
      phase: 'reading',
      bytesDone: 1,
      bytesTotal: 2,
      records: 3,
      elapsedMs: 4,
    };
    ipc.send(`${EVENT_CHANNEL_PREFIX}progress`, progress);
    ipc.send(`${EVENT_CHANNEL_PREFIX}command`, { command: 'open', path: '/a.bin' });
    ipc.send(`${EVENT_CHANNEL_PREFIX}preview`, { captureId: 'c1', records: 3, timeline: null });
    off();
    ipc.send(`${EVENT_CHANNEL_PREFIX}progress`, progress);
    expect(got).toEqual([progress]);
    expect(commands).toEqual([{ command: 'open', path: '/a.bin' }]);
    expect(previews).toEqual([{ captureId: 'c1', records: 3, timeline: null }]);
  });

  it('shell channels: dialogs, recent files, dropped-file paths', async () => {
    const { client } = wire();
    await expect(client.shell!.chooseFiles()).resolves.toEqual(['/data/a.bin']);
    await expect(client.shell!.recentFiles()).resolves.toEqual(['/data/r.bin']);
    expect(client.shell!.pathForDroppedFile({ name: 'drop.bin' } as unknown as File)).toBe(
      '/dropped/drop.bin',
    );
  });

  it('the bridge exposes functions only, no ipcRenderer', () => {
    const bridge = createBridge(new FakeIpc().renderer(), { getPathForFile: () => '' }) as unknown as Record<
      string,
      unknown
    >;
    for (const m of API_METHODS) expect(typeof bridge[m]).toBe('function');
    expect(Object.values(bridge).some((v) => v && typeof v === 'object' && 'invoke' in (v as object))).toBe(
      false,
    );
  });

  it('senderFactsOf reads the frame and whether it is the top frame', () => {
    const main = { url: RENDERER };
    expect(senderFactsOf({ sender: { id: 3, mainFrame: main }, senderFrame: main })).toEqual({
      webContentsId: 3,
      frameUrl: RENDERER,
      isMainFrame: true,
    });
    expect(senderFactsOf({ sender: { id: 3, mainFrame: main }, senderFrame: null })).toEqual({
      webContentsId: 3,
      frameUrl: undefined,
      isMainFrame: false,
    });
  });

  it('decodeBridgeError survives messages Electron prefixes', () => {
    const e = decodeBridgeError(
      new Error(`Error invoking remote method 'open': heapscope-error:{"code":"not-found","message":"gone"}`),
    );
    expect(e).toMatchObject({ code: 'not-found', message: 'gone' });
    expect(decodeBridgeError(new Error('plain'))).toMatchObject({ code: 'internal', message: 'plain' });
  });
});

describe('shell helpers', () => {
  it('filesFromArgv takes the files after the app, skipping switches', () => {
    expect(
      filesFromArgv(['/usr/bin/heapscope', 'a.bin', '--inspect', 'b.pickle'], { isPackaged: true }),
    ).toEqual(['a.bin', 'b.pickle']);
    expect(filesFromArgv(['electron', '.', 'a.bin'], { isPackaged: false })).toEqual(['a.bin']);
    expect(
      filesFromArgv(['electron', '/app', '--', '--weird-name.bin'], { isPackaged: false, appPath: '/app' }),
    ).toEqual(['--weird-name.bin']);
    expect(filesFromArgv(['electron', '/app', '/app'], { isPackaged: false, appPath: '/app' })).toEqual([]);
  });

  it('recent files: newest first, unique, bounded, and stored in recent.json', async () => {
    expect(addRecent(['/a', '/b'], '/b')).toEqual(['/b', '/a']);
    const many = Array.from({ length: MAX_RECENT + 5 }, (_, i) => `/f${i}`);
    expect(many.reduce<string[]>((list, p) => addRecent(list, p), [])).toHaveLength(MAX_RECENT);
    const dir = await mkdtemp(join(tmpdir(), 'heapscope-recent-'));
    try {
      const file = join(dir, 'userData', 'recent.json');
      const recent = new RecentFiles(file);
      expect(await recent.read()).toEqual([]);
      await recent.add('x.bin');
      await recent.add('/data/y.bin');
      expect(await recent.read()).toEqual(['/data/y.bin', resolve('x.bin')]);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ files: ['/data/y.bin', resolve('x.bin')] });
      await writeFile(file, '{broken');
      expect(await recent.read()).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the menu offers open, recent files and export, each as a command', () => {
    const flat = (items: MenuItemSpec[]): MenuItemSpec[] =>
      items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);
    const items = flat(menuTemplate({ isMac: false, recent: ['/data/a.bin'] }));
    expect(items.find((i) => i.command === 'open')?.accelerator).toBe('CmdOrCtrl+O');
    expect(items.some((i) => i.command === 'open-recent:/data/a.bin')).toBe(true);
    expect(items.some((i) => i.command === 'export')).toBe(true);
    expect(flat(menuTemplate({ isMac: true, recent: [] }))[0].role).toBe('appMenu');
  });
});
