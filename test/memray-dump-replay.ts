/**
 * Test oracle: a naive replay of memray's own record dump (`memray parse` → *.parse.txt), with
 * none of Heapscope's reader or model code. The heap after every ALLOCATION record follows
 * memray's rules (a live address allocated again adds without subtracting; free of an unknown
 * address does nothing; munmap shrinks or splits mmap ranges).
 */

export interface DumpReplay {
  /** Header start_time / end_time (epoch ms). */
  startEpochMs: number;
  endEpochMs: number;
  /** MEMORY_RECORDs: epoch ms, the RSS they carry, and the replayed heap at them. */
  records: { epochMs: number; rss: number; heap: number }[];
  /**
   * The highest heap after an allocation record of each fine interval v (after memory record
   * v-1, at or before record v; v = records.length after the last one); null without records.
   */
  intervalMax: (number | null)[];
  /** The heap after the last record of the dump. */
  finalHeap: number;
  /** The highest heap after any record, and the fine interval of the last record reaching it. */
  peak: number;
  peakInterval: number;
  /** Sizes of every non-deallocation record (memray's `stats` histogram input). */
  sizes: number[];
  /** Per ALLOCATION record, in file order: the heap after it and its fine interval. */
  heapAfter: number[];
  intervalOf: number[];
}

const FREES = new Set(['free', 'pymalloc_free']);

export function replayDump(dump: string): DumpReplay {
  let startEpochMs = 0;
  let endEpochMs = 0;
  let hexRss = false;
  const records: DumpReplay['records'] = [];
  const intervalMax: (number | null)[] = [null];
  const live = new Map<bigint, number>();
  let ranges: [bigint, bigint][] = [];
  const sizes: number[] = [];
  const heapAfter: number[] = [];
  const intervalOf: number[] = [];
  let cur = 0;
  let peak = 0;
  let peakInterval = 0;
  for (const line of dump.split('\n')) {
    if (line.startsWith('HEADER ')) {
      startEpochMs = Number(/ start_time=(\d+)/.exec(line)![1]);
      endEpochMs = Number(/ end_time=(\d+)/.exec(line)![1]);
      // memray 1.10 and 1.18 (headers v10, v11) print the RSS in hex without a prefix
      hexRss = Number(/ version=(\d+)/.exec(line)![1]) < 12;
    } else if (line.startsWith('MEMORY_RECORD ')) {
      const m = / memory=([0-9a-fA-Fx]+)/.exec(line)![1];
      const rss = hexRss ? parseInt(m, 16) : Number(m);
      records.push({ epochMs: Number(/ time=(\d+)/.exec(line)![1]), rss, heap: cur });
      intervalMax.push(null);
    } else if (line.startsWith('ALLOCATION ') || line.startsWith('ALLOCATION_WITH_NATIVE ')) {
      const addr = BigInt(/ address=(0x[0-9a-f]+)/.exec(line)![1]);
      const size = Number(/ size=(\d+)/.exec(line)![1]);
      const alloc = / allocator=([a-z_]+)/.exec(line)![1];
      if (FREES.has(alloc)) {
        const s = live.get(addr);
        if (s !== undefined) {
          cur -= s;
          live.delete(addr);
        }
      } else if (alloc === 'munmap') {
        const hi = addr + BigInt(size);
        const next: [bigint, bigint][] = [];
        for (const [b, e] of ranges) {
          const ob = b > addr ? b : addr;
          const oe = e < hi ? e : hi;
          if (oe <= ob) {
            next.push([b, e]);
            continue;
          }
          cur -= Number(oe - ob);
          if (b < ob) next.push([b, ob]);
          if (oe < e) next.push([oe, e]);
        }
        ranges = next;
      } else {
        sizes.push(size);
        if (alloc === 'mmap') {
          if (size > 0) {
            ranges.push([addr, addr + BigInt(size)]);
            cur += size;
          }
        } else {
          live.set(addr, size);
          cur += size;
        }
      }
      const v = records.length;
      heapAfter.push(cur);
      intervalOf.push(v);
      intervalMax[v] = Math.max(intervalMax[v] ?? -Infinity, cur);
      if (cur >= peak) {
        peak = cur;
        peakInterval = v;
      }
    }
  }
  return {
    startEpochMs,
    endEpochMs,
    records,
    intervalMax,
    finalHeap: cur,
    peak,
    peakInterval,
    sizes,
    heapAfter,
    intervalOf,
  };
}

/** When tracking stopped (epoch ms): the header's end, or the last memory record if later. */
export function endEpochMs(r: DumpReplay): number {
  return Math.max(r.endEpochMs, r.records.at(-1)?.epochMs ?? r.startEpochMs);
}

/** When the peak happened (epoch ms), as memray dates it: the memory record closing its interval. */
export function peakEpochMs(r: DumpReplay): number {
  const rec = r.records[r.peakInterval] ?? r.records.at(-1);
  return rec ? rec.epochMs : r.startEpochMs;
}

/**
 * The highest sum of several processes' live heaps at one wall-clock moment, by brute force over
 * epoch times. Each process runs from its first memory record to `endEpochMs` and, at a moment,
 * takes the heaps it passed through then, in order: an interval's highest heap is dated by the
 * memory record closing it (like memray's peak time) and comes before that record's heap; after
 * the last record come the trailing interval's highest heap and the final heap, at the end.
 * Moments are visited in time order (equal times: the first process first); at each step every
 * other running process holds its latest heap.
 */
export function mergedPeakBruteForce(processes: DumpReplay[]): { bytes: number; epochMs: number } {
  type Step = { t: number; proc: number; seq: number; heap: number; last: boolean };
  const steps: Step[] = [];
  processes.forEach((r, proc) => {
    const own: Omit<Step, 'proc' | 'seq' | 'last'>[] = [];
    r.records.forEach((rec, v) => {
      const m = r.intervalMax[v];
      if (m !== null) own.push({ t: rec.epochMs, heap: m });
      own.push({ t: rec.epochMs, heap: rec.heap });
    });
    const tail = r.intervalMax[r.records.length];
    const lastT = r.records.at(-1)?.epochMs ?? r.startEpochMs;
    if (tail !== null) own.push({ t: lastT, heap: tail });
    own.push({ t: endEpochMs(r), heap: r.finalHeap });
    own.forEach((s, seq) => steps.push({ ...s, proc, seq, last: seq === own.length - 1 }));
  });
  steps.sort((a, b) => a.t - b.t || a.proc - b.proc || a.seq - b.seq);
  const held = new Map<number, number>();
  let best = { bytes: -1, epochMs: 0 };
  for (const s of steps) {
    held.set(s.proc, s.heap);
    let sum = 0;
    for (const h of held.values()) sum += h;
    if (sum >= best.bytes) best = { bytes: sum, epochMs: s.t };
    if (s.last) held.delete(s.proc);
  }
  return best;
}
