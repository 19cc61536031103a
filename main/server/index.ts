/**
 * Browser mode: the built renderer and the HeapscopeApi over HTTP, progress over SSE.
 * Loopback-only by default; everything it serves carries a strict CSP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { ApiError, CaptureInfo, Progress } from '../../shared/api';
import { httpStatusFor } from '../../shared/api-error';
import { isApiMethod, type ApiMethod } from '../../shared/ipc';
import type { Engine } from '../engine/engine';
import { toApiError } from '../engine/errors';

export interface ServerOptions {
  engine: Engine;
  port?: number;
  host?: string;
  /** Captures to open at start. */
  files?: string[];
  /** The built renderer; defaults to out/renderer beside the bundle. */
  rendererDir?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
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

export function isLoopbackHost(host: string): boolean {
  return (
    host === '127.0.0.1' ||
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
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

/**
 * Whether a request's Host header names this server, so a page from another site cannot reach
 * it through DNS rebinding. Any Host is accepted when the user bound a non-loopback address.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  if (!hostHeader) return false;
  const allowed = ['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`);
  if (port === 80) allowed.push('127.0.0.1', 'localhost', '[::1]');
  return allowed.includes(hostHeader.toLowerCase());
}

function originAllowed(origin: string, boundHost: string, port: number): boolean {
  try {
    return hostAllowed(new URL(origin).host, boundHost, port);
  } catch {
    return false;
  }
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
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns a JSON body into the method's argument list: an array as is, any other value as the one argument. */
export function argsFromBody(method: ApiMethod, text: string): unknown[] {
  if (text.trim() === '') return [];
  const value: unknown = JSON.parse(text);
  const args = Array.isArray(value) ? value : [value];
  if (method === 'export' && args[0] && typeof args[0] === 'object') {
    // A browser tab receives the export as content; it never names files on the server.
    delete (args[0] as { outputPath?: string }).outputPath;
  }
  return args;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { engine } = options;
  const host = options.host ?? '127.0.0.1';
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const log = options.log ?? (() => undefined);
  const rendererRoot = existsSync(rendererDir) ? await realpath(rendererDir) : rendererDir;
  let boundPort = options.port ?? 8400;

  // The latest event per capture, replayed to a tab that connects later (files opened at start).
  const lastProgress = new Map<string, Progress>();
  const lastHeader = new Map<string, CaptureInfo>();
  const streams = new Set<ServerResponse>();
  const broadcast = (frame: string): void => {
    for (const stream of streams) stream.write(frame);
  };
  const unsubscribeProgress = engine.onProgress((progress) => {
    lastProgress.set(progress.captureId, progress);
    broadcast(`event: progress\ndata: ${JSON.stringify(progress)}\n\n`);
  });
  const unsubscribeHeader = engine.onHeader((info) => {
    lastHeader.set(info.id, info);
    broadcast(`event: header\ndata: ${JSON.stringify(info)}\n\n`);
  });

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (name === 'events') {
      if (req.method !== 'GET')
        return sendError(res, { code: 'bad-input', message: 'use GET for /api/events' }, 405);
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': heapscope progress\n\n');
      for (const info of lastHeader.values()) res.write(`event: header\ndata: ${JSON.stringify(info)}\n\n`);
      for (const progress of lastProgress.values())
        res.write(`event: progress\ndata: ${JSON.stringify(progress)}\n\n`);
      streams.add(res);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
      keepAlive.unref();
      req.on('close', () => {
        clearInterval(keepAlive);
        streams.delete(res);
      });
      return;
    }
    if (!isApiMethod(name))
      return sendError(res, { code: 'not-found', message: `no API method ${JSON.stringify(name)}` });
    if (req.method !== 'POST')
      return sendError(res, { code: 'bad-input', message: `use POST for /api/${name}` }, 405);
    // A cross-site form cannot send JSON without a preflight, which we never answer.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json')
      return sendError(res, { code: 'bad-input', message: 'Content-Type must be application/json' }, 415);
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host, boundPort)) {
      return sendError(res, { code: 'bad-input', message: 'cross-origin requests are refused' }, 403);
    }
    let args: unknown[];
    try {
      args = argsFromBody(name, await readBody(req));
    } catch (error) {
      const status = (error as { status?: number }).status ?? 400;
      return sendError(
        res,
        { code: 'bad-input', message: `bad request body: ${(error as Error).message}` },
        status,
      );
    }
    try {
      const method = engine[name] as (...a: unknown[]) => Promise<unknown>;
      const result = await method.apply(engine, args);
      sendJson(res, 200, result);
    } catch (error) {
      sendError(res, toApiError(error));
    }
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
    const file = resolveStaticPath(rendererRoot, pathname);
    if (!file) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
    try {
      // A symlink inside the renderer folder must not lead outside it.
      const real = await realpath(file);
      if (real !== rendererRoot && !real.startsWith(rendererRoot + sep))
        return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
      const info = await stat(real);
      if (!info.isFile()) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
      const body = await readFile(real);
      const type = MIME[extname(real).toLowerCase()] ?? 'application/octet-stream';
      const cache = real.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600';
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
    const pathname = (req.url ?? '/').split('?')[0];
    const done = pathname.startsWith('/api/')
      ? handleApi(req, res, pathname.slice('/api/'.length))
      : handleStatic(req, res, pathname);
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
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${boundPort}/`;
  if (!isLoopbackHost(host))
    log(
      `heapscope: warning: listening on ${host}, reachable from other machines; anyone who can reach it can open files this user can read`,
    );

  for (const file of options.files ?? []) {
    engine.open({ path: file }).catch((error: unknown) => {
      const e = toApiError(error);
      log(`heapscope: ${file}: ${e.message}`);
    });
  }

  return {
    url,
    port: boundPort,
    host,
    async close() {
      unsubscribeProgress();
      unsubscribeHeader();
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
