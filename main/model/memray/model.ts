import Papa from 'papaparse';
import type {
  AllocatorBreakdown,
  AllocatorFamily,
  CaptureInfo,
  SizeBin,
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
import { elfSymbols, symbolAt, type ElfSymbols } from '../../formats/memray/elf';
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
    for (let n = node; n > 0; n = b.nodeParent[n]) out.push(b.nodeFrame[n]);
    if (trim && b.threadTid[slot] === this.meta.mainTid) {
      const keep = Math.max(out.length - this.meta.skippedFramesOnMainTid, 0);
      out.length = keep;
    }
    return out;
  }

  /** Native (ip) nodes of a native stack id, innermost first. */
  nativeIps(nat: number): number[] {
    const out: number[] = [];
    for (let n = nat, guard = 0; n > 0 && guard < 4096; n = this.b.natParent[n], guard++)
      out.push(this.b.natIp[n]);
    return out;
  }

  /**
   * A native frame's label: the function from the library's ELF symbols when that library exists
   * here with the very segments the capture recorded, else `libfoo.so+0x1a2b` (offset from the
   * load address); `0x…` when no mapping contains the ip.
   */
  nativeLabel(gen: number, ip: number): { name: string; file: string } {
    const segs = this.b.generations[gen] ?? [];
    for (const s of segs) {
      if (ip >= s.start && ip < s.end) {
        const offset = ip - s.loadAddr;
        const elf = this.symbolsFor(gen, s.file);
        // memray symbolizes ip - 1: a return address points just past the call
        const sym = elf ? symbolAt(elf, offset - 1) : undefined;
        if (sym) return { name: sym, file: s.file };
        const base = s.file.slice(s.file.lastIndexOf('/') + 1) || s.file;
        return { name: `${base}+0x${offset.toString(16)}`, file: s.file };
      }
    }
    return { name: `0x${ip.toString(16)}`, file: '<unknown>' };
  }

  private readonly elfVerdict = new Map<string, ElfSymbols | null>();

  /** The library's symbols, if its PT_LOAD segments equal what the capture recorded for it. */
  private symbolsFor(gen: number, file: string): ElfSymbols | null {
    const k = `${gen}\0${file}`;
    let v = this.elfVerdict.get(k);
    if (v !== undefined) return v;
    v = null;
    if (file.startsWith('/')) {
      const elf = elfSymbols(file);
      if (elf && elf.start.length > 0) {
        const recorded = (this.b.generations[gen] ?? [])
          .filter((s) => s.file === file)
          .map((s) => [s.start - s.loadAddr, s.end - s.start]);
        const same =
          recorded.length === elf.loads.length &&
          recorded.every(([va, sz], i) => va === elf.loads[i][0] && sz === elf.loads[i][1]);
        if (same) v = elf;
      }
    }
    this.elfVerdict.set(k, v);
    return v;
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
          label: `peak (${fmtBytes(this.peakBytes())})`,
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
        return { ...v, label: `alive at ${(b.bEndTime.get(bk) / 1000).toFixed(3)} s` };
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
    }
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

  private sum(a: Float64Array, n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }

  summary(range?: { fromMs: number; toMs: number }) {
    const b = this.b;
    const n = b.keyCount;
    const rss = b.tRss.view();
    const heap = b.tHeap.view();
    const base = {
      info: this.captureInfo,
      rssAtEndBytes: rss.length ? rss[rss.length - 1] : undefined,
      heapAtEndBytes: b.aggregated ? (heap.length ? heap[heap.length - 1] : undefined) : b.current,
    };
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
        heapAtEndBytes: b.bEndHeap.get(b2),
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
    } satisfies Omit<Summary, 'topSites' | 'findings'>;
  }

  timeline(maxPoints: number): Timeline | undefined {
    const b = this.b;
    const n = b.tTime.length;
    if (n === 0) return undefined;
    const time = b.tTime.view();
    const heap = b.tHeap.view();
    const rss = b.tRss.view();
    const ac = b.tAllocCount.view();
    const ab = b.tAllocBytes.view();
    const per = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
    const out: Timeline = {
      timeMs: [],
      heapBytes: [],
      rssBytes: [],
      allocatedBytes: [],
      allocationCount: [],
      peak: { timeMs: this.peakTimeMs(), bytes: this.peakBytes() },
      durationMs: this.meta.durationMs,
    };
    const fam = b.aggregated
      ? undefined
      : FAMILIES.map((f, i) => ({ family: f, src: b.tFam[i].view(), bytes: [] as number[] }));
    for (let s = 0; s < n; s += per) {
      const e = Math.min(n, s + per);
      // keep the sample with the highest heap in each pixel bucket so the peak survives
      let best = s;
      let sumC = 0;
      let sumB = 0;
      for (let i = s; i < e; i++) {
        if (heap[i] >= heap[best]) best = i;
        sumC += ac[i];
        sumB += ab[i];
      }
      out.timeMs.push(time[best]);
      out.heapBytes.push(heap[best]);
      out.rssBytes.push(rss[best]);
      out.allocatedBytes.push(sumB);
      out.allocationCount.push(sumC);
      if (fam) for (const f of fam) f.bytes.push(f.src[best]);
    }
    if (fam) {
      out.byFamily = fam
        .filter((f) => f.bytes.some((x) => x !== 0))
        .map((f) => ({ family: f.family, bytes: f.bytes }));
    }
    if (this.captureInfo.truncated) out.truncatedAtMs = b.lastTimeMs;
    return out;
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

  /** memray stats' 10 log-scale bins (§13.8) over every non-deallocation record. */
  histogram(): MemraySizeBin[] {
    const b = this.b;
    if (b.aggregated) return [];
    let minNz = Infinity;
    let max = -1;
    for (let s = 0; s < 65536; s++) {
      if (b.smallSizes[s] === 0) continue;
      if (s > 0 && s < minNz) minNz = s;
      if (s > max) max = s;
    }
    for (const s of b.largeSizes.keys()) {
      if (s < minNz) minNz = s;
      if (s > max) max = s;
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
    for (let s = 0; s < 65536; s++) if (b.smallSizes[s] > 0) add(s, b.smallSizes[s]);
    for (const [s, c] of b.largeSizes) add(s, c);
    return counts.map((count, i) => ({
      minBytes: i === 0 ? 0 : bounds[i - 1],
      maxBytes: i === 9 ? bounds[9] : bounds[i] - 1,
      count,
    }));
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

function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
