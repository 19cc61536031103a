import type { ApiError, CaptureInfo, LoadPreview, Progress } from '../../../shared/api';
import { HeapscopeError, isApiError } from '../../../shared/api-error';
import { API_METHODS, type ApiArgs, type ApiMethod, type ApiResult } from '../../../shared/ipc';
import type { HeapscopeClient, ProgressListener } from './types';

export interface HttpTransportOptions {
  /** Origin (and path prefix) of the heapscope server; defaults to the page's own. */
  baseUrl?: string;
  /** The server's per-launch token; defaults to the `?token=` of the page's own URL. */
  token?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

/** The header every call carries the token in (main/server/auth.ts reads it). */
export const TOKEN_HEADER = 'X-Heapscope-Token';

/** The `?token=` the server printed with its URL, read once from the page's address. */
export function tokenFromLocation(): string {
  if (typeof location === 'undefined') return '';
  return new URLSearchParams(location.search).get('token') ?? '';
}

/** What the HTTP transport adds to the common client: the files `heapscope serve` was started with. */
export interface HttpClient extends HeapscopeClient {
  /** Absolute paths of the files named on the command line, in that order. */
  startupFiles(): Promise<string[]>;
}

/** Browser mode: POST /api/<method> with the argument list as JSON, progress over SSE. */
export function createHttpClient(options: HttpTransportOptions = {}): HttpClient {
  const base = options.baseUrl ?? (typeof location !== 'undefined' ? location.origin : '');
  const token = options.token ?? tokenFromLocation();
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const listeners = new Set<ProgressListener>();
  const headerListeners = new Set<(info: CaptureInfo) => void>();
  const previewListeners = new Set<(preview: LoadPreview) => void>();
  let source: EventSource | undefined;

  async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    return request(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
      body: JSON.stringify(args),
    }) as Promise<ApiResult<M>>;
  }

  async function request(path: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, init);
    } catch (error) {
      throw new HeapscopeError({
        code: 'internal',
        message: `the heapscope server cannot be reached (${(error as Error).message})`,
      });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      throw new HeapscopeError({
        code: 'internal',
        message: `unexpected reply from the server (HTTP ${response.status})`,
      });
    }
    if (!response.ok) {
      const error: ApiError = isApiError(body)
        ? body
        : { code: 'internal', message: `HTTP ${response.status}` };
      throw new HeapscopeError(error);
    }
    return body;
  }

  async function startupFiles(): Promise<string[]> {
    const body = await request('/api/startup', { method: 'GET', headers: { [TOKEN_HEADER]: token } });
    const files = (body as { files?: unknown } | null)?.files;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  }

  function ensureEvents(): void {
    if (source || !EventSourceImpl) return;
    // EventSource cannot send headers: the token goes in the query.
    source = new EventSourceImpl(`${base}/api/events?token=${encodeURIComponent(token)}`);
    source.addEventListener('progress', (event) => {
      const progress = JSON.parse((event as MessageEvent<string>).data) as Progress;
      for (const listener of listeners) listener(progress);
    });
    source.addEventListener('header', (event) => {
      const info = JSON.parse((event as MessageEvent<string>).data) as CaptureInfo;
      for (const listener of headerListeners) listener(info);
    });
    source.addEventListener('preview', (event) => {
      const preview = JSON.parse((event as MessageEvent<string>).data) as LoadPreview;
      for (const listener of previewListeners) listener(preview);
    });
  }

  const client = {
    transport: 'http' as const,
    startupFiles,
    onProgress(listener: ProgressListener) {
      listeners.add(listener);
      ensureEvents();
      return () => {
        listeners.delete(listener);
      };
    },
    onHeader(listener: (info: CaptureInfo) => void) {
      headerListeners.add(listener);
      ensureEvents();
      return () => {
        headerListeners.delete(listener);
      };
    },
    onPreview(listener: (preview: LoadPreview) => void) {
      previewListeners.add(listener);
      ensureEvents();
      return () => {
        previewListeners.delete(listener);
      };
    },
  };
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of API_METHODS) {
    methods[method] = (...args: unknown[]) => call(method, args as ApiArgs<typeof method>);
  }
  return { ...client, ...methods } as unknown as HttpClient;
}
