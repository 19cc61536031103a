// Tab order and the active tab for files named on `heapscope serve`: whatever loads first, tabs
// follow the command line and the first file named is active.
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, Progress } from '@shared/api';
import { setClient, type ViewClient } from '../client';
import { insertInOrder, useCapturesStore } from './captures';
import { useViewStore } from './view';

function info(id: string, path: string): CaptureInfo {
  return {
    id,
    facts: { format: 'memray', path, fileName: path.split('/').pop()!, sizeBytes: 1 },
  } as CaptureInfo;
}

/** A transport whose header events and list the test drives by hand, in any order. */
class StartupClient {
  headerListeners: ((i: CaptureInfo) => void)[] = [];
  progressListeners: ((p: Progress) => void)[] = [];
  listed: CaptureInfo[] = [];
  constructor(private readonly startup: string[]) {}
  async startupFiles(): Promise<string[]> {
    return this.startup;
  }
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
  async list(): Promise<CaptureInfo[]> {
    return this.listed;
  }
}

const A = info('c1', '/runs/a.bin');
const B = info('c2', '/runs/b.pickle');
const C = info('c3', '/runs/c.json');

let client: StartupClient;

beforeEach(() => {
  client = new StartupClient([A.facts.path, B.facts.path, C.facts.path]);
  setClient(client as unknown as ViewClient);
  setActivePinia(createPinia());
});

describe('tabs of the files named on the command line', () => {
  it('follow the command line and the first named is active, whatever arrives first', async () => {
    const captures = useCapturesStore();
    const view = useViewStore();
    await captures.init();
    client.header(C);
    expect(view.captureId).toBe('c3');
    client.header(B);
    client.header(A);
    expect(captures.captures.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(view.captureId).toBe('c1');
  });

  it('a capture already loaded when the tab opens (from list) still sorts by the command line', async () => {
    client.listed = [C];
    const captures = useCapturesStore();
    const view = useViewStore();
    await captures.init();
    expect(view.captureId).toBe('c3');
    client.header(A);
    expect(captures.captures.map((c) => c.id)).toEqual(['c1', 'c3']);
    expect(view.captureId).toBe('c1');
  });

  it('a tab the person chose stays active when an earlier file arrives later', async () => {
    const captures = useCapturesStore();
    const view = useViewStore();
    await captures.init();
    client.header(C);
    client.header(B);
    captures.activate('c3');
    client.header(A);
    expect(captures.captures.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(view.captureId).toBe('c3');
  });
});

describe('insertInOrder', () => {
  it('puts named files in command-line order and others after them, in arrival order', () => {
    const order = ['/runs/a.bin', '/runs/b.pickle'];
    const x = info('c9', '/elsewhere/x.bin');
    const y = info('c10', '/elsewhere/y.bin');
    let list: CaptureInfo[] = [];
    for (const i of [x, B, y, A]) list = insertInOrder(list, i, order);
    expect(list.map((c) => c.id)).toEqual(['c1', 'c2', 'c9', 'c10']);
    expect(insertInOrder([], A, []).map((c) => c.id)).toEqual(['c1']);
  });
});
