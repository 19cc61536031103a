import type { AllocatorFamily, CaptureFacts, LayoutMoment, LayoutMomentInfo } from '../../../../shared/api';
import type { LayoutInput, LiveAllocations, PageStates, PoolBlocks } from '../../layout-input';
import { isSmallPymallocBlock, type PymallocPageTable } from './page-table';
import { A_MMAP } from '../vocabulary';
import { BIRTH_MASK } from '../live-table';
import { TIE_MAX } from './peak-blocks';

/**
 * What the memray model exposes to the layout (model.ts fills it): the page table the replay
 * kept, the moments, and — at the end only — the live allocations one by one.
 */
export interface LayoutModelView {
  pages: PymallocPageTable;
  facts: CaptureFacts;
  peak: { timeMs: number; heapBytes: number; seen: boolean };
  end: { timeMs: number; heapBytes: number };
  /** RSS of the last memory record at or before `timeMs`. */
  rssAtOrBefore(timeMs: number): number | undefined;
  /** Live mmap bytes per family at the peak, at the end, or at memory record `record`. */
  mappingBytes(at: 'peak' | 'end' | number): { family: AllocatorFamily; bytes: number }[];
  forEachLive(fn: (address: number, size: number, key: number) => void): void;
  /** The live table's entries with their births (heap-replay.ts forEachTableEntry). */
  forEachTableEntry(fn: (lo: number, hi: number, key: number, size: number, birth: number) => void): void;
  /** Memory records read by the end of tracking (the fine interval of the last record). */
  endFine: number;
  forEachRange(fn: (begin: number, end: number, key: number) => void): void;
  allocatorOfKey(key: number): number;
  allocatorName(id: number): string;
  familyOfKey(key: number): AllocatorFamily;
  siteOfKey(key: number): { function: string; file: string; line: number };
  /** Live simple allocations at the end, to size the arrays. */
  liveCount: number;
  /** Keys of the capture (every key is below it). */
  keyCount: number;
  /** libc malloc-family records (MALLOC … PVALLOC) of the whole capture. */
  libcAllocations: number;
  /** Loaded libraries that can replace malloc (jemalloc, mimalloc), by file name. */
  mallocLibraries: string[];
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The layout inputs of a memray capture, at any of its moments. */
export class MemrayLayoutSource {
  private everPages?: Float64Array;

  constructor(private readonly v: LayoutModelView) {}

  private get cps() {
    return this.v.pages.checkpoints;
  }

  moments(): LayoutMomentInfo[] {
    const cps = this.cps;
    const out: LayoutMomentInfo[] = [];
    for (let k = 0; k < cps.count; k++)
      out.push({
        kind: 'at',
        timeMs: cps.timeMs[k],
        label: `checkpoint at ${seconds(cps.timeMs[k])} (memory record ${cps.fine[k]})`,
      });
    if (this.v.peak.seen)
      out.push({
        kind: 'peak',
        timeMs: this.v.peak.timeMs,
        label: `peak (at ${seconds(this.v.peak.timeMs)})`,
      });
    out.push({
      kind: 'end',
      timeMs: this.v.end.timeMs,
      label: `end of tracking (${seconds(this.v.end.timeMs)})`,
    });
    return out;
  }

  /** Checkpoint answering time `t`: the latest at or before it (-1: none, the capture start). */
  checkpointAt(t: number): number {
    const times = this.cps.timeMs;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  input(at: LayoutMoment, withLive: boolean): LayoutInput {
    const v = this.v;
    const t = v.pages;
    const moments = this.moments();
    const facts = {
      ...(v.facts.pythonVersion && { pythonVersion: v.facts.pythonVersion }),
      ...(v.facts.pythonAllocator && { pythonAllocator: v.facts.pythonAllocator }),
      // v10 headers (memray 1.10) have no trace_python_allocators field: unknown, not false
      ...(v.facts.tracePythonAllocators !== undefined &&
        (v.facts.headerVersion ?? 11) >= 11 && { tracePythonAllocators: v.facts.tracePythonAllocators }),
      ...(v.facts.nativeTraces !== undefined && { nativeTraces: v.facts.nativeTraces }),
      ...(v.facts.headerVersion !== undefined && { headerVersion: v.facts.headerVersion }),
      libcAllocations: v.libcAllocations,
      mallocLibraries: v.mallocLibraries,
    };
    const fit = { small: t.smallAllocations, fit16: t.fit16, fit4: t.fit4 };
    const everPages = (this.everPages ??= t.everUsed());
    const requested = at.kind === 'at' ? at.timeMs : undefined;
    let kind = at.kind;
    if (requested !== undefined && requested >= v.end.timeMs) kind = 'end';
    if (kind === 'peak' && !v.peak.seen) kind = 'end';
    if (kind === 'end') {
      const live = withLive ? this.liveAllocations() : undefined;
      return {
        moment: {
          ...moments[moments.length - 1],
          ...(requested !== undefined && { requestedMs: requested }),
        },
        moments,
        facts,
        heapBytes: v.end.heapBytes,
        ...this.rss(v.end.timeMs),
        pages: t.current(),
        everPages,
        small: { blocks: t.liveBlocks, bytes: t.liveBytes, wideBlocks: t.wideBlocks, wideBytes: t.wideBytes },
        fit,
        mappings: this.mappingsOf(live, v.mappingBytes('end')),
        ...(live && { live }),
      };
    }
    if (kind === 'peak') {
      const live = withLive ? this.peakPoolBlocks() : undefined;
      return {
        moment: moments[moments.length - 2],
        moments,
        facts,
        heapBytes: v.peak.heapBytes,
        ...this.rss(v.peak.timeMs),
        pages: t.peak(),
        everPages,
        small: {
          blocks: t.peakLiveBlocks,
          bytes: t.peakLiveBytes,
          wideBlocks: t.peakWideBlocks,
          wideBytes: t.peakWideBytes,
        },
        fit,
        mappings: v.mappingBytes('peak'),
        ...(live && 'forEach' in live ? { poolBlocks: live } : live && { liveMissing: live.missing }),
      };
    }
    const k = this.checkpointAt(requested ?? 0);
    if (k < 0) {
      return {
        moment: {
          kind: 'at',
          timeMs: 0,
          label: 'the capture start (no checkpoint before this time; nothing was live yet)',
          requestedMs: requested ?? 0,
        },
        moments,
        facts,
        heapBytes: 0,
        pages: t.atCheckpoint(-1),
        everPages,
        small: { blocks: 0, bytes: 0, wideBlocks: 0, wideBytes: 0 },
        fit,
        mappings: [],
      };
    }
    const cps = this.cps;
    return {
      moment: { ...moments[k], requestedMs: requested ?? 0 },
      moments,
      facts,
      heapBytes: cps.heap[k],
      ...(cps.rss[k] > 0 && { rssBytes: cps.rss[k] }),
      pages: t.atCheckpoint(k),
      everPages,
      small: { blocks: cps.liveBlocks[k], bytes: cps.liveBytes[k], wideBlocks: 0, wideBytes: 0 },
      fit,
      mappings: v.mappingBytes(cps.fine[k] - 1),
    };
  }

  /** Every checkpoint's pages in time order, replayed once (for the RSS bands). */
  forEachCheckpoint(
    fn: (k: number, pages: PageStates, heap: number, rss: number, timeMs: number) => void,
  ): void {
    const cps = this.cps;
    const t = this.v.pages;
    t.replayCheckpoints((k, pages) => fn(k, pages, cps.heap[k], cps.rss[k], cps.timeMs[k]));
  }

  private rss(timeMs: number): { rssBytes?: number } {
    const r = this.v.rssAtOrBefore(timeMs);
    return r !== undefined && r > 0 ? { rssBytes: r } : {};
  }

  private mappingsOf(
    live: LiveAllocations | undefined,
    bytes: { family: AllocatorFamily; bytes: number }[],
  ): LayoutInput['mappings'] {
    if (!live) return bytes;
    const count = new Map<AllocatorFamily, number>();
    for (const r of live.ranges) count.set(r.family, (count.get(r.family) ?? 0) + 1);
    return bytes.map((b) => ({ ...b, ranges: count.get(b.family) ?? 0 }));
  }

  /**
   * The small PYMALLOC blocks live at the peak, one by one (peak-blocks.ts): those live at the end
   * that were live at the peak, and those that left after it. Or why they are not known.
   */
  private peakPoolBlocks(): PoolBlocks | { missing: string } {
    const v = this.v;
    const pb = v.pages.peakBlocks;
    if (pb.overflowed)
      return {
        missing: `more than ${TIE_MAX.toLocaleString('en-US')} small blocks were allocated between the peak and the next memory record, more than the replay keeps to tell them from the peak’s own`,
      };
    const fine = v.endFine;
    const atPeak = (lo: number, hi: number, k: number, s: number, birth: number) =>
      isSmallPymallocBlock(v.allocatorOfKey(k), s) && pb.liveAtPeak(lo, hi, birth, fine);
    return {
      forEach: (fn) => {
        v.forEachTableEntry((lo, hi, k, s, birth) => {
          if (atPeak(lo, hi, k, s, birth)) fn((hi * 4294967296 + (lo >>> 0)) * 8, s, k);
        });
        pb.forEachEntry(fn);
      },
      keyCount: v.keyCount,
      siteOfKey: (k) => v.siteOfKey(k),
      ...(fine > BIRTH_MASK && {
        caveat: `the capture has more than ${(BIRTH_MASK + 1).toLocaleString('en-US')} memory records; the replay keeps births modulo that many, so a block older than that may be taken for one born after the peak`,
      }),
    };
  }

  /** The live allocations at the end, one by one (simple ones; mmap ranges apart). */
  private liveAllocations(): LiveAllocations {
    const v = this.v;
    const cap = v.liveCount;
    const address = new Float64Array(cap);
    const size = new Float64Array(cap);
    const key = new Int32Array(cap);
    let n = 0;
    const ranges: LiveAllocations['ranges'] = [];
    v.forEachRange((begin, end, k) => ranges.push({ begin, end, key: k, family: v.familyOfKey(k) }));
    v.forEachLive((a, s, k) => {
      if (v.allocatorOfKey(k) === A_MMAP || n >= cap) return;
      address[n] = a;
      size[n] = s;
      key[n] = k;
      n++;
    });
    return this.liveColumns(n, address, size, key, ranges);
  }

  /** Live allocations in columns, with the model's key lookups. */
  private liveColumns(
    n: number,
    address: Float64Array,
    size: Float64Array,
    key: Int32Array,
    ranges: LiveAllocations['ranges'],
  ): LiveAllocations {
    const v = this.v;
    return {
      n,
      address,
      size,
      key,
      allocatorOfKey: (k) => v.allocatorOfKey(k),
      allocatorName: (id) => v.allocatorName(id),
      siteOfKey: (k) => v.siteOfKey(k),
      ranges,
      keyCount: v.keyCount,
    };
  }
}
