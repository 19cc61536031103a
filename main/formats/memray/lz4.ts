import { InputError } from '../../model/capture-model';

/**
 * Streaming LZ4 *frame* decoder (LZ4F), written for memray captures: linked 64 KiB blocks,
 * decoded straight into the caller's window so the previous output serves as the dictionary.
 *
 * Why hand-written: measured on large.bin (v12, 14.1 MB lz4 → 57.1 MB raw) on the 2-core dev
 * box (loaded, best of 6 in one process): this decoder 158 ms (≈360 MB/s of output, 1 MiB
 * input chunks into a 4 MiB window), lz4js 0.2 `decompress` 245 ms and it needs the whole
 * frame and its 57 MB output in memory at once; Debian `lz4 -d` ≈ 15 ms. Native bindings
 * (lz4-napi) would need a native build step. `stats --json` decodes its blocks with the
 * WebAssembly twin of decodeBlock (wasm/assembly/totals.ts lz4Block: 39 ms in-process on
 * large.bin), straight into the memory its record loop reads; this frame parser drives both.
 * bench/memray-stats.bench.mjs re-measures all three on each run.
 */

/** Where decoded bytes go: `buf[wpos…]`, with at least 64 KiB of history before `wpos`. */
export interface DecodeWindow {
  readonly buf: Uint8Array;
  wpos: number;
  /** Makes room for `n` more bytes after `wpos` (may move data and replace `buf`). */
  reserve(n: number): void;
  /** Decodes one block into buf[wpos…] (limit: the last writable index + 1); new wpos or -1. */
  decodeBlock?(src: Uint8Array, start: number, end: number, limit: number): number;
}

const enum State {
  Magic,
  Descriptor,
  BlockSize,
  BlockData,
  BlockChecksum,
  ContentChecksum,
  Done,
}

export class Lz4FrameDecoder {
  private state = State.Magic;
  /** Small fields (magic, descriptor, sizes) collected across input chunks. */
  private readonly small = new Uint8Array(32);
  private smallLen = 0;
  private smallNeed = 4;
  private blockChecksum = false;
  private contentChecksum = false;
  private maxBlock = 65536;
  private blockSize = 0;
  private blockStored = false;
  private blockBuf = new Uint8Array(0);
  private blockLen = 0;
  /** Compressed bytes consumed so far (for error offsets). */
  consumed = 0;

  get done(): boolean {
    return this.state === State.Done && !this.cut;
  }

  /** True when the input ended at a clean frame boundary. */
  get atBoundary(): boolean {
    return this.state === State.Done || (this.state === State.BlockSize && this.smallLen === 0);
  }

  push(input: Uint8Array, out: DecodeWindow): void {
    let p = 0;
    const n = input.length;
    while (p < n && this.state !== State.Done) {
      switch (this.state) {
        case State.Magic:
        case State.Descriptor:
        case State.BlockSize:
        case State.BlockChecksum:
        case State.ContentChecksum: {
          const take = Math.min(this.smallNeed - this.smallLen, n - p);
          this.small.set(input.subarray(p, p + take), this.smallLen);
          this.smallLen += take;
          p += take;
          this.consumed += take;
          if (this.smallLen === this.smallNeed) this.smallComplete(out);
          break;
        }
        case State.BlockData: {
          const want = this.blockSize - this.blockLen;
          if (this.blockLen === 0 && n - p >= want) {
            // Whole block inside this chunk: decode without copying it first.
            this.decode(input, p, p + want, out);
            p += want;
            this.consumed += want;
            this.afterBlock();
          } else {
            const take = Math.min(want, n - p);
            this.blockBuf.set(input.subarray(p, p + take), this.blockLen);
            this.blockLen += take;
            p += take;
            this.consumed += take;
            if (this.blockLen === this.blockSize) {
              this.decode(this.blockBuf, 0, this.blockSize, out);
              this.afterBlock();
            }
          }
          break;
        }
      }
    }
  }

  private smallComplete(out: DecodeWindow): void {
    const s = this.small;
    const at = this.consumed - this.smallLen;
    this.smallLen = 0;
    switch (this.state) {
      case State.Magic: {
        const magic = (s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24)) >>> 0;
        if (magic !== 0x184d2204)
          throw new InputError('expected the LZ4 frame magic 04 22 4D 18', undefined, at);
        this.state = State.Descriptor;
        this.smallNeed = 2;
        return;
      }
      case State.Descriptor: {
        if (this.smallNeed === 2) {
          const flg = s[0];
          if (flg >> 6 !== 1)
            throw new InputError(`unsupported LZ4 frame version in FLG 0x${flg.toString(16)}`, undefined, at);
          const contentSize = (flg & 0x08) !== 0;
          const dictId = (flg & 0x01) !== 0;
          this.blockChecksum = (flg & 0x10) !== 0;
          this.contentChecksum = (flg & 0x04) !== 0;
          const bd = s[1];
          const sizeCode = (bd >> 4) & 7;
          if (sizeCode < 4) throw new InputError(`bad LZ4 block size code ${sizeCode}`, undefined, at + 1);
          this.maxBlock = 1 << (8 + 2 * sizeCode);
          this.blockBuf = new Uint8Array(this.maxBlock);
          // Remaining descriptor bytes: optional content size (8), dict id (4), header checksum (1).
          this.smallNeed = (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
          // Keep FLG/BD where we read them; the rest is skipped (we do not verify the HC byte).
          return;
        }
        this.state = State.BlockSize;
        this.smallNeed = 4;
        return;
      }
      case State.BlockSize: {
        const v = (s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24)) >>> 0;
        if (v === 0) {
          if (this.contentChecksum) {
            this.state = State.ContentChecksum;
            this.smallNeed = 4;
          } else this.state = State.Done;
          return;
        }
        this.blockStored = (v & 0x80000000) !== 0;
        this.blockSize = v & 0x7fffffff;
        if (this.blockSize > this.maxBlock) {
          throw new InputError(
            `LZ4 block of ${this.blockSize} bytes exceeds the frame's ${this.maxBlock}`,
            undefined,
            at,
          );
        }
        this.blockLen = 0;
        this.state = State.BlockData;
        out.reserve(this.maxBlock);
        return;
      }
      case State.BlockChecksum:
        this.state = State.BlockSize;
        this.smallNeed = 4;
        return;
      case State.ContentChecksum:
        this.state = State.Done;
        return;
    }
  }

  /**
   * The input ended. A block cut short still holds whole sequences (and literal bytes) before the
   * cut: they are the start of the block's output, so they are decoded into the window (a
   * capture is often a single block: without this a cut one would show nothing). Both replays
   * take this JS path for the partial block, so they see the same bytes.
   */
  finish(out: DecodeWindow): void {
    if (this.state !== State.BlockData || this.blockLen === 0) return;
    out.reserve(this.maxBlock);
    if (this.blockStored) {
      out.buf.set(this.blockBuf.subarray(0, this.blockLen), out.wpos);
      out.wpos += this.blockLen;
    } else {
      out.wpos = decodeBlockPrefix(
        this.blockBuf,
        0,
        this.blockLen,
        out.buf,
        out.wpos,
        out.wpos + this.maxBlock,
      );
    }
    this.blockLen = 0;
    this.state = State.Done;
    this.cut = true;
  }

  /** Set by finish() when a block was cut short (the frame never reached its end mark). */
  cut = false;

  private afterBlock(): void {
    this.blockLen = 0;
    if (this.blockChecksum) {
      this.state = State.BlockChecksum;
      this.smallNeed = 4;
    } else {
      this.state = State.BlockSize;
      this.smallNeed = 4;
    }
  }

  private decode(src: Uint8Array, start: number, end: number, out: DecodeWindow): void {
    out.reserve(this.maxBlock);
    if (this.blockStored) {
      out.buf.set(src.subarray(start, end), out.wpos);
      out.wpos += end - start;
      return;
    }
    const dp = out.decodeBlock
      ? out.decodeBlock(src, start, end, out.wpos + this.maxBlock)
      : decodeBlock(src, start, end, out.buf, out.wpos, out.wpos + this.maxBlock);
    if (dp < 0) throw new InputError('corrupt LZ4 block', undefined, this.consumed);
    out.wpos = dp;
  }
}

/**
 * Decodes one LZ4 block from src[sp, send) into dst at dp; matches may reach back into dst
 * before dp (linked blocks). Returns the new output position, or -1 on malformed input.
 */
export function decodeBlock(
  src: Uint8Array,
  sp: number,
  send: number,
  dst: Uint8Array,
  dp: number,
  dlimit: number,
): number {
  for (;;) {
    const token = src[sp++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        b = src[sp++];
        lit += b;
      } while (b === 255 && sp < send);
    }
    if (lit > 0) {
      if (sp + lit > send || dp + lit > dlimit) return -1;
      // A byte loop, not dst.set(src.subarray(…)): a view object per literal run was most of
      // the garbage the whole load made (40 scavenges on large.bin).
      if (lit < 4096) {
        for (let i = 0; i < lit; i++) dst[dp + i] = src[sp + i];
      } else {
        dst.set(src.subarray(sp, sp + lit), dp);
      }
      sp += lit;
      dp += lit;
    }
    if (sp >= send) return sp === send ? dp : -1;
    const off = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        b = src[sp++];
        ml += b;
      } while (b === 255 && sp < send);
    }
    ml += 4;
    const mp = dp - off;
    if (off === 0 || mp < 0 || dp + ml > dlimit) return -1;
    if (off >= ml && ml > 32) {
      dst.copyWithin(dp, mp, mp + ml);
    } else {
      for (let i = 0; i < ml; i++) dst[dp + i] = dst[mp + i];
    }
    dp += ml;
  }
}

/**
 * The output a cut LZ4 block determines: every whole sequence, plus the literal bytes of the
 * sequence the cut falls in (a literal is a copy of the input, so the bytes that are there are
 * exactly the next bytes of the output). Stops at the first malformed sequence. Returns the new
 * output position (`dp` when nothing could be decoded).
 */
export function decodeBlockPrefix(
  src: Uint8Array,
  sp: number,
  send: number,
  dst: Uint8Array,
  dp: number,
  dlimit: number,
): number {
  while (sp < send) {
    const token = src[sp++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (sp >= send) return dp;
        b = src[sp++];
        lit += b;
      } while (b === 255);
    }
    const have = Math.min(lit, send - sp, dlimit - dp);
    for (let i = 0; i < have; i++) dst[dp + i] = src[sp + i];
    dp += have;
    sp += have;
    if (have < lit || sp + 2 > send) return dp;
    const off = src[sp] | (src[sp + 1] << 8);
    sp += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (sp >= send) return dp;
        b = src[sp++];
        ml += b;
      } while (b === 255);
    }
    ml += 4;
    const mp = dp - off;
    if (off === 0 || mp < 0 || dp + ml > dlimit) return dp;
    for (let i = 0; i < ml; i++) dst[dp + i] = dst[mp + i];
    dp += ml;
  }
  return dp;
}
