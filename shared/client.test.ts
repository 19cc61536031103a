import { describe, expect, it } from 'vitest';
import { wrapBridgeClient, type HeapscopeClient } from './client';

describe('wrapBridgeClient', () => {
  it('sends plain, structured-clone-safe data even when given proxies', async () => {
    const received: unknown[] = [];
    const bridge = {
      onProgress: () => () => undefined,
      transport: 'electron',
      table: async (q: unknown) => {
        // What Electron's IPC does with every argument.
        received.push(structuredClone(q));
        return { rows: [], totalRows: 0, totalBytes: 0, totalCount: 0 };
      },
    } as unknown as HeapscopeClient;
    const client = wrapBridgeClient(bridge);
    const threads = new Proxy([1, 2], {});
    const filter = new Proxy({ threads, mergeThreads: false }, {});
    expect(() => structuredClone(filter)).toThrow();
    await client.table({ captureId: 'c1', snapshot: { kind: 'peak' }, groupBy: 'line', filter });
    expect(received).toEqual([
      {
        captureId: 'c1',
        snapshot: { kind: 'peak' },
        groupBy: 'line',
        filter: { threads: [1, 2], mergeThreads: false },
      },
    ]);
  });
});
