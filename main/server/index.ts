/**
 * Browser mode: the built renderer and the HeapscopeApi over HTTP, progress over SSE.
 * Loopback only; the page, every API call and every event stream need the per-launch token
 * printed with the URL; `open` reaches only what was named on the command line; everything
 * served carries a strict CSP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants, existsSync } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { ApiError, OpenRequest, SymbolSearch } from '../../shared/api';
import { HeapscopeError, httpStatusFor } from '../../shared/api-error';
import { isApiMethod, type ApiMethod } from '../../shared/ipc';
import type { Engine } from '../engine/engine';
import { toApiError } from '../engine/errors';
import { OpenAllowlist } from './allowlist';
import { sniffFile } from '../formats/index';
import { listSeriesFolder } from '../formats/tracemalloc/series';
import { isMemraySeriesFolder } from '../formats/memray/series';
import {
  hostAllowed,
  isLoopbackHost,
  newToken,
  originAllowed,
  tokenMatches,
  tokenOf,
  TOKEN_PARAM,
} from './auth';
import { SseHub, sseFrame, type SseLimits } from './sse';
import { checkApiArgs } from './validate';

export { hostAllowed, isLoopbackHost, originAllowed, tokenMatches, TOKEN_HEADER } from './auth';

export interface ServerOptions {
  engine: Engine;
  port?: number;
  /** A loopback address (127.0.0.1 by default); any other is refused. */
  host?: string;
  /**
   * Paths named on the command line. Files are opened at start, in this order, and may be
   * opened again; a folder among them lets the page open any file under it (like `dirs`), and
   * one holding two or more tracemalloc dumps is opened at start as their series.
   * A path that does not exist or cannot be read fails the start.
   */
  files?: string[];
  /** Folders whose files the page may open (nothing is opened at start). */
  dirs?: string[];
  /** The built renderer; defaults to out/renderer beside the bundle. */
  rendererDir?: string;
  log?: (line: string) => void;
  /** Bounds on event streams (tests make them small). */
  sseLimits?: Partial<SseLimits>;
}

export interface RunningServer {
  /** The URL to open, with the per-launch token: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  /** `http://127.0.0.1:PORT`, without the token. */
  origin: string;
  port: number;
  host: string;
  /** The per-launch secret every API call and event stream must carry. */
  token: string;
  close(): Promise<void>;
}

/** Served with every response; the renderer needs nothing from other origins. */
export const SERVER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Vue transitions and ECharts tooltips set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': SERVER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const MAX_BODY_BYTES = 1024 * 1024;
const SSE_KEEPALIVE_MS = 15_000;

export function defaultRendererDir(): string {
  // Bundled: out/node/cli.js → out/renderer. From source (tests): main/server → out/renderer.
  const candidates = [
    new URL('../renderer/', import.meta.url),
    new URL('../../out/renderer/', import.meta.url),
  ];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return fileURLToPath(candidates[0]);
}

/**
 * Maps a URL path to a file inside `root`, or undefined when it would leave it (`..`, encoded
 * separators, NUL bytes, absolute paths). Pure, so it is tested on its own.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (!decoded.startsWith('/')) return undefined;
  const parts = decoded.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '..' || p === '.')) return undefined;
  const rel = parts.length === 0 ? 'index.html' : parts.join('/');
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (back.startsWith('..') || isAbsolute(back)) return undefined;
  return full;
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value ?? null), 'application/json; charset=utf-8', {
    'Cache-Control': 'no-store',
  });
}

function sendError(res: ServerResponse, error: ApiError, status = httpStatusFor(error.code)): void {
  sendJson(res, status, error);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw Object.assign(new Error(`the request body is larger than ${MAX_BODY_BYTES} bytes`), {
        status: 413,
      });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns a JSON body into the method's argument list: an array as is, any other value as the one argument. */
export function argsFromBody(method: ApiMethod, text: string): unknown[] {
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the body back; the sender knows what it sent.
    throw new HeapscopeError({ code: 'bad-input', message: `the body of /api/${method} is not valid JSON` });
  }
  const args = Array.isArray(value) ? value : [value];
  if (method === 'export' && args[0] && typeof args[0] === 'object') {
    // A browser tab receives the export as content; it never names files on the server.
    delete (args[0] as { outputPath?: string }).outputPath;
  }
  return args;
}

/** Why a request lacks the right token, or undefined when it has it. */
function tokenProblem(req: IncomingMessage, query: URLSearchParams, token: string): ApiError | undefined {
  const given = tokenOf(req.headers, query);
  if (given === undefined)
    return {
      code: 'bad-input',
      message:
        'this heapscope server needs its access token: open the full URL `heapscope serve` printed (it ends in ?token=…)',
    };
  if (!tokenMatches(given, token))
    return {
      code: 'bad-input',
      message:
        'wrong access token: open the URL the running `heapscope serve` printed (each start makes a new token)',
    };
  return undefined;
}

/**
 * Splits the command line's paths into files (opened at start) and folders (allowed roots), in
 * their order. Throws a one-line error for a path that is missing or cannot be read, so a typo
 * fails before anything is served.
 */
export async function classifyPaths(paths: readonly string[]): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const given of paths) {
    const path = resolve(given);
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
      await access(path, isDir ? constants.R_OK | constants.X_OK : constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new HeapscopeError(
        code === 'ENOENT' || code === 'ENOTDIR'
          ? { code: 'not-found', message: `${given}: no such file or folder` }
          : { code: 'bad-input', message: `${given}: cannot be read (${code ?? 'error'})` },
      );
    }
    (isDir ? dirs : files).push(path);
  }
  return { files, dirs };
}

/**
 * The symbol folders a page sent that lie under a folder named on `serve` (others are dropped:
 * a page must not make the server read folders the person did not name), or undefined.
 */
async function allowedSymbols(
  allowlist: OpenAllowlist,
  symbols: SymbolSearch | undefined,
): Promise<SymbolSearch | undefined> {
  const keep = async (dirs: unknown): Promise<string[]> => {
    if (!Array.isArray(dirs)) return [];
    const ok = await Promise.all(
      dirs.map(async (d) => typeof d === 'string' && d !== '' && (await allowlist.allowsFolder(d))),
    );
    return dirs.filter((_, i) => ok[i]) as string[];
  };
  const [sysroots, debugDirs] = await Promise.all([keep(symbols?.sysroots), keep(symbols?.debugDirs)]);
  if (sysroots.length === 0 && debugDirs.length === 0) return undefined;
  return { ...(sysroots.length > 0 && { sysroots }), ...(debugDirs.length > 0 && { debugDirs }) };
}

/**
 * The folders among `dirs` with at least two tracemalloc dumps directly in them, or (with no
 * dumps) two or more memray captures of one program.
 */
async function seriesFolders(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    const { dumps, memray } = await listSeriesFolder(dir, sniffFile).catch(() => ({
      dumps: [],
      memray: [],
    }));
    if (dumps.length >= 2 || (dumps.length === 0 && (await isMemraySeriesFolder(memray)))) out.push(dir);
  }
  return out;
}

/** The first path the allowlist refuses, or undefined when it allows them all. */
async function firstRefused(allowlist: OpenAllowlist, paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (!(await allowlist.allows(p))) return p;
  return undefined;
}

/** The one-line reason a --host is refused, or undefined for a loopback address. */
export function hostProblem(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return (
    `--host ${host}: browser mode listens on loopback only (127.0.0.1, ::1 or localhost); ` +
    'to use it from another machine, forward the port (e.g. ssh -L 8400:127.0.0.1:8400 THIS-HOST)'
  );
}

function isTerminal(phase: string): boolean {
  return phase === 'error' || phase === 'cancelled';
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { engine } = options;
  const host = options.host ?? '127.0.0.1';
  const refusedHost = hostProblem(host);
  if (refusedHost) throw new HeapscopeError({ code: 'bad-input', message: refusedHost });
  const named = await classifyPaths(options.files ?? []);
  const extraDirs = await classifyPaths(options.dirs ?? []);
  const notDir = extraDirs.files[0];
  if (notDir) throw new HeapscopeError({ code: 'bad-input', message: `${notDir}: not a folder` });
  const allowlist = await OpenAllowlist.create(named.files, [...named.dirs, ...extraDirs.dirs]);
  // A folder named on the command line that holds tracemalloc dumps (or memray captures of one
  // program) opens as their series.
  const seriesDirs = await seriesFolders(named.dirs);
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const log = options.log ?? (() => undefined);
  const rendererRoot = existsSync(rendererDir) ? await realpath(rendererDir) : rendererDir;
  const token = newToken();
  let boundPort = options.port ?? 8400;

  // The latest event per capture, replayed to a tab that connects later (files opened at start).
  const hub = new SseHub(options.sseLimits);
  const unsubscribeProgress = engine.onProgress((progress) => {
    const id = progress.captureId;
    // A capture that failed is gone: its header would only describe nothing.
    if (isTerminal(progress.phase)) hub.forget(`header:${id}`);
    const frame = sseFrame('progress', progress);
    hub.retain(`progress:${id}`, frame);
    hub.broadcast(frame);
  });
  const unsubscribeHeader = engine.onHeader((info) => {
    const frame = sseFrame('header', info);
    hub.retain(`header:${info.id}`, frame);
    hub.broadcast(frame);
  });
  // Not retained: the next one comes within half a second, and at tens of kB each a few of them
  // would crowd the header and progress events out of the replay's bounds.
  const unsubscribePreview = engine.onPreview((preview) => hub.broadcast(sseFrame('preview', preview)));

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET')
      return sendError(res, { code: 'bad-input', message: 'use GET for /api/events' }, 405);
    if (hub.clientCount >= hub.limits.maxClients)
      return sendError(
        res,
        {
          code: 'bad-input',
          message: `too many open event streams (${hub.limits.maxClients}); close other heapscope tabs`,
        },
        503,
      );
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    hub.add(res, ': heapscope progress\n\n');
    const keepAlive = setInterval(() => hub.send(res, ': keep-alive\n\n'), SSE_KEEPALIVE_MS);
    keepAlive.unref();
    res.on('close', () => {
      clearInterval(keepAlive);
      hub.remove(res);
    });
  }

  async function callApi(req: IncomingMessage, res: ServerResponse, name: ApiMethod): Promise<void> {
    if (req.method !== 'POST')
      return sendError(res, { code: 'bad-input', message: `use POST for /api/${name}` }, 405);
    // A cross-site form cannot send JSON without a preflight, which we never answer.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json')
      return sendError(res, { code: 'bad-input', message: 'Content-Type must be application/json' }, 415);
    let args: unknown[];
    try {
      args = argsFromBody(name, await readBody(req));
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Our own two refusals: a body too large (413) or not JSON (400).
      const message = status !== undefined ? (error as Error).message : toApiError(error).message;
      return sendError(res, { code: 'bad-input', message }, status ?? 400);
    }
    const problem = checkApiArgs(name, args);
    if (problem) return sendError(res, { code: 'bad-input', message: problem }, 400);
    if (name === 'open') {
      // A memray parent's fork children (NAME.bin.PID beside it) come with the file named.
      const { path, series } = args[0] as OpenRequest;
      // Every dump of a series is checked, not only the path that names it.
      const refusedPath = await firstRefused(allowlist, [path, ...(series ?? [])]);
      // Symbol folders are read too: a page's (Settings › Symbols) count only under a folder
      // named on `serve`; without any, the engine's defaults (serve's --sysroot/--debug-dir) apply.
      const symbols = await allowedSymbols(allowlist, (args[0] as OpenRequest).symbols);
      if (symbols) (args[0] as OpenRequest).symbols = symbols;
      else delete (args[0] as OpenRequest).symbols;
      if (refusedPath !== undefined)
        return sendError(
          res,
          {
            code: 'bad-input',
            message: `refused: ${refusedPath} is not a file named on \`heapscope serve\` nor under a folder named there`,
          },
          403,
        );
    }
    try {
      const method = engine[name] as (...a: unknown[]) => Promise<unknown>;
      const result = await method.apply(engine, args.slice(0, 1));
      if (name === 'close') {
        hub.forget(`header:${String(args[0])}`);
        hub.forget(`progress:${String(args[0])}`);
      }
      sendJson(res, 200, result);
    } catch (error) {
      sendError(res, toApiError(error));
    }
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    query: URLSearchParams,
  ): Promise<void> {
    const refused = tokenProblem(req, query, token);
    if (refused) return sendError(res, refused, tokenOf(req.headers, query) === undefined ? 401 : 403);
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host, boundPort))
      return sendError(
        res,
        { code: 'bad-input', message: `requests from ${origin} are refused (not this server's origin)` },
        403,
      );
    if (name === 'events') return openEvents(req, res);
    if (name === 'startup') {
      if (req.method !== 'GET')
        return sendError(res, { code: 'bad-input', message: 'use GET for /api/startup' }, 405);
      return sendJson(res, 200, { files: [...named.files, ...seriesDirs] });
    }
    if (!isApiMethod(name))
      return sendError(res, { code: 'not-found', message: `no API method ${JSON.stringify(name)}` });
    return callApi(req, res, name);
  }

  async function handleStatic(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    query: URLSearchParams,
  ): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
    const file = resolveStaticPath(rendererRoot, pathname);
    if (!file) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
    // The page itself needs the token (its scripts and styles do not: they hold no data).
    if (file === join(rendererRoot, 'index.html')) {
      const refused = tokenProblem(req, query, token);
      if (refused)
        return send(
          res,
          tokenOf(req.headers, query) === undefined ? 401 : 403,
          `${refused.message}\n`,
          'text/plain; charset=utf-8',
          { 'Cache-Control': 'no-store' },
        );
    }
    try {
      // A symlink inside the renderer folder must not lead outside it.
      const real = await realpath(file);
      if (real !== rendererRoot && !real.startsWith(rendererRoot + sep))
        return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
      const info = await stat(real);
      if (!info.isFile()) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
      const body = await readFile(real);
      const type = MIME[extname(real).toLowerCase()] ?? 'application/octet-stream';
      const cache = real.endsWith('index.html') ? 'no-store' : 'public, max-age=3600';
      if (req.method === 'HEAD') {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': type,
          'Content-Length': body.length,
          'Cache-Control': cache,
        });
        res.end();
      } else send(res, 200, body, type, { 'Cache-Control': cache });
    } catch {
      const hint =
        pathname === '/' || pathname === '/index.html'
          ? ' (the renderer is not built: run `npm run build`)'
          : '';
      send(res, 404, `not found${hint}\n`, 'text/plain; charset=utf-8');
    }
  }

  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, host, boundPort)) {
      send(res, 421, 'misdirected request\n', 'text/plain; charset=utf-8');
      return;
    }
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const pathname = at < 0 ? raw : raw.slice(0, at);
    const query = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
    const done = pathname.startsWith('/api/')
      ? handleApi(req, res, pathname.slice('/api/'.length), query)
      : handleStatic(req, res, pathname, query);
    done.catch((error: unknown) => {
      if (!res.headersSent) sendError(res, toApiError(error));
      else res.end();
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(boundPort, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  boundPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${boundPort}`;
  const url = `${origin}/?${TOKEN_PARAM}=${token}`;

  // Opened in command-line order, so the engine lists them in that order too.
  for (const file of [...named.files, ...seriesDirs]) {
    engine.open({ path: file }).catch((error: unknown) => {
      const e = toApiError(error);
      log(`heapscope: ${e.message.includes(file) ? '' : `${file}: `}${e.message}`);
    });
  }

  return {
    url,
    origin,
    port: boundPort,
    host,
    token,
    async close() {
      unsubscribeProgress();
      unsubscribeHeader();
      unsubscribePreview();
      hub.closeAll((stream) => (stream as ServerResponse).end());
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
