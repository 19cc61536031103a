/**
 * The Memory layout store against a fake engine: which moment it asks for (following the
 * toolbar's peak / leaks), when it asks for the stacks of a region (only where the layout says
 * they are known), the brk heap's segment fills (one heap-range question per segment, summed
 * here by hand), and the timeline's bands.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import type {
  CaptureInfo,
  LayoutBands,
  LayoutBandsQuery,
  LayoutQuery,
  LayoutSites,
  LayoutSitesQuery,
  MemoryLayout,
} from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useViewStore } from '../../renderer/src/stores/view';
import {
  bandPointMoment,
  HEAP_SEGMENTS,
  useLayoutBandsStore,
  useLayoutStore,
} from '../../renderer/src/stores/layout';
import { FakeClient } from './fake-client';

const BRK = { fromAddress: 0x1000, topAddress: 0x1000 + 40 * 1000 };

/** Live malloc blocks of the fake end: one of 100 B every 500 addresses, from BRK.fromAddress. */
const BLOCKS = Array.from({ length: 80 }, (_, i) => BRK.fromAddress + i * 500);

function layoutAt(q: LayoutQuery): MemoryLayout {
  const kind = q.at?.kind ?? 'peak';
  const end = kind === 'end';
  return {
    moment: { kind, timeMs: kind === 'at' ? 500 : end ? 2000 : 1000, label: kind },
    moments: [
      { kind: 'at', timeMs: 500, label: 'checkpoint at 500 ms' },
      { kind: 'peak', timeMs: 1000, label: 'peak' },
      { kind: 'end', timeMs: 2000, label: 'end' },
    ],
    heapBytes: 100,
    heldBytes: 10,
    pymalloc: {
      modelled: false,
      liveBytes: 0,
      liveBlocks: 0,
      blockBytes: 0,
      pools: 0,
      poolBytes: 0,
      arenas: 0,
      arenaBytes: 0,
      heldBytes: 0,
      inPoolFreeBytes: 0,
      freePoolBytes: 0,
      sparseArenas: 0,
      sparseShare: 0.25,
      sizeClasses: [],
      arenaList: [],
      arenasOmitted: 0,
      outside: { blocks: 0, bytes: 0, windows: 0, rule: '' },
      pinning: [],
      rules: [],
    },
    mallocHeap: {
      modelled: end,
      heldEstimated: true,
      ...(end && { brk: { ...BRK, liveBytes: 8000, liveCount: 80, freeBelowTopBytes: 32_000 } }),
      threadHeaps: [],
      threadHeldBytes: 0,
      ownMmap: { count: 0, bytes: 0 },
      liveCount: 80,
      liveBytes: 8000,
      rules: [],
    },
    mappings: { byFamily: [], rules: [] },
    sitesAvailable: end,
    findings: [],
    limits: [],
  };
}

/** The fake engine with a layout: the capture offers one, and the three layout queries answer. */
class LayoutClient extends FakeClient {
  constructor() {
    super();
    // FakeClient declares these as never-answering; here they answer (typed as the client's).
    const self = this as unknown as ViewClient;
    self.layout = async (q: LayoutQuery): Promise<MemoryLayout> => {
      this.calls.layout.push(q);
      return layoutAt(q);
    };
    self.layoutSites = async (q: LayoutSitesQuery): Promise<LayoutSites> => {
      this.calls.layoutSites.push(q);
      const r = q.region;
      const inside =
        r.kind === 'heap-range' ? BLOCKS.filter((a) => a >= r.fromAddress && a < r.toAddress) : [];
      return {
        moment: { kind: 'end', timeMs: 2000, label: 'end' },
        region: r,
        totalBytes: inside.length * 100,
        totalCount: inside.length,
        rows: [],
      };
    };
    self.layoutBands = async (q: LayoutBandsQuery): Promise<LayoutBands> => {
      this.calls.layoutBands.push(q);
      return {
        timeMs: [1000, 2000],
        kind: ['peak', 'end'],
        rssBytes: [null, null],
        heapBytes: [1, 2],
        heldBytes: [0, 0],
        restBytes: [null, null],
        rule: '',
      };
    };
  }
  override async open(req: { path: string }): Promise<CaptureInfo> {
    const info = await super.open(req);
    const withLayout = { ...info, capabilities: { ...info.capabilities, layout: true } };
    this.infos.set(info.id, withLayout);
    return withLayout;
  }
}

let client: LayoutClient;

beforeEach(() => {
  client = new LayoutClient();
  setClient(client);
  setActivePinia(createPinia());
});

async function openOne() {
  const captures = useCapturesStore();
  await captures.init();
  const info = await captures.open('/data/pymalloc.bin');
  return info!;
}

const settle = async () => {
  for (let i = 0; i < 5; i++) {
    await nextTick();
    await new Promise((r) => setTimeout(r, 0));
  }
};

describe('layout store', () => {
  it('asks for the peak first, then follows the toolbar: leaks are the end', async () => {
    const info = await openOne();
    const store = useLayoutStore();
    expect(store.available).toBe(true);
    await store.load();
    expect(client.calls.layout.at(-1)).toEqual({ captureId: info.id, at: { kind: 'peak' }, units: 'si' });
    useViewStore().setSnapshotKind('leaks');
    await nextTick();
    expect(store.moment).toEqual({ kind: 'end' });
    await store.load();
    expect(store.layout?.moment.kind).toBe('end');
    // 'all' has no moment of its own: the layout stays where it was
    useViewStore().setSnapshotKind('all');
    await nextTick();
    expect(store.moment).toEqual({ kind: 'end' });
  });

  it('moves the toolbar with its own Peak and End; a checkpoint leaves the toolbar as it is', async () => {
    await openOne();
    const store = useLayoutStore();
    const view = useViewStore();
    view.setSnapshotKind('all');
    store.setMoment({ kind: 'end' });
    expect(view.snapshotKind).toBe('leaks');
    store.setMoment({ kind: 'at', timeMs: 100 });
    expect(view.snapshotKind).toBe('leaks');
    expect(store.moment).toEqual({ kind: 'at', timeMs: 100 });
    store.setMoment({ kind: 'peak' });
    expect(view.snapshotKind).toBe('peak');
    await nextTick();
    // and the toolbar's own change back comes round as the same moment, nothing more
    expect(store.moment).toEqual({ kind: 'peak' });
  });

  it('asks for a region’s stacks only where they are known, and forgets the region on a new moment', async () => {
    await openOne();
    const store = useLayoutStore();
    await store.load();
    store.select({ region: { kind: 'pool', address: 0x7f0000004000 }, label: 'pool' });
    // at the peak the layout says the stacks are not known: no question is sent
    expect(store.sitesQuery).toBeNull();
    store.setMoment({ kind: 'end' });
    expect(store.selection).toBeNull();
    await store.load();
    store.select({ region: { kind: 'arena', address: 0x7f0000000000 }, label: 'arena' });
    expect(store.sitesQuery).toMatchObject({
      at: { kind: 'end' },
      region: { kind: 'arena', address: 0x7f0000000000 },
    });
    // the same region again clears it
    store.select({ region: { kind: 'arena', address: 0x7f0000000000 }, label: 'arena' });
    expect(store.selection).toBeNull();
  });

  it('fills the brk heap’s segments from one heap-range question each', async () => {
    await openOne();
    const store = useLayoutStore();
    store.setMoment({ kind: 'end' });
    await store.load();
    await store.load();
    await settle();
    const segs = store.segments!;
    expect(segs.length).toBe(HEAP_SEGMENTS);
    const ranges = client.calls.layoutSites.filter((q) => q.region.kind === 'heap-range');
    expect(ranges.length).toBe(HEAP_SEGMENTS);
    // 40,000 addresses in 40 segments of 1,000: two blocks (every 500) start in each
    for (const s of segs) expect([s.count, s.bytes]).toEqual([2, 200]);
    expect(segs.reduce((n, s) => n + s.count, 0)).toBe(BLOCKS.length);
  });

  it('draws the bands where the capture has them, and not when hidden', async () => {
    const info = await openOne();
    const bands = useLayoutBandsStore();
    await bands.load();
    expect(client.calls.layoutBands).toEqual([{ captureId: info.id }]);
    expect(bands.bands?.timeMs).toEqual([1000, 2000]);
    bands.show = false;
    expect(bands.query).toBeNull();
    expect(bands.bands).toBeNull();
  });

  it('opens the layout of a clicked band point: a checkpoint, the peak or the end', () => {
    const b: Pick<LayoutBands, 'timeMs' | 'kind'> = {
      timeMs: [10, 250, 285, 331],
      kind: ['at', 'at', 'peak', 'end'],
    };
    expect(bandPointMoment(b, 0)).toEqual({ kind: 'at', timeMs: 10 });
    expect(bandPointMoment(b, 2)).toEqual({ kind: 'peak' });
    expect(bandPointMoment(b, 3)).toEqual({ kind: 'end' });
    expect(bandPointMoment(b, 4)).toBeNull();
  });
});
