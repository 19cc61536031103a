/**
 * Crafted memray captures (issue 11): ids, parent links and counts from the file that used to
 * size arrays, walk out of bounds or loop. Each is a real capture's header followed by a few
 * hand-made records, so the records are the only thing wrong; both the full model and the
 * totals replay must refuse with our error, naming the file and the offending record's offset.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: lz4js ships no type declarations
import lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../model/capture-model';
import { parseHeader } from './header';
import { loadMemrayModel } from './index';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'heapscope-hostile-'));

/** The decoded stream's header bytes of a fixture (LZ4 or raw). */
function headerOf(rel: string): Uint8Array {
  const file = new Uint8Array(readFileSync(join(FIXTURES, rel)));
  const stream = file[0] === 0x04 ? Uint8Array.from(lz4js.decompress(file) as ArrayLike<number>) : file;
  const h = parseHeader(stream, 0, stream.length, true, rel)!;
  return stream.slice(0, h.length);
}

const u8 = (...b: number[]) => Uint8Array.from(b);
function varint(v: bigint | number): Uint8Array {
  let x = BigInt(v);
  const out: number[] = [];
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x > 0n ? b | 0x80 : b);
  } while (x > 0n);
  return Uint8Array.from(out);
}
const svarint = (v: bigint | number) => {
  const x = BigInt(v);
  return varint(x >= 0n ? x * 2n : -x * 2n - 1n);
};
const u64 = (v: bigint | number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
};
const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};
const cstr = (s: string) => Uint8Array.from([...Buffer.from(s), 0]);
function cat(...parts: Uint8Array[]): Uint8Array {
  return join8(parts);
}
function join8(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

let n = 0;
/**
 * Writes header + records, LZ4-framed as memray writes by default (an uncompressed file would
 * lose the crafted record's trailing zero bytes: memray's raw reader ignores a zero tail).
 */
function capture(header: Uint8Array, records: Uint8Array, lz4 = true): { path: string; at: number } {
  const path = join(tmp, `crafted-${++n}.bin`);
  const stream = cat(header, records);
  writeFileSync(path, lz4 ? Uint8Array.from(lz4js.compress(stream) as ArrayLike<number>) : stream);
  return { path, at: header.length };
}

async function expectRefused(path: string, offset: number, message: RegExp): Promise<void> {
  for (const detail of ['full', 'totals'] as const) {
    const error = await loadMemrayModel(path, { detail }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, detail).toBeInstanceOf(InputError);
    const e = error as InputError;
    expect(e.file).toBe(path);
    expect(e.offset).toBe(offset);
    expect(e.message).toMatch(message);
  }
}

const V10 = 'v10-memray1.10.0-py310/basic-nocompress.bin';
const V13 = 'v13-memray1.20.0-py313/basic-nocompress.bin';
const V10_AGG = 'v10-memray1.10.0-py310/basic-aggregate.bin';
const V13_AGG = 'v13-memray1.20.0-py313/basic-aggregate.bin';
const CONTEXT_SWITCH_V10 = cat(u8(0x0c), u64(1));

describe('crafted ids and links are refused where they are read', () => {
  it('A: a v10 FRAME_INDEX id of 2^64-1 (once sized the frame table: "Invalid typed array length")', async () => {
    // the frame-id delta -1 from 0: 2^64-1, which is 2^64 as a double
    const frame = cat(u8(0x03), svarint(-1), cstr('f'), cstr('x.py'), svarint(1));
    for (const lz4 of [false, true]) {
      const { path, at } = capture(headerOf(V10), frame, lz4);
      await expectRefused(
        path,
        at,
        /FRAME_INDEX defines frame id 18446744073709552000: expected the next id \(0\)/,
      );
    }
  });

  it('B: an aggregated PYTHON_FRAME_INDEX id past the section (v10 any order, v13 consecutive)', async () => {
    const v10 = cat(u8(0x04), u64(0xfffffffffffffn), cstr('f'), cstr('x.py'), u32(1), u8(1), u8(0x0f));
    const a = capture(headerOf(V10_AGG), v10);
    await expectRefused(
      a.path,
      a.at,
      /PYTHON_FRAME_INDEX defines frame id 4503599627370495, but the capture holds 1/,
    );
    const v13 = cat(u8(0x04), varint(5), varint(0), svarint(0), u8(1));
    const b = capture(headerOf(V13_AGG), v13);
    await expectRefused(b.path, b.at, /PYTHON_FRAME_INDEX defines frame id 5: expected 0/);
  });

  it('C: a native stack id beyond the NATIVE_TRACE_INDEX records read', async () => {
    // v10 ALLOCATION_WITH_NATIVE (malloc): address, size, native id 7 with no native frames
    const alloc = cat(u8(0x12), svarint(4096), varint(64), svarint(7));
    const a = capture(headerOf(V10), cat(CONTEXT_SWITCH_V10, alloc));
    await expectRefused(a.path, a.at + 9, /ALLOCATION_WITH_NATIVE record names native stack 7, but only 0/);
  });

  it('D: parent links that point forward or at themselves (cycles) are refused', async () => {
    // native: node 1 names parent 1 (itself), in both stream encodings
    const native = cat(u8(0x05), svarint(0x401000), svarint(1));
    for (const header of [V10, V13]) {
      const { path, at } = capture(headerOf(header), native);
      await expectRefused(
        path,
        at,
        /NATIVE_TRACE_INDEX node 1 names parent 1: expected an earlier node \(0 to 0\)/,
      );
    }
    // aggregated Python tree: frame 0 defined, then node 1 → parent 2 and node 1 → parent 1
    const frameV13 = cat(u8(0x04), varint(0), varint(0), svarint(0), u8(1));
    for (const parent of [1, 2]) {
      const trace = cat(u8(0x03), varint(0), varint(parent));
      const { path, at } = capture(headerOf(V13_AGG), cat(frameV13, trace));
      await expectRefused(
        path,
        at + frameV13.length,
        new RegExp(`node 1 names parent ${parent}: expected an earlier node`),
      );
    }
    const frameV10 = cat(u8(0x04), u64(0), cstr('f'), cstr('x.py'), u32(1), u8(1));
    const traceV10 = cat(u8(0x03), u64(0), u32(1));
    const v10 = capture(headerOf(V10_AGG), cat(frameV10, traceV10));
    await expectRefused(v10.path, v10.at + frameV10.length, /PYTHON_TRACE_INDEX node 1 names parent 1/);
  });

  it('an aggregated allocation naming a stack, native stack or allocator that was never defined', async () => {
    const alloc = (allocator: number, nat: bigint, py: bigint, gen: bigint) =>
      cat(
        u8(0x02),
        u64(1),
        u8(allocator),
        new Uint8Array(7),
        u64(nat),
        u64(py),
        u64(gen),
        u64(1),
        u64(1),
        u64(8),
        u64(8),
      );
    const cases: [Uint8Array, RegExp][] = [
      [alloc(6, 0n, 9n, 0n), /names Python stack 9, but only 0 PYTHON_TRACE_INDEX/],
      [alloc(6, 3n, 0n, 0n), /names native stack 3, but only 0 NATIVE_TRACE_INDEX/],
      [alloc(200, 0n, 0n, 0n), /allocator 200: expected an allocator id 1 to 15/],
      [alloc(6, 0n, 0n, 0xffffffffn), /memory-map generation 4294967295, but only 0/],
    ];
    for (const [record, message] of cases) {
      const { path, at } = capture(headerOf(V13_AGG), record);
      await expectRefused(path, at, message);
    }
  });

  it('a v10 FRAME_PUSH of a frame that was never defined', async () => {
    const push = cat(u8(0x04), svarint(40));
    const { path, at } = capture(headerOf(V10), cat(CONTEXT_SWITCH_V10, push));
    await expectRefused(path, at + 9, /FRAME_PUSH names Python frame 40, but only 0 frames are defined/);
  });

  it('a CODE_OBJECT id far past the last one', async () => {
    const code = cat(u8(0x0e), varint(1n << 40n), cstr('f'), cstr('x.py'), svarint(1), varint(0));
    const { path, at } = capture(headerOf(V13), code);
    await expectRefused(path, at, /CODE_OBJECT id 1099511627776: expected the next id \(1\)/);
  });
});

describe('memory follows what the model keeps', () => {
  it('a capture switching through 50 000 thread ids keeps no stack per thread', async () => {
    // CONTEXT_SWITCH to a new tid, one allocation each: every thread is a key, none pushes a frame
    const parts: Uint8Array[] = [];
    for (let t = 1; t <= 50_000; t++)
      parts.push(u8(0x0c), u64(t), u8(0x11), svarint(t === 1 ? 4096 : 16), varint(8));
    const { path } = capture(headerOf(V10), join8(parts));
    const before = process.memoryUsage();
    const m = await loadMemrayModel(path, {});
    const after = process.memoryUsage();
    expect(m.info().threads.length).toBe(50_000);
    expect(m.statsJson({}).totalAllocations).toBe(50_000);
    // 0.7 MB of records; a 64-entry stack per thread alone was 13 MB
    expect(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers).toBeLessThan(
      200 * 2 ** 20,
    );
  });
});
