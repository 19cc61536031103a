/**
 * The desktop shell's security rules as pure functions, so they are unit-tested in plain Node
 * (Electron itself cannot be launched in CI).
 */

/** CSP sent with every response the window loads. The dev server also needs its HMR socket. */
export function contentSecurityPolicy(devServerUrl?: string): string {
  const connect = ["'self'"];
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    connect.push(dev.origin, `ws://${dev.host}`);
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Vue transitions and ECharts tooltips set inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Adds the CSP to a response's headers (session.webRequest.onHeadersReceived). */
export function withCspHeader(
  headers: Record<string, string[] | string> | undefined,
  csp: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    // Our policy replaces any other, whatever its letter case.
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [csp];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

/** The one window's webPreferences: no Node in the page, sandboxed, isolated. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A file dropped on the window is handled by the renderer, never navigated to.
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

/**
 * Whether `url` is our renderer: the exact index.html file in production, or the electron-vite
 * dev server's origin in development. Query and hash are ignored.
 */
export function isAppUrl(
  url: string | undefined,
  app: { rendererFileUrl: string; devServerUrl?: string },
): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (app.devServerUrl) {
    const dev = new URL(app.devServerUrl);
    if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === dev.origin)
      return true;
  }
  if (parsed.protocol !== 'file:') return false;
  const expected = new URL(app.rendererFileUrl);
  return parsed.pathname === expected.pathname && parsed.host === expected.host;
}

export interface SenderFacts {
  /** `event.sender.id` */
  webContentsId: number;
  /** `event.senderFrame?.url` (undefined when the frame is gone) */
  frameUrl: string | undefined;
  /** The sending frame is the top frame (`senderFrame === sender.mainFrame`). */
  isMainFrame: boolean;
}

/** An IPC message is answered only when it comes from our window's top frame showing our renderer. */
export function isTrustedSender(
  sender: SenderFacts,
  app: { windowWebContentsId: number | undefined; rendererFileUrl: string; devServerUrl?: string },
): boolean {
  if (app.windowWebContentsId === undefined || sender.webContentsId !== app.windowWebContentsId) return false;
  if (!sender.isMainFrame) return false;
  return isAppUrl(sender.frameUrl, app);
}

/** will-navigate: the window only ever shows the renderer; any other navigation is stopped. */
export function shouldPreventNavigation(
  targetUrl: string,
  app: { rendererFileUrl: string; devServerUrl?: string },
): boolean {
  return !isAppUrl(targetUrl, app);
}

/**
 * Documentation the app links to, opened in the system browser without asking. Each entry is a
 * whole origin plus a path prefix; a link must match one exactly from its start.
 */
export const DOCUMENTATION_URLS: readonly string[] = [
  'https://bloomberg.github.io/memray/',
  'https://docs.python.org/3/library/tracemalloc.html',
  'https://github.com/plasma-umass/scalene',
  'https://www.speedscope.app/',
];

/** Whether `url` is one of the documentation pages (https, same origin, path under the prefix). */
export function isDocumentationUrl(url: string, allowed: readonly string[] = DOCUMENTATION_URLS): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) return false;
  return allowed.some((prefix) => {
    const doc = new URL(prefix);
    if (parsed.origin !== doc.origin) return false;
    // `…/tracemalloc.html` matches itself (with a #fragment); `…/memray/` matches pages under it.
    return doc.pathname.endsWith('/')
      ? parsed.pathname.startsWith(doc.pathname)
      : parsed.pathname === doc.pathname || parsed.pathname.startsWith(`${doc.pathname}/`);
  });
}

export interface WindowOpenDecision {
  /** No new windows, ever. */
  action: 'deny';
  /** A documentation link: to the system browser straight away. */
  openExternally: boolean;
  /** Another web link: to the system browser only if the person says yes. */
  askFirst: boolean;
}

/** setWindowOpenHandler: documentation links open in the browser; other web links ask first. */
export function windowOpenDecision(url: string): WindowOpenDecision {
  if (isDocumentationUrl(url)) return { action: 'deny', openExternally: true, askFirst: false };
  let web = false;
  try {
    const parsed = new URL(url);
    web = parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    web = false;
  }
  return { action: 'deny', openExternally: false, askFirst: web };
}

/**
 * The electron-vite dev server to load instead of the built renderer, only under `npm run dev`:
 * electron-vite's dev command sets NODE_ENV_ELECTRON_VITE=development for the Electron it starts
 * (preview and a packaged app do not), and the server must be on loopback. Anything else that set
 * ELECTRON_RENDERER_URL would otherwise decide what the window loads and trusts with IPC.
 */
export function devServerUrlFrom(
  env: Record<string, string | undefined>,
  isPackaged: boolean,
): string | undefined {
  const url = env.ELECTRON_RENDERER_URL;
  if (isPackaged || !url || env.NODE_ENV_ELECTRON_VITE !== 'development') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  return loopback ? url : undefined;
}

/** Permission requests (camera, notifications, …): the app needs none. */
export function allowPermission(_permission: string): boolean {
  return false;
}
