/**
 * The renderer's one way to reach the engine. The transport is chosen once at start: the
 * Electron preload bridge when present, HTTP (browser mode) otherwise. Nothing else in the
 * renderer knows which shell it runs in.
 */
import { createElectronClient } from './electron';
import { createHttpClient } from './http';
import type { HeapscopeClient } from './types';

export type { HeapscopeClient, ProgressListener } from './types';
export { createHttpClient } from './http';
export { createElectronClient } from './electron';
export { HeapscopeError } from '../../../shared/api-error';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in a plain browser. */
    heapscope?: HeapscopeClient;
  }
}

let client: HeapscopeClient | undefined;

export function getClient(): HeapscopeClient {
  if (!client) {
    const bridge = typeof window !== 'undefined' ? window.heapscope : undefined;
    client = bridge ? createElectronClient(bridge) : createHttpClient();
  }
  return client;
}

/** Replaces the client (tests, stories). */
export function setClient(next: HeapscopeClient | undefined): void {
  client = next;
}
