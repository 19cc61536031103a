import type { AllocatorFamily } from '../../../shared/api';
import { HeapReplay, type RangeCutListener } from './heap-replay';
import { BIRTH_MASK } from './live-table';
import { F64List, PairMap, growF64, growI32, growU8 } from './tables';
import { TemporaryAllocations } from './temporary';

/**
 * One-pass index of a memray capture. The record parsers (main/formats/memray) drive it with
 * normalized events; it replays the heap exactly as memray does (docs/formats/memray-format.md
 * §13.2–13.3) and keeps only per-key totals, a time index and the timeline, so its size follows the number of
 * distinct (stack, native stack, thread, allocator, generation) keys and time buckets, not
 * the number of records. Live allocations sit in an open-addressing table on typed arrays.
 */

/** Canonical allocator ids: memray's v10/v11 numbering (also its Python `AllocatorType`). */
export const ALLOCATOR_NAMES = [
  '',
  'MALLOC',
  'FREE',
  'CALLOC',
  'REALLOC',
  'POSIX_MEMALIGN',
  'ALIGNED_ALLOC',
  'MEMALIGN',
  'VALLOC',
  'PVALLOC',
  'MMAP',
  'MUNMAP',
  'PYMALLOC_MALLOC',
  'PYMALLOC_CALLOC',
  'PYMALLOC_REALLOC',
  'PYMALLOC_FREE',
] as const;

export const A_FREE = 2;
export const A_MMAP = 10;
export const A_MUNMAP = 11;
export const A_PYMALLOC_FREE = 15;

/** 0 simple allocator, 1 simple deallocator, 2 ranged allocator, 3 ranged deallocator. */
export const ALLOCATOR_KIND = new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 1]);

/** v12/v13 allocator id → canonical id. */
export const V12_TO_CANONICAL = new Uint8Array([0, 15, 12, 13, 14, 2, 1, 4, 3, 5, 6, 7, 8, 9, 10, 11]);

export const FAMILIES: AllocatorFamily[] = ['pymalloc', 'malloc', 'mmap', 'jemalloc', 'mimalloc', 'other'];
const F_PYMALLOC = 0;
const F_MALLOC = 1;
const F_MMAP = 2;
const F_JEMALLOC = 3;
const F_MIMALLOC = 4;

/** Record type names as `memray parse` prints them, for per-type counts. */
export const RECORD_TYPES = [
  'ALLOCATION',
  'ALLOCATION_WITH_NATIVE',
  'FRAME_ID',
  'FRAME_PUSH',
  'FRAME_POP',
  'NATIVE_FRAME_ID',
  'MEMORY_MAP_START',
  'SEGMENT_HEADER',
  'SEGMENT',
  'MEMORY_RECORD',
  'CONTEXT_SWITCH',
  'THREAD',
  'TRAILER',
  'CODE_OBJECT',
  'OBJECT_RECORD',
  'MEMORY_SNAPSHOT',
  'AGGREGATED_ALLOCATION',
  'PYTHON_FRAME_INDEX',
  'PYTHON_TRACE_INDEX',
  'SURVIVING_OBJECT',
  'AGGREGATED_TRAILER',
] as const;
export type RecordTypeName = (typeof RECORD_TYPES)[number];
export const R = Object.fromEntries(RECORD_TYPES.map((n, i) => [n, i])) as Record<RecordTypeName, number>;

export interface Segment {
  file: string;
  loadAddr: number;
  start: number;
  end: number;
}

/** The most coarse time buckets kept; beyond this, neighbours merge pairwise. */
export const MAX_BUCKETS = 2048;
/** Per-key bucket entries (and free intervals) kept before buckets merge: ~35 MB at most. */
export const ENTRY_BUDGET = 400_000;

export class MemrayIndexBuilder {
  // ---- record counts ----
  readonly recordCounts = new Float64Array(RECORD_TYPES.length);
  /** ALLOCATION records of any kind (memray's metadata.total_allocations). */
  allocationRecords = 0;
  objectsCreated = 0;
  objectsDestroyed = 0;

  // ---- code objects, frames, locations ----
  readonly codeName: string[] = [''];
  readonly codeFile: string[] = [''];
  readonly codeFirstLine: number[] = [0];
  readonly codeTable: Uint8Array[] = [new Uint8Array(0)];
  /** memray frame id → location id. */
  frameLoc = new Int32Array(1024);
  frameEntry = new Uint8Array(1024);
  frameCount = 0;
  readonly locFunc: string[] = [];
  readonly locFile: string[] = [];
  readonly locLine: number[] = [];
  private readonly locIndex = new Map<string, number>();
  /** v12 frame interning: (code id, offset/entry) → frame id. */
  readonly frameIntern = new PairMap(10);

  // ---- python stack tree (memray's frame_index nodes) ----
  nodeParent = new Int32Array(4096);
  nodeFrame = new Int32Array(4096);
  nodeCount = 1;
  private readonly nodeChildren = new PairMap(12);

  // ---- native trace tree ----
  natIp = new Float64Array(1024);
  natParent = new Int32Array(1024);
  natCount = 1;
  readonly generations: Segment[][] = [[]];
  generation = 0;

  // ---- threads ----
  readonly threadTid: number[] = [];
  readonly threadName: string[] = [];
  private readonly tidToSlot = new Map<number, number>();
  thread = 0;

  // ---- keys ----
  keyPy = new Int32Array(1024);
  keyNat = new Int32Array(1024);
  keyThr = new Int32Array(1024);
  keyAlloc = new Uint8Array(1024);
  keyGen = new Int32Array(1024);
  keyFam = new Uint8Array(1024);
  keyCount = 0;
  private keyHash = new Int32Array(4096).fill(-1);
  private keyShift = 20;
  allCount = new Float64Array(1024);
  allBytes = new Float64Array(1024);
  liveCount = new Float64Array(1024);
  liveBytes = new Float64Array(1024);
  peakCount = new Float64Array(1024);
  peakBytes = new Float64Array(1024);
  // time-bucket bookkeeping per key
  private startCount = new Float64Array(1024);
  private startBytes = new Float64Array(1024);
  private lpCount = new Float64Array(1024);
  private lpBytes = new Float64Array(1024);
  private startAllCount = new Float64Array(1024);
  private startAllBytes = new Float64Array(1024);
  /** bit 0: changed since the last global-peak sync; bit 1: since the bucket-peak sync; bit 2: touched in the open bucket. */
  private flags = new Uint8Array(1024);
  private gList = new Int32Array(1024);
  private gN = 0;
  private lList = new Int32Array(1024);
  private lN = 0;
  private tList = new Int32Array(1024);
  private tN = 0;
  // one-entry key cache
  private lastPy = -1;
  private lastNat = -1;
  private lastThr = -1;
  private lastAlloc = -1;
  private lastGen = -1;
  private lastKey = -1;

  // ---- the heap: live allocations, mmap ranges, current and peak (memray's rules) ----
  readonly heap = new HeapReplay();
  /** memray's temporary allocations (temporary.ts), for every offered threshold at once. */
  readonly temporary = new TemporaryAllocations();
  /** A munmap's cuts, attributed to the ranges' keys (bound once: no closure per record). */
  private readonly onRangeCut: RangeCutListener = (k, birth, removed, freed) => {
    this.liveCount[k] -= freed;
    this.liveBytes[k] -= removed;
    this.famLive[this.keyFam[k]] -= removed;
    this.mark(k);
    this.recordFree(k, this.birthOf(birth), freed, removed);
  };

  get current(): number {
    return this.heap.current;
  }
  get peak(): number {
    return this.heap.peak;
  }
  set peak(v: number) {
    this.heap.peak = v;
  }
  get peakIndex(): number {
    return this.heap.peakIndex;
  }
  get maxLive(): number {
    return this.heap.maxLiveEntries;
  }
  /** Fine bucket (MEMORY_RECORD count) in which the peak happened. */
  peakFine = 0;
  readonly famLive = new Float64Array(FAMILIES.length);
  readonly famAllBytes = new Float64Array(FAMILIES.length);
  readonly famAllCount = new Float64Array(FAMILIES.length);
  totalAllocations = 0;
  totalBytes = 0;
  readonly allocatorCount = new Float64Array(16);
  /** Allocators in first-seen order (memray's stats ties follow its hash map: latest first). */
  readonly allocatorOrder: number[] = [];
  readonly allocatorBytes = new Float64Array(16);
  /** Sizes < 65536 counted directly; larger ones in a map (rare). */
  readonly smallSizes = new Float64Array(65536);
  readonly largeSizes = new Map<number, number>();

  // ---- timeline (one point per MEMORY_RECORD) ----
  readonly tTime = new F64List(1024);
  readonly tRss = new F64List(1024);
  readonly tHeap = new F64List(1024);
  readonly tAllocCount = new F64List(1024);
  readonly tAllocBytes = new F64List(1024);
  readonly tFam: F64List[] = FAMILIES.map(() => new F64List(1024));
  private intervalCount = 0;
  private intervalBytes = 0;
  /** ms since start of the latest MEMORY_RECORD. */
  lastTimeMs = 0;

  // ---- coarse time buckets ----
  /** Coarse bucket = fine index >> bucketShift. */
  bucketShift = 0;
  readonly bStartHeap = new F64List();
  readonly bEndHeap = new F64List();
  readonly bPeakHeap = new F64List();
  /**
   * Where each bucket's peak (bPeakHeap) happened, at memory-record resolution: v ≥ 0, an
   * ALLOCATION record in fine interval v (after memory record v-1, at or before memory record v;
   * the last such record, memray's `>=` rule); v < 0, the heap at the bucket's start, which is
   * the heap at memory record -v-2 (-1: the capture start).
   */
  readonly bPeakFine = new F64List();
  readonly bEndTime = new F64List();
  readonly bStartTime = new F64List();
  readonly bEntOff: number[] = [0];
  readonly bIvOff: number[] = [0];
  eKey = new Int32Array(4096);
  eAllocC = new Float64Array(4096);
  eAllocB = new Float64Array(4096);
  eDeltaC = new Float64Array(4096);
  eDeltaB = new Float64Array(4096);
  ePeakC = new Float64Array(4096);
  ePeakB = new Float64Array(4096);
  eN = 0;
  iKey = new Int32Array(4096);
  iBirth = new Int32Array(4096);
  iC = new Float64Array(4096);
  iB = new Float64Array(4096);
  iN = 0;
  private bucketStartHeap = 0;
  private bucketStartTime = 0;
  private localPeak = -Infinity;
  /** Fine interval of the last record that reached localPeak. */
  private localPeakFine = 0;
  /** First fine interval of the open bucket. */
  private bucketStartFine = 0;
  /** Frees in the open bucket: (key, birth bucket) → index into the pending arrays. */
  private pendingIv = new PairMap(8);
  private pKey = new Int32Array(256);
  private pBirth = new Int32Array(256);
  private pC = new Float64Array(256);
  private pB = new Float64Array(256);
  private pN = 0;
  /** Per-key cache of the last pending (birth → index) pair, valid while pkStamp == bucketSerial. */
  private pkStamp = new Int32Array(1024).fill(-1);
  private pkBirth = new Int32Array(1024);
  private pkIdx = new Int32Array(1024);
  private bucketSerial = 0;
  fineCount = 0;
  /** Coarse buckets kept before neighbours merge (even; lowered by tests to exercise merging). */
  maxBuckets = MAX_BUCKETS;
  private mergeScratch = new Float64Array(1024);
  private readonly mergeSlots = new PairMap(12);
  private mergeKeys = new Int32Array(1024);
  /** Per-key entries kept before buckets merge (lowered by tests). */
  entryBudget = ENTRY_BUDGET;
  /** Entries the index may hold before merging again, once the budget proved too small. */
  private entryFloor = 0;
  /** Set for aggregated captures (no replay; peak/leak numbers given per key). */
  aggregated = false;

  constructor(readonly nativeTraces: boolean) {
    this.nodeParent[0] = -1;
    this.nodeFrame[0] = -1;
  }

  // ======================= frames and stacks =======================

  internLocation(func: string, file: string, line: number): number {
    const k = `${func}\0${file}\0${line}`;
    let id = this.locIndex.get(k);
    if (id === undefined) {
      id = this.locFunc.length;
      this.locFunc.push(func);
      this.locFile.push(file);
      this.locLine.push(line);
      this.locIndex.set(k, id);
    }
    return id;
  }

  /** v10/11: FRAME_INDEX defines frame `id`. Every frame id gets its own location (memray v10/11 groups stats by frame id). */
  defineFrame(id: number, func: string, file: string, line: number, isEntry: boolean): void {
    if (id >= this.frameLoc.length) {
      this.frameLoc = growI32(this.frameLoc, id + 1);
      this.frameEntry = growU8(this.frameEntry, id + 1);
    }
    this.frameLoc[id] = this.internLocation(func, file, line);
    this.frameEntry[id] = isEntry ? 1 : 0;
    if (id >= this.frameCount) this.frameCount = id + 1;
  }

  /** Appends a frame with a known location; returns its id. */
  addFrame(loc: number, isEntry: boolean): number {
    const id = this.frameCount++;
    if (id >= this.frameLoc.length) {
      this.frameLoc = growI32(this.frameLoc, id + 1);
      this.frameEntry = growU8(this.frameEntry, id + 1);
    }
    this.frameLoc[id] = loc;
    this.frameEntry[id] = isEntry ? 1 : 0;
    return id;
  }

  pyChild(parent: number, frame: number): number {
    let node = this.nodeChildren.get(parent, frame);
    if (node >= 0) return node;
    node = this.nodeCount++;
    if (node >= this.nodeParent.length) {
      this.nodeParent = growI32(this.nodeParent, node + 1);
      this.nodeFrame = growI32(this.nodeFrame, node + 1);
    }
    this.nodeParent[node] = parent;
    this.nodeFrame[node] = frame;
    this.nodeChildren.set(parent, frame, node);
    return node;
  }

  /** Aggregated files give the tree explicitly: node k = (frame, parent). */
  setNode(node: number, frame: number, parent: number): void {
    if (node >= this.nodeParent.length) {
      this.nodeParent = growI32(this.nodeParent, node + 1);
      this.nodeFrame = growI32(this.nodeFrame, node + 1);
    }
    this.nodeParent[node] = parent;
    this.nodeFrame[node] = frame;
    if (node >= this.nodeCount) this.nodeCount = node + 1;
  }

  nativeNode(ip: number, parent: number): void {
    const k = this.natCount++;
    if (k >= this.natIp.length) {
      this.natIp = growF64(this.natIp, k + 1);
      this.natParent = growI32(this.natParent, k + 1);
    }
    this.natIp[k] = ip;
    this.natParent[k] = parent;
  }

  mapStart(): void {
    this.generation++;
    this.generations[this.generation] = [];
  }

  segment(file: string, loadAddr: number, vaddr: number, memsz: number): void {
    const start = loadAddr + vaddr;
    (this.generations[this.generation] ??= []).push({ file, loadAddr, start, end: start + memsz });
  }

  libraryOf(gen: number, ip: number): string | undefined {
    const segs = this.generations[gen];
    if (!segs) return undefined;
    for (const s of segs) if (ip >= s.start && ip < s.end) return s.file;
    return undefined;
  }

  // ======================= threads =======================

  setThread(tid: number): void {
    let slot = this.tidToSlot.get(tid);
    if (slot === undefined) {
      slot = this.threadTid.length;
      this.threadTid.push(tid);
      this.threadName.push('');
      this.tidToSlot.set(tid, slot);
    }
    this.thread = slot;
  }

  setThreadName(name: string): void {
    this.threadName[this.thread] = name;
  }

  // ======================= keys =======================

  protected keyFor(py: number, nat: number, alloc: number): number {
    const thr = this.thread;
    const gen = this.generation;
    if (
      py === this.lastPy &&
      nat === this.lastNat &&
      thr === this.lastThr &&
      alloc === this.lastAlloc &&
      gen === this.lastGen
    ) {
      return this.lastKey;
    }
    const k = this.lookupKey(py, nat, thr, alloc, gen);
    this.lastPy = py;
    this.lastNat = nat;
    this.lastThr = thr;
    this.lastAlloc = alloc;
    this.lastGen = gen;
    this.lastKey = k;
    return k;
  }

  lookupKey(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    let h =
      Math.imul(py, 0x9e3779b1) ^
      Math.imul(nat + 1, 0x85ebca6b) ^
      Math.imul(thr + 7, 0xc2b2ae35) ^
      Math.imul(alloc * 31 + gen, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    const mask = this.keyHash.length - 1;
    let i = (h >>> this.keyShift) & mask;
    const table = this.keyHash;
    for (;;) {
      const k = table[i];
      if (k === -1) break;
      if (
        this.keyPy[k] === py &&
        this.keyNat[k] === nat &&
        this.keyThr[k] === thr &&
        this.keyAlloc[k] === alloc &&
        this.keyGen[k] === gen
      )
        return k;
      i = (i + 1) & mask;
    }
    const k = this.newKey(py, nat, thr, alloc, gen);
    if ((this.keyCount + 1) * 2 > table.length) this.rehashKeys();
    else table[i] = k;
    return k;
  }

  private rehashKeys(): void {
    const size = this.keyHash.length * 2;
    this.keyHash = new Int32Array(size).fill(-1);
    this.keyShift = Math.max(0, this.keyShift - 1);
    const mask = size - 1;
    for (let k = 0; k < this.keyCount; k++) {
      const py = this.keyPy[k];
      const nat = this.keyNat[k];
      const thr = this.keyThr[k];
      const alloc = this.keyAlloc[k];
      const gen = this.keyGen[k];
      let h =
        Math.imul(py, 0x9e3779b1) ^
        Math.imul(nat + 1, 0x85ebca6b) ^
        Math.imul(thr + 7, 0xc2b2ae35) ^
        Math.imul(alloc * 31 + gen, 0x27d4eb2f);
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      let i = (h >>> this.keyShift) & mask;
      while (this.keyHash[i] !== -1) i = (i + 1) & mask;
      this.keyHash[i] = k;
    }
  }

  private newKey(py: number, nat: number, thr: number, alloc: number, gen: number): number {
    const k = this.keyCount++;
    if (k >= this.keyPy.length) this.growKeys(k + 1);
    this.keyPy[k] = py;
    this.keyNat[k] = nat;
    this.keyThr[k] = thr;
    this.keyAlloc[k] = alloc;
    this.keyGen[k] = gen;
    this.keyFam[k] = this.familyOf(alloc, nat, gen);
    if (!this.allocatorOrder.includes(alloc)) this.allocatorOrder.push(alloc);
    return k;
  }

  private familyOf(alloc: number, nat: number, gen: number): number {
    if (alloc >= 12) return F_PYMALLOC;
    if (alloc === A_MMAP || alloc === A_MUNMAP) {
      for (let n = nat, depth = 0; n > 0 && depth < 256; n = this.natParent[n], depth++) {
        const lib = this.libraryOf(gen, this.natIp[n]);
        if (lib === undefined) continue;
        const base = lib.slice(lib.lastIndexOf('/') + 1);
        if (base.includes('jemalloc')) return F_JEMALLOC;
        if (base.includes('mimalloc')) return F_MIMALLOC;
      }
      return F_MMAP;
    }
    return F_MALLOC;
  }

  private growKeys(min: number): void {
    this.keyPy = growI32(this.keyPy, min);
    this.keyNat = growI32(this.keyNat, min);
    this.keyThr = growI32(this.keyThr, min);
    this.keyAlloc = growU8(this.keyAlloc, min);
    this.keyGen = growI32(this.keyGen, min);
    this.keyFam = growU8(this.keyFam, min);
    this.allCount = growF64(this.allCount, min);
    this.allBytes = growF64(this.allBytes, min);
    this.liveCount = growF64(this.liveCount, min);
    this.liveBytes = growF64(this.liveBytes, min);
    this.peakCount = growF64(this.peakCount, min);
    this.peakBytes = growF64(this.peakBytes, min);
    this.startCount = growF64(this.startCount, min);
    this.startBytes = growF64(this.startBytes, min);
    this.lpCount = growF64(this.lpCount, min);
    this.lpBytes = growF64(this.lpBytes, min);
    if (min > this.pkStamp.length) {
      const n = Math.max(min, this.pkStamp.length * 2);
      const st = new Int32Array(n).fill(-1);
      st.set(this.pkStamp);
      this.pkStamp = st;
    }
    this.pkBirth = growI32(this.pkBirth, min);
    this.pkIdx = growI32(this.pkIdx, min);
    this.startAllCount = growF64(this.startAllCount, min);
    this.startAllBytes = growF64(this.startAllBytes, min);
    this.flags = growU8(this.flags, min);
    this.gList = growI32(this.gList, min);
    this.lList = growI32(this.lList, min);
    this.tList = growI32(this.tList, min);
  }

  /** A key changed its live numbers: journal it for the global peak, the bucket peak and the bucket. */
  private mark(k: number): void {
    const f = this.flags[k];
    if (f === 7) return;
    if ((f & 1) === 0) this.gList[this.gN++] = k;
    if ((f & 2) === 0) this.lList[this.lN++] = k;
    if ((f & 4) === 0) this.touch(k);
    this.flags[k] = 7;
  }

  private markTouched(k: number): void {
    if ((this.flags[k] & 4) === 0) {
      this.touch(k);
      this.flags[k] |= 4;
    }
  }

  /** First change of a key in the open bucket: remember where it started. */
  private touch(k: number): void {
    this.tList[this.tN++] = k;
    this.startAllCount[k] = this.allCount[k];
    this.startAllBytes[k] = this.allBytes[k];
  }

  /** memray's `>=` rule (heap-replay.ts) and the journals that follow the global and bucket peaks. */
  private afterRecord(): void {
    const cur = this.heap.current;
    if (this.heap.endRecord(this.allocationRecords - 1)) {
      this.peakFine = this.fineCount;
      const list = this.gList;
      for (let i = 0; i < this.gN; i++) {
        const k = list[i];
        this.peakCount[k] = this.liveCount[k];
        this.peakBytes[k] = this.liveBytes[k];
        this.flags[k] &= ~1;
      }
      this.gN = 0;
    }
    if (cur >= this.localPeak) {
      this.localPeak = cur;
      this.localPeakFine = this.fineCount;
      const list = this.lList;
      for (let i = 0; i < this.lN; i++) {
        const k = list[i];
        this.lpCount[k] = this.liveCount[k] - this.startCount[k];
        this.lpBytes[k] = this.liveBytes[k] - this.startBytes[k];
        this.flags[k] &= ~2;
      }
      this.lN = 0;
    }
  }

  // ======================= the heap replay =======================

  /**
   * One ALLOCATION record (any allocator). The address arrives as address/8 split in two int32
   * halves (`lo` = low 32 bits, `hi` = the rest) so no double is boxed per record;
   * `allocator` is canonical (v10 numbering), `py` the Python stack node, `nat` the native one.
   * The heap rules themselves are heap-replay.ts; this attributes what they do to keys.
   */
  allocation(lo: number, hi: number, size: number, allocator: number, py: number, nat: number): void {
    this.allocationRecords++;
    const heap = this.heap;
    const kind = ALLOCATOR_KIND[allocator];
    if (kind === 0) {
      const k = this.keyFor(py, nat, allocator);
      this.countAllocation(k, size);
      this.temporary.allocated(this.thread, lo, hi, size, k);
      if (heap.allocate(lo, hi, size, k, this.fineCount)) this.left(heap.key, heap.birth, heap.size);
      this.entered(k, size);
    } else if (kind === 1) {
      this.temporary.freed(this.thread, lo, hi, -1);
      if (heap.free(lo, hi)) this.left(heap.key, heap.birth, heap.size);
    } else if (kind === 2) {
      const k = this.keyFor(py, nat, allocator);
      this.countAllocation(k, size);
      this.temporary.allocated(this.thread, lo, hi, size, k);
      if (size > 0) {
        heap.map((hi * 4294967296 + (lo >>> 0)) * 8, size, k, this.fineCount);
        this.entered(k, size);
      }
    } else {
      this.temporary.freed(this.thread, lo, hi, size);
      heap.unmap((hi * 4294967296 + (lo >>> 0)) * 8, size, this.onRangeCut);
    }
    this.afterRecord();
  }

  private countAllocation(k: number, size: number): void {
    // touch first: the bucket's allocated total is allCount now minus allCount at first touch
    if (this.flags[k] !== 7) this.markTouched(k);
    this.allCount[k]++;
    this.allBytes[k] += size;
    this.intervalCount++;
    this.intervalBytes += size;
    if (size < 65536) this.smallSizes[size]++;
    else this.largeSizes.set(size, (this.largeSizes.get(size) ?? 0) + 1);
  }

  /** An allocation of key `k` became live. */
  private entered(k: number, size: number): void {
    this.liveCount[k]++;
    this.liveBytes[k] += size;
    this.famLive[this.keyFam[k]] += size;
    this.mark(k);
  }

  /** An allocation of key `k` (born in fine bucket `birth` mod 2^19) left the live set. */
  private left(k: number, birth: number, size: number): void {
    this.liveCount[k]--;
    this.liveBytes[k] -= size;
    this.famLive[this.keyFam[k]] -= size;
    this.mark(k);
    this.recordFree(k, this.birthOf(birth), 1, size);
  }

  /**
   * Fine bucket from its low 19 bits (the most recent one with those bits): an allocation
   * living longer than 2^19 memory records gets a wrong birth bucket, only in the time index.
   */
  private birthOf(low19: number): number {
    return this.fineCount - ((this.fineCount - low19) & BIRTH_MASK);
  }

  /** Frees are kept per (key, birth bucket) for the open bucket: memray's --temporal intervals. */
  private recordFree(k: number, birthFine: number, count: number, bytes: number): void {
    const birth = birthFine >>> this.bucketShift;
    let i: number;
    // most frees of a key in a bucket hit the same birth bucket as its previous free
    if (this.pkStamp[k] === this.bucketSerial && this.pkBirth[k] === birth) {
      i = this.pkIdx[k];
    } else {
      i = this.pendingIv.get(k, birth);
      if (i < 0) {
        i = this.pN++;
        if (i >= this.pKey.length) {
          this.pKey = growI32(this.pKey, i + 1);
          this.pBirth = growI32(this.pBirth, i + 1);
          this.pC = growF64(this.pC, i + 1);
          this.pB = growF64(this.pB, i + 1);
        }
        this.pKey[i] = k;
        this.pBirth[i] = birth;
        this.pC[i] = 0;
        this.pB[i] = 0;
        this.pendingIv.set(k, birth, i);
      }
      this.pkStamp[k] = this.bucketSerial;
      this.pkBirth[k] = birth;
      this.pkIdx[k] = i;
    }
    this.pC[i] += count;
    this.pB[i] += bytes;
  }

  // ======================= time =======================

  memoryRecord(rss: number, timeMs: number): void {
    this.lastTimeMs = timeMs;
    this.tTime.push(timeMs);
    this.tRss.push(rss);
    this.tHeap.push(this.current);
    this.tAllocCount.push(this.intervalCount);
    this.tAllocBytes.push(this.intervalBytes);
    for (let f = 0; f < FAMILIES.length; f++) this.tFam[f].push(this.famLive[f]);
    this.temporary.memoryRecord();
    this.intervalCount = 0;
    this.intervalBytes = 0;
    this.fineCount++;
    if ((this.fineCount & ((1 << this.bucketShift) - 1)) === 0) this.closeBucket(timeMs);
  }

  /** Aggregated files: MEMORY_SNAPSHOT carries its own heap value. */
  memorySnapshot(timeMs: number, rss: number, heap: number): void {
    this.lastTimeMs = timeMs;
    this.tTime.push(timeMs);
    this.tRss.push(rss);
    this.tHeap.push(heap);
    this.tAllocCount.push(0);
    this.tAllocBytes.push(0);
    this.fineCount++;
  }

  private closeBucket(timeMs: number): void {
    const startHeap = this.bucketStartHeap;
    const usePeak = this.localPeak >= startHeap;
    this.bStartHeap.push(startHeap);
    this.bEndHeap.push(this.current);
    this.bPeakHeap.push(usePeak ? this.localPeak : startHeap);
    this.bPeakFine.push(usePeak ? this.localPeakFine : -this.bucketStartFine - 1);
    this.bStartTime.push(this.bucketStartTime);
    this.bEndTime.push(timeMs);
    const n = this.tN;
    if (this.eN + n > this.eKey.length) this.growEntries(this.eN + n);
    for (let i = 0; i < n; i++) {
      const k = this.tList[i];
      const e = this.eN++;
      this.eKey[e] = k;
      // countAllocation() only touches the key before counting, so allCount moved past startAll
      this.eAllocC[e] = this.allCount[k] - this.startAllCount[k];
      this.eAllocB[e] = this.allBytes[k] - this.startAllBytes[k];
      this.eDeltaC[e] = this.liveCount[k] - this.startCount[k];
      this.eDeltaB[e] = this.liveBytes[k] - this.startBytes[k];
      this.ePeakC[e] = usePeak ? this.lpCount[k] : 0;
      this.ePeakB[e] = usePeak ? this.lpBytes[k] : 0;
      this.startCount[k] = this.liveCount[k];
      this.startBytes[k] = this.liveBytes[k];
      this.lpCount[k] = 0;
      this.lpBytes[k] = 0;
      this.flags[k] &= 1;
    }
    this.tN = 0;
    this.lN = 0;
    this.bEntOff.push(this.eN);
    if (this.iN + this.pN > this.iKey.length) this.growIntervals(this.iN + this.pN);
    for (let i = 0; i < this.pN; i++) {
      const j = this.iN++;
      this.iKey[j] = this.pKey[i];
      this.iBirth[j] = this.pBirth[i];
      this.iC[j] = this.pC[i];
      this.iB[j] = this.pB[i];
    }
    this.pN = 0;
    this.bucketSerial++;
    if (this.pendingIv.size > 0) this.pendingIv = new PairMap(8);
    this.bIvOff.push(this.iN);
    this.bucketStartHeap = this.current;
    this.bucketStartTime = timeMs;
    this.bucketStartFine = this.fineCount;
    this.localPeak = -Infinity;
    // Bound the index: at most maxBuckets buckets and about ENTRY_BUDGET per-key entries (a
    // capture with many stacks touched everywhere gets coarser buckets instead of more memory).
    // Merging needs an even count so the open bucket starts a merged one.
    const limit = Math.max(this.entryBudget, this.entryFloor);
    let merged = false;
    while (
      this.bStartHeap.length >= 2 &&
      this.bStartHeap.length % 2 === 0 &&
      (this.bStartHeap.length >= this.maxBuckets || this.eN > limit || this.iN > limit)
    ) {
      const before = this.eN + this.iN;
      this.mergeBuckets();
      merged = true;
      if (this.bStartHeap.length < this.maxBuckets && this.eN + this.iN === before) break;
    }
    // More distinct keys than the budget (deep recursive stacks: 492 k keys in the 3.8 MB
    // treebuilder capture) cannot fit however coarse the buckets get; merging again at every
    // bucket rewrote all entries each time (2.4 s of a 7.7 s open). Merge again only once the
    // entries have doubled: the index stays within 2× what one bucket per key needs.
    if (merged && (this.eN > this.entryBudget || this.iN > this.entryBudget))
      this.entryFloor = 2 * Math.max(this.eN, this.iN);
  }

  /**
   * The index's biggest arrays grow ×4 while small, then straight to the budget: few
   * reallocations, because glibc keeps freed multi-MB blocks once its mmap threshold has risen
   * (measured: ~50 MB of extra RSS on the 1 GB synthetic capture with ×1.5 growth).
   */
  private capacityFor(min: number, cap: number): number {
    const full = this.entryBudget + (1 << 16);
    if (min > full) return Math.ceil(min * 1.25);
    return cap * 4 >= full / 2 ? full : Math.max(min, cap * 4);
  }

  private growEntries(min: number): void {
    const n = this.capacityFor(min, this.eKey.length);
    this.eKey = growI32(this.eKey, n);
    this.eAllocC = growF64(this.eAllocC, n);
    this.eAllocB = growF64(this.eAllocB, n);
    this.eDeltaC = growF64(this.eDeltaC, n);
    this.eDeltaB = growF64(this.eDeltaB, n);
    this.ePeakC = growF64(this.ePeakC, n);
    this.ePeakB = growF64(this.ePeakB, n);
  }

  private growIntervals(min: number): void {
    const n = this.capacityFor(min, this.iKey.length);
    this.iKey = growI32(this.iKey, n);
    this.iBirth = growI32(this.iBirth, n);
    this.iC = growF64(this.iC, n);
    this.iB = growF64(this.iB, n);
  }

  /**
   * Too many buckets, or too many per-key entries in them: merge neighbours pairwise (bucket
   * 2i and 2i+1 become i), in place. A merged bucket's entries never outnumber its two inputs',
   * so output never overtakes input; each pair is staged in a small scratch first.
   */
  private mergeBuckets(): void {
    const nb = this.bStartHeap.length;
    const half = nb >> 1;
    const sh = this.bStartHeap.data;
    const eh = this.bEndHeap.data;
    const ph = this.bPeakHeap.data;
    const pf = this.bPeakFine.data;
    const st = this.bStartTime.data;
    const et = this.bEndTime.data;
    // (key, pair) → staged index; typed-array hash and scratch, so a merge of ~10^5 entries
    // makes no JS-heap garbage
    const slot = this.mergeSlots;
    slot.clear();
    let sv = this.mergeScratch;
    let sk = this.mergeKeys;
    let eOut = 0;
    let iOut = 0;
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = a + 1;
      const peakInB = ph[b] >= ph[a];
      sh[j] = sh[a];
      eh[j] = eh[b];
      ph[j] = peakInB ? ph[b] : ph[a];
      // b's start heap is a's end heap (≤ a's peak): an equal start-heap peak in b is reached in a
      pf[j] = peakInB && pf[b] >= 0 ? pf[b] : pf[a];
      st[j] = st[a];
      et[j] = et[b];
      let n = 0;
      const need = this.bEntOff[b + 1] - this.bEntOff[a];
      if (need * 6 > sv.length) sv = this.mergeScratch = new Float64Array(need * 6 * 2);
      if (need > sk.length) sk = this.mergeKeys = new Int32Array(need * 2);
      for (let src = a; src <= b; src++) {
        for (let e = this.bEntOff[src]; e < this.bEntOff[src + 1]; e++) {
          const k = this.eKey[e];
          let d = slot.get(k, j);
          if (d < 0) {
            d = n++;
            slot.set(k, j, d);
            sk[d] = k;
            sv.fill(0, d * 6, d * 6 + 6);
          }
          const o = d * 6;
          sv[o] += this.eAllocC[e];
          sv[o + 1] += this.eAllocB[e];
          if (src === a) {
            // The merged peak is in b: everything a changed counts; in a: a's own peak delta.
            sv[o + 4] += peakInB ? this.eDeltaC[e] : this.ePeakC[e];
            sv[o + 5] += peakInB ? this.eDeltaB[e] : this.ePeakB[e];
          } else if (peakInB) {
            sv[o + 4] += this.ePeakC[e];
            sv[o + 5] += this.ePeakB[e];
          }
          sv[o + 2] += this.eDeltaC[e];
          sv[o + 3] += this.eDeltaB[e];
        }
      }
      for (let d = 0; d < n; d++) {
        const o = d * 6;
        this.eKey[eOut] = sk[d];
        this.eAllocC[eOut] = sv[o];
        this.eAllocB[eOut] = sv[o + 1];
        this.eDeltaC[eOut] = sv[o + 2];
        this.eDeltaB[eOut] = sv[o + 3];
        this.ePeakC[eOut] = sv[o + 4];
        this.ePeakB[eOut] = sv[o + 5];
        eOut++;
      }
      n = 0;
      const needI = this.bIvOff[b + 1] - this.bIvOff[a];
      if (needI * 6 > sv.length) sv = this.mergeScratch = new Float64Array(needI * 6 * 2);
      if (needI * 2 > sk.length) sk = this.mergeKeys = new Int32Array(needI * 4);
      for (let src = a; src <= b; src++) {
        for (let e = this.bIvOff[src]; e < this.bIvOff[src + 1]; e++) {
          const birth = this.iBirth[e] >> 1;
          // pair j and birth (both < 2048) share one int: births ≤ j < maxBuckets
          let d = slot.get(this.iKey[e], 0x400000 + birth * 2048 + j);
          if (d < 0) {
            d = n++;
            slot.set(this.iKey[e], 0x400000 + birth * 2048 + j, d);
            sk[d * 2] = this.iKey[e];
            sk[d * 2 + 1] = birth;
            sv[d * 2] = 0;
            sv[d * 2 + 1] = 0;
          }
          sv[d * 2] += this.iC[e];
          sv[d * 2 + 1] += this.iB[e];
        }
      }
      for (let d = 0; d < n; d++) {
        this.iKey[iOut] = sk[d * 2];
        this.iBirth[iOut] = sk[d * 2 + 1];
        this.iC[iOut] = sv[d * 2];
        this.iB[iOut] = sv[d * 2 + 1];
        iOut++;
      }
      // offsets of bucket j (read before: bEntOff[a] for a ≥ j is not yet overwritten)
      this.bEntOff[j + 1] = eOut;
      this.bIvOff[j + 1] = iOut;
    }
    this.eN = eOut;
    this.iN = iOut;
    this.bEntOff.length = half + 1;
    this.bIvOff.length = half + 1;
    this.bStartHeap.length = half;
    this.bEndHeap.length = half;
    this.bPeakHeap.length = half;
    this.bPeakFine.length = half;
    this.bStartTime.length = half;
    this.bEndTime.length = half;
    this.bucketShift++;
    this.bucketSerial++;
    // pending frees of the open bucket refer to birth buckets at the old resolution
    for (let i = 0; i < this.pN; i++) this.pBirth[i] >>= 1;
    this.compactPending();
  }

  /** After a merge two pending entries may share (key, birth); fold them. */
  private compactPending(): void {
    const seen = new PairMap(8);
    let w = 0;
    for (let i = 0; i < this.pN; i++) {
      const j = seen.get(this.pKey[i], this.pBirth[i]);
      if (j >= 0) {
        this.pC[j] += this.pC[i];
        this.pB[j] += this.pB[i];
        continue;
      }
      this.pKey[w] = this.pKey[i];
      this.pBirth[w] = this.pBirth[i];
      this.pC[w] = this.pC[i];
      this.pB[w] = this.pB[i];
      seen.set(this.pKey[w], this.pBirth[w], w);
      w++;
    }
    this.pN = w;
    this.pendingIv = seen;
  }

  /** End of stream: close the open bucket so the index covers everything read. */
  finish(): void {
    if (this.aggregated) return;
    // Totals per allocator are sums over keys (kept out of the per-record path).
    for (let k = 0; k < this.keyCount; k++) {
      this.totalAllocations += this.allCount[k];
      this.totalBytes += this.allBytes[k];
      this.allocatorCount[this.keyAlloc[k]] += this.allCount[k];
      this.allocatorBytes[this.keyAlloc[k]] += this.allBytes[k];
    }
    // Sync the journals: the final state is the leak snapshot; peak arrays stay as synced.
    this.closeBucket(this.lastTimeMs);
  }

  // ======================= aggregated captures =======================

  aggregatedAllocation(
    tid: number,
    allocator: number,
    nat: number,
    py: number,
    gen: number,
    hwmCount: number,
    leakCount: number,
    hwmBytes: number,
    leakBytes: number,
  ): void {
    this.setThread(tid);
    const k = this.lookupKey(py, nat, this.thread, allocator, gen);
    this.peakCount[k] += hwmCount;
    this.peakBytes[k] += hwmBytes;
    this.liveCount[k] += leakCount;
    this.liveBytes[k] += leakBytes;
    this.peak += hwmBytes;
    this.famLive[this.keyFam[k]] += leakBytes;
    this.aggRecords.push(k, hwmCount, hwmBytes, leakCount, leakBytes);
  }

  /** Aggregated records in file order: key, hwm count, hwm bytes, leak count, leak bytes. */
  readonly aggRecords: number[] = [];

  /** Bytes alive now (at the end of the stream: memray's leaked bytes). */
  leakedBytes(): number {
    let sum = 0;
    for (let k = 0; k < this.keyCount; k++) sum += this.liveBytes[k];
    return sum;
  }

  /** Live simple allocations now (for tests and sanity checks). */
  get liveAllocations(): number {
    return this.heap.liveEntries;
  }

  /** Bytes held by the index, roughly (for the bench report). */
  approxBytes(): number {
    return (
      this.heap.tableBytes +
      this.keyPy.length * 8 * 20 +
      this.eKey.length * 52 +
      this.iKey.length * 24 +
      this.nodeParent.length * 8 +
      this.natIp.length * 12
    );
  }
}
