/**
 * Seeded mutations of capture files. Every mutant is a pure function of (family, seed file,
 * index), so a reproducer is re-made from its numbers and a run is repeatable.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
// @ts-expect-error: lz4js ships no type declarations
import lz4js from 'lz4js';

/** mulberry32: small, fast, good enough to spread mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MUTATION_KINDS = [
  'bitflip',
  'byteset',
  'truncate',
  'slice-delete',
  'slice-duplicate',
  'huge4',
  'huge8',
  'ff-run',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** Values a length or id field is likely to misbehave on. */
const HUGE4 = [0xffffffff, 0x7fffffff, 0x80000000, 0x7ffffff0, 0x10000, 0xfffffffe];
const HUGE8: bigint[] = [
  0xffffffffffffffffn,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0x0000000100000000n,
  0x001fffffffffffffn,
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

/** Offsets near the start are where headers and first records live: weight them. */
function position(r: () => number, n: number): number {
  if (n === 0) return 0;
  return r() < 0.4 ? Math.floor(r() * Math.min(n, 256)) : Math.floor(r() * n);
}

/** One byte-level mutation of `input` (a new array; the input is left alone). */
export function mutateBytes(input: Uint8Array, kind: MutationKind, r: () => number): Uint8Array {
  const n = input.length;
  const out = new Uint8Array(input);
  const at = position(r, n);
  switch (kind) {
    case 'bitflip': {
      const flips = 1 + Math.floor(r() * 4);
      for (let i = 0; i < flips && n > 0; i++) out[position(r, n)] ^= 1 << Math.floor(r() * 8);
      return out;
    }
    case 'byteset': {
      const sets = 1 + Math.floor(r() * 3);
      for (let i = 0; i < sets && n > 0; i++)
        out[position(r, n)] = pick(r, [0, 1, 0x7f, 0x80, 0xff, 0x1b, 0x0d, Math.floor(r() * 256)]);
      return out;
    }
    case 'truncate':
      return input.slice(0, Math.floor(r() * n));
    case 'slice-delete': {
      const len = 1 + Math.floor(r() * Math.min(64, Math.max(1, n - at)));
      return concat(input.subarray(0, at), input.subarray(Math.min(n, at + len)));
    }
    case 'slice-duplicate': {
      const len = 1 + Math.floor(r() * Math.min(256, Math.max(1, n - at)));
      const slice = input.subarray(at, Math.min(n, at + len));
      return concat(input.subarray(0, at), slice, input.subarray(at));
    }
    case 'huge4': {
      if (n < 4) return out;
      const p = Math.min(at, n - 4);
      new DataView(out.buffer).setUint32(p, pick(r, HUGE4), true);
      return out;
    }
    case 'huge8': {
      if (n < 8) return out;
      const p = Math.min(at, n - 8);
      new DataView(out.buffer).setBigUint64(p, pick(r, HUGE8), true);
      return out;
    }
    case 'ff-run': {
      const len = 1 + Math.floor(r() * 32);
      out.fill(0xff, at, Math.min(n, at + len));
      return out;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** How a family's seed is wrapped: mutations may go inside the wrapper, then it is re-made. */
export type Wrapper = 'none' | 'lz4' | 'gzip';

function unwrap(bytes: Uint8Array, wrapper: Wrapper): Uint8Array {
  if (wrapper === 'lz4') return Uint8Array.from(lz4js.decompress(bytes) as ArrayLike<number>);
  if (wrapper === 'gzip') return new Uint8Array(gunzipSync(bytes));
  return bytes;
}

function wrap(bytes: Uint8Array, wrapper: Wrapper): Uint8Array {
  if (wrapper === 'lz4') return Uint8Array.from(lz4js.compress(bytes) as ArrayLike<number>);
  if (wrapper === 'gzip') return new Uint8Array(gzipSync(bytes));
  return bytes;
}

export interface Mutant {
  bytes: Uint8Array;
  /** e.g. "huge8" or "inside:bitflip+truncate". */
  description: string;
}

/**
 * Mutant `index` of `seed`: one to three byte mutations, on the file itself or (for wrapped
 * families, half of the time) on the stream inside the LZ4 frame / gzip member, re-compressed
 * so the damage reaches the record parser instead of stopping at the decompressor.
 */
export function makeMutant(seed: Uint8Array, wrapper: Wrapper, index: number, salt = 0): Mutant {
  const r = rng(Math.imul(index + 1, 0x9e3779b1) ^ salt);
  const inside = wrapper !== 'none' && r() < 0.5;
  let bytes = inside ? unwrap(seed, wrapper) : seed;
  const count = 1 + Math.floor(r() * r() * 3);
  const kinds: MutationKind[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pick(r, MUTATION_KINDS);
    kinds.push(kind);
    bytes = mutateBytes(bytes, kind, r);
  }
  if (inside) bytes = wrap(bytes, wrapper);
  return { bytes, description: `${inside ? 'inside:' : ''}${kinds.join('+')}` };
}
