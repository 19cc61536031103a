// AssemblyScript: the trace loop of the tracemalloc pickle decoder (../../pickle-decoder.ts's
// `fast`), compiled to WebAssembly by scripts/build-wasm.mjs into ../traces.wasm.ts. Its sums
// are DomainAggregate.add's (main/model/tracemalloc/domains.ts): bytes and blocks per stack node,
// the small-object split at 512 B and the log2 size bins; ../../trace-loop.test.ts checks that
// the two agree on every fixture and on damaged copies.

let outTraces: i32 = 0;
let outBytes: f64 = 0;
let outSmallBytes: f64 = 0;
let outSmallCount: i32 = 0;
let outMaxNframe: i32 = 0;
let outTruncated: i32 = 0;

export function heapBase(): usize {
  return __heap_base;
}
export function traces(): i32 {
  return outTraces;
}
export function bytes(): f64 {
  return outBytes;
}
export function smallBytes(): f64 {
  return outSmallBytes;
}
export function smallCount(): i32 {
  return outSmallCount;
}
export function maxNframe(): i32 {
  return outMaxNframe;
}
export function truncated(): i32 {
  return outTruncated;
}

const SMALL_OBJECT_MAX: i32 = 512;

/**
 * A non-negative BININT1 / BININT2 / BININT operand at `q`: (value << 3) | width, or -1 for
 * anything else (a negative BININT, a LONG1, another opcode).
 */
@inline
function intAt(q: usize): i64 {
  const op = load<u8>(q);
  if (op == 0x4b) return (i64(load<u8>(q + 1)) << 3) | 2;
  if (op == 0x4d) return (i64(load<u16>(q + 1)) << 3) | 3;
  if (op == 0x4a) {
    const v = load<i32>(q + 1);
    return v < 0 ? -1 : (i64(v) << 3) | 5;
  }
  return -1;
}

/**
 * Folds whole traces of `domain` starting at `buf + p`, each as _pickle.c writes it:
 * `MARK <int domain> <int size> <BINGET|LONG_BINGET traceback> <int total_nframe> TUPLE MEMOIZE`.
 * Stops at the first byte that is not such a trace, when the memo is full
 * or a traceback node is past `nodeCap`; returns the position reached.
 *
 * tb[i]: memo entry i's stack node + 1 when it is a traceback, else 0. depth[node]: frames of
 * the traceback. sums/counts[node] (f64): bytes and blocks per node; hist: 66 f64 counts, then
 * 66 f64 byte sums per log2 size bin.
 */
export function scan(
  buf: usize,
  p: i32,
  n: i32,
  domain: i32,
  tb: usize,
  memoLen: i32,
  memoCap: i32,
  depth: usize,
  sums: usize,
  counts: usize,
  nodeCap: i32,
  hist: usize,
  maxNframe: i32,
): i32 {
  let t: i32 = 0;
  let b: f64 = 0;
  let sb: f64 = 0;
  let sc: i32 = 0;
  let mx = maxNframe;
  let tr: i32 = 0;
  let m = memoLen;
  // A trace is at most 1 + 5 + 5 + 5 + 5 + 2 = 23 bytes.
  while (p + 24 <= n && m < memoCap) {
    let q = buf + <usize>p;
    if (load<u8>(q) != 0x28) break;
    q += 1;
    const d = intAt(q);
    if (d < 0 || i32(d >> 3) != domain) break;
    q += <usize>(d & 7);
    const s = intAt(q);
    if (s < 0) break;
    q += <usize>(s & 7);
    const r = load<u8>(q);
    let idx: u32 = 0;
    if (r == 0x68) {
      idx = load<u8>(q + 1);
      q += 2;
    } else if (r == 0x6a) {
      idx = load<u32>(q + 1);
      q += 5;
    } else break;
    if (idx >= <u32>m) break;
    const node1 = load<i32>(tb + (<usize>idx << 2));
    if (node1 == 0) break;
    const f = intAt(q);
    if (f < 0) break;
    q += <usize>(f & 7);
    const node = node1 - 1;
    if (load<u8>(q) != 0x74 || load<u8>(q + 1) != 0x94 || node >= nodeCap) break;
    const size = i32(s >> 3);
    const nframe = i32(f >> 3);
    const fsize = f64(size);
    const at = <usize>node << 3;
    store<f64>(sums + at, load<f64>(sums + at) + fsize);
    store<f64>(counts + at, load<f64>(counts + at) + 1);
    b += fsize;
    t++;
    if (size <= SMALL_OBJECT_MAX) {
      sb += fsize;
      sc++;
    }
    // Bin k holds (2^(k-1), 2^k], as DomainAggregate.add bins.
    const bin: usize = size <= 1 ? 0 : <usize>(32 - clz<u32>(<u32>size - 1));
    store<f64>(hist + (bin << 3), load<f64>(hist + (bin << 3)) + 1);
    store<f64>(hist + ((66 + bin) << 3), load<f64>(hist + ((66 + bin) << 3)) + fsize);
    if (nframe > mx) mx = nframe;
    if (nframe > load<i32>(depth + (<usize>node << 2))) tr++;
    store<i32>(tb + (<usize>m << 2), 0);
    m++;
    p = i32(q - buf) + 2;
  }
  outTraces = t;
  outBytes = b;
  outSmallBytes = sb;
  outSmallCount = sc;
  outMaxNframe = mx;
  outTruncated = tr;
  return p;
}
