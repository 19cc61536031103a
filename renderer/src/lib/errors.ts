/** Transports reject with an Error or with the ApiError shape; views only need the sentence. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (
    e &&
    typeof e === 'object' &&
    'message' in e &&
    typeof (e as { message: unknown }).message === 'string'
  ) {
    const { message, file } = e as { message: string; file?: string };
    return file && !message.includes(file) ? `${message} (${file})` : message;
  }
  return String(e);
}

export function isCancelled(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { code?: unknown }).code === 'cancelled';
}
