// @ts-expect-error: lz4js ships no type declarations
import lz4jsModule from 'lz4js';
import { describe, expect, it } from 'vitest';
import { Lz4FrameDecoder, type DecodeWindow } from './lz4';
import { WasmWindowMemory, instantiateTotals, type TotalsHost } from './wasm/totals-wasm';

/**
 * Our two LZ4 block decoders (JavaScript for the app's loads, WebAssembly for `stats`) against
 * lz4js on data made to hit every copy path: long literal runs, overlapping matches with
 * offsets 1–7 (pattern repeats), short and long matches at offsets ≥ 8.
 */
function testData(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 7;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
  let p = 0;
  while (p < n) {
    const kind = rnd() % 4;
    const len = Math.min(n - p, 1 + (rnd() % (kind === 0 ? 300 : 90)));
    if (kind === 0 || p < 16) {
      for (let i = 0; i < len; i++) out[p + i] = rnd() & 0xff; // incompressible literals
    } else {
      const off = kind === 1 ? 1 + (rnd() % 7) : 8 + (rnd() % Math.min(p - 7, 5000));
      for (let i = 0; i < len; i++) out[p + i] = out[p + i - Math.min(off, p)];
    }
    p += len;
  }
  return out;
}

/**
 * An LZ4 frame of linked 64 KiB blocks, like memray's: lz4js's block compressor with one hash
 * table for the whole input, so matches reach back into earlier blocks.
 */
function linkedFrame(data: Uint8Array): Uint8Array {
  const out: number[] = [0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00];
  const table = new Uint32Array(1 << 16);
  const block = new Uint8Array(70_000);
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  for (let at = 0; at < data.length; at += 65536) {
    const n = Math.min(65536, data.length - at);
    const size = lz4js.compressBlock(data, block, at, n, table);
    if (size === 0 || size >= n) {
      u32((0x80000000 | n) >>> 0);
      for (let i = 0; i < n; i++) out.push(data[at + i]);
    } else {
      u32(size);
      for (let i = 0; i < size; i++) out.push(block[i]);
    }
  }
  u32(0);
  return Uint8Array.from(out);
}

const lz4js = lz4jsModule as {
  compressBlock(src: Uint8Array, dst: Uint8Array, at: number, n: number, table: Uint32Array): number;
  decompress(frame: Uint8Array): Uint8Array;
};

const noHost = new Proxy({}, { get: () => () => 0 }) as unknown as TotalsHost;

/** Streams a frame in `chunk`-byte pieces into a 256 KiB window, collecting the output. */
function decodeStream(frame: Uint8Array, chunk: number, wasm: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const size = 512 << 10;
  let buf: () => Uint8Array;
  let block: DecodeWindow['decodeBlock'];
  const win: DecodeWindow & { flush(): void } = {
    get buf() {
      return buf();
    },
    wpos: 0,
    reserve(n: number) {
      if (this.wpos + n <= size) return;
      this.flush();
      buf().copyWithin(0, this.wpos - 65536, this.wpos);
      this.wpos = 65536;
    },
    flush() {
      parts.push(buf().slice(parts.length === 0 ? 0 : 65536, this.wpos));
    },
  };
  if (wasm) {
    const w = instantiateTotals(noHost);
    w.init(16);
    const mem = new WasmWindowMemory(w);
    mem.grow(size, 0);
    buf = () => mem.bytes();
    block = (src, start, end, limit) => mem.decodeBlock(src, start, end, win.wpos, limit);
    win.decodeBlock = block;
  } else {
    const plain = new Uint8Array(size);
    buf = () => plain;
  }
  const d = new Lz4FrameDecoder();
  for (let p = 0; p < frame.length; p += chunk)
    d.push(frame.subarray(p, Math.min(frame.length, p + chunk)), win);
  expect(d.done).toBe(true);
  win.flush();
  const total = parts.reduce((s, a) => s + a.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const a of parts) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

describe('LZ4 block decoders', () => {
  const data = testData(1_500_000);
  const frame = linkedFrame(data);

  it('the frame is compressed, in linked blocks, and lz4js reads it back (the reference)', () => {
    expect(frame.length).toBeLessThan(data.length * 0.8);
    expect(Buffer.from(lz4js.decompress(frame)).equals(Buffer.from(data))).toBe(true);
  });

  for (const wasm of [false, true]) {
    for (const chunk of [1 << 20, 4093, 7]) {
      it(`${wasm ? 'WebAssembly' : 'JavaScript'} decoder, ${chunk}-byte input pieces`, () => {
        const out = decodeStream(frame, chunk, wasm);
        expect(out.length).toBe(data.length);
        expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
      });
    }
  }

  it('a corrupt block is refused by both (match offset before the start of the output)', () => {
    // a block whose first sequence is a match: no history to copy from
    const bad = new Uint8Array([
      0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 3, 0, 0, 0, 0x0f, 0x10, 0x00, 0, 0, 0, 0,
    ]);
    for (const wasm of [false, true])
      expect(() => decodeStream(bad, 1 << 20, wasm)).toThrow(/corrupt LZ4 block/);
  });
});
