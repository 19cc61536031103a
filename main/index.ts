// Electron shell: one window, menu, dialogs and IPC wiring. The rules live in main/shell/.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  session,
  shell,
  type MenuItemConstructorOptions,
} from 'electron';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Progress } from '../shared/api';
import { EVENT_CHANNEL_PREFIX, type EngineEvents } from '../shared/ipc';
import { Engine } from './engine/engine';
import { filesFromArgv } from './shell/argv';
import { PathGrants } from './shell/grants';
import { registerIpc, type IpcMainLike } from './shell/ipc';
import { menuTemplate, type MenuItemSpec } from './shell/menu';
import { RecentFiles } from './shell/recent';
import {
  allowPermission,
  contentSecurityPolicy,
  devServerUrlFrom,
  isTrustedSender,
  secureWebPreferences,
  shouldPreventNavigation,
  windowOpenDecision,
  withCspHeader,
} from './shell/security';

const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const preloadFile = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const devServerUrl = devServerUrlFrom(process.env, app.isPackaged);
const appUrls = { rendererFileUrl: pathToFileURL(rendererFile).href, ...(devServerUrl && { devServerUrl }) };

const engine = new Engine({ workerUrl: new URL('./worker.js', import.meta.url) });
const recent = new RecentFiles(join(app.getPath('userData'), 'recent.json'));
/** The files the renderer may open: what the person chose, dropped or named (main/shell/grants.ts). */
const grants = new PathGrants();
let mainWindow: BrowserWindow | undefined;
/** Files to open once the renderer has loaded (argv, second instance, macOS open-file). */
const queued: string[] = [];
let rendererReady = false;

function send<K extends keyof EngineEvents>(name: K, payload: EngineEvents[K]): void {
  if (mainWindow && !mainWindow.isDestroyed())
    mainWindow.webContents.send(EVENT_CHANNEL_PREFIX + name, payload);
}

engine.onProgress((progress: Progress) => send('progress', progress));
engine.onHeader((info) => send('header', info));
engine.onPreview((preview) => send('preview', preview));

function openFiles(paths: string[]): void {
  grants.grant(paths);
  if (!rendererReady) {
    queued.push(...paths);
    return;
  }
  for (const path of paths) {
    // The engine starts reading now; the renderer's own open() of the same path joins it.
    engine.open({ path }).then(
      () => recent.add(path).then(rebuildMenu),
      () => undefined,
    );
    send('command', { command: 'open', path });
  }
}

async function chooseFiles(): Promise<string[]> {
  const options = {
    title: 'Open capture',
    properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[],
    filters: [
      { name: 'Captures', extensions: ['bin', 'pickle', 'dump', 'snap', 'tracemalloc', 'gz', 'csv', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}

async function chooseSavePath(defaultName: string): Promise<string | null> {
  const options = { title: 'Export', defaultPath: join(app.getPath('documents'), basename(defaultName)) };
  const result = mainWindow
    ? await dialog.showSaveDialog(mainWindow, options)
    : await dialog.showSaveDialog(options);
  return result.canceled || !result.filePath ? null : result.filePath;
}

function toElectronMenu(items: MenuItemSpec[]): MenuItemConstructorOptions[] {
  return items.map((item) => {
    const out: MenuItemConstructorOptions = {};
    if (item.label) out.label = item.label;
    if (item.role) out.role = item.role as MenuItemConstructorOptions['role'];
    if (item.type === 'separator') out.type = 'separator';
    if (item.accelerator) out.accelerator = item.accelerator;
    if (item.submenu) out.submenu = toElectronMenu(item.submenu);
    const command = item.command;
    if (command) out.click = () => void runMenuCommand(command);
    return out;
  });
}

async function runMenuCommand(command: string): Promise<void> {
  if (command === 'open') {
    openFiles(await chooseFiles());
  } else if (command.startsWith('open-recent:')) {
    openFiles([command.slice('open-recent:'.length)]);
  } else {
    send('command', { command });
  }
}

async function rebuildMenu(): Promise<void> {
  const template = menuTemplate({ isMac: process.platform === 'darwin', recent: await recent.read() });
  Menu.setApplicationMenu(Menu.buildFromTemplate(toElectronMenu(template)));
}

/** A web link that is not our documentation goes to the browser only when the person agrees. */
async function askToOpenExternally(win: BrowserWindow, url: string): Promise<void> {
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Open in Browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your web browser?',
    detail: url,
  });
  if (response === 0) await shell.openExternal(url);
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Heapscope',
    webPreferences: secureWebPreferences(preloadFile),
  });
  const win = mainWindow;
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (shouldPreventNavigation(url, appUrls)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (shouldPreventNavigation(url, appUrls)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(url);
    else if (decision.askFirst) void askToOpenExternally(win, url);
    return { action: decision.action };
  });
  win.webContents.on('did-finish-load', () => {
    rendererReady = true;
    openFiles(queued.splice(0));
  });
  win.on('closed', () => {
    mainWindow = undefined;
    rendererReady = false;
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererFile);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  queued.push(...filesFromArgv(process.argv, { isPackaged: app.isPackaged, appPath: app.getAppPath() }));

  app.on('second-instance', (_event, argv, workingDirectory?: string) => {
    // The second `heapscope FILE` may run elsewhere: its relative paths are relative to it.
    const files = filesFromArgv(argv, { isPackaged: app.isPackaged, appPath: app.getAppPath() });
    openFiles(workingDirectory ? files.map((f) => resolve(workingDirectory, f)) : files);
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    openFiles([path]);
  });

  app.whenReady().then(async () => {
    const csp = contentSecurityPolicy(devServerUrl);
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: withCspHeader(details.responseHeaders, csp) });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
      callback(allowPermission(permission)),
    );
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));

    registerIpc(ipcMain as unknown as IpcMainLike, {
      api: engine,
      shell: { chooseFiles, chooseSavePath, recentFiles: () => recent.read() },
      trusted: (sender) =>
        isTrustedSender(sender, { windowWebContentsId: mainWindow?.webContents.id, ...appUrls }),
      grants,
      onOpened: (path) => void recent.add(path).then(rebuildMenu),
    });
    await rebuildMenu();
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    void engine.closeAll();
  });
}
