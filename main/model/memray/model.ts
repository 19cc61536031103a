import type {
  AllocatorBreakdown,
  AllocatorFamily,
  CaptureInfo,
  SizeBin,
  TemporaryTotals,
  SnapshotSpec,
  StackFilter,
  Summary,
  Timeline,
} from '../../../shared/api';
import type { MemraySizeBin, MemrayStatsJson } from '../../../shared/stats';
import { UnsupportedQuery, type CaptureModel, type GrowthSeries, type StatsOptions } from '../capture-model';
import { FrameTable } from '../frame-table';
import { pythonCsv } from '../python-csv';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import { StackTrie } from '../stack-trie';
import { MemrayTotalsBuilder } from './totals-builder';
import { temporaryLabel } from '../../../shared/snapshot-label';
import { DEFAULT_TEMPORARY_THRESHOLD, TEMPORARY_THRESHOLDS, thresholdClass } from './temporary';
import { offsetLabel, type NativeObject, type Symbolizer } from '../symbolizer';
import { FAMILIES, libraryFamily } from '../allocator-family';
import type { MemrayIndexBuilder } from './builder';
import type { PythonFrames } from './frames';
import type { KeyTable } from './key-table';
import type { MemoryMaps, NativeStackTree, PythonStackTree } from './stack-trees';
import type { KeyVector, TimeIndex } from './time-index';
import type { HeapTimeline } from './timeline';
import type { LayoutProvider } from '../layout-input';
import { MemrayLayoutSource } from './layout/source';
import {
  A_MMAP,
  ALLOCATOR_NAMES,
  MEMRAY_CSV_COLUMNS,
  R,
  RECORD_TYPES,
  type RecordTypeName,
  LIBC_ALLOCATION_IDS,
} from './vocabulary';

/** CPython's eval loop (3.14's tail-calling interpreter names its handlers _TAIL_CALL_*). */
const EVAL_LOOP_FRAME = /^(_PyEval_EvalFrameDefault|_PyEval_EvalFrame|PyEval_EvalFrameEx|_TAIL_CALL_)/;

export interface MemrayModelMeta {
  headerVersion: number;
  pythonVersion?: string;
  mainTid: number;
  skippedFramesOnMainTid: number;
  /** Header start time (epoch ms). */
  startTime: number;
  durationMs: number;
}

/** A snapshot's per-key numbers and its label. */
interface KeyValues extends KeyVector {
  label: string;
}

const PYMALLOC_THRESHOLD = 512;

/**
 * The CaptureModel of one memray capture, over the parts of the index built in one pass
 * (builder.ts): keys and their totals, the stack trees, the time index, the heap line. Nothing
 * here re-reads the file: snapshots of any kind come from per-key totals or from the time index.
 */
export class MemrayModel implements CaptureModel {
  private readonly frames = new FrameTable();
  private readonly stacks = new StackTrie();
  private leafFull?: Int32Array;
  private leafPython?: Int32Array;
  private readonly nativeFrameIds = new Map<string, number>();
  // the index's parts
  private readonly keys: KeyTable;
  private readonly time: TimeIndex;
  private readonly line: HeapTimeline;
  private readonly pyFrames: PythonFrames;
  private readonly pyStacks: PythonStackTree;
  private readonly natStacks: NativeStackTree;
  private readonly maps: MemoryMaps;

  constructor(
    readonly b: MemrayIndexBuilder,
    private readonly captureInfo: CaptureInfo,
    readonly meta: MemrayModelMeta,
    /** Names native frames (main/symbols); without one they stay `libfoo.so+0x1a2b`. */
    private readonly symbolizer?: Symbolizer,
  ) {
    this.keys = b.keys;
    this.time = b.timeIndex;
    this.line = b.timeline;
    this.pyFrames = b.frames;
    this.pyStacks = b.pythonStacks;
    this.natStacks = b.nativeStacks;
    this.maps = b.maps;
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  get totalsOnly(): boolean {
    return this.b instanceof MemrayTotalsBuilder;
  }

  /** The location (innermost frame) of a Python stack node; -1 for the empty stack. */
  private siteOf(py: number): number {
    return py > 0 ? this.pyFrames.frameLoc[this.pyStacks.frame[py]] : -1;
  }

  /** Record counts by `memray parse` type name (ALLOCATION excludes ALLOCATION_WITH_NATIVE). */
  recordCounts(): Partial<Record<RecordTypeName, number>> {
    const out: Partial<Record<RecordTypeName, number>> = {};
    const c = this.b.recordCounts;
    RECORD_TYPES.forEach((name, i) => {
      if (c[i] > 0) out[name] = c[i];
    });
    const plain = this.b.allocationRecords - c[R.ALLOCATION_WITH_NATIVE];
    if (plain > 0) out.ALLOCATION = plain;
    return out;
  }

  /** Object-lifetime records (v12+ `track_object_lifetimes`). */
  objectRecords(): { created: number; destroyed: number } {
    return { created: this.b.objectsCreated, destroyed: this.b.objectsDestroyed };
  }

  // ------------------------------------------------------------------ stacks

  threadLabel(slot: number): string {
    const tid = this.b.threadTid[slot];
    const name = this.b.threadName[slot];
    return name ? `0x${tid.toString(16)} (${name})` : `0x${tid.toString(16)}`;
  }

  /** Python frames of a node, innermost first, as memray's stack_trace() gives them (main-thread trim). */
  pythonFrames(node: number, slot: number, trim = true): number[] {
    const out = this.pyStacks.framesOf(node);
    if (trim && this.b.threadTid[slot] === this.meta.mainTid) {
      const keep = Math.max(out.length - this.meta.skippedFramesOnMainTid, 0);
      out.length = keep;
    }
    return out;
  }

  /** Native (ip) nodes of a native stack id, innermost first. */
  nativeIps(nat: number): number[] {
    return this.natStacks.ipsOf(nat);
  }

  /**
   * A native frame's label: the function the symbolizer finds for the object mapped at `ip` (it
   * checks that its copy of the object is the one the capture recorded), else
   * `libfoo.so+0x1a2b` (offset from the load address); `0x…` when no mapping contains the ip.
   */
  nativeLabel(gen: number, ip: number): { name: string; file: string } {
    const s = this.maps.segmentAt(gen, ip);
    if (!s) return { name: `0x${ip.toString(16)}`, file: '<unknown>' };
    const offset = ip - s.loadAddr;
    const name = this.symbolizer
      ? this.symbolizer.nativeName(this.nativeObject(gen, s.file, s.loadAddr), offset)
      : offsetLabel(s.file, offset);
    return { name, file: s.file };
  }

  private readonly nativeObjects = new Map<string, NativeObject>();

  /** The object mapped at `loadAddr` in generation `gen`, with every segment recorded for it. */
  private nativeObject(gen: number, file: string, loadAddr: number): NativeObject {
    const k = `${gen}\0${loadAddr}\0${file}`;
    let o = this.nativeObjects.get(k);
    if (!o) {
      const segments = this.maps
        .segmentsOf(gen)
        .filter((s) => s.file === file && s.loadAddr === loadAddr)
        .map((s) => [s.start - s.loadAddr, s.end - s.start] as const);
      o = { path: file, segments };
      this.nativeObjects.set(k, o);
    }
    return o;
  }

  private nativeFrameId(gen: number, ip: number): number {
    const k = `${gen}:${ip}`;
    let id = this.nativeFrameIds.get(k);
    if (id === undefined) {
      const l = this.nativeLabel(gen, ip);
      id = this.frames.intern(l.name, l.file, 0, 'native');
      this.nativeFrameIds.set(k, id);
    }
    return id;
  }

  private pythonFrameId(frame: number): number {
    const f = this.pyFrames;
    const loc = f.frameLoc[frame];
    return this.frames.intern(f.locFunc[loc], f.locFile[loc], f.locLine[loc], 'python');
  }

  /** StackTrie leaf of a key: Python frames outermost first, then native frames (innermost last). */
  leaf(k: number, pythonOnly: boolean): number {
    const keys = this.keys;
    let memo = pythonOnly ? this.leafPython : this.leafFull;
    if (!memo || memo.length < keys.count) {
      const grown = new Int32Array(Math.max(keys.count, 16)).fill(-1);
      if (memo) grown.set(memo);
      memo = grown;
      if (pythonOnly) this.leafPython = memo;
      else this.leafFull = memo;
    }
    if (memo[k] >= 0) return memo[k];
    let node = 0;
    const py = this.pythonFrames(keys.py[k], keys.thread[k]);
    for (let i = py.length - 1; i >= 0; i--) node = this.stacks.child(node, this.pythonFrameId(py[i]));
    if (!pythonOnly && keys.native[k] > 0) {
      const ips = this.nativeIps(keys.native[k]);
      const ids = ips.map((ip) => this.nativeFrameId(keys.generation[k], ip));
      // The Python frames already stand for the interpreter's own native frames (memray's hybrid
      // stacks replace the eval loop with them), so below a Python stack keep only what the
      // innermost eval-loop frame called. Without symbols no eval frame is known: keep them all.
      let kept = ids.length;
      if (py.length > 0) {
        const evalFrame = ids.findIndex((id) => EVAL_LOOP_FRAME.test(this.frames.names[id]));
        if (evalFrame >= 0) kept = evalFrame;
      }
      for (let i = kept - 1; i >= 0; i--) node = this.stacks.child(node, ids[i]);
    }
    memo[k] = node;
    return node;
  }

  // ------------------------------------------------------------------ time index

  private requireTime(what: string): void {
    if (this.b.aggregated || this.time.bucketCount === 0) {
      throw new UnsupportedQuery(
        `${what} needs an all-allocations memray capture with memory records (this one has no time index)`,
      );
    }
  }

  private rangeBuckets(fromMs: number, toMs: number): [number, number] {
    if (!(toMs >= fromMs)) throw new UnsupportedQuery(`bad range ${fromMs}:${toMs}`);
    // A finished capture ends at its header's end time: a range wholly after that holds nothing,
    // and answering with the last bucket's numbers would invent them. A capture cut short (killed,
    // fork child) has records after its last timestamp, so its end is not known.
    const end = Math.max(this.meta.durationMs, this.time.endTimeMs(this.time.bucketCount - 1));
    if (!this.captureInfo.truncated && fromMs > end)
      throw new UnsupportedQuery(
        `the range ${fromMs}:${toMs} ms starts after the capture ends (${Math.round(end)} ms)`,
      );
    return [this.time.bucketAt(fromMs), this.time.bucketAt(toMs)];
  }

  private values(spec: SnapshotSpec): KeyValues {
    const b = this.b;
    const keys = this.keys;
    const n = keys.count;
    switch (spec.kind) {
      case 'peak':
        return {
          count: keys.peakCount.subarray(0, n),
          bytes: keys.peakBytes.subarray(0, n),
          // No size in the label: every view shows the snapshot's total beside it, in the user's units.
          label: 'peak',
        };
      case 'leaks':
        return {
          count: keys.liveCount.subarray(0, n),
          bytes: keys.liveBytes.subarray(0, n),
          label: 'alive at end of tracking',
        };
      case 'all':
        if (b.aggregated)
          throw new UnsupportedQuery('aggregated memray captures do not hold every allocation');
        return {
          count: keys.allCount.subarray(0, n),
          bytes: keys.allBytes.subarray(0, n),
          label: 'all allocations',
        };
      case 'at': {
        this.requireTime('a snapshot at a moment');
        const bk = this.time.bucketAt(spec.timeMs);
        // the live set at the end of the bucket holding the moment (the start of the next)
        const v = this.time.liveAtStart(bk + 1);
        // The moment as chosen, in the unit it was chosen in (ms), then the memory record whose
        // live set answers it.
        const record = this.time.endTimeMs(bk);
        const asOf = record !== spec.timeMs ? ` (as of the memory record at ${msText(record)})` : '';
        return { ...v, label: `alive at ${msText(spec.timeMs)}${asOf}` };
      }
      case 'range': {
        this.requireTime('a range snapshot');
        const [b1, b2] = this.rangeBuckets(spec.fromMs, spec.toMs);
        const label = this.bucketSpanLabel(b1, b2);
        if (spec.measure === 'allocated')
          return { ...this.time.allocatedIn(b1, b2), label: `allocated ${label}` };
        if (spec.measure === 'live-at-end')
          return { ...this.time.survivorsIn(b1, b2), label: `allocated ${label}, alive at its end` };
        const { bucket } = this.rangePeak(b1, b2, spec.fromMs, spec.toMs);
        return { ...this.time.liveAtPeakOf(bucket), label: `peak in ${label}` };
      }
      case 'temporary': {
        const threshold = this.temporaryThreshold(spec.threshold);
        if (spec.fromMs === undefined && spec.toMs === undefined)
          return { ...b.temporary.perKey(threshold, n), label: temporaryLabel(threshold) };
        if (spec.fromMs === undefined || spec.toMs === undefined)
          throw new UnsupportedQuery('a temporary-allocation range needs both fromMs and toMs');
        // A brushed range: the temporaries found in the same whole buckets as a range snapshot's.
        this.requireTime('temporary allocations in a range');
        const [b1, b2] = this.rangeBuckets(spec.fromMs, spec.toMs);
        return {
          ...b.temporary.perKeyInBuckets(threshold, b1, b2, n),
          label: `${temporaryLabel(threshold)}, found ${this.bucketSpanLabel(b1, b2)}`,
        };
      }
    }
  }

  /** The time buckets b1 … b2 as a range label ("1.250–2.500 s"). */
  private bucketSpanLabel(b1: number, b2: number): string {
    const t = this.time;
    return `${(t.startTimeMs(b1) / 1000).toFixed(3)}–${(t.endTimeMs(b2) / 1000).toFixed(3)} s`;
  }

  /** memray's temporary-allocation threshold N, checked against the ones the index answers. */
  private temporaryThreshold(n: number | undefined): number {
    if (this.b.aggregated)
      throw new UnsupportedQuery(
        'temporary allocations need an all-allocations memray capture (memray cannot find them in an aggregated file either)',
      );
    const threshold = n ?? DEFAULT_TEMPORARY_THRESHOLD;
    if (thresholdClass(threshold) < 0)
      throw new UnsupportedQuery(
        `temporary allocations: threshold ${threshold} is not offered; use one of ${TEMPORARY_THRESHOLDS.join(', ')}`,
      );
    return threshold;
  }

  /** memray's temporary allocations at threshold N: totals and the site with the most of them. */
  temporaryTotals(n = DEFAULT_TEMPORARY_THRESHOLD): TemporaryTotals | undefined {
    const b = this.b;
    const keys = this.keys;
    if (b.aggregated || this.totalsOnly) return undefined;
    const v = b.temporary.perKey(this.temporaryThreshold(n), keys.count);
    const out: TemporaryTotals = { threshold: n, count: keys.sum(v.count), bytes: keys.sum(v.bytes) };
    // the site (innermost Python frame) with the most temporaries; later-seen locations win ties
    const byLoc = new Map<number, { count: number; bytes: number }>();
    for (let k = 0; k < keys.count; k++) {
      if (v.count[k] === 0) continue;
      const loc = this.siteOf(keys.py[k]);
      const g = byLoc.get(loc) ?? { count: 0, bytes: 0 };
      g.count += v.count[k];
      g.bytes += v.bytes[k];
      byLoc.set(loc, g);
    }
    let best = -2;
    for (const [loc, g] of byLoc) {
      const cur = byLoc.get(best);
      if (!cur || g.count > cur.count || (g.count === cur.count && loc > best)) best = loc;
    }
    const top = byLoc.get(best);
    if (top && best >= 0)
      out.topSite = {
        function: this.pyFrames.locFunc[best],
        file: this.pyFrames.locFile[best],
        line: this.pyFrames.locLine[best],
        count: top.count,
        bytes: top.bytes,
      };
    return out;
  }

  /**
   * Live bytes per site (innermost Python frame, memray's location) at the end of each time
   * bucket, for ranking leak suspects by growth (main/query/growth.ts). At most `maxPoints`
   * points: neighbouring buckets are taken together, sampled at the last one's end.
   */
  growthSeries(options: { threads?: number[]; maxPoints?: number } = {}): GrowthSeries | undefined {
    const b = this.b;
    const keys = this.keys;
    const time = this.time;
    const nb = time.bucketCount;
    if (b.aggregated || nb === 0) return undefined;
    const threads = options.threads ? new Set(options.threads) : undefined;
    const siteOfLoc = new Map<number, number>();
    const locs: number[] = [];
    const siteOfKey = new Int32Array(keys.count);
    for (let k = 0; k < keys.count; k++) {
      if (threads && !threads.has(b.threadTid[keys.thread[k]])) {
        siteOfKey[k] = -1;
        continue;
      }
      const loc = this.siteOf(keys.py[k]);
      let s = siteOfLoc.get(loc);
      if (s === undefined) {
        s = locs.length;
        siteOfLoc.set(loc, s);
        locs.push(loc);
      }
      siteOfKey[k] = s;
    }
    const sites = locs.length;
    // sites × points doubles: at most 8 MB, whatever the number of locations
    const points = Math.max(
      2,
      Math.min(nb, options.maxPoints ?? 512, Math.floor(1_000_000 / Math.max(sites, 1))),
    );
    const live = new Float64Array(sites);
    const matrix = new Float64Array(sites * points);
    const timeMs: number[] = [];
    let bk = 0;
    for (let g = 0; g < points; g++) {
      const end = Math.floor(((g + 1) * nb) / points);
      for (; bk < end; bk++) time.addChangeBytes(bk, siteOfKey, live);
      if (end === 0) continue;
      const t = time.endTimeMs(end - 1);
      // the bucket finish() closes ends at the last memory record's time: one moment, one point
      if (timeMs.length === 0 || t > timeMs[timeMs.length - 1]) timeMs.push(t);
      const col = timeMs.length - 1;
      for (let s = 0; s < sites; s++) matrix[s * points + col] = live[s];
    }
    return {
      timeMs,
      durationMs: this.endTimeMs(),
      sites: locs.map((loc, s) => ({
        function: loc < 0 ? '<stack trace unavailable>' : this.pyFrames.locFunc[loc],
        file: loc < 0 ? '' : this.pyFrames.locFile[loc],
        line: loc < 0 ? 0 : this.pyFrames.locLine[loc],
        live: matrix.subarray(s * points, s * points + timeMs.length),
      })),
    };
  }

  /**
   * Live bytes per site (`growthSeries`' sites: innermost Python frame) when tracking stopped,
   * aggregated captures too (their leak numbers): each capture's point of the growth across a
   * series of captures (series.ts).
   */
  sitesAtEnd(threads?: number[]): { function: string; file: string; line: number; bytes: number }[] {
    const b = this.b;
    const keys = this.keys;
    const only = threads ? new Set(threads) : undefined;
    const byLoc = new Map<number, number>();
    for (let k = 0; k < keys.count; k++) {
      if (only && !only.has(b.threadTid[keys.thread[k]])) continue;
      const loc = this.siteOf(keys.py[k]);
      byLoc.set(loc, (byLoc.get(loc) ?? 0) + keys.liveBytes[k]);
    }
    return [...byLoc].map(([loc, bytes]) => ({
      function: loc < 0 ? '<stack trace unavailable>' : this.pyFrames.locFunc[loc],
      file: loc < 0 ? '' : this.pyFrames.locFile[loc],
      line: loc < 0 ? 0 : this.pyFrames.locLine[loc],
      bytes,
    }));
  }

  /**
   * The peak of a range, at bucket granularity. A range [T1, T2] resolves to the whole buckets
   * b1..b2 that overlap it (`rangeBuckets`; reported as `range` by stats --range): every number
   * of a range query, its peak included, covers those whole buckets. The peak is the largest
   * bucket peak (heap after any record of the buckets, or the heap at b1's start); ties go to the
   * latest bucket whose peak a record reached (memray's `>=` rule on records), so a range that
   * covers the capture has the whole capture's peak, time and snapshot.
   *
   * `timeMs` is when that peak happened, at memory-record resolution (like `peakTimeMs()`: the
   * memory record that ends the interval holding the peak record), clamped into [T1, T2]: the
   * record's own time is unknown within its interval, which overlaps the range unless merged
   * (coarse) buckets put it in the part of an edge bucket outside [T1, T2]; either way the
   * reported moment lies inside the requested range.
   */
  private rangePeak(
    b1: number,
    b2: number,
    fromMs: number,
    toMs: number,
  ): { bucket: number; heap: number; timeMs: number } {
    const p = this.time.peakIn(b1, b2);
    const t = this.line.timeOf(p.record);
    return { bucket: p.bucket, heap: p.bytes, timeMs: Math.min(toMs, Math.max(fromMs, t)) };
  }

  // ------------------------------------------------------------------ CaptureModel

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    return this.snapshotOfValues(this.values(spec), filter);
  }

  /** A snapshot of per-key counts and bytes (any live set the model computes). */
  private snapshotOfValues(v: KeyValues, filter?: StackFilter): Snapshot {
    const b = this.b;
    const threads = filter?.threads ? new Set(filter.threads) : undefined;
    const allocators = filter?.allocators ? new Set(filter.allocators) : undefined;
    const pythonOnly = filter?.pythonOnly === true;
    const keys = this.keys;
    const sb = new SnapshotBuilder();
    for (let k = 0; k < keys.count; k++) {
      const count = v.count[k];
      const bytes = v.bytes[k];
      if (count === 0 && bytes === 0) continue;
      const tid = b.threadTid[keys.thread[k]] ?? 0;
      if (threads && !threads.has(tid)) continue;
      if (allocators && !allocators.has(ALLOCATOR_NAMES[keys.allocator[k]])) continue;
      sb.add(this.leaf(k, pythonOnly), tid, keys.allocator[k], bytes, count);
    }
    return {
      frames: this.frames,
      stacks: this.stacks,
      threads: this.captureInfo.threads,
      allocators: [...ALLOCATOR_NAMES],
      rows: sb.build(),
      label: v.label,
    };
  }

  peakBytes(): number {
    return this.b.peak;
  }

  peakTimeMs(): number {
    const line = this.line;
    if (this.b.aggregated) {
      // MEMORY_SNAPSHOTs carry the heap: the last one at the maximum.
      const heap = line.heapBytes.view();
      let best = 0;
      for (let i = 0; i < heap.length; i++) if (heap[i] >= heap[best]) best = i;
      return heap.length ? line.timeMs.get(best) : 0;
    }
    // The peak happened between memory records peakFine-1 and peakFine; report the latter.
    return line.timeOf(this.b.peakFine);
  }

  /**
   * RSS and heap as memory record `f` measured them, one moment for both (the heap after every
   * record before it, the RSS the record carries); nothing when there is no such record.
   */
  private atMemoryRecord(f: number): Pick<Summary, 'rssAtEndBytes' | 'heapAtEndBytes' | 'atEndTimeMs'> {
    const line = this.line;
    if (f < 0 || f >= line.length) return {};
    return {
      rssAtEndBytes: line.rssBytes.get(f),
      heapAtEndBytes: line.heapBytes.get(f),
      atEndTimeMs: line.timeMs.get(f),
    };
  }

  /** `atMemoryRecord` of the last memory record at or before `t` (ms from start). */
  atOrBefore(t: number): Pick<Summary, 'rssAtEndBytes' | 'heapAtEndBytes' | 'atEndTimeMs'> {
    return this.atMemoryRecord(this.line.recordAtOrBefore(t));
  }

  summary(range?: { fromMs: number; toMs: number }) {
    const b = this.b;
    const keys = this.keys;
    const base = { info: this.captureInfo, ...this.atMemoryRecord(this.line.length - 1) };
    if (range) {
      this.requireTime('a range summary');
      const [b1, b2] = this.rangeBuckets(range.fromMs, range.toMs);
      const alloc = this.time.allocatedIn(b1, b2);
      const surv = this.time.survivorsIn(b1, b2);
      const p = this.rangePeak(b1, b2, range.fromMs, range.toMs);
      return {
        ...base,
        peakBytes: p.heap,
        peakTimeMs: p.timeMs,
        totalAllocations: keys.sum(alloc.count),
        totalBytesAllocated: keys.sum(alloc.bytes),
        leakedBytes: keys.sum(surv.bytes),
        leakedCount: keys.sum(surv.count),
        ...this.atMemoryRecord(this.time.lastRecordOf(b2, this.line.length)),
      };
    }
    return {
      ...base,
      peakBytes: b.peak,
      peakTimeMs: this.peakTimeMs(),
      // An aggregated file keeps what was alive, not what was allocated and freed.
      totalAllocations: b.aggregated ? null : b.totalAllocations,
      totalBytesAllocated: b.aggregated ? null : b.totalBytes,
      leakedBytes: keys.sum(keys.liveBytes),
      leakedCount: keys.sum(keys.liveCount),
      ...(this.captureInfo.capabilities.temporaryThresholds && { temporary: this.temporaryTotals() }),
    } satisfies Omit<Summary, 'topSites' | 'findings'>;
  }

  /**
   * When tracking stopped, ms from the start: the header's end time, or for a capture cut short
   * (killed, fork child; its header end time is not the real one) the last memory record.
   */
  endTimeMs(): number {
    return Math.max(this.meta.durationMs, this.line.lastTimeMs);
  }

  private layoutProvider?: LayoutProvider;

  /** Allocator layouts (issue 14) from the page table the replay kept (layout/source.ts). */
  allocatorLayout(): LayoutProvider | undefined {
    const b = this.b;
    if (this.totalsOnly || b.aggregated) return undefined;
    if (this.layoutProvider) return this.layoutProvider;
    const keys = this.keys;
    const line = this.line;
    const mappingFamilies = (['mmap', 'jemalloc', 'mimalloc'] as const).map((family) => ({
      family,
      slot: FAMILIES.indexOf(family),
    }));
    const source = new MemrayLayoutSource({
      pages: b.pymallocPages,
      facts: this.captureInfo.facts,
      peak: { timeMs: this.peakTimeMs(), heapBytes: b.peak, seen: b.heap.peakIndex >= 0 },
      end: { timeMs: this.endTimeMs(), heapBytes: b.current },
      rssAtOrBefore: (t) => this.atOrBefore(t).rssAtEndBytes,
      mappingBytes: (at) => {
        const peak = new Float64Array(FAMILIES.length);
        if (at === 'peak') for (let k = 0; k < keys.count; k++) peak[keys.family[k]] += keys.peakBytes[k];
        return mappingFamilies.map(({ family, slot }) => ({
          family,
          bytes: at === 'end' ? b.famLive[slot] : at === 'peak' ? peak[slot] : line.familyBytes[slot].get(at),
        }));
      },
      forEachLive: (fn) => b.heap.forEachLive(fn),
      forEachTableEntry: (fn) => b.heap.forEachTableEntry(fn),
      endFine: b.timeIndex.fineCount,
      forEachRange: (fn) => b.heap.ranges.forEach(fn),
      allocatorOfKey: (k) => keys.allocator[k],
      allocatorName: (id) => ALLOCATOR_NAMES[id] ?? '',
      familyOfKey: (k) => FAMILIES[keys.family[k]],
      siteOfKey: (k) => {
        const loc = this.siteOf(keys.py[k]);
        const f = this.pyFrames;
        return loc < 0
          ? { function: '<stack trace unavailable>', file: '', line: 0 }
          : { function: f.locFunc[loc], file: f.locFile[loc], line: f.locLine[loc] };
      },
      liveCount: b.heap.liveEntries,
      keyCount: keys.count,
      // MALLOC, CALLOC, REALLOC, POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN, VALLOC, PVALLOC
      libcAllocations: LIBC_ALLOCATION_IDS.reduce((n, id) => n + b.allocatorCount[id], 0),
      mallocLibraries: [
        ...new Set(
          this.maps.generations
            .flat()
            .map((seg) => seg.file.slice(seg.file.lastIndexOf('/') + 1))
            .filter((name) => libraryFamily([name]) !== undefined),
        ),
      ],
    });
    this.layoutProvider = {
      input: (at, withLive) => source.input(at, withLive),
      forEachCheckpoint: (fn) => source.forEachCheckpoint(fn),
      snapshotOfKeys: (count, bytes, label) => this.snapshotOfValues({ count, bytes, label }),
      keyCount: keys.count,
    };
    return this.layoutProvider;
  }

  /**
   * The heap line at full resolution. One point per memory record (heap and RSS sampled
   * together), plus what happens between them: each time bucket's own peak (reached by an
   * allocation record after memory record v-1 and at or before record v) as a point at record
   * v's time just before it, like `peakTimeMs()` dates the peak; and a last point, the heap when
   * tracking stopped, at the capture's end. The peak point (value `peakBytes()`, time
   * `peakTimeMs()`) is always one of them. Inserted points carry no RSS (it was not measured
   * then) and no allocations: those stay on the memory record that closes their interval
   * (records after the last memory record go to the end point). With a threshold, the
   * temporaries found in each interval too.
   */
  heapLine(temporaryThreshold?: number): Timeline | undefined {
    const b = this.b;
    const line = this.line;
    const n = line.length;
    if (n === 0) return undefined;
    // temporaries found per memory-record interval (at their free), threshold N
    const tmpN = temporaryThreshold === undefined ? undefined : this.temporaryThreshold(temporaryThreshold);
    const tmpSrc = tmpN === undefined ? undefined : b.temporary.intervalCounts(tmpN);
    const tmp = tmpSrc ? ([] as number[]) : undefined;
    const time = line.timeMs.view();
    const heap = line.heapBytes.view();
    const rss = line.rssBytes.view();
    const ac = line.allocationCount.view();
    const ab = line.allocatedBytes.view();
    const famSrc = b.aggregated ? undefined : line.familyBytes.map((f) => f.view());
    const between = this.peaksBetweenRecords();
    const t: Timeline = {
      timeMs: [],
      heapBytes: [],
      rssBytes: [],
      allocatedBytes: [],
      allocationCount: [],
      peak: { timeMs: this.peakTimeMs(), bytes: this.peakBytes() },
      durationMs: this.meta.durationMs,
    };
    const fam = famSrc ? FAMILIES.map(() => [] as number[]) : undefined;
    let peakAt = -1;
    const push = (ms: number, h: number, r: number | null, c: number, by: number, f?: ArrayLike<number>) => {
      t.timeMs.push(ms);
      t.heapBytes.push(h);
      t.rssBytes.push(r);
      t.allocationCount.push(c);
      t.allocatedBytes.push(by);
      tmp?.push(0);
      if (fam) fam.forEach((col, i) => col.push(f ? f[i] : 0));
      if (h === t.peak.bytes && ms === t.peak.timeMs) peakAt = t.timeMs.length - 1;
    };
    const insertBetween = (v: number, ms: number) => {
      const x = between.get(v);
      if (x && !(v < n && heap[v] === x.heap)) push(ms, x.heap, null, 0, 0, x.families);
    };
    let counted = 0;
    let countedBytes = 0;
    for (let v = 0; v < n; v++) {
      insertBetween(v, time[v]);
      push(
        time[v],
        heap[v],
        rss[v],
        ac[v],
        ab[v],
        famSrc?.map((col) => col[v]),
      );
      counted += ac[v];
      countedBytes += ab[v];
      if (tmp && tmpSrc) tmp[tmp.length - 1] = tmpSrc[v];
    }
    insertBetween(n, line.lastTimeMs);
    const endMs = this.endTimeMs();
    const endHeap = b.aggregated ? this.keys.sum(this.keys.liveBytes) : b.current;
    const restC = b.aggregated ? 0 : b.totalAllocations - counted;
    const restB = b.aggregated ? 0 : b.totalBytes - countedBytes;
    const last = t.timeMs.length - 1;
    if (t.timeMs[last] === endMs && t.heapBytes[last] === endHeap && restC === 0) {
      // the last memory record already is the end
    } else push(endMs, endHeap, null, restC, restB, famSrc ? b.famLive : undefined);
    if (tmp && tmpN !== undefined) {
      // temporaries after the last memory record go to the end point, like allocations
      let rest = 0;
      for (let c = 0; c <= thresholdClass(tmpN); c++) rest += b.temporary.pending(c);
      tmp[tmp.length - 1] += rest;
      t.temporaryCount = tmp;
      t.temporaryThreshold = tmpN;
    }
    t.end = { timeMs: endMs, bytes: endHeap };
    // An aggregated file's peak (Σ high-water marks) need not equal any MEMORY_SNAPSHOT's heap.
    if (peakAt < 0) this.insertPeakPoint(t, fam);
    if (fam) {
      t.byFamily = FAMILIES.map((family, i) => ({ family, bytes: fam[i] })).filter((f) =>
        f.bytes.some((x) => x !== 0),
      );
    }
    if (this.captureInfo.truncated) t.truncatedAtMs = line.lastTimeMs;
    return t;
  }

  /**
   * Puts the peak point into a series that lacks it: after the last point at or before its time,
   * before the end point (which stays last). Families repeat the previous point's.
   */
  private insertPeakPoint(t: Timeline, fam: number[][] | undefined): void {
    let at = 0;
    while (at < t.timeMs.length - 1 && t.timeMs[at] <= t.peak.timeMs) at++;
    t.timeMs.splice(at, 0, t.peak.timeMs);
    t.heapBytes.splice(at, 0, t.peak.bytes);
    t.rssBytes.splice(at, 0, null);
    t.allocatedBytes.splice(at, 0, 0);
    t.allocationCount.splice(at, 0, 0);
    t.temporaryCount?.splice(at, 0, 0);
    fam?.forEach((col) => col.splice(at, 0, col[Math.max(0, at - 1)]));
  }

  /**
   * The heap's high points between memory records, by fine interval v (after memory record v-1,
   * at or before record v; v = n after the last one): every time bucket's peak that an
   * allocation record reached, with the live bytes per allocator family then. The capture's peak
   * is among them (its bucket's peak); it is set from the peak snapshot to be exact whatever the
   * bucket width.
   */
  private peaksBetweenRecords(): Map<number, { heap: number; families?: number[] }> {
    const b = this.b;
    const keys = this.keys;
    const time = this.time;
    const out = new Map<number, { heap: number; families?: number[] }>();
    if (b.aggregated) return out;
    // live bytes per family at each bucket's start, carried forward through the changes
    const famStart = new Float64Array(FAMILIES.length);
    for (let bk = 0; bk < time.bucketCount; bk++) {
      const v = time.peakIntervalOf(bk);
      if (v >= 0) {
        const families = Array.from(famStart);
        time.addPeakChangeBytes(bk, keys.family, families);
        out.set(v, { heap: time.peakBytesOf(bk), families });
      }
      time.addChangeBytes(bk, keys.family, famStart);
    }
    if (b.heap.peakIndex >= 0) {
      const families = new Array<number>(FAMILIES.length).fill(0);
      for (let k = 0; k < keys.count; k++) families[keys.family[k]] += keys.peakBytes[k];
      out.set(b.peakFine, { heap: b.peak, families });
    }
    return out;
  }

  /** The heap line at full resolution (`heapLine`), with the temporaries where the capture has them. */
  timeline(options: { temporaryThreshold?: number } = {}): Timeline | undefined {
    const tmp = this.captureInfo.capabilities.temporaryThresholds && !this.b.aggregated;
    return this.heapLine(tmp ? (options.temporaryThreshold ?? DEFAULT_TEMPORARY_THRESHOLD) : undefined);
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const b = this.b;
    const keys = this.keys;
    const v = this.values(spec);
    const threads = filter?.threads ? new Set(filter.threads) : undefined;
    const allowed = filter?.allocators ? new Set(filter.allocators) : undefined;
    const byAlloc = new Map<
      string,
      { name: string; family: AllocatorFamily; bytes: number; count: number }
    >();
    const famBytes = new Float64Array(FAMILIES.length);
    const famCount = new Float64Array(FAMILIES.length);
    const famAllBytes = new Float64Array(FAMILIES.length);
    const famAllCount = new Float64Array(FAMILIES.length);
    for (let k = 0; k < keys.count; k++) {
      if (threads && !threads.has(b.threadTid[keys.thread[k]])) continue;
      const name = ALLOCATOR_NAMES[keys.allocator[k]];
      if (allowed && !allowed.has(name)) continue;
      const fam = keys.family[k];
      famAllBytes[fam] += keys.allCount[k] > 0 ? keys.allBytes[k] : 0;
      famAllCount[fam] += keys.allCount[k];
      if (v.count[k] === 0 && v.bytes[k] === 0) continue;
      const family = FAMILIES[fam];
      const id = `${name}\0${family}`;
      let row = byAlloc.get(id);
      if (!row) byAlloc.set(id, (row = { name, family, bytes: 0, count: 0 }));
      row.bytes += v.bytes[k];
      row.count += v.count[k];
      famBytes[fam] += v.bytes[k];
      famCount[fam] += v.count[k];
    }
    const families = (bytes: Float64Array, count: Float64Array) =>
      FAMILIES.map((family, i) => ({ family, bytes: bytes[i], count: count[i] })).filter(
        (f) => f.count !== 0 || f.bytes !== 0,
      );
    return {
      pythonAllocator: this.captureInfo.facts.pythonAllocator,
      byAllocator: [...byAlloc.values()].sort((x, y) => y.bytes - x.bytes),
      byFamily: families(famBytes, famCount),
      byFamilyAll: b.aggregated ? undefined : families(famAllBytes, famAllCount),
      histogram: this.histogram().map((h): SizeBin => ({
        minBytes: h.minBytes,
        maxBytes: h.maxBytes,
        count: h.count,
      })),
      pymallocThresholdBytes: PYMALLOC_THRESHOLD,
      attributionNote: this.captureInfo.facts.nativeTraces
        ? 'mmap records whose native stack passes through libjemalloc / libmimalloc (by the capture’s segment file names) count as jemalloc / mimalloc; the histogram covers every allocation of the capture.'
        : 'This capture has no native traces (`memray run --native`), so mmap calls cannot be attributed to jemalloc or mimalloc; they count as mmap.',
    };
  }

  /**
   * memray stats' 10 log-scale bins (docs/formats/memray-format.md §13.8) over every
   * non-deallocation record.
   */
  histogram(): MemraySizeBin[] {
    return this.b.aggregated ? [] : memraySizeHistogram([this.b]);
  }

  /** memray stats' top locations: innermost Python frame, ties to the later-seen location. */
  topLocations(
    count: Float64Array,
    bytes: Float64Array,
    n: number,
  ): { bySize: { location: string; size: number }[]; byCount: { location: string; count: number }[] } {
    const keys = this.keys;
    const frames = this.pyFrames;
    const v12 = this.meta.headerVersion >= 12;
    const groups = new Map<number, { id: number; size: number; count: number }>();
    for (let k = 0; k < keys.count; k++) {
      if (count[k] === 0 && bytes[k] === 0) continue;
      const py = keys.py[k];
      const frame = py > 0 ? this.pyStacks.frame[py] : -1;
      const id = frame < 0 ? -1 : v12 ? frames.frameLoc[frame] : frame;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { id, size: 0, count: 0 }));
      g.size += bytes[k];
      g.count += count[k];
    }
    const list = [...groups.values()];
    const loc = (id: number): string => {
      if (id < 0) return '<stack trace unavailable>';
      return frames.locationText(v12 ? id : frames.frameLoc[id]);
    };
    // max-heap on (value, location id): larger id (seen later) first; unknown (-1) last
    const bySize = [...list].sort((x, y) => y.size - x.size || y.id - x.id).slice(0, n);
    const byCount = [...list].sort((x, y) => y.count - x.count || y.id - x.id).slice(0, n);
    return {
      bySize: bySize.map((g) => ({ location: loc(g.id), size: g.size })),
      byCount: byCount.map((g) => ({ location: loc(g.id), count: g.count })),
    };
  }

  statsJson(options: StatsOptions): MemrayStatsJson {
    const b = this.b;
    const keys = this.keys;
    const top = options.top ?? 10;
    const n = keys.count;
    const facts = this.captureInfo.facts;
    const threads = b.threadTid.map((tid, slot) => ({ id: tid, label: this.threadLabel(slot) }));
    const common = {
      format: 'memray' as const,
      headerVersion: this.meta.headerVersion,
      pythonVersion: this.meta.pythonVersion ?? null,
      fileFormat: facts.fileFormat ?? 'all',
      truncated: this.captureInfo.truncated,
      threads,
      durationMs: this.meta.durationMs,
    };
    const distribution = (counts: Float64Array): Record<string, number> => {
      const entries: [string, number][] = [];
      for (let a = 1; a < 16; a++) if (counts[a] > 0) entries.push([ALLOCATOR_NAMES[a], counts[a]]);
      const seen = (name: string) =>
        b.allocatorOrder.indexOf(ALLOCATOR_NAMES.indexOf(name as (typeof ALLOCATOR_NAMES)[number]));
      entries.sort((x, y) => y[1] - x[1] || seen(y[0]) - seen(x[0]));
      return Object.fromEntries(entries);
    };
    if (options.range) {
      if (this.totalsOnly)
        throw new UnsupportedQuery('stats --range: the capture was opened for totals only');
      this.requireTime('stats --range');
      const [b1, b2] = this.rangeBuckets(options.range.fromMs, options.range.toMs);
      const alloc = this.time.allocatedIn(b1, b2);
      const surv = this.time.survivorsIn(b1, b2);
      const p = this.rangePeak(b1, b2, options.range.fromMs, options.range.toMs);
      const perAlloc = new Float64Array(16);
      for (let k = 0; k < n; k++) perAlloc[keys.allocator[k]] += alloc.count[k];
      const t = this.topLocations(alloc.count, alloc.bytes, top);
      return {
        ...common,
        totalAllocations: keys.sum(alloc.count),
        totalBytesAllocated: keys.sum(alloc.bytes),
        peakMemory: p.heap,
        peakTimeMs: p.timeMs,
        leakedBytes: keys.sum(surv.bytes),
        allocatorDistribution: distribution(perAlloc),
        // Sizes are not kept per bucket (memray's bins span the range's own smallest to largest
        // size, so an exact range histogram needs every distinct size per bucket: up to buckets ×
        // distinct sizes of index); the histogram stays the whole capture's.
        sizeHistogram: this.histogram(),
        topBySize: t.bySize,
        topByCount: t.byCount,
        range: { fromMs: this.time.startTimeMs(b1), toMs: this.time.endTimeMs(b2) },
      };
    }
    if (b.aggregated) {
      // memray refuses `stats` on aggregated files; we report what they hold (HWM per location).
      const perAlloc = new Float64Array(16);
      for (let k = 0; k < n; k++) perAlloc[keys.allocator[k]] += keys.peakCount[k];
      const t = this.topLocations(keys.peakCount, keys.peakBytes, top);
      return {
        ...common,
        totalAllocations: null,
        totalBytesAllocated: null,
        peakMemory: b.peak,
        peakTimeMs: this.peakTimeMs(),
        leakedBytes: keys.sum(keys.liveBytes),
        allocatorDistribution: distribution(perAlloc),
        sizeHistogram: [],
        topBySize: t.bySize,
        topByCount: t.byCount,
      };
    }
    const t = this.topLocations(keys.allCount, keys.allBytes, top);
    return {
      ...common,
      totalAllocations: b.totalAllocations,
      totalBytesAllocated: b.totalBytes,
      peakMemory: b.peak,
      peakTimeMs: this.peakTimeMs(),
      leakedBytes: b.leakedBytes(),
      allocatorDistribution: distribution(b.allocatorCount),
      sizeHistogram: this.histogram(),
      topBySize: t.bySize,
      topByCount: t.byCount,
    };
  }

  /** memray `transform csv` (high-water mark, or `--leaks`): same columns, same rows. */
  exportTable(kind: 'memray-csv', options: { leaks: boolean }): string {
    if (kind !== 'memray-csv') throw new UnsupportedQuery(`unknown table export ${String(kind)}`);
    return pythonCsv(MEMRAY_CSV_COLUMNS, this.csvRows(options.leaks));
  }

  /**
   * memray's CSV groups: `transform csv` aggregates with merge_threads on, so a group is a
   * (Python node, native node) pair; its allocator and thread columns come from one member
   * (memray keeps whichever record its hash map yields first). We pick the earliest simple
   * allocation's key (memray visits simple allocations before mmap ranges); `members` lists
   * every (allocator, thread) the group holds.
   */
  csvGroups(leaks: boolean): {
    alloc: number;
    slot: number;
    py: number;
    nat: number;
    gen: number;
    count: number;
    bytes: number;
    members: { alloc: number; slot: number }[];
  }[] {
    const b = this.b;
    const keys = this.keys;
    type G = {
      alloc: number;
      slot: number;
      py: number;
      nat: number;
      gen: number;
      count: number;
      bytes: number;
      ranged: boolean;
      members: { alloc: number; slot: number }[];
    };
    const groups = new Map<string, G>();
    const add = (k: number, c: number, by: number, aggQuirk: boolean) => {
      const id = `${keys.py[k]}:${keys.native[k]}`;
      const ranged = keys.allocator[k] === A_MMAP;
      const g = groups.get(id);
      if (!g) {
        groups.set(id, {
          alloc: keys.allocator[k],
          slot: keys.thread[k],
          py: keys.py[k],
          nat: keys.native[k],
          gen: keys.generation[k],
          count: c,
          bytes: by,
          ranged,
          members: [{ alloc: keys.allocator[k], slot: keys.thread[k] }],
        });
        return;
      }
      // memray re-aggregating an aggregated file adds 1 per merged record, not its count
      g.count += aggQuirk ? 1 : c;
      g.bytes += by;
      g.members.push({ alloc: keys.allocator[k], slot: keys.thread[k] });
      if (g.ranged && !ranged && !aggQuirk) {
        g.ranged = false;
        g.alloc = keys.allocator[k];
        g.slot = keys.thread[k];
        g.gen = keys.generation[k];
      }
    };
    if (b.aggregated) {
      const r = b.aggRecords;
      for (let i = 0; i < r.length; i += 5) {
        const c = leaks ? r[i + 3] : r[i + 1];
        const by = leaks ? r[i + 4] : r[i + 2];
        if (c !== 0) add(r[i], c, by, true);
      }
    } else {
      const count = leaks ? keys.liveCount : keys.peakCount;
      const bytes = leaks ? keys.liveBytes : keys.peakBytes;
      for (let k = 0; k < keys.count; k++) if (count[k] > 0) add(k, count[k], bytes[k], false);
    }
    return [...groups.values()];
  }

  /** Rows of memray's CSV, one per group. */
  csvRows(leaks: boolean, opts: { pythonOnly?: boolean; untrimmed?: boolean } = {}): (string | number)[][] {
    const b = this.b;
    return this.csvGroups(leaks).map((g) => [
      ALLOCATOR_NAMES[g.alloc],
      g.count,
      g.bytes,
      b.threadTid[g.slot],
      this.threadLabel(g.slot),
      this.stackString(g.py, g.nat, g.gen, g.slot, opts),
    ]);
  }

  stackString(
    py: number,
    nat: number,
    gen: number,
    slot: number,
    opts: { pythonOnly?: boolean; untrimmed?: boolean },
  ): string {
    const frames = this.pyFrames;
    const parts: string[] = [];
    if (nat > 0 && !opts.pythonOnly) {
      for (const ip of this.nativeIps(nat)) {
        const l = this.nativeLabel(gen, ip);
        parts.push(`${l.name};${l.file};0`);
      }
    }
    for (const f of this.pythonFrames(py, slot, !opts.untrimmed)) {
      const l = frames.frameLoc[f];
      parts.push(`${frames.locFunc[l]};${frames.locFile[l]};${frames.locLine[l]}`);
    }
    return parts.join('|');
  }
}

/** A time in ms as typed (`--from 120.5` → "120.5 ms"), to the µs. */
function msText(ms: number): string {
  return `${Number(ms.toFixed(3))} ms`;
}

/** Allocation sizes counted by size: below 65536 by index, larger ones in a map. */
export interface SizeCounts {
  smallSizes: ArrayLike<number>;
  largeSizes: Map<number, number>;
}

/**
 * memray stats' 10 log-scale bins (docs/formats/memray-format.md §13.8) over the sizes of every table
 * given: the bins span the
 * smallest non-zero to the largest size of them all, so several processes' sizes merge by size
 * into one set of bins (not one process's bins after another's).
 */
export function memraySizeHistogram(tables: SizeCounts[]): MemraySizeBin[] {
  let minNz = Infinity;
  let max = -1;
  for (const t of tables) {
    for (let s = 0; s < 65536; s++) {
      if (t.smallSizes[s] === 0) continue;
      if (s > 0 && s < minNz) minNz = s;
      if (s > max) max = s;
    }
    for (const s of t.largeSizes.keys()) {
      if (s < minNz) minNz = s;
      if (s > max) max = s;
    }
  }
  if (max <= 0 || minNz === Infinity) return [];
  let low = Math.log(minNz);
  const high = Math.log(max);
  if (low === high) low = low / 2;
  const step = (high - low) / 10;
  const bounds: number[] = [];
  for (let i = 0; i < 10; i++) bounds.push(Math.trunc(Math.exp(low + step * (i + 1))));
  const counts = new Array<number>(10).fill(0);
  const add = (s: number, c: number) => {
    const bin = s === 0 ? 0 : Math.min(Math.floor((Math.log(s) - low) / step), 9);
    counts[Math.max(0, bin)] += c;
  };
  for (const t of tables) {
    for (let s = 0; s < 65536; s++) if (t.smallSizes[s] > 0) add(s, t.smallSizes[s]);
    for (const [s, c] of t.largeSizes) add(s, c);
  }
  return counts.map((count, i) => ({
    minBytes: i === 0 ? 0 : bounds[i - 1],
    maxBytes: i === 9 ? bounds[9] : bounds[i] - 1,
    count,
  }));
}
