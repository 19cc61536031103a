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

/** setWindowOpenHandler: no new windows, ever. External http(s) links go to the system browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  let external = false;
  try {
    const parsed = new URL(url);
    external = parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    external = false;
  }
  return { action: 'deny', openExternally: external };
}

/** Permission requests (camera, notifications, …): the app needs none. */
export function allowPermission(_permission: string): boolean {
  return false;
}
