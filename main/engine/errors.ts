import type { ApiError } from '../../shared/api';
import { HeapscopeError, isApiError, toPlainApiError } from '../../shared/api-error';
import { InputError, UnsupportedQuery } from '../model/capture-model';

export { HeapscopeError };

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR')
  );
}

/** Maps anything thrown by a loader or query to the wire shape, keeping file and offset. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof HeapscopeError || isApiError(error)) return toPlainApiError(error);
  if (error instanceof InputError) {
    const e: ApiError = { code: 'bad-input', message: error.message };
    if (error.file !== undefined) e.file = error.file;
    if (error.offset !== undefined) e.offset = error.offset;
    return e;
  }
  // LoaderUnavailable is matched by name so the main thread need not load the format registry.
  if (error instanceof UnsupportedQuery || (error instanceof Error && error.name === 'LoaderUnavailable'))
    return { code: 'unsupported', message: error.message };
  if (isAbort(error)) return { code: 'cancelled', message: 'cancelled' };
  const errno = error as NodeJS.ErrnoException;
  if (
    errno &&
    typeof errno === 'object' &&
    (errno.code === 'ENOENT' || errno.code === 'EACCES' || errno.code === 'EISDIR')
  ) {
    const e: ApiError = { code: errno.code === 'ENOENT' ? 'not-found' : 'bad-input', message: errno.message };
    if (errno.path) e.file = errno.path;
    return e;
  }
  // A name check too: errors crossing bundles (worker vs main chunk) are not `instanceof` each other.
  if (error instanceof Error && error.name === 'InputError') {
    const ie = error as InputError;
    return {
      code: 'bad-input',
      message: ie.message,
      ...(ie.file !== undefined && { file: ie.file }),
      ...(ie.offset !== undefined && { offset: ie.offset }),
    };
  }
  if (error instanceof Error && error.name === 'UnsupportedQuery')
    return { code: 'unsupported', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function notAvailable(what: string): HeapscopeError {
  return new HeapscopeError({ code: 'unsupported', message: `${what} is not available yet in this build` });
}
