// A capture that fails or is cancelled while it loads leaves no tab (issue 12, views item 5), and
// its reason is kept once for the open screen, whoever opened it and however its path was typed.
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, OpenRequest, Progress } from '@shared/api';
import { HeapscopeError } from '@shared/api-error';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useViewStore } from '../../renderer/src/stores/view';

const PATH = '/runs/big/pymalloc.bin';

function info(id: string, path: string): CaptureInfo {
  return {
    id,
    facts: { format: 'memray', path, fileName: path.split('/').pop()!, sizeBytes: 1 },
  } as CaptureInfo;
}

function progress(id: string, phase: Progress['phase'], message?: string): Progress {
  return {
    captureId: id,
    phase,
    bytesDone: 10,
    bytesTotal: 100,
    records: 5,
    elapsedMs: 50,
    path: PATH,
    ...(message && { message }),
  };
}

/** A transport whose events and open answers the test sends by hand, in any order. */
class FakeClient {
  headerListeners: ((i: CaptureInfo) => void)[] = [];
  progressListeners: ((p: Progress) => void)[] = [];
  answer: { resolve: (i: CaptureInfo) => void; reject: (e: unknown) => void } | undefined;
  onProgress(cb: (p: Progress) => void): () => void {
    this.progressListeners.push(cb);
    return () => undefined;
  }
  onHeader(cb: (i: CaptureInfo) => void): () => void {
    this.headerListeners.push(cb);
    return () => undefined;
  }
  header(i: CaptureInfo): void {
    for (const l of this.headerListeners) l(i);
  }
  progress(p: Progress): void {
    for (const l of this.progressListeners) l(p);
  }
  async list(): Promise<CaptureInfo[]> {
    return [];
  }
  open(_req: OpenRequest): Promise<CaptureInfo> {
    return new Promise((resolve, reject) => (this.answer = { resolve, reject }));
  }
}

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setClient(client as unknown as ViewClient);
  setActivePinia(createPinia());
});

describe('a capture that fails while it loads', () => {
  it('named on `heapscope serve`: its tab goes and its reason is kept for the open screen', async () => {
    const captures = useCapturesStore();
    await captures.init();
    client.header(info('c1', PATH));
    client.progress(progress('c1', 'reading'));
    expect(captures.captures.map((c) => c.id)).toEqual(['c1']);
    expect(useViewStore().captureId).toBe('c1');
    client.progress(progress('c1', 'error', 'corrupt LZ4 block (at byte 11)'));
    expect(captures.captures).toEqual([]);
    expect(useViewStore().captureId).toBeNull();
    expect(captures.pending).toEqual([{ path: PATH, error: 'corrupt LZ4 block (at byte 11)' }]);
  });

  it('cancelled: the same, saying it was cancelled', async () => {
    const captures = useCapturesStore();
    await captures.init();
    client.header(info('c1', PATH));
    client.progress(progress('c1', 'cancelled'));
    expect(captures.captures).toEqual([]);
    expect(captures.pending).toEqual([{ path: PATH, error: 'Opening was cancelled.' }]);
  });

  it.each([
    ['the event before the answer', true],
    ['the answer before the event', false],
  ])('opened here under another spelling (%s): no tab, one reason', async (_, eventFirst) => {
    const captures = useCapturesStore();
    await captures.init();
    const typed = '../big/./pymalloc.bin';
    const opening = captures.open(typed);
    client.header(info('c1', PATH));
    expect(captures.captures.map((c) => c.id)).toEqual(['c1']);
    const failure = new HeapscopeError({ code: 'cancelled', message: 'cancelled' });
    if (eventFirst) client.progress(progress('c1', 'cancelled'));
    client.answer!.reject(failure);
    expect(await opening).toBeNull();
    if (!eventFirst) client.progress(progress('c1', 'cancelled'));
    expect(captures.captures).toEqual([]);
    expect(captures.pending).toEqual([{ path: typed, error: 'Opening was cancelled.' }]);
  });

  it('leaves a capture whose records were read alone', async () => {
    const captures = useCapturesStore();
    await captures.init();
    const opening = captures.open(PATH);
    client.answer!.resolve(info('c1', PATH));
    await opening;
    client.progress(progress('c1', 'error', 'a later query failed'));
    expect(captures.captures.map((c) => c.id)).toEqual(['c1']);
    expect(captures.pending).toEqual([]);
  });
});
