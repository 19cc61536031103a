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
let outInlineFrames: i32 = 0;
let outInlineEnd: i32 = 0;

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
export function inlineFrames(): i32 {
  return outInlineFrames;
}
export function inlineEnd(): i32 {
  return outInlineEnd;
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
 * The traceback written inside a trace at `q` (its MARK), as _pickle.c writes a new one:
 * `MARK (<BINGET|LONG_BINGET filename> <int lineno> TUPLE2 MEMOIZE)+ TUPLE MEMOIZE`, each filename
 * a string already in the memo (tb[i] = -(string id + 1)). Writes each frame's string id and line
 * number to `scratch` and returns the position after the traceback's MEMOIZE with the frame
 * count in `outInlineFrames`, or 0 (anything else: the decoder's general switch takes it).
 * The k frames and the traceback take memo entries m..m+k, so they and the trace need m+k+2 <= memoCap.
 */
function inlineTraceback(q: usize, end: usize, tb: usize, m: i32, memoCap: i32, scratch: usize, scratchCap: i32): usize {
  let k: i32 = 0;
  q += 1;
  for (;;) {
    // A frame is at most 5 + 5 + 2 bytes; the traceback's end and the trace's, 2 + 5 + 2.
    if (q + 12 > end) return 0;
    const r = load<u8>(q);
    if (r == 0x74) break;
    let idx: u32 = 0;
    if (r == 0x68) {
      idx = load<u8>(q + 1);
      q += 2;
    } else if (r == 0x6a) {
      idx = load<u32>(q + 1);
      q += 5;
    } else return 0;
    if (idx >= <u32>m) return 0;
    const str = load<i32>(tb + (<usize>idx << 2));
    if (str >= 0) return 0;
    const line = intAt(q);
    if (line < 0) return 0;
    q += <usize>(line & 7);
    if (load<u8>(q) != 0x86 || load<u8>(q + 1) != 0x94 || k >= scratchCap) return 0;
    q += 2;
    store<i32>(scratch + (<usize>k << 3), -1 - str);
    store<i32>(scratch + (<usize>k << 3) + 4, i32(line >> 3));
    k++;
  }
  if (k == 0 || load<u8>(q + 1) != 0x94 || m + k + 2 > memoCap) return 0;
  outInlineFrames = k;
  return q + 2;
}

/**
 * Folds whole traces of `domain` starting at `buf + p`, each as _pickle.c writes it:
 * `MARK <int domain> <int size> <BINGET|LONG_BINGET traceback> <int total_nframe> TUPLE MEMOIZE`.
 * Stops at the first byte that is not such a trace, when the memo is full
 * or a traceback node is past `nodeCap`; returns the position reached. A trace that writes its
 * traceback inline (the first trace of each traceback) also stops the loop, at the trace, when
 * the traceback and the rest of the trace are as _pickle.c writes them: `outInlineFrames` > 0,
 * its frames in `scratch` and its end in `outInlineEnd`. The decoder makes the traceback's trie
 * node and memo entries, then calls again with `inlineAt` = that trace, `inlineNode` = the node
 * and `inlineEnd` = the traceback's end, and the loop folds the trace with the node.
 *
 * tb[i]: memo entry i's stack node + 1 when it is a traceback, -(string id + 1) when it is a
 * string, else 0. depth[node]: frames of
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
  scratch: usize,
  scratchCap: i32,
  inlineAt: i32,
  inlineNode: i32,
  inlineEnd: i32,
): i32 {
  let t: i32 = 0;
  let b: f64 = 0;
  let sb: f64 = 0;
  let sc: i32 = 0;
  let mx = maxNframe;
  let tr: i32 = 0;
  let m = memoLen;
  outInlineFrames = 0;
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
    let node1: i32 = 0;
    if (r == 0x68 || r == 0x6a) {
      let idx: u32 = 0;
      if (r == 0x68) {
        idx = load<u8>(q + 1);
        q += 2;
      } else {
        idx = load<u32>(q + 1);
        q += 5;
      }
      if (idx >= <u32>m) break;
      node1 = load<i32>(tb + (<usize>idx << 2));
      if (node1 <= 0) break;
    } else if (r == 0x28 && p == inlineAt) {
      // The traceback of this trace, made by the decoder since the last call.
      q = buf + <usize>inlineEnd;
      node1 = inlineNode + 1;
    } else if (r == 0x28) {
      const after = inlineTraceback(q, buf + <usize>n, tb, m, memoCap, scratch, scratchCap);
      if (after == 0) break;
      // The whole trace must follow as usual, so the second call cannot stop at it.
      const f = intAt(after);
      if (f >= 0 && load<u8>(after + <usize>(f & 7)) == 0x74 && load<u8>(after + <usize>(f & 7) + 1) == 0x94)
        outInlineEnd = i32(after - buf);
      else outInlineFrames = 0;
      break;
    } else break;
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
