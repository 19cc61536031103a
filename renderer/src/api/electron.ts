import { decodeBridgeError } from '../../../shared/api-error';
import { API_METHODS } from '../../../shared/ipc';
import type { HeapscopeClient } from './types';

/**
 * Wraps the preload bridge (`window.heapscope`): the calls go straight through, and a rejected
 * call is turned back into a HeapscopeError with its code, file and offset.
 */
export function createElectronClient(bridge: HeapscopeClient): HeapscopeClient {
  const client: Record<string, unknown> = {
    transport: 'electron',
    onProgress: bridge.onProgress.bind(bridge),
    ...(bridge.onCommand && { onCommand: bridge.onCommand.bind(bridge) }),
    ...(bridge.shell && { shell: bridge.shell }),
  };
  for (const method of API_METHODS) {
    const fn = bridge[method] as (...args: unknown[]) => Promise<unknown>;
    client[method] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        throw decodeBridgeError(error);
      }
    };
  }
  return client as unknown as HeapscopeClient;
}
