/** How the CLI reports a problem: one line on stderr, whatever the message. */
import { basename } from 'node:path';
import type { ApiError } from '../../shared/api';
import { escapeControls } from '../../shared/quote';

/** A usage or input problem: reported as one line, exit code 2 (unless told otherwise). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * One line whatever the message: a bad input never spills a multi-line dump onto the terminal,
 * and no byte from a file (or an argument) reaches it as a control character.
 */
export function oneLine(text: string): string {
  return escapeControls(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** An engine error as a user reads it: the file first, the byte offset when known. */
export function describeError(error: ApiError): string {
  let message = error.message;
  const file = error.file ? basename(error.file) : undefined;
  if (file && !message.includes(file)) message = `${file}: ${message}`;
  if (error.offset !== undefined && !/at byte/.test(message)) message += ` (at byte ${error.offset})`;
  return message;
}
