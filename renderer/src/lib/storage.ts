/**
 * localStorage when there is one. Unit tests run without a DOM and a locked-down Electron
 * profile can throw on access, so every call degrades to "nothing stored".
 */
export function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw == null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(value));
  } catch {
    // Not being able to remember a preference is not worth an error dialog.
  }
}
