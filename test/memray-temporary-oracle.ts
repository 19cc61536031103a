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

/** memray's rule over a `memray parse` dump: temporaries per allocator and per thread. */
export function temporariesFromDump(dump: string, n: number): { byAllocator: Tally; byThread: Tally } {
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
      if (hit) {
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
