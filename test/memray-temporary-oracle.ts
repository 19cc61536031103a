/**
 * Test oracle: memray's temporary allocations (TemporaryAllocationsAggregator, snapshot.cpp)
 * written from its definition over memray's own record dump (`memray parse` → *.parse.txt): a
 * literal deque per thread of the N + 1 most recent allocations, searched front to back on
 * every deallocation (munmap: same address and size). No Heapscope code.
 */

export type Tally = Map<string, { count: number; bytes: number }>;

interface Entry {
  address: bigint;
  size: number;
  allocator: string;
}

/**
 * A brushed range [fromMs, toMs] (ms from the header's start_time) counts the temporaries found
 * (at their free) in the memory-record intervals it overlaps: interval k runs from just after
 * MEMORY_RECORD k − 1 to MEMORY_RECORD k, (t(k−1), t(k)], the first from the start and the last
 * (after the final record) to the end; it overlaps when t(k) ≥ fromMs and t(k−1) < toMs.
 */
export interface Window {
  fromMs: number;
  toMs: number;
}

/** ms from start_time of every MEMORY_RECORD of the dump, in order. */
function recordTimes(dump: string): number[] {
  let start = 0;
  const out: number[] = [];
  for (const line of dump.split('\n')) {
    if (line.startsWith('HEADER ')) start = Number(/ start_time=(\d+)/.exec(line)![1]);
    else if (line.startsWith('MEMORY_RECORD ')) out.push(Number(/ time=(\d+)/.exec(line)![1]) - start);
  }
  return out;
}

/** memray's rule over a `memray parse` dump: temporaries per allocator and per thread. */
export function temporariesFromDump(
  dump: string,
  n: number,
  window?: Window,
): { byAllocator: Tally; byThread: Tally } {
  const times = window ? recordTimes(dump) : [];
  const inWindow = (k: number): boolean => {
    if (!window) return true;
    const end = k < times.length ? times[k] : Infinity;
    const start = k > 0 ? times[k - 1] : -Infinity;
    return end >= window.fromMs && start < window.toMs;
  };
  let interval = 0;
  const deques = new Map<string, Entry[]>();
  const byAllocator: Tally = new Map();
  const byThread: Tally = new Map();
  const add = (t: Tally, k: string, size: number) => {
    const v = t.get(k) ?? { count: 0, bytes: 0 };
    v.count++;
    v.bytes += size;
    t.set(k, v);
  };
  let tid = '';
  for (const line of dump.split('\n')) {
    if (line.startsWith('MEMORY_RECORD ')) {
      interval++;
      continue;
    }
    if (line.startsWith('CONTEXT_SWITCH ')) {
      tid = /tid=(\d+)/.exec(line)![1];
      continue;
    }
    if (!line.startsWith('ALLOCATION ') && !line.startsWith('ALLOCATION_WITH_NATIVE ')) continue;
    const address = BigInt(/ address=(0x[0-9a-f]+)/.exec(line)![1]);
    const size = Number(/ size=(\d+)/.exec(line)![1]);
    const allocator = / allocator=([a-z_]+)/.exec(line)![1];
    const deque = deques.get(tid) ?? [];
    deques.set(tid, deque);
    if (allocator === 'free' || allocator === 'pymalloc_free' || allocator === 'munmap') {
      const hit = deque.find((e) => e.address === address && (allocator !== 'munmap' || e.size === size));
      if (hit && inWindow(interval)) {
        add(byAllocator, hit.allocator, hit.size);
        add(byThread, tid, hit.size);
      }
    } else {
      deque.unshift({ address, size, allocator });
      if (deque.length > n + 1) deque.pop();
    }
  }
  return { byAllocator, byThread };
}
