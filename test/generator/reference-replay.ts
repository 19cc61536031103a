import { ALLOC, frameLine, type CaptureProgram, type Frame } from './memray-capture';

/**
 * memray's heap rules (docs/formats/memray-format.md §13.2–13.4), written as plainly as possible
 * over a generated program's events, for the tests to check the real builders against: Maps
 * and arrays, no packing, no time index. The live set at the peak comes from a second replay
 * that stops after the peak's record (a copy at every new peak was quadratic on ramps).
 */

export interface ReferenceRow {
  tid: number;
  allocator: string;
  /** Python stack, innermost first, as `function;file;line` joined with `|`. */
  stack: string;
  count: number;
  bytes: number;
}

export interface ReferenceResult {
  peak: number;
  /** ms offset of the first memory record after the peak's record (else the last one's). */
  peakTimeMs: number;
  /** Heap after everything. */
  endHeap: number;
  leakedBytes: number;
  leakedCount: number;
  allocationRecords: number;
  totalAllocations: number;
  totalBytes: number;
  /** Live at the peak and at the end, per (thread, allocator, stack). */
  peakRows: ReferenceRow[];
  leakRows: ReferenceRow[];
  /** Heap at each memory record. */
  heapAtMemoryRecords: number[];
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ALLOC).map(([n, v]) => [v, n]));
const SIMPLE_FREES = new Set<number>([ALLOC.FREE, ALLOC.PYMALLOC_FREE]);

interface Owner {
  tid: number;
  allocator: number;
  stack: string;
}

interface Piece {
  begin: number;
  end: number;
  owner: Owner;
}

export function referenceReplay(p: CaptureProgram): ReferenceResult {
  const whole = replay(p, Infinity);
  const atPeak = replay(p, whole.peakIndex);
  return { ...whole.result, peakRows: atPeak.result.leakRows };
}

/** Replays ALLOCATION records 0..`stopAfter` (all with Infinity); "leaks" are what is live then. */
function replay(p: CaptureProgram, stopAfter: number): { result: ReferenceResult; peakIndex: number } {
  const codes = new Map(p.codes.map((c) => [c.id, c]));
  const stacks = new Map<number, Frame[]>();
  let tid = 0;
  const live = new Map<number, { size: number; owner: Owner }>();
  let ranges: Piece[] = [];
  let current = 0;
  let peak = 0;
  let peakIndex = -1;
  let peakAtMemoryRecord = -1;
  let memoryRecords = 0;
  const times: number[] = [];
  const heapAtMemoryRecords: number[] = [];
  let allocationRecords = 0;
  let totalAllocations = 0;
  let totalBytes = 0;

  const stackString = (frames: Frame[]): string =>
    frames
      .slice()
      .reverse()
      .map((f) => {
        const c = codes.get(f.code)!;
        return `${c.name};${c.file};${frameLine(p.version, c, f)}`;
      })
      .join('|');

  const snapshot = (): ReferenceRow[] => {
    const rows = new Map<string, ReferenceRow>();
    const add = (o: Owner, bytes: number) => {
      const k = `${o.tid}\0${o.allocator}\0${o.stack}`;
      const row = rows.get(k) ?? {
        tid: o.tid,
        allocator: NAMES[o.allocator],
        stack: o.stack,
        count: 0,
        bytes: 0,
      };
      row.count++;
      row.bytes += bytes;
      rows.set(k, row);
    };
    for (const v of live.values()) add(v.owner, v.size);
    for (const r of ranges) add(r.owner, r.end - r.begin);
    return [...rows.values()];
  };

  for (const e of p.events) {
    if (allocationRecords > stopAfter) break;
    if (e.kind === 'switch') {
      tid = e.tid;
      if (!stacks.has(tid)) stacks.set(tid, []);
      continue;
    }
    if (e.kind === 'push') {
      stacks.get(tid)!.push(e.frame);
      continue;
    }
    if (e.kind === 'pop') {
      stacks.get(tid)!.length -= e.count;
      continue;
    }
    if (e.kind === 'memory') {
      times.push(e.ms);
      heapAtMemoryRecords.push(current);
      memoryRecords++;
      continue;
    }
    if (e.kind === 'threadName') continue;
    allocationRecords++;
    if (e.kind === 'alloc') {
      totalAllocations++;
      totalBytes += e.size;
      const owner = { tid, allocator: e.allocator, stack: stackString(stacks.get(tid)!) };
      if (e.allocator === ALLOC.MMAP) {
        if (e.size > 0) {
          ranges.push({ begin: e.address, end: e.address + e.size, owner });
          current += e.size;
        }
      } else {
        // overwrite: the old one leaves the live set, the heap keeps its size (memray's quirk)
        live.set(e.address, { size: e.size, owner });
        current += e.size;
      }
    } else if (e.kind === 'free') {
      if (!SIMPLE_FREES.has(e.allocator)) throw new Error('not a free');
      const v = live.get(e.address);
      if (v) {
        current -= v.size;
        live.delete(e.address);
      }
    } else {
      const lo = e.address;
      const hi = e.address + e.size;
      const next: Piece[] = [];
      for (const r of ranges) {
        const ob = Math.max(r.begin, lo);
        const oe = Math.min(r.end, hi);
        if (oe <= ob) {
          next.push(r);
          continue;
        }
        current -= oe - ob;
        if (r.begin < ob) next.push({ begin: r.begin, end: ob, owner: r.owner });
        if (oe < r.end) next.push({ begin: oe, end: r.end, owner: r.owner });
      }
      ranges = next;
    }
    if (current >= peak) {
      peak = current;
      peakIndex = allocationRecords - 1;
      peakAtMemoryRecord = memoryRecords;
    }
  }
  const leakRows = snapshot();
  const lastTime = times.length ? times[times.length - 1] : 0;
  const result = {
    peak,
    peakTimeMs:
      peakAtMemoryRecord >= 0 && peakAtMemoryRecord < times.length ? times[peakAtMemoryRecord] : lastTime,
    endHeap: current,
    leakedBytes: leakRows.reduce((s, r) => s + r.bytes, 0),
    leakedCount: leakRows.reduce((s, r) => s + r.count, 0),
    allocationRecords,
    totalAllocations,
    totalBytes,
    peakRows: [],
    leakRows,
    heapAtMemoryRecords,
  };
  return { result, peakIndex };
}
