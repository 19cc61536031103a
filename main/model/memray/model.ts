import Papa from 'papaparse';
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
import { UnsupportedQuery, type CaptureModel, type StatsOptions } from '../capture-model';
import { FrameTable } from '../frame-table';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import { StackTrie } from '../stack-trie';
import { MemrayTotalsBuilder } from './totals-builder';
import { downsampleTimeline } from '../../query/timeline-lod';
import type { GrowthSeries } from '../../query/growth';
import { temporaryLabel } from '../../../shared/snapshot-label';
import { DEFAULT_TEMPORARY_THRESHOLD, TEMPORARY_THRESHOLDS, thresholdClass } from './temporary';
import { offsetLabel, type NativeObject, type Symbolizer } from '../symbolizer';
import {
  A_MMAP,
  ALLOCATOR_NAMES,
  FAMILIES,
  MemrayIndexBuilder,
  R,
  RECORD_TYPES,
  type RecordTypeName,
} from './builder';

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

/** Per-key (count, bytes) vectors: the currency of every snapshot kind. */
interface KeyValues {
  count: Float64Array;
  bytes: Float64Array;
  label: string;
}

const PYMALLOC_THRESHOLD = 512;

/**
 * Queries over a MemrayIndexBuilder (the index built in one pass). Nothing here re-reads the
 * file: snapshots of any kind come from per-key totals or from the time-bucket index.
 */
export class MemrayModel implements CaptureModel {
  private readonly frames = new FrameTable();
  private readonly stacks = new StackTrie();
  private leafFull?: Int32Array;
  private leafPython?: Int32Array;
  private readonly nativeFrameIds = new Map<string, number>();

  constructor(
    readonly b: MemrayIndexBuilder,
    private readonly captureInfo: CaptureInfo,
    readonly meta: MemrayModelMeta,
    /** Names native frames (main/symbols); without one they stay `libfoo.so+0x1a2b`. */
    private readonly symbolizer?: Symbolizer,
  ) {}

  info(): CaptureInfo {
    return this.captureInfo;
  }

  get totalsOnly(): boolean {
    return this.b instanceof MemrayTotalsBuilder;
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
    const b = this.b;
    const out: number[] = [];
    // The reader only accepts parents defined before their child, so every walk ends at the
    // root; the step bound keeps a model built some other way from looping.
    for (
      let n = node, steps = 0;
      n > 0 && n < b.nodeCount && steps < b.nodeCount;
      n = b.nodeParent[n], steps++
    )
      out.push(b.nodeFrame[n]);
    if (trim && b.threadTid[slot] === this.meta.mainTid) {
      const keep = Math.max(out.length - this.meta.skippedFramesOnMainTid, 0);
      out.length = keep;
    }
    return out;
  }

  /** Native (ip) nodes of a native stack id, innermost first. */
  nativeIps(nat: number): number[] {
    const out: number[] = [];
    const b = this.b;
    for (let n = nat, guard = 0; n > 0 && n < b.natCount && guard < 4096; n = b.natParent[n], guard++)
      out.push(b.natIp[n]);
    return out;
  }

  /**
   * A native frame's label: the function the symbolizer finds for the object mapped at `ip` (it
   * checks that its copy of the object is the one the capture recorded), else
   * `libfoo.so+0x1a2b` (offset from the load address); `0x…` when no mapping contains the ip.
   */
  nativeLabel(gen: number, ip: number): { name: string; file: string } {
    const segs = this.b.generations[gen] ?? [];
    for (const s of segs) {
      if (ip >= s.start && ip < s.end) {
        const offset = ip - s.loadAddr;
        const name = this.symbolizer
          ? this.symbolizer.nativeName(this.nativeObject(gen, s.file, s.loadAddr), offset)
          : offsetLabel(s.file, offset);
        return { name, file: s.file };
      }
    }
    return { name: `0x${ip.toString(16)}`, file: '<unknown>' };
  }

  private readonly nativeObjects = new Map<string, NativeObject>();

  /** The object mapped at `loadAddr` in generation `gen`, with every segment recorded for it. */
  private nativeObject(gen: number, file: string, loadAddr: number): NativeObject {
    const k = `${gen}\0${loadAddr}\0${file}`;
    let o = this.nativeObjects.get(k);
    if (!o) {
      const segments = (this.b.generations[gen] ?? [])
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
    const b = this.b;
    const loc = b.frameLoc[frame];
    return this.frames.intern(b.locFunc[loc], b.locFile[loc], b.locLine[loc], 'python');
  }

  /** StackTrie leaf of a key: Python frames outermost first, then native frames (innermost last). */
  leaf(k: number, pythonOnly: boolean): number {
    const b = this.b;
    let memo = pythonOnly ? this.leafPython : this.leafFull;
    if (!memo || memo.length < b.keyCount) {
      const grown = new Int32Array(Math.max(b.keyCount, 16)).fill(-1);
      if (memo) grown.set(memo);
      memo = grown;
      if (pythonOnly) this.leafPython = memo;
      else this.leafFull = memo;
    }
    if (memo[k] >= 0) return memo[k];
    let node = 0;
    const py = this.pythonFrames(b.keyPy[k], b.keyThr[k]);
    for (let i = py.length - 1; i >= 0; i--) node = this.stacks.child(node, this.pythonFrameId(py[i]));
    if (!pythonOnly && b.keyNat[k] > 0) {
      const ips = this.nativeIps(b.keyNat[k]);
      const ids = ips.map((ip) => this.nativeFrameId(b.keyGen[k], ip));
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

  private get bucketCount(): number {
    return this.b.bStartHeap.length;
  }

  private requireTime(what: string): void {
    if (this.b.aggregated || this.bucketCount === 0) {
      throw new UnsupportedQuery(
        `${what} needs an all-allocations memray capture with memory records (this one has no time index)`,
      );
    }
  }

  /** The bucket that contains time t (ms from start): first bucket ending at or after t. */
  private bucketAt(t: number): number {
    const ends = this.b.bEndTime.view();
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] >= t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Live set at the start of bucket `bk` = Σ full deltas of the buckets before it. */
  private liveAtBucketStart(bk: number): { count: Float64Array; bytes: Float64Array } {
    const b = this.b;
    const count = new Float64Array(b.keyCount);
    const bytes = new Float64Array(b.keyCount);
    const end = b.bEntOff[bk];
    for (let e = 0; e < end; e++) {
      count[b.eKey[e]] += b.eDeltaC[e];
      bytes[b.eKey[e]] += b.eDeltaB[e];
    }
    return { count, bytes };
  }

  private rangeBuckets(fromMs: number, toMs: number): [number, number] {
    if (!(toMs >= fromMs)) throw new UnsupportedQuery(`bad range ${fromMs}:${toMs}`);
    // A finished capture ends at its header's end time: a range wholly after that holds nothing,
    // and answering with the last bucket's numbers would invent them. A capture cut short (killed,
    // fork child) has records after its last timestamp, so its end is not known.
    const end = Math.max(this.meta.durationMs, this.b.bEndTime.get(this.bucketCount - 1));
    if (!this.captureInfo.truncated && fromMs > end)
      throw new UnsupportedQuery(
        `the range ${fromMs}:${toMs} ms starts after the capture ends (${Math.round(end)} ms)`,
      );
    return [this.bucketAt(fromMs), this.bucketAt(toMs)];
  }

  private values(spec: SnapshotSpec): KeyValues {
    const b = this.b;
    const n = b.keyCount;
    switch (spec.kind) {
      case 'peak':
        return {
          count: b.peakCount.subarray(0, n),
          bytes: b.peakBytes.subarray(0, n),
          // No size in the label: every view shows the snapshot's total beside it, in the user's units.
          label: 'peak',
        };
      case 'leaks':
        return {
          count: b.liveCount.subarray(0, n),
          bytes: b.liveBytes.subarray(0, n),
          label: 'alive at end of tracking',
        };
      case 'all':
        if (b.aggregated)
          throw new UnsupportedQuery('aggregated memray captures do not hold every allocation');
        return {
          count: b.allCount.subarray(0, n),
          bytes: b.allBytes.subarray(0, n),
          label: 'all allocations',
        };
      case 'at': {
        this.requireTime('a snapshot at a moment');
        const bk = this.bucketAt(spec.timeMs);
        const v = this.liveAtBucketStart(bk + 1 <= this.bucketCount ? bk + 1 : bk);
        // The moment as chosen, in the unit it was chosen in (ms), then the memory record whose
        // live set answers it.
        const record = b.bEndTime.get(bk);
        const asOf = record !== spec.timeMs ? ` (as of the memory record at ${msText(record)})` : '';
        return { ...v, label: `alive at ${msText(spec.timeMs)}${asOf}` };
      }
      case 'range': {
        this.requireTime('a range snapshot');
        const [b1, b2] = this.rangeBuckets(spec.fromMs, spec.toMs);
        const label = `${(b.bStartTime.get(b1) / 1000).toFixed(3)}–${(b.bEndTime.get(b2) / 1000).toFixed(3)} s`;
        if (spec.measure === 'allocated') return { ...this.allocatedIn(b1, b2), label: `allocated ${label}` };
        if (spec.measure === 'live-at-end')
          return { ...this.survivorsIn(b1, b2), label: `allocated ${label}, alive at its end` };
        const { bucket } = this.rangePeak(b1, b2, spec.fromMs, spec.toMs);
        const live = this.liveAtBucketStart(bucket);
        for (let e = b.bEntOff[bucket]; e < b.bEntOff[bucket + 1]; e++) {
          live.count[b.eKey[e]] += b.ePeakC[e];
          live.bytes[b.eKey[e]] += b.ePeakB[e];
        }
        return { ...live, label: `peak in ${label}` };
      }
      case 'temporary': {
        const threshold = this.temporaryThreshold(spec.threshold);
        return {
          ...b.temporary.perKey(threshold, n),
          label: temporaryLabel(threshold),
        };
      }
    }
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
    if (b.aggregated || this.totalsOnly) return undefined;
    const v = b.temporary.perKey(this.temporaryThreshold(n), b.keyCount);
    const count = this.sum(v.count, b.keyCount);
    const out: TemporaryTotals = { threshold: n, count, bytes: this.sum(v.bytes, b.keyCount) };
    // the site (innermost Python frame) with the most temporaries; later-seen locations win ties
    const byLoc = new Map<number, { count: number; bytes: number }>();
    for (let k = 0; k < b.keyCount; k++) {
      if (v.count[k] === 0) continue;
      const py = b.keyPy[k];
      const loc = py > 0 ? b.frameLoc[b.nodeFrame[py]] : -1;
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
        function: b.locFunc[best],
        file: b.locFile[best],
        line: b.locLine[best],
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
    const nb = this.bucketCount;
    if (b.aggregated || nb === 0) return undefined;
    const threads = options.threads ? new Set(options.threads) : undefined;
    const siteOfLoc = new Map<number, number>();
    const locs: number[] = [];
    const siteOfKey = new Int32Array(b.keyCount);
    for (let k = 0; k < b.keyCount; k++) {
      if (threads && !threads.has(b.threadTid[b.keyThr[k]])) {
        siteOfKey[k] = -1;
        continue;
      }
      const py = b.keyPy[k];
      const loc = py > 0 ? b.frameLoc[b.nodeFrame[py]] : -1;
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
      for (; bk < end; bk++) {
        for (let e = b.bEntOff[bk]; e < b.bEntOff[bk + 1]; e++) {
          const s = siteOfKey[b.eKey[e]];
          if (s >= 0) live[s] += b.eDeltaB[e];
        }
      }
      if (end === 0) continue;
      const t = b.bEndTime.get(end - 1);
      // the bucket finish() closes ends at the last memory record's time: one moment, one point
      if (timeMs.length === 0 || t > timeMs[timeMs.length - 1]) timeMs.push(t);
      const col = timeMs.length - 1;
      for (let s = 0; s < sites; s++) matrix[s * points + col] = live[s];
    }
    return {
      timeMs,
      durationMs: this.endTimeMs(),
      sites: locs.map((loc, s) => ({
        function: loc < 0 ? '<stack trace unavailable>' : b.locFunc[loc],
        file: loc < 0 ? '' : b.locFile[loc],
        line: loc < 0 ? 0 : b.locLine[loc],
        live: matrix.subarray(s * points, s * points + timeMs.length),
      })),
    };
  }

  private allocatedIn(b1: number, b2: number): { count: Float64Array; bytes: Float64Array } {
    const b = this.b;
    const count = new Float64Array(b.keyCount);
    const bytes = new Float64Array(b.keyCount);
    for (let e = b.bEntOff[b1]; e < b.bEntOff[b2 + 1]; e++) {
      count[b.eKey[e]] += b.eAllocC[e];
      bytes[b.eKey[e]] += b.eAllocB[e];
    }
    return { count, bytes };
  }

  /** Allocated in buckets b1..b2 and not freed by the end of b2 (memray --temporal intervals). */
  private survivorsIn(b1: number, b2: number): { count: Float64Array; bytes: Float64Array } {
    const b = this.b;
    const v = this.allocatedIn(b1, b2);
    for (let i = b.bIvOff[b1]; i < b.bIvOff[b2 + 1]; i++) {
      const birth = b.iBirth[i];
      if (birth < b1 || birth > b2) continue;
      v.count[b.iKey[i]] -= b.iC[i];
      v.bytes[b.iKey[i]] -= b.iB[i];
    }
    return v;
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
    const peaks = this.b.bPeakHeap.view();
    const where = this.b.bPeakFine.view();
    let best = b1;
    for (let i = b1 + 1; i <= b2; i++) {
      if (peaks[i] > peaks[best] || (peaks[i] === peaks[best] && where[i] >= 0)) best = i;
    }
    const v = where[best];
    const t = this.fineTimeMs(v >= 0 ? v : -v - 2);
    return { bucket: best, heap: peaks[best], timeMs: Math.min(toMs, Math.max(fromMs, t)) };
  }

  /** Time of memory record `f` (-1: the capture start; past the last one: the last one's). */
  private fineTimeMs(f: number): number {
    const b = this.b;
    if (f < 0) return 0;
    return f < b.tTime.length ? b.tTime.get(f) : b.lastTimeMs;
  }

  // ------------------------------------------------------------------ CaptureModel

  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    const b = this.b;
    const v = this.values(spec);
    const threads = filter?.threads ? new Set(filter.threads) : undefined;
    const allocators = filter?.allocators ? new Set(filter.allocators) : undefined;
    const pythonOnly = filter?.pythonOnly === true;
    const sb = new SnapshotBuilder();
    for (let k = 0; k < b.keyCount; k++) {
      const count = v.count[k];
      const bytes = v.bytes[k];
      if (count === 0 && bytes === 0) continue;
      const tid = b.threadTid[b.keyThr[k]] ?? 0;
      if (threads && !threads.has(tid)) continue;
      if (allocators && !allocators.has(ALLOCATOR_NAMES[b.keyAlloc[k]])) continue;
      sb.add(this.leaf(k, pythonOnly), tid, b.keyAlloc[k], bytes, count);
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
    const b = this.b;
    if (b.aggregated) {
      // MEMORY_SNAPSHOTs carry the heap: the last one at the maximum.
      const heap = b.tHeap.view();
      let best = 0;
      for (let i = 0; i < heap.length; i++) if (heap[i] >= heap[best]) best = i;
      return heap.length ? b.tTime.get(best) : 0;
    }
    // The peak happened between memory records peakFine-1 and peakFine; report the latter.
    if (b.peakFine < b.tTime.length) return b.tTime.get(b.peakFine);
    return b.lastTimeMs;
  }

  /**
   * RSS and heap as memory record `f` measured them, one moment for both (the heap after every
   * record before it, the RSS the record carries); nothing when there is no such record.
   */
  private atMemoryRecord(f: number): Pick<Summary, 'rssAtEndBytes' | 'heapAtEndBytes' | 'atEndTimeMs'> {
    const b = this.b;
    if (f < 0 || f >= b.tTime.length) return {};
    return { rssAtEndBytes: b.tRss.get(f), heapAtEndBytes: b.tHeap.get(f), atEndTimeMs: b.tTime.get(f) };
  }

  /** `atMemoryRecord` of the last memory record at or before `t` (ms from start). */
  atOrBefore(t: number): Pick<Summary, 'rssAtEndBytes' | 'heapAtEndBytes' | 'atEndTimeMs'> {
    const time = this.b.tTime.view();
    let lo = 0;
    let hi = time.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (time[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return this.atMemoryRecord(lo - 1);
  }

  /** The memory record that closes time bucket `bk` (the last one for the bucket after it). */
  private lastRecordOf(bk: number): number {
    return Math.min(((bk + 1) << this.b.bucketShift) - 1, this.b.tTime.length - 1);
  }

  private sum(a: Float64Array, n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }

  summary(range?: { fromMs: number; toMs: number }) {
    const b = this.b;
    const n = b.keyCount;
    const base = { info: this.captureInfo, ...this.atMemoryRecord(b.tTime.length - 1) };
    if (range) {
      this.requireTime('a range summary');
      const [b1, b2] = this.rangeBuckets(range.fromMs, range.toMs);
      const alloc = this.allocatedIn(b1, b2);
      const surv = this.survivorsIn(b1, b2);
      const p = this.rangePeak(b1, b2, range.fromMs, range.toMs);
      return {
        ...base,
        peakBytes: p.heap,
        peakTimeMs: p.timeMs,
        totalAllocations: this.sum(alloc.count, n),
        totalBytesAllocated: this.sum(alloc.bytes, n),
        leakedBytes: this.sum(surv.bytes, n),
        leakedCount: this.sum(surv.count, n),
        ...this.atMemoryRecord(this.lastRecordOf(b2)),
      };
    }
    return {
      ...base,
      peakBytes: b.peak,
      peakTimeMs: this.peakTimeMs(),
      totalAllocations: b.aggregated ? 0 : b.totalAllocations,
      totalBytesAllocated: b.aggregated ? 0 : b.totalBytes,
      leakedBytes: this.sum(b.liveBytes, n),
      leakedCount: this.sum(b.liveCount, n),
      ...(this.captureInfo.capabilities.temporaryThresholds && { temporary: this.temporaryTotals() }),
    } satisfies Omit<Summary, 'topSites' | 'findings'>;
  }

  /**
   * When tracking stopped, ms from the start: the header's end time, or for a capture cut short
   * (killed, fork child; its header end time is not the real one) the last memory record.
   */
  endTimeMs(): number {
    return Math.max(this.meta.durationMs, this.b.lastTimeMs);
  }

  /**
   * The heap line at full resolution. One point per memory record (heap and RSS sampled
   * together), plus what happens between them: each time bucket's own peak (bPeakHeap, reached
   * by an allocation record after memory record v-1 and at or before record v) as a point at
   * record v's time just before it, like `peakTimeMs()` dates the peak; and a last point, the
   * heap when tracking stopped, at the capture's end. `peakAt` / `endAt` index the peak point
   * (value `peakBytes()`, time `peakTimeMs()`) and the end point. Inserted points carry no RSS
   * (it was not measured then) and no allocations: those stay on the memory record that closes
   * their interval (records after the last memory record go to the end point).
   */
  timelineSeries(
    temporaryThreshold?: number,
  ): { timeline: Timeline; peakAt: number; endAt: number } | undefined {
    const b = this.b;
    const n = b.tTime.length;
    if (n === 0) return undefined;
    // temporaries found per memory-record interval (at their free), threshold N
    const tmpN = temporaryThreshold === undefined ? undefined : this.temporaryThreshold(temporaryThreshold);
    const tmpSrc = tmpN === undefined ? undefined : b.temporary.intervalCounts(tmpN);
    const tmp = tmpSrc ? ([] as number[]) : undefined;
    const time = b.tTime.view();
    const heap = b.tHeap.view();
    const rss = b.tRss.view();
    const ac = b.tAllocCount.view();
    const ab = b.tAllocBytes.view();
    const famSrc = b.aggregated ? undefined : b.tFam.map((f) => f.view());
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
    insertBetween(n, b.lastTimeMs);
    const endMs = this.endTimeMs();
    const endHeap = b.aggregated ? this.sum(b.liveBytes, b.keyCount) : b.current;
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
    if (peakAt < 0) peakAt = this.insertPeakPoint(t, fam);
    if (fam) {
      t.byFamily = FAMILIES.map((family, i) => ({ family, bytes: fam[i] })).filter((f) =>
        f.bytes.some((x) => x !== 0),
      );
    }
    if (this.captureInfo.truncated) t.truncatedAtMs = b.lastTimeMs;
    return { timeline: t, peakAt, endAt: t.timeMs.length - 1 };
  }

  /**
   * Puts the peak point into a series that lacks it: after the last point at or before its time,
   * before the end point (which stays last). Families repeat the previous point's.
   */
  private insertPeakPoint(t: Timeline, fam: number[][] | undefined): number {
    let at = 0;
    while (at < t.timeMs.length - 1 && t.timeMs[at] <= t.peak.timeMs) at++;
    t.timeMs.splice(at, 0, t.peak.timeMs);
    t.heapBytes.splice(at, 0, t.peak.bytes);
    t.rssBytes.splice(at, 0, null);
    t.allocatedBytes.splice(at, 0, 0);
    t.allocationCount.splice(at, 0, 0);
    t.temporaryCount?.splice(at, 0, 0);
    fam?.forEach((col) => col.splice(at, 0, col[Math.max(0, at - 1)]));
    return at;
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
    const out = new Map<number, { heap: number; families?: number[] }>();
    if (b.aggregated) return out;
    const nb = this.bucketCount;
    const peaks = b.bPeakHeap.view();
    const where = b.bPeakFine.view();
    // live bytes per family at each bucket's start, carried forward through the deltas
    const famStart = new Float64Array(FAMILIES.length);
    for (let bk = 0; bk < nb; bk++) {
      const v = where[bk];
      if (v >= 0) {
        const families = Array.from(famStart);
        for (let e = b.bEntOff[bk]; e < b.bEntOff[bk + 1]; e++) families[b.keyFam[b.eKey[e]]] += b.ePeakB[e];
        out.set(v, { heap: peaks[bk], families });
      }
      for (let e = b.bEntOff[bk]; e < b.bEntOff[bk + 1]; e++) famStart[b.keyFam[b.eKey[e]]] += b.eDeltaB[e];
    }
    if (b.peakIndex >= 0) {
      const families = new Array<number>(FAMILIES.length).fill(0);
      for (let k = 0; k < b.keyCount; k++) families[b.keyFam[k]] += b.peakBytes[k];
      out.set(b.peakFine, { heap: b.peak, families });
    }
    return out;
  }

  timeline(maxPoints: number, options: { temporaryThreshold?: number } = {}): Timeline | undefined {
    const tmp = this.captureInfo.capabilities.temporaryThresholds && !this.b.aggregated;
    const s = this.timelineSeries(
      tmp ? (options.temporaryThreshold ?? DEFAULT_TEMPORARY_THRESHOLD) : undefined,
    );
    return s && downsampleTimeline(s.timeline, maxPoints, [s.peakAt, s.endAt]);
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const b = this.b;
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
    for (let k = 0; k < b.keyCount; k++) {
      if (threads && !threads.has(b.threadTid[b.keyThr[k]])) continue;
      const name = ALLOCATOR_NAMES[b.keyAlloc[k]];
      if (allowed && !allowed.has(name)) continue;
      const fam = b.keyFam[k];
      famAllBytes[fam] += b.allCount[k] > 0 ? b.allBytes[k] : 0;
      famAllCount[fam] += b.allCount[k];
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
    const b = this.b;
    const v12 = this.meta.headerVersion >= 12;
    const groups = new Map<number, { id: number; size: number; count: number }>();
    for (let k = 0; k < b.keyCount; k++) {
      if (count[k] === 0 && bytes[k] === 0) continue;
      const py = b.keyPy[k];
      const frame = py > 0 ? b.nodeFrame[py] : -1;
      const id = frame < 0 ? -1 : v12 ? b.frameLoc[frame] : frame;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { id, size: 0, count: 0 }));
      g.size += bytes[k];
      g.count += count[k];
    }
    const list = [...groups.values()];
    const loc = (id: number): string => {
      if (id < 0) return '<stack trace unavailable>';
      const l = v12 ? id : b.frameLoc[id];
      return `${b.locFunc[l]}:${b.locFile[l]}:${b.locLine[l]}`;
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
    const top = options.top ?? 10;
    const n = b.keyCount;
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
      const alloc = this.allocatedIn(b1, b2);
      const surv = this.survivorsIn(b1, b2);
      const p = this.rangePeak(b1, b2, options.range.fromMs, options.range.toMs);
      const perAlloc = new Float64Array(16);
      for (let k = 0; k < n; k++) perAlloc[b.keyAlloc[k]] += alloc.count[k];
      const t = this.topLocations(alloc.count, alloc.bytes, top);
      return {
        ...common,
        totalAllocations: this.sum(alloc.count, n),
        totalBytesAllocated: this.sum(alloc.bytes, n),
        peakMemory: p.heap,
        peakTimeMs: p.timeMs,
        leakedBytes: this.sum(surv.bytes, n),
        allocatorDistribution: distribution(perAlloc),
        // Sizes are not kept per bucket (memray's bins span the range's own smallest to largest
        // size, so an exact range histogram needs every distinct size per bucket: up to buckets ×
        // distinct sizes of index); the histogram stays the whole capture's.
        sizeHistogram: this.histogram(),
        topBySize: t.bySize,
        topByCount: t.byCount,
        range: { fromMs: b.bStartTime.get(b1), toMs: b.bEndTime.get(b2) },
      };
    }
    if (b.aggregated) {
      // memray refuses `stats` on aggregated files; we report what they hold (HWM per location).
      const perAlloc = new Float64Array(16);
      for (let k = 0; k < n; k++) perAlloc[b.keyAlloc[k]] += b.peakCount[k];
      const t = this.topLocations(b.peakCount, b.peakBytes, top);
      return {
        ...common,
        totalAllocations: null,
        totalBytesAllocated: null,
        peakMemory: b.peak,
        peakTimeMs: this.peakTimeMs(),
        leakedBytes: this.sum(b.liveBytes, n),
        allocatorDistribution: distribution(perAlloc),
        sizeHistogram: [],
        topBySize: t.bySize,
        topByCount: t.byCount,
      };
    }
    const t = this.topLocations(b.allCount, b.allBytes, top);
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
    const rows = this.csvRows(options.leaks);
    const text = Papa.unparse(
      { fields: ['allocator', 'num_allocations', 'size', 'tid', 'thread_name', 'stack_trace'], data: rows },
      { newline: '\r\n' },
    );
    // memray ends every row, the header of an empty table included, with exactly one CRLF;
    // papaparse already ends a header-only table with one.
    return text.endsWith('\r\n') ? text : `${text}\r\n`;
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
      const id = `${b.keyPy[k]}:${b.keyNat[k]}`;
      const ranged = b.keyAlloc[k] === A_MMAP;
      const g = groups.get(id);
      if (!g) {
        groups.set(id, {
          alloc: b.keyAlloc[k],
          slot: b.keyThr[k],
          py: b.keyPy[k],
          nat: b.keyNat[k],
          gen: b.keyGen[k],
          count: c,
          bytes: by,
          ranged,
          members: [{ alloc: b.keyAlloc[k], slot: b.keyThr[k] }],
        });
        return;
      }
      // memray re-aggregating an aggregated file adds 1 per merged record, not its count
      g.count += aggQuirk ? 1 : c;
      g.bytes += by;
      g.members.push({ alloc: b.keyAlloc[k], slot: b.keyThr[k] });
      if (g.ranged && !ranged && !aggQuirk) {
        g.ranged = false;
        g.alloc = b.keyAlloc[k];
        g.slot = b.keyThr[k];
        g.gen = b.keyGen[k];
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
      const count = leaks ? b.liveCount : b.peakCount;
      const bytes = leaks ? b.liveBytes : b.peakBytes;
      for (let k = 0; k < b.keyCount; k++) if (count[k] > 0) add(k, count[k], bytes[k], false);
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
    const b = this.b;
    const parts: string[] = [];
    if (nat > 0 && !opts.pythonOnly) {
      for (const ip of this.nativeIps(nat)) {
        const l = this.nativeLabel(gen, ip);
        parts.push(`${l.name};${l.file};0`);
      }
    }
    for (const f of this.pythonFrames(py, slot, !opts.untrimmed)) {
      const l = b.frameLoc[f];
      parts.push(`${b.locFunc[l]};${b.locFile[l]};${b.locLine[l]}`);
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
