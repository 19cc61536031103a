import { basename } from 'node:path';
import type { ApiError } from '../../shared/api';
import { HeapscopeError, isApiError, toPlainApiError } from '../../shared/api-error';
import { escapeControls } from '../../shared/quote';
import { InputError, UnsupportedQuery } from '../model/capture-model';

export { HeapscopeError };

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR')
  );
}

/** Where an error happened, for errors that do not say it themselves. */
export interface ErrorContext {
  /** The capture being read or queried. */
  file?: string;
  /** How far reading had got (bytes of the file). */
  offset?: number;
  /** Reading the file (open) or answering a query on the opened model. */
  during?: 'reading' | 'query';
}

/**
 * Maps anything thrown by a loader or query to the wire shape, keeping file and offset. Every
 * message is escaped (a message may quote the file); an exception the code did not mean to
 * throw (a TypeError from a model, a RangeError from an array) becomes a generic line naming
 * file and position: its own text means nothing to a person and may quote anything.
 */
export function toApiError(error: unknown, context: ErrorContext = {}): ApiError {
  const e = classify(error, context);
  e.message = escapeControls(e.message);
  return e;
}

function classify(error: unknown, context: ErrorContext): ApiError {
  if (error instanceof HeapscopeError || isApiError(error)) return toPlainApiError(error);
  if (error instanceof InputError) {
    const e: ApiError = { code: 'bad-input', message: error.message };
    if (error.file !== undefined) e.file = error.file;
    if (error.offset !== undefined) e.offset = error.offset;
    return e;
  }
  if (error instanceof UnsupportedQuery) return { code: 'unsupported', message: error.message };
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
  return internalError(context);
}

/** The line shown for an unexpected exception: where, and that it is ours to fix. */
export function internalError(context: ErrorContext): ApiError {
  const name = context.file !== undefined ? basename(context.file) : 'the capture';
  const at = context.offset !== undefined ? ` at byte ${context.offset}` : '';
  const e: ApiError = {
    code: 'internal',
    message:
      context.during === 'reading'
        ? `could not read ${name}${at}: internal error while reading the capture (please report)`
        : context.during === 'query'
          ? `could not answer a query on ${name}: internal error while reading its model (please report)`
          : 'internal error (please report)',
  };
  if (context.file !== undefined) e.file = context.file;
  if (context.offset !== undefined) e.offset = context.offset;
  return e;
}
