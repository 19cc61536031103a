/**
 * A seeded random memray capture: a program of abstract events (threads, Python calls,
 * allocations, frees, realloc chains, mmap/munmap, memory samples), and its encoding as a
 * valid v10, v12 or v13 ALL_ALLOCATIONS stream (docs/formats/memray-format.md §3–§7), or as an
 * aggregated file built from a replay's per-key numbers (§12).
 *
 * The events are what the reference replay (reference-replay.ts) reads; the bytes are what
 * Heapscope's readers read. The two meet only in the test, so a reader or builder bug shows
 * as a disagreement.
 */

/** Canonical (v10) allocator ids, as in docs/formats/memray-format.md §13.1. */
export const ALLOC = {
  MALLOC: 1,
  FREE: 2,
  CALLOC: 3,
  REALLOC: 4,
  POSIX_MEMALIGN: 5,
  ALIGNED_ALLOC: 6,
  MEMALIGN: 7,
  VALLOC: 8,
  PVALLOC: 9,
  MMAP: 10,
  MUNMAP: 11,
  PYMALLOC_MALLOC: 12,
  PYMALLOC_CALLOC: 13,
  PYMALLOC_REALLOC: 14,
  PYMALLOC_FREE: 15,
} as const;
/** v10 id → v12 id. */
const V12_ID = [0, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 2, 3, 4, 1];

export interface CodeObject {
  id: number;
  name: string;
  file: string;
  firstLine: number;
}

/** A Python frame as pushed: a code object, an instruction offset, whether it is an entry frame. */
export interface Frame {
  code: number;
  offset: number;
  entry: boolean;
}

export type CaptureEvent =
  | { kind: 'switch'; tid: number }
  | { kind: 'push'; frame: Frame }
  | { kind: 'pop'; count: number }
  | { kind: 'alloc'; allocator: number; address: number; size: number }
  | { kind: 'free'; allocator: number; address: number }
  | { kind: 'munmap'; address: number; size: number }
  | { kind: 'memory'; rss: number; ms: number }
  | { kind: 'threadName'; name: string };

export interface CaptureProgram {
  version: 10 | 12 | 13;
  codes: CodeObject[];
  events: CaptureEvent[];
  startTimeMs: number;
  /** Header facts other than the defaults (the interpreter's version and allocator). */
  header?: Pick<HeaderOptions, 'pythonVersionHex' | 'pythonAllocator' | 'tracePythonAllocators'>;
}

/** xorshift32: the same seed gives the same capture on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }
  /** 0 ≤ n < k */
  int(k: number): number {
    return this.u32() % k;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export interface ProgramShape {
  version: 10 | 12 | 13;
  /** Steps of the random walk (each makes one or a few events). */
  steps: number;
  threads: number;
  functions: number;
  /** Deepest Python stack. */
  maxDepth: number;
  /** Probability of a push at a step (deep recursive programs: high). */
  pushRate: number;
  /** Share of the frees left out (a live set that grows into the tens of thousands). */
  keep?: number;
}

export function randomShape(rng: Rng): ProgramShape {
  const deep = rng.chance(0.2);
  return {
    version: rng.pick([10, 12, 13] as const),
    steps: 50 + rng.int(1500),
    threads: 1 + rng.int(4),
    functions: 1 + rng.int(12),
    maxDepth: deep ? 60 + rng.int(300) : 1 + rng.int(8),
    pushRate: deep ? 0.45 : 0.15,
  };
}

const SIMPLE_ALLOCATORS = [
  ALLOC.MALLOC,
  ALLOC.CALLOC,
  ALLOC.REALLOC,
  ALLOC.POSIX_MEMALIGN,
  ALLOC.ALIGNED_ALLOC,
  ALLOC.MEMALIGN,
  ALLOC.VALLOC,
  ALLOC.PVALLOC,
  ALLOC.PYMALLOC_MALLOC,
  ALLOC.PYMALLOC_CALLOC,
];
const PAGE = 4096;

/**
 * A random program. Addresses come from a few clustered arenas (pymalloc-like pools, a malloc
 * heap) plus rare ones above 2^48; sizes are mostly small, some ≥ 64 KiB, a few ≥ 2^32. Live
 * addresses are re-allocated without a free now and then (memray's overwrite rule), freed
 * addresses come back, unknown addresses are freed, and mmaps are unmapped in overlapping,
 * splitting and spanning pieces.
 */
export function randomProgram(rng: Rng, shape: ProgramShape): CaptureProgram {
  const codes: CodeObject[] = [];
  for (let i = 0; i < shape.functions; i++)
    codes.push({ id: i + 1, name: `f${i}`, file: `/srv/gen/mod${i % 3}.py`, firstLine: 1 + rng.int(400) });
  const events: CaptureEvent[] = [];
  const stacks = new Map<number, Frame[]>();
  /** Live simple allocations as the program believes them (address → allocator family). */
  const live: { address: number; pymalloc: boolean }[] = [];
  const freed: number[] = [];
  const maps: { address: number; size: number }[] = [];
  let tid = 0;
  let ms = 0;
  let nextMap = 0x7f00_0000_0000;
  const arenas = [0x5555_0000_0000, 0x7f12_3400_0000, 0x1000_0000];
  const fresh = (): number => {
    if (rng.chance(0.01)) return 2 ** 48 + rng.int(1 << 20) * 16; // above the table's range
    return rng.pick(arenas) + rng.int(1 << 16) * 16;
  };
  const size = (): number => {
    const r = rng.int(1000);
    if (r < 2) return 2 ** 32 + rng.int(1 << 20); // wider than 32 bits
    if (r < 60) return 65536 + rng.int(1 << 22);
    if (r < 70) return 0;
    return 1 + rng.int(512);
  };
  const switchTo = (t: number) => {
    if (t === tid) return;
    tid = t;
    events.push({ kind: 'switch', tid });
    if (!stacks.has(tid)) {
      stacks.set(tid, []);
      if (rng.chance(0.5) && shape.version !== 10) events.push({ kind: 'threadName', name: `worker-${tid}` });
    }
  };
  switchTo(1);
  for (let step = 0; step < shape.steps; step++) {
    const stack = stacks.get(tid)!;
    const r = rng.u32() / 4294967296;
    if (r < 0.03 && shape.threads > 1) {
      switchTo(1 + rng.int(shape.threads));
    } else if (r < 0.03 + shape.pushRate) {
      if (stack.length < shape.maxDepth) {
        const code = rng.pick(codes).id;
        // v12: offsets inside the line table (a line each 2 code units) and a few past it (line 0)
        const frame = { code, offset: rng.chance(0.05) ? -1 : rng.int(40), entry: rng.chance(0.7) };
        stack.push(frame);
        events.push({ kind: 'push', frame });
      }
    } else if (r < 0.1 + shape.pushRate) {
      if (stack.length > 0) {
        const count = 1 + rng.int(Math.min(stack.length, 20));
        stack.length -= count;
        events.push({ kind: 'pop', count });
      }
    } else if (r < 0.5 + shape.pushRate * 0.5) {
      const pymalloc = rng.chance(0.4);
      const allocator = pymalloc
        ? rng.pick([ALLOC.PYMALLOC_MALLOC, ALLOC.PYMALLOC_CALLOC])
        : rng.pick(SIMPLE_ALLOCATORS);
      let address: number;
      const a = rng.int(100);
      if (a < 5 && live.length)
        address = rng.pick(live).address; // overwrite a live one
      else if (a < 25 && freed.length) address = freed.splice(rng.int(freed.length), 1)[0];
      else address = fresh();
      events.push({ kind: 'alloc', allocator, address, size: size() });
      live.push({ address, pymalloc });
    } else if (r < 0.75 + shape.pushRate * 0.25) {
      if (shape.keep && rng.chance(shape.keep)) continue;
      if (live.length && rng.chance(0.95)) {
        const i = rng.int(live.length);
        const v = live[i];
        live[i] = live[live.length - 1];
        live.pop();
        if (rng.chance(0.3)) {
          // realloc: a free of the old pointer, then REALLOC of the new one (full new size)
          events.push({
            kind: 'free',
            allocator: v.pymalloc ? ALLOC.PYMALLOC_FREE : ALLOC.FREE,
            address: v.address,
          });
          const address = rng.chance(0.5) ? v.address : fresh();
          const allocator = v.pymalloc ? ALLOC.PYMALLOC_REALLOC : ALLOC.REALLOC;
          events.push({ kind: 'alloc', allocator, address, size: size() });
          live.push({ address, pymalloc: v.pymalloc });
        } else {
          events.push({
            kind: 'free',
            allocator: v.pymalloc ? ALLOC.PYMALLOC_FREE : ALLOC.FREE,
            address: v.address,
          });
          freed.push(v.address);
        }
      } else events.push({ kind: 'free', allocator: ALLOC.FREE, address: fresh() }); // unknown address
    } else if (r < 0.85 + shape.pushRate * 0.1) {
      const pages = 1 + rng.int(64);
      const address = rng.chance(0.3) && maps.length ? rng.pick(maps).address : nextMap;
      nextMap += (pages + rng.int(4)) * PAGE;
      events.push({
        kind: 'alloc',
        allocator: ALLOC.MMAP,
        address,
        size: rng.chance(0.05) ? 0 : pages * PAGE,
      });
      maps.push({ address, size: pages * PAGE });
    } else if (r < 0.93) {
      if (maps.length) {
        const m = rng.pick(maps);
        // inside (split), over one end (trim), or across several maps (spanning)
        const from = m.address + (rng.int(3) - 1) * rng.int(8) * PAGE;
        const len = (1 + rng.int(rng.chance(0.2) ? 200 : 8)) * PAGE;
        events.push({ kind: 'munmap', address: Math.max(0, from), size: len });
      }
    } else {
      ms += 1 + rng.int(20);
      events.push({ kind: 'memory', rss: 1_000_000 + rng.int(1 << 30), ms });
    }
  }
  return { version: shape.version, codes, events, startTimeMs: 1_700_000_000_000 };
}

// ---------------------------------------------------------------- encoding

export class Bytes {
  private buf = new Uint8Array(1 << 12);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
  }
  /** Little-endian unsigned integer of `n` bytes (v < 2^53, or a bigint). */
  uint(v: number | bigint, n: number): void {
    let x = BigInt.asUintN(n * 8, BigInt(v));
    for (let i = 0; i < n; i++) {
      this.u8(Number(x & 0xffn));
      x >>= 8n;
    }
  }
  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.u8(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.u8(Number(x));
  }
  svarint(v: bigint): void {
    const z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.varint(z);
  }
  cstring(s: string): void {
    for (const b of Buffer.from(s, 'utf8')) this.u8(b);
    this.u8(0);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A u64 delta channel (docs/formats/memray-format.md §3). */
export class Channel {
  value = 0n;
  delta(out: Bytes, v: bigint): void {
    out.svarint(BigInt.asIntN(64, v - this.value));
    this.value = v;
  }
}

export interface HeaderOptions {
  version: 10 | 12 | 13;
  nAllocations: number;
  startTimeMs: number;
  endTimeMs: number;
  fileFormat: 0 | 1;
  /** `memray run --native`: allocations carry native stack ids (native-capture.ts). */
  nativeTraces?: boolean;
  /** trace_python_allocators (default on: the random programs allocate through pymalloc). */
  tracePythonAllocators?: boolean;
  /** v12+: PY_VERSION_HEX (default 0x030b02f0, CPython 3.11.2). */
  pythonVersionHex?: number;
  /** memray's python_allocator (1 pymalloc, 2 pymalloc debug, 3 malloc, 5 mimalloc; default 1). */
  pythonAllocator?: number;
}

export function encodeHeader(h: HeaderOptions): Uint8Array {
  const o = new Bytes();
  for (const b of Buffer.from('memray\0', 'latin1')) o.u8(b);
  o.uint(h.version, 4);
  if (h.version >= 12) o.uint(h.pythonVersionHex ?? 0x030b02f0, 4); // CPython 3.11.2
  o.u8(h.nativeTraces ? 1 : 0); // native_traces
  o.u8(h.fileFormat);
  o.uint(h.nAllocations, 8);
  o.uint(0, 8); // n_frames
  o.uint(h.startTimeMs, 8);
  o.uint(h.endTimeMs, 8);
  o.cstring('python3 -m memray run generated.py');
  o.uint(4242, 4); // pid
  o.uint(1, 8); // main_tid
  o.uint(0, 8); // skipped frames on the main thread: none (nothing to trim)
  o.u8(h.pythonAllocator ?? 1); // pymalloc
  if (h.version >= 11) o.u8(h.tracePythonAllocators === false ? 0 : 1); // trace_python_allocators
  if (h.version >= 12) o.u8(0); // track_object_lifetimes
  if (h.version === 13) {
    o.cstring('/usr/lib/python3.11');
    o.cstring('/usr/lib/python3/dist-packages');
    o.u8(0);
    o.cstring('/srv/gen');
    o.u8(0);
  }
  return o.bytes();
}

/**
 * 3.11 location table: one NO_COLUMNS entry per code unit, each one line further, so an
 * instruction at byte offset `o` is on line firstLine + floor(o / 2) + 1 (40 entries).
 */
export const LINE_TABLE_UNITS = 40;
export function lineTable(): Uint8Array {
  const t = new Uint8Array(LINE_TABLE_UNITS * 2);
  for (let i = 0; i < LINE_TABLE_UNITS; i++) {
    t[2 * i] = 0x80 | (13 << 3); // NO_COLUMNS, length 1
    t[2 * i + 1] = 2; // sv(+1)
  }
  return t;
}

/** The line memray derives for a pushed frame (v12/v13), by the rule lineTable() encodes. */
export function frameLine(version: number, code: CodeObject, frame: Frame): number {
  if (version === 10) return code.firstLine + Math.max(frame.offset, 0);
  if (frame.offset < 0) return 0;
  const unit = Math.floor(frame.offset / 2);
  return unit < LINE_TABLE_UNITS ? code.firstLine + unit + 1 : 0;
}

/**
 * The program as an ALL_ALLOCATIONS capture. `truncateAt` (a fraction of the record bytes)
 * cuts it like a SIGKILL: no TRAILER, a provisional header.
 */
export function encodeCapture(p: CaptureProgram, truncateAt?: number): Uint8Array {
  const body = p.version === 10 ? encodeV10(p) : encodeV12(p);
  const nAlloc = p.events.filter(
    (e) => e.kind === 'alloc' || e.kind === 'free' || e.kind === 'munmap',
  ).length;
  const lastMs = p.events.reduce((m, e) => (e.kind === 'memory' ? e.ms : m), 0);
  const cut = truncateAt !== undefined;
  const header = encodeHeader({
    version: p.version,
    nAllocations: cut ? 0 : nAlloc,
    startTimeMs: p.startTimeMs,
    endTimeMs: cut ? p.startTimeMs : p.startTimeMs + lastMs,
    fileFormat: 0,
    ...p.header,
  });
  const records = cut ? body.subarray(0, Math.floor((body.length - 1) * truncateAt)) : body;
  const out = new Uint8Array(header.length + records.length);
  out.set(header);
  out.set(records, header.length);
  return out;
}

function encodeV12(p: CaptureProgram): Uint8Array {
  const o = new Bytes();
  const pointer = new Channel();
  const firstLine = new Channel();
  const cache: bigint[] = new Array(15).fill(0n);
  const written = new Set<number>();
  const table = lineTable();
  const codeById = new Map(p.codes.map((c) => [c.id, c]));
  const allocation = (allocator: number, address: number, size: number | undefined) => {
    const a8 = BigInt(address) >> 3n;
    let idx = cache.findIndex((c) => c === a8);
    if (idx < 0) idx = 15;
    const id = V12_ID[allocator];
    o.u8(0x80 | (idx << 3) | (id <= 7 ? id : 0));
    if (idx === 15) {
      pointer.delta(o, a8);
      cache.pop();
      cache.unshift(a8);
    }
    if (id > 7) o.u8(id); // after the address (docs/formats/memray-format.md §5.2)
    if (size !== undefined) o.varint(BigInt(size));
  };
  for (const e of p.events) {
    switch (e.kind) {
      case 'switch':
        o.u8(0x0c);
        o.uint(e.tid, 8);
        break;
      case 'threadName':
        o.u8(0x0a);
        o.cstring(e.name);
        break;
      case 'push': {
        if (!written.has(e.frame.code)) {
          const c = codeById.get(e.frame.code)!;
          o.u8(0x0e);
          o.varint(BigInt(c.id));
          o.cstring(c.name);
          o.cstring(c.file);
          firstLine.delta(o, BigInt(c.firstLine));
          o.varint(BigInt(table.length));
          for (const b of table) o.u8(b);
          written.add(c.id);
        }
        o.u8(0x40 | (e.frame.entry ? 1 : 0));
        o.varint(BigInt(e.frame.code));
        o.svarint(BigInt(e.frame.offset));
        break;
      }
      case 'pop':
        for (let n = e.count; n > 0; n -= 16) o.u8(0x10 | (Math.min(n, 16) - 1));
        break;
      case 'alloc':
        allocation(e.allocator, e.address, e.size);
        break;
      case 'free':
        allocation(e.allocator, e.address, undefined);
        break;
      case 'munmap':
        allocation(ALLOC.MUNMAP, e.address, e.size);
        break;
      case 'memory':
        o.u8(0x02);
        o.varint(BigInt(e.rss));
        o.varint(BigInt(e.ms));
        break;
    }
  }
  o.u8(0x01);
  return o.bytes();
}

function encodeV10(p: CaptureProgram): Uint8Array {
  const o = new Bytes();
  const pointer = new Channel();
  const frameId = new Channel();
  const line = new Channel();
  const frameIds = new Map<string, number>();
  const codeById = new Map(p.codes.map((c) => [c.id, c]));
  for (const e of p.events) {
    switch (e.kind) {
      case 'switch':
        o.u8(12);
        o.uint(e.tid, 8);
        break;
      case 'threadName':
        o.u8(10);
        o.cstring(e.name);
        break;
      case 'push': {
        const c = codeById.get(e.frame.code)!;
        const lineno = frameLine(10, c, e.frame);
        const k = `${c.name}\0${c.file}\0${lineno}\0${e.frame.entry}`;
        let id = frameIds.get(k);
        if (id === undefined) {
          id = frameIds.size;
          frameIds.set(k, id);
          o.u8(((e.frame.entry ? 0 : 1) << 4) | 3);
          frameId.delta(o, BigInt(id));
          o.cstring(c.name);
          o.cstring(c.file);
          const prev = Number(line.value);
          o.svarint(BigInt(lineno - prev));
          line.value = BigInt(lineno);
        }
        o.u8(4);
        frameId.delta(o, BigInt(id));
        break;
      }
      case 'pop':
        for (let n = e.count; n > 0; n -= 16) o.u8(((Math.min(n, 16) - 1) << 4) | 9);
        break;
      case 'alloc':
        o.u8((e.allocator << 4) | 1);
        pointer.delta(o, BigInt(e.address));
        o.varint(BigInt(e.size));
        break;
      case 'free':
        o.u8((e.allocator << 4) | 1);
        pointer.delta(o, BigInt(e.address));
        break;
      case 'munmap':
        o.u8((ALLOC.MUNMAP << 4) | 1);
        pointer.delta(o, BigInt(e.address));
        o.varint(BigInt(e.size));
        break;
      case 'memory':
        o.u8(11);
        o.varint(BigInt(e.rss));
        o.varint(BigInt(e.ms));
        break;
    }
  }
  o.u8(0x10);
  return o.bytes();
}
