// The WebAssembly half of memray's temporary allocations (assembly/temporary.ts, the per-record
// part the full index's loop runs) against the JavaScript class (model/memray/temporary.ts,
// itself checked against memray's own dumps in test/node/temporary.test.ts): a small entry
// importing the component is compiled here, and the same operations — seeded random sequences
// and the ones the fixtures' loads make — drive it (through TemporaryAllocations.attachWasm /
// adoptWasm) and a plain TemporaryAllocations. Every per-key, per-interval and per-bucket
// answer must be equal, for every threshold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  TEMPORARY_THRESHOLDS,
  TemporaryAllocations,
  type TemporaryWasm,
} from '../../../model/memray/temporary';
import { ASC_OPTIONS } from '../../../../scripts/build-wasm.mjs';
import { listCaptures } from '../oracles';
import { loadMemrayModel } from '../index';

const SOURCE = readFileSync(join(import.meta.dirname, 'assembly', 'temporary.ts'), 'utf8');
const FIXTURES = new URL('../../../../test/fixtures/memray', import.meta.url).pathname;

/** The test entry: the component's exports, plus per-op calls taking doubles (no BigInt). */
const ENTRY = `
import { tempInit, tempAllocated, tempFreed } from './temporary';
export { tempTakeInterval, tempTakeBucket, tempBucketPtr, tempKeyCapacity, tempKeyChunkBits, tempKeyChunkPtr,
  tempExtraCount,
  tempExtraPtr } from './temporary';
export function init(): void { tempInit(); }
export function allocated(t: i32, lo: u32, hi: u32, size: f64, key: i32): void {
  tempAllocated(t, lo, hi, <u64>size, key);
}
export function freed(t: i32, lo: u32, hi: u32, size: f64): void { tempFreed(t, lo, hi, <i64>size); }
`;

interface TestExports extends TemporaryWasm {
  init(): void;
  allocated(t: number, lo: number, hi: number, size: number, key: number): void;
  freed(t: number, lo: number, hi: number, size: number): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object;

function instance(): TestExports {
  // heap.alloc's "allocation too large" is the module's one import (full.ts's host gives it too)
  const env = { abort: () => expect.fail('the module aborted') };
  const w = new wasmApi.Instance(compiled, { env }).exports as TestExports;
  w.init();
  return w;
}

beforeAll(async () => {
  const { default: asc } = await import('assemblyscript/asc');
  // the build's options: the code full.ts inlines is compiled alike
  const { binary, stderr } = await asc.compileString(
    { 'entry.ts': ENTRY, 'temporary.ts': SOURCE },
    ASC_OPTIONS,
  );
  if (!binary) throw new Error(`asc failed:\n${stderr.toString()}`);
  compiled = new wasmApi.Module(binary);
}, 120_000);

/** `const NAME: i32 = N;` / `const NAME: StaticArray<u8> = [...];` in the AssemblyScript source. */
function scalar(name: string): number {
  const m = new RegExp(`^const ${name}: i32 = (\\d+);`, 'm').exec(SOURCE);
  if (!m) throw new Error(`assembly/temporary.ts defines no constant ${name}`);
  return Number(m[1]);
}
function array(name: string): number[] {
  const m = new RegExp(`^const ${name}: StaticArray<u8> = \\[([^\\]]*)\\];`, 'm').exec(SOURCE);
  if (!m) throw new Error(`assembly/temporary.ts defines no array ${name}`);
  return m[1].split(',').map((v) => Number(v.trim()));
}

describe('the WebAssembly temporaries use the same thresholds', () => {
  it('thresholds, classes, ring depth and the distance → class table', () => {
    const t = [...TEMPORARY_THRESHOLDS];
    expect(array('TEMPORARY_THRESHOLDS')).toEqual(t);
    expect(scalar('CLASSES')).toBe(t.length);
    expect(scalar('DEPTH')).toBe(t[t.length - 1] + 1);
    // class c holds the distances T[c-1] < d ≤ T[c]
    const want = Array.from({ length: t[t.length - 1] + 1 }, (_, d) => t.findIndex((x) => d <= x));
    expect(array('CLASS_OF')).toEqual(want);
  });
});

// ---------------------------------------------------------------- operations

/** kind: 0 allocation, 1 simple free, 2 ranged free (size), 3 memory record, 4 bucket close, 5 merge. */
type Op = [kind: number, t: number, lo: number, hi: number, size: number, key: number];

/** One driver for both sides: the wasm-attached object gets its records through the module. */
function apply(ops: Op[], ref: TemporaryAllocations, sub: TemporaryAllocations, w: TestExports): void {
  for (const [kind, t, lo, hi, size, key] of ops) {
    switch (kind) {
      case 0:
        ref.allocated(t, lo, hi, size, key);
        w.allocated(t, lo, hi, size, key);
        break;
      case 1:
        ref.freed(t, lo, hi, -1);
        w.freed(t, lo, hi, -1);
        break;
      case 2:
        ref.freed(t, lo, hi, size);
        w.freed(t, lo, hi, size);
        break;
      case 3:
        ref.memoryRecord();
        sub.memoryRecord();
        break;
      case 4:
        ref.closeBucket();
        sub.closeBucket();
        break;
      default:
        ref.mergeBuckets();
        sub.mergeBuckets();
    }
  }
}

function same(a: Float64Array, b: Float64Array, what: string): void {
  if (a.length !== b.length) expect(b.length, `${what}: length`).toBe(a.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) expect(b[i], `${what} [${i}]`).toBe(a[i]);
}

/** Every answer the model reads, for every threshold. */
function compare(ref: TemporaryAllocations, sub: TemporaryAllocations, keyCount: number, what: string): void {
  expect(sub.bucketCount, `${what}: buckets`).toBe(ref.bucketCount);
  for (const n of TEMPORARY_THRESHOLDS) {
    const a = ref.perKey(n, keyCount);
    const b = sub.perKey(n, keyCount);
    same(a.count, b.count, `${what} N=${n} per-key count`);
    same(a.bytes, b.bytes, `${what} N=${n} per-key bytes`);
    same(ref.intervalCounts(n), sub.intervalCounts(n), `${what} N=${n} per interval`);
    const last = ref.bucketCount - 1;
    // each bucket alone; and, for the extreme thresholds, from it to the end (sums over
    // buckets are the one JS loop either way)
    const wide = n === TEMPORARY_THRESHOLDS[0] || n === TEMPORARY_THRESHOLDS[TEMPORARY_THRESHOLDS.length - 1];
    for (let b1 = 0; b1 <= last; b1++) {
      for (const b2 of wide && b1 < last ? [b1, last] : [b1]) {
        const x = ref.perKeyInBuckets(n, b1, b2, keyCount);
        const y = sub.perKeyInBuckets(n, b1, b2, keyCount);
        same(x.count, y.count, `${what} N=${n} buckets ${b1}..${b2} count`);
        same(x.bytes, y.bytes, `${what} N=${n} buckets ${b1}..${b2} bytes`);
      }
    }
  }
  for (let c = 0; c < TEMPORARY_THRESHOLDS.length; c++)
    expect(sub.pending(c), `${what}: pending class ${c}`).toBe(ref.pending(c));
}

/**
 * Replays `ops` into both sides and compares: the interval counts and closed buckets while
 * attached, then everything after adopting — before the final bucket close or after it.
 */
function check(
  ops: Op[],
  keyCount: number,
  adoptFirst: boolean,
  what: string,
): { extras: number; found: number } {
  const w = instance();
  const ref = new TemporaryAllocations();
  const sub = new TemporaryAllocations();
  sub.attachWasm(w);
  apply(ops, ref, sub, w);
  expect(sub.bucketCount, `${what}: buckets while attached`).toBe(ref.bucketCount);
  for (const n of TEMPORARY_THRESHOLDS)
    same(ref.intervalCounts(n), sub.intervalCounts(n), `${what} N=${n} per interval while attached`);
  const extras = w.tempExtraCount();
  if (adoptFirst) sub.adoptWasm();
  ref.closeBucket();
  sub.closeBucket();
  if (!adoptFirst) sub.adoptWasm();
  compare(ref, sub, keyCount, what);
  return { extras, found: ref.perKey(32, keyCount).count.reduce((s, v) => s + v, 0) };
}

/** mulberry32: a small seeded generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIZES = [0, 8, 16, 24, 32, 48, 4096, 65536, 2 ** 32 + 8, 2 ** 40];

/**
 * A random operation sequence: a few threads (sometimes a high slot), a small address pool with
 * high words that differ (and wide ones), frees mostly of recent allocations at every distance
 * around the ring depth, ranged frees with matching and mismatching sizes, memory records,
 * bucket closes and merges as the time index makes them (an even bucket count).
 */
function randomOps(seed: number, length: number): { ops: Op[]; keyCount: number } {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const threads = 1 + Math.floor(r() * 6);
  const slots = Array.from({ length: threads }, (_, i) => (r() < 0.1 ? 5 + Math.floor(r() * 60) : i));
  const keyCount = pick([3, 40, 400, 3000]);
  // addresses: some share their low word with another one (only the high word differs)
  const pool: [number, number][] = [];
  for (let i = pick([4, 16, 64, 400]); i > 0; i--) {
    const lo = pool.length > 0 && r() < 0.3 ? pick(pool)[0] : Math.floor(r() * 2 ** 32) | 0;
    pool.push([lo, pick([0, 0, 0, 1, 7, 8191, 0x1fffff])]);
  }
  const recent = slots.map((): Op[] => []);
  const ops: Op[] = [];
  let buckets = 0;
  let t = 0;
  while (ops.length < length) {
    if (r() < 0.05) t = Math.floor(r() * threads);
    const slot = slots[t];
    const x = r();
    if (x < 0.45) {
      const [lo, hi] = pick(pool);
      const op: Op = [0, slot, lo, hi, pick(SIZES), Math.floor(r() * keyCount)];
      ops.push(op);
      recent[t].unshift(op);
      if (recent[t].length > 48) recent[t].pop();
    } else if (x < 0.9) {
      const mine = recent[t];
      const near = mine.length > 0 && r() < 0.8;
      const from = near ? mine[Math.floor(r() * mine.length)] : undefined;
      const [lo, hi] = from ? [from[2], from[3]] : pick(pool);
      const ranged = r() < 0.2;
      const size = ranged ? (from && r() < 0.7 ? from[4] : pick(SIZES)) : -1;
      // now and then a free from another thread's slot (a different ring)
      const on = r() < 0.05 ? slots[Math.floor(r() * threads)] : slot;
      ops.push([ranged ? 2 : 1, on, lo, hi, size, 0]);
    } else if (x < 0.97) ops.push([3, 0, 0, 0, 0, 0]);
    else {
      ops.push([4, 0, 0, 0, 0, 0]);
      buckets++;
      if (buckets % 2 === 0 && r() < 0.4) {
        ops.push([5, 0, 0, 0, 0, 0]);
        buckets /= 2;
      }
    }
  }
  return { ops, keyCount };
}

describe('the WebAssembly temporaries equal the JavaScript class', () => {
  it('on 400 random operation sequences (several threads, reuse, ranged frees, buckets, merges)', () => {
    let extras = 0;
    let found = 0;
    let merges = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { ops, keyCount } = randomOps(seed, 1000 + (seed % 7) * 700);
      const got = check(ops, keyCount, seed % 2 === 0, `seed ${seed}`);
      extras += got.extras;
      found += got.found;
      merges += ops.filter((o) => o[0] === 5).length;
    }
    // the sequences reach the rare paths
    expect(extras).toBeGreaterThan(100);
    expect(merges).toBeGreaterThan(100);
    expect(found).toBeGreaterThan(10_000);
  }, 120_000);

  it('past the key, thread and entry tables’ first sizes', () => {
    // one key per allocation: per-key, bucket-entry and extra-class tables all grow
    const ops: Op[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t = i % 9;
      ops.push([0, t, i, 0, 8 + (i % 5), i]);
      ops.push([0, t, i + 1, 0, 8, 20_000 + i]);
      // distance 1 for even i, 0 for odd: every key of the first kind in its own class
      ops.push([1, t, i & 1 ? i + 1 : i, 0, -1, 0]);
      if (i % 1000 === 999) ops.push([3, 0, 0, 0, 0, 0]);
      if (i % 7000 === 6999) ops.push([4, 0, 0, 0, 0, 0]);
    }
    // a key first found at distance 0, later at 2 and 9: its other classes
    for (let d = 0; d < 40; d++) {
      for (let j = 0; j <= d; j++) ops.push([0, 3, 1_000_000 + j, 0, 16, j === 0 ? 7 : 99]);
      ops.push([1, 3, 1_000_000, 0, -1, 0]);
    }
    check(ops, 40_000, false, 'growth');
    check(ops, 40_000, true, 'growth, adopted before the last close');
  });
});

// ---------------------------------------------------------------- the fixtures' own operations

describe('the WebAssembly temporaries equal the JavaScript class on the fixtures’ operations', () => {
  afterEach(() => vi.restoreAllMocks());
  // v12/v13 (the WebAssembly loop's formats), not aggregated (no replay, no temporaries); not
  // the 3.8 MB treebuilder capture (a 15 s JavaScript load: full-wasm-differential.test.ts
  // compares it end to end)
  const captures = listCaptures(FIXTURES).filter(
    (c) => /^v1[23]-/.test(c.folder) && !/aggregate/.test(c.name) && c.sizeBytes < 2_000_000,
  );
  it('finds the v12/v13 captures', () => expect(captures.length).toBeGreaterThan(10));
  for (const c of captures) {
    it(`${c.folder}/${c.name}`, async () => {
      // what the JavaScript builder asks its TemporaryAllocations, in order (few buckets, so
      // they merge)
      const ops: Op[] = [];
      const p = TemporaryAllocations.prototype;
      vi.spyOn(p, 'allocated').mockImplementation((t, lo, hi, size, key) => {
        ops.push([0, t, lo, hi, size, key]);
      });
      vi.spyOn(p, 'freed').mockImplementation((t, lo, hi, size) => {
        ops.push([size < 0 ? 1 : 2, t, lo, hi, size, 0]);
      });
      vi.spyOn(p, 'memoryRecord').mockImplementation(() => ops.push([3, 0, 0, 0, 0, 0]));
      vi.spyOn(p, 'closeBucket').mockImplementation(() => ops.push([4, 0, 0, 0, 0, 0]));
      vi.spyOn(p, 'mergeBuckets').mockImplementation(() => ops.push([5, 0, 0, 0, 0, 0]));
      // the JavaScript loop, whatever the default
      await loadMemrayModel(c.path, { maxBuckets: 8, jsFull: true });
      vi.restoreAllMocks();
      expect(ops.some((o) => o[0] === 0)).toBe(true);
      const keyCount = 1 + ops.reduce((m, o) => (o[0] === 0 ? Math.max(m, o[5]) : m), 0);
      // the final close is part of the load here: adopt at the end
      const w = instance();
      const ref = new TemporaryAllocations();
      const sub = new TemporaryAllocations();
      sub.attachWasm(w);
      apply(ops, ref, sub, w);
      sub.adoptWasm();
      compare(ref, sub, keyCount, c.name);
    });
  }
});
