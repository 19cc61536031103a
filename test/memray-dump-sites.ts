/**
 * Test oracle: live bytes per site from memray's own record dump (`memray parse` → *.parse.txt),
 * with none of Heapscope's reader or model code. The heap rules are those of
 * memray-dump-replay.ts (a live address allocated again adds without subtracting; a free of an
 * unknown address does nothing; munmap shrinks or splits mmap ranges); each block is charged to
 * the innermost Python frame of its thread when it was made, as (function, file): the dump
 * carries code objects and instruction offsets (v12+; v10/v11 frame ids), not line numbers.
 */

export interface SiteReplay {
  /** ms from the header's start_time of each MEMORY_RECORD. */
  recordMs: number[];
  /** Live bytes and blocks per site as of each MEMORY_RECORD (after every record before it). */
  atRecord: Map<string, { bytes: number; count: number }>[];
  /** Live bytes and blocks per site after the last record. */
  atEnd: Map<string, { bytes: number; count: number }>;
}

/** `function\0file`, the key of a site; `\0<unknown>` when the thread had no Python frame. */
export function siteKey(fn: string, file: string): string {
  return `${fn}\u0000${file}`;
}

const FREES = new Set(['free', 'pymalloc_free']);

export function replaySites(dump: string): SiteReplay {
  let start = 0;
  // v12+: CODE_OBJECT code_id=…, FRAME_PUSH code_object_id=…; v10/v11: FRAME_ID frame_id=…, FRAME_PUSH frame_id=…
  const code = new Map<string, { fn: string; file: string }>();
  const stacks = new Map<number, string[]>();
  let tid = 0;
  const stackOf = (t: number): string[] => {
    let s = stacks.get(t);
    if (!s) stacks.set(t, (s = []));
    return s;
  };
  const live = new Map<bigint, { size: number; site: string }>();
  let ranges: { lo: bigint; hi: bigint; site: string }[] = [];
  const sites = new Map<string, { bytes: number; count: number }>();
  const add = (site: string, bytes: number, count: number): void => {
    const s = sites.get(site) ?? { bytes: 0, count: 0 };
    s.bytes += bytes;
    s.count += count;
    sites.set(site, s);
  };
  const copy = () => new Map([...sites].map(([k, v]) => [k, { ...v }]));
  const recordMs: number[] = [];
  const atRecord: SiteReplay['atRecord'] = [];
  for (const line of dump.split('\n')) {
    const field = (name: string): string => new RegExp(` ${name}=(\\S+)`).exec(line)![1];
    if (line.startsWith('HEADER ')) start = Number(field('start_time'));
    else if (line.startsWith('CODE_OBJECT ') || line.startsWith('FRAME_ID ')) {
      // names may hold spaces (`<frozen importlib._bootstrap>`): each runs to the next field
      const named = / function_name=(.*) filename=(.*) (?:firstlineno|lineno)=/.exec(line)!;
      const id = line.startsWith('CODE_OBJECT ') ? `c${field('code_id')}` : `f${field('frame_id')}`;
      code.set(id, { fn: named[1], file: named[2] });
    } else if (line.startsWith('CONTEXT_SWITCH ')) tid = Number(field('tid'));
    else if (line.startsWith('FRAME_PUSH ')) {
      const c = / code_object_id=(\d+)/.exec(line);
      stackOf(tid).push(c ? `c${c[1]}` : `f${field('frame_id')}`);
    } else if (line.startsWith('FRAME_POP ')) {
      const s = stackOf(tid);
      s.length = Math.max(0, s.length - Number(field('count')));
    } else if (line.startsWith('MEMORY_RECORD ')) {
      recordMs.push(Number(field('time')) - start);
      atRecord.push(copy());
    } else if (line.startsWith('ALLOCATION ') || line.startsWith('ALLOCATION_WITH_NATIVE ')) {
      const addr = BigInt(field('address'));
      const size = Number(field('size'));
      const alloc = field('allocator');
      const top = stackOf(tid).at(-1);
      const c = top === undefined ? undefined : code.get(top);
      const site = c ? siteKey(c.fn, c.file) : siteKey('', '<unknown>');
      if (FREES.has(alloc)) {
        const b = live.get(addr);
        if (b) {
          add(b.site, -b.size, -1);
          live.delete(addr);
        }
      } else if (alloc === 'munmap') {
        const hi = addr + BigInt(size);
        const next: typeof ranges = [];
        for (const r of ranges) {
          const lo = r.lo > addr ? r.lo : addr;
          const up = r.hi < hi ? r.hi : hi;
          if (up <= lo) {
            next.push(r);
            continue;
          }
          add(r.site, -Number(up - lo), 0);
          if (r.lo < lo) next.push({ ...r, hi: lo });
          if (up < r.hi) next.push({ ...r, lo: up });
        }
        ranges = next;
      } else if (alloc === 'mmap') {
        if (size > 0) {
          ranges.push({ lo: addr, hi: addr + BigInt(size), site });
          add(site, size, 1);
        }
      } else {
        live.set(addr, { size, site });
        add(site, size, 1);
      }
    }
  }
  return { recordMs, atRecord, atEnd: copy() };
}
