import type { ApiError, CaptureInfo, Progress } from '../../../shared/api';
import { HeapscopeError, isApiError } from '../../../shared/api-error';
import { API_METHODS, type ApiArgs, type ApiMethod, type ApiResult } from '../../../shared/ipc';
import type { HeapscopeClient, ProgressListener } from './types';

export interface HttpTransportOptions {
  /** Origin (and path prefix) of the heapscope server; defaults to the page's own. */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

/** Browser mode: POST /api/<method> with the argument list as JSON, progress over SSE. */
export function createHttpClient(options: HttpTransportOptions = {}): HeapscopeClient {
  const base = options.baseUrl ?? (typeof location !== 'undefined' ? location.origin : '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const listeners = new Set<ProgressListener>();
  const headerListeners = new Set<(info: CaptureInfo) => void>();
  let source: EventSource | undefined;

  async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    let response: Response;
    try {
      response = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
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
    return body as ApiResult<M>;
  }

  function ensureEvents(): void {
    if (source || !EventSourceImpl) return;
    source = new EventSourceImpl(`${base}/api/events`);
    source.addEventListener('progress', (event) => {
      const progress = JSON.parse((event as MessageEvent<string>).data) as Progress;
      for (const listener of listeners) listener(progress);
    });
    source.addEventListener('header', (event) => {
      const info = JSON.parse((event as MessageEvent<string>).data) as CaptureInfo;
      for (const listener of headerListeners) listener(info);
    });
  }

  const client = {
    transport: 'http' as const,
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
  };
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of API_METHODS) {
    methods[method] = (...args: unknown[]) => call(method, args as ApiArgs<typeof method>);
  }
  return { ...client, ...methods } as unknown as HeapscopeClient;
}
