// A memray capture still indexing shows its header facts and heap line so far (LoadPreview): the
// store keeps the latest preview until ready, the chart draws it without a peak pin, and the
// header card says how far the read is.
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, LoadPreview, OpenRequest, Progress, Timeline } from '@shared/api';
import { setClient, type ViewClient } from '../../renderer/src/client';
import { useCapturesStore } from '../../renderer/src/stores/captures';
import { useViewStore } from '../../renderer/src/stores/view';
import { PALETTES } from '../../renderer/charts/palette';
import { buildTimelineOption } from '../../renderer/charts/timeline';
import { indexingText } from '../../renderer/src/lib/indexing';

const PATH = '/runs/big/capture.bin';

function info(id: string): CaptureInfo {
  return {
    id,
    facts: { format: 'memray', path: PATH, fileName: 'capture.bin', sizeBytes: 100 },
    capabilities: { timeline: true },
    threads: [],
    records: 0,
    durationMs: 0,
  } as unknown as CaptureInfo;
}

function line(n: number): Timeline {
  const timeMs = Array.from({ length: n }, (_, i) => (i + 1) * 10);
  const heapBytes = timeMs.map((t) => t * 1000);
  return {
    timeMs,
    heapBytes,
    rssBytes: heapBytes.map((h) => h + 5e6),
    allocatedBytes: timeMs.map(() => 0),
    allocationCount: timeMs.map(() => 0),
    peak: { timeMs: timeMs[n - 1], bytes: heapBytes[n - 1] },
    durationMs: 1000,
  };
}

function preview(id: string, n: number): LoadPreview {
  return { captureId: id, info: info(id), records: n * 12, bytesDone: n, bytesTotal: 100, timeline: line(n) };
}

class FakeClient {
  previewListeners: ((p: LoadPreview) => void)[] = [];
  progressListeners: ((p: Progress) => void)[] = [];
  answer: ((i: CaptureInfo) => void) | undefined;
  onProgress(cb: (p: Progress) => void): () => void {
    this.progressListeners.push(cb);
    return () => undefined;
  }
  onPreview(cb: (p: LoadPreview) => void): () => void {
    this.previewListeners.push(cb);
    return () => undefined;
  }
  preview(p: LoadPreview): void {
    for (const l of this.previewListeners) l(p);
  }
  async list(): Promise<CaptureInfo[]> {
    return [];
  }
  open(_req: OpenRequest): Promise<CaptureInfo> {
    return new Promise((resolve) => (this.answer = resolve));
  }
}

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  setClient(client as unknown as ViewClient);
  setActivePinia(createPinia());
});

describe('the captures store and previews', () => {
  it('keeps the latest preview while loading, gives the capture a tab, and drops it at ready', async () => {
    const captures = useCapturesStore();
    await captures.init();
    const opening = captures.open(PATH);
    client.preview(preview('c1', 10));
    // a preview heard before the header still names the capture
    expect(captures.captures.map((c) => c.id)).toEqual(['c1']);
    expect(useViewStore().captureId).toBe('c1');
    expect(captures.activeStatus).toBe('loading');
    client.preview(preview('c1', 20));
    expect(captures.previews.c1.timeline!.timeMs).toHaveLength(20);
    client.answer!({ ...info('c1'), records: 240 });
    await opening;
    expect(captures.activeStatus).toBe('ready');
    expect(captures.previews).toEqual({});
    // one that was in flight at ready changes nothing
    client.preview(preview('c1', 30));
    expect(captures.previews).toEqual({});
  });
});

describe('the preview chart', () => {
  it('marks where the read has got to and pins no peak; the finished chart pins it', () => {
    const t = line(40);
    const option = buildTimelineOption(t, { palette: PALETTES.dark, soFar: true });
    const heap = (
      option.series as {
        id?: string;
        markPoint?: { data: unknown[] };
        markLine?: { data: { name: string; xAxis?: number }[] };
      }[]
    ).find((s) => s.id === 'heap')!;
    expect(heap.markPoint!.data).toEqual([]);
    expect(heap.markLine!.data.find((d) => d.name === 'read so far')?.xAxis).toBe(400);
    // the axis is the capture's whole duration, so the line visibly stops short of its end
    expect((option.xAxis as { max: number }[])[0].max).toBe(1000);
    const done = buildTimelineOption(t, { palette: PALETTES.dark });
    const finished = (done.series as { id?: string; markPoint?: { data: unknown[] } }[]).find(
      (s) => s.id === 'heap',
    )!;
    expect(finished.markPoint!.data).toHaveLength(1);
  });
});

describe('indexingText', () => {
  it('says the share of bytes read, floored, and when only the index is left', () => {
    expect(indexingText({ bytesDone: 419, bytesTotal: 1000 }, null)).toBe('indexing… 41%');
    expect(indexingText(null, { bytesDone: 999, bytesTotal: 1000 })).toBe('indexing… 99%');
    expect(indexingText({ bytesDone: 1000, bytesTotal: 1000 }, null)).toBe('finishing the index…');
    expect(indexingText(null, null)).toBe('indexing…');
  });
});
