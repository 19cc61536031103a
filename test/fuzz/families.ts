/**
 * The fuzzed families: each a list of small seed captures from test/fixtures and how they are
 * wrapped (mutations may go inside an LZ4 frame or a gzip member and be re-compressed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
// @ts-expect-error: lz4js ships no type declarations
import lz4js from 'lz4js';
import type { Wrapper } from './mutate';

export interface SeedSpec {
  /** Relative to test/fixtures. */
  file: string;
  wrapper: Wrapper;
  /** Store the seed decompressed (an uncompressed memray stream made from an LZ4 fixture). */
  unlz4?: boolean;
  /** Store the seed gunzipped (a plain dump made from a gzipped fixture). */
  gunzip?: boolean;
}

export const FAMILIES: Record<string, SeedSpec[]> = {
  'memray-raw': [
    { file: 'memray/v10-memray1.10.0-py310/basic-nocompress.bin', wrapper: 'none' },
    { file: 'memray/v13-memray1.20.0-py313/basic-nocompress.bin', wrapper: 'none' },
    { file: 'memray/v10-memray1.10.0-py310/threads.bin', wrapper: 'none', unlz4: true },
    { file: 'memray/v13-memray1.20.0-py313/threads.bin', wrapper: 'none', unlz4: true },
  ],
  'memray-lz4': [
    { file: 'memray/v10-memray1.10.0-py310/basic.bin', wrapper: 'lz4' },
    { file: 'memray/v13-memray1.20.0-py313/basic.bin', wrapper: 'lz4' },
    { file: 'memray/v10-memray1.10.0-py310/native.bin', wrapper: 'lz4' },
    { file: 'memray/v13-memray1.20.0-py313/native.bin', wrapper: 'lz4' },
  ],
  'memray-aggregated': [
    { file: 'memray/v10-memray1.10.0-py310/basic-aggregate.bin', wrapper: 'none', unlz4: true },
    { file: 'memray/v13-memray1.20.0-py313/basic-aggregate.bin', wrapper: 'none', unlz4: true },
    { file: 'memray/v10-memray1.10.0-py310/basic-aggregate.bin', wrapper: 'lz4' },
    { file: 'memray/v13-memray1.20.0-py313/basic-aggregate.bin', wrapper: 'lz4' },
  ],
  tracemalloc: [
    { file: 'tracemalloc/numpy/numpy-domainfilter.pickle', wrapper: 'none' },
    { file: 'tracemalloc/bad/valid-dump.pickle.gz', wrapper: 'none', gunzip: true },
  ],
  'tracemalloc-gzip': [
    { file: 'tracemalloc/bad/valid-dump.pickle.gz', wrapper: 'gzip' },
    { file: 'tracemalloc/nframe/deep-nframe50-py39.pickle.gz', wrapper: 'gzip' },
  ],
  'memray-csv': [
    { file: 'memray-csv/v13-memray1.20.0-py313/basic.hwm.csv', wrapper: 'none' },
    { file: 'memray-csv/v13-memray1.20.0-py313/threads.hwm.csv', wrapper: 'none' },
    { file: 'crafted/evil-names.hwm.csv', wrapper: 'none' },
  ],
  scalene: [{ file: 'scalene/numpy_arrays.no_stacks.json', wrapper: 'none' }],
};

export const FAMILY_NAMES = Object.keys(FAMILIES);

export interface Seed {
  name: string;
  bytes: Uint8Array;
  wrapper: Wrapper;
}

/**
 * A memray seed cut to its first `limit` bytes of stream (then re-compressed when it was): a cut
 * capture is still valid input (it opens as truncated) and is much cheaper to replay, which is
 * what the bounded run inside `npm test` needs.
 */
function cutMemray(bytes: Uint8Array, wrapper: Wrapper, limit: number): Uint8Array {
  if (wrapper === 'lz4') {
    const inner = Uint8Array.from(lz4js.decompress(bytes) as ArrayLike<number>);
    return inner.length <= limit
      ? bytes
      : Uint8Array.from(lz4js.compress(inner.subarray(0, limit)) as ArrayLike<number>);
  }
  return bytes.subarray(0, limit);
}

export function loadSeeds(fixtures: string, family: string, limit?: number): Seed[] {
  const specs = FAMILIES[family];
  if (!specs) throw new Error(`unknown fuzz family ${family} (known: ${FAMILY_NAMES.join(', ')})`);
  return specs.map((s) => {
    const raw = new Uint8Array(readFileSync(join(fixtures, s.file)));
    const bytes = s.unlz4
      ? Uint8Array.from(lz4js.decompress(raw) as ArrayLike<number>)
      : s.gunzip
        ? new Uint8Array(gunzipSync(raw))
        : raw;
    const note = s.unlz4 || s.gunzip ? ' (decompressed)' : '';
    if (limit !== undefined && family.startsWith('memray-') && family !== 'memray-csv')
      return {
        name: `${s.file}${note} (first ${limit} bytes)`,
        bytes: cutMemray(bytes, s.wrapper, limit),
        wrapper: s.wrapper,
      };
    return { name: `${s.file}${note}`, bytes, wrapper: s.wrapper };
  });
}
