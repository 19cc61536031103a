import { InputError } from '../../model/capture-model';

/** Bounds-checked little-endian reads for the cold parts of the stream (header, strings). */
export class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public p: number,
    readonly end: number,
  ) {}

  /** Set when a read ran past `end`; every later read returns 0. */
  short = false;

  u8(): number {
    if (this.p >= this.end) {
      this.short = true;
      return 0;
    }
    return this.buf[this.p++];
  }

  i32(): number {
    if (this.p + 4 > this.end) {
      this.short = true;
      return 0;
    }
    const b = this.buf;
    const p = this.p;
    this.p += 4;
    return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  }

  u32(): number {
    return this.i32() >>> 0;
  }

  /** u64 as a double (exact below 2^53, which holds for every value memray writes). */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 4294967296 + lo;
  }

  i64(): number {
    const lo = this.u32();
    const hi = this.i32();
    return hi * 4294967296 + lo;
  }

  varint(): number {
    let v = 0;
    let s = 1;
    for (let i = 0; i < 10; i++) {
      if (this.p >= this.end) {
        this.short = true;
        return 0;
      }
      const b = this.buf[this.p++];
      v += (b & 0x7f) * s;
      if ((b & 0x80) === 0) return v;
      s *= 128;
    }
    this.short = true;
    return 0;
  }

  svarint(): number {
    const z = this.varint();
    // zig-zag on a double: even → z/2, odd → -(z+1)/2
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  cstring(): string {
    const b = this.buf;
    let q = this.p;
    while (q < this.end && b[q] !== 0) q++;
    if (q >= this.end) {
      this.short = true;
      this.p = this.end;
      return '';
    }
    const s = decodeUtf8(b, this.p, q);
    this.p = q + 1;
    return s;
  }

  bytes(n: number): Uint8Array {
    if (this.p + n > this.end) {
      this.short = true;
      this.p = this.end;
      return new Uint8Array(0);
    }
    const out = this.buf.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }
}

const utf8 = new TextDecoder('utf-8');

export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  // Short ASCII strings are the common case (function names, paths); avoid the decoder call.
  if (end - start < 64) {
    let ascii = true;
    for (let i = start; i < end; i++) if (buf[i] >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, Array.from(buf.subarray(start, end)));
  }
  return utf8.decode(buf.subarray(start, end));
}

export interface MemrayHeader {
  version: number;
  /** PY_VERSION_HEX (v12+), else 0. */
  pythonVersionHex: number;
  nativeTraces: boolean;
  fileFormat: 0 | 1;
  nAllocations: number;
  nFrames: number;
  startTime: number;
  endTime: number;
  commandLine: string;
  pid: number;
  mainTid: number;
  skippedFramesOnMainTid: number;
  pythonAllocator: number;
  tracePythonAllocators: boolean;
  trackObjectLifetimes: boolean;
  libdest?: string;
  sitePackages?: string[];
  sysPath?: string[];
  /** Header length in the decoded stream. */
  length: number;
}

const MAGIC = [0x6d, 0x65, 0x6d, 0x72, 0x61, 0x79, 0x00];

export const PYTHON_ALLOCATOR_NAMES: Record<number, string> = {
  1: 'pymalloc',
  2: 'pymalloc debug',
  3: 'malloc',
  4: 'unknown',
  5: 'mimalloc',
  6: 'mimalloc debug',
};

/**
 * Parses the header at buf[pos…end). Returns undefined when more bytes are needed (and
 * `final` is false). Throws InputError for anything that is not a memray 10–13 header.
 */
export function parseHeader(
  buf: Uint8Array,
  pos: number,
  end: number,
  final: boolean,
  file?: string,
): MemrayHeader | undefined {
  const c = new Cursor(buf, pos, end);
  for (let i = 0; i < MAGIC.length; i++) {
    if (c.p >= end) {
      if (final)
        throw new InputError(
          `file too short for a memray header: expected magic "memray\\0", got ${i} byte(s)`,
          file,
          pos + i,
        );
      return undefined;
    }
    if (buf[c.p] !== MAGIC[i]) {
      throw new InputError(
        `not a memray capture: expected magic "memray\\0" (6d 65 6d 72 61 79 00) or an LZ4 frame (04 22 4d 18), found byte 0x${buf[c.p].toString(16).padStart(2, '0')}`,
        file,
        c.p,
      );
    }
    c.p++;
  }
  const version = c.i32();
  if (c.short) {
    if (final) throw new InputError('file ends inside the memray header (version field)', file, c.p);
    return undefined;
  }
  if (version < 10 || version > 13) {
    throw new InputError(
      `unsupported memray header version ${version}: expected 10, 11, 12 or 13`,
      file,
      pos + 7,
    );
  }
  const pythonVersionHex = version >= 12 ? c.u32() : 0;
  const nativeTraces = c.u8() !== 0;
  const fileFormatAt = c.p;
  const fileFormat = c.u8();
  const nAllocations = c.u64();
  const nFrames = c.u64();
  const startTime = c.i64();
  const endTime = c.i64();
  const commandLine = c.cstring();
  const pid = c.i32();
  const mainTid = c.u64();
  const skippedFramesOnMainTid = c.u64();
  const pythonAllocator = c.u8();
  const tracePythonAllocators = version >= 11 ? c.u8() !== 0 : false;
  const trackObjectLifetimes = version >= 12 ? c.u8() !== 0 : false;
  let libdest: string | undefined;
  let sitePackages: string[] | undefined;
  let sysPath: string[] | undefined;
  if (version >= 13) {
    libdest = c.cstring();
    const list = (): string[] => {
      const out: string[] = [];
      for (;;) {
        const s = c.cstring();
        if (c.short || s === '') return out;
        out.push(s);
      }
    };
    sitePackages = list();
    sysPath = list();
  }
  if (c.short) {
    if (final) throw new InputError(`file ends inside the memray v${version} header`, file, c.p);
    return undefined;
  }
  if (fileFormat !== 0 && fileFormat !== 1) {
    throw new InputError(
      `bad memray file_format ${fileFormat}: expected 0 (all allocations) or 1 (aggregated)`,
      file,
      fileFormatAt,
    );
  }
  return {
    version,
    pythonVersionHex,
    nativeTraces,
    fileFormat: fileFormat as 0 | 1,
    nAllocations,
    nFrames,
    startTime,
    endTime,
    commandLine,
    pid,
    mainTid,
    skippedFramesOnMainTid,
    pythonAllocator,
    tracePythonAllocators,
    trackObjectLifetimes,
    libdest,
    sitePackages,
    sysPath,
    length: c.p - pos,
  };
}

export function pythonVersionString(hex: number): string | undefined {
  if (!hex) return undefined;
  return `${(hex >>> 24) & 0xff}.${(hex >>> 16) & 0xff}.${(hex >>> 8) & 0xff}`;
}
