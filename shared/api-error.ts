import type { ApiError } from './api';

/**
 * An ApiError as a throwable. Every transport (worker messages, IPC, HTTP) carries the plain
 * ApiError shape and rebuilds this on the calling side, so callers can branch on `code`.
 */
export class HeapscopeError extends Error implements ApiError {
  readonly code: ApiError['code'];
  readonly file?: string;
  readonly offset?: number;

  constructor(error: ApiError) {
    super(error.message);
    this.name = 'HeapscopeError';
    this.code = error.code;
    if (error.file !== undefined) this.file = error.file;
    if (error.offset !== undefined) this.offset = error.offset;
  }

  toJSON(): ApiError {
    return toPlainApiError(this);
  }
}

export function toPlainApiError(error: ApiError): ApiError {
  const plain: ApiError = { code: error.code, message: error.message };
  if (error.file !== undefined) plain.file = error.file;
  if (error.offset !== undefined) plain.offset = error.offset;
  return plain;
}

const CODES: readonly ApiError['code'][] = ['bad-input', 'not-found', 'cancelled', 'unsupported', 'internal'];

export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ApiError>;
  return typeof v.message === 'string' && CODES.includes(v.code as ApiError['code']);
}

/** HTTP status for each error code (browser mode). */
export function httpStatusFor(code: ApiError['code']): number {
  switch (code) {
    case 'bad-input':
      return 400;
    case 'not-found':
      return 404;
    case 'cancelled':
      return 409;
    case 'unsupported':
      return 422;
    default:
      return 500;
  }
}

const BRIDGE_PREFIX = 'heapscope-error:';

/**
 * Electron's contextBridge keeps only an Error's message, so the preload puts the whole
 * ApiError in it and the renderer's client takes it out again.
 */
export function encodeBridgeError(error: ApiError): Error {
  return new Error(BRIDGE_PREFIX + JSON.stringify(toPlainApiError(error)));
}

export function decodeBridgeError(error: unknown): HeapscopeError {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf(BRIDGE_PREFIX);
  if (at >= 0) {
    try {
      const parsed: unknown = JSON.parse(message.slice(at + BRIDGE_PREFIX.length));
      if (isApiError(parsed)) return new HeapscopeError(parsed);
    } catch {
      // Fall through: report the raw message.
    }
  }
  return new HeapscopeError({ code: 'internal', message });
}

/** The envelope IPC handlers resolve with, so no error detail is lost on the way. */
export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };
