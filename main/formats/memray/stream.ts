import { InputError, type LoadOptions } from '../../model/capture-model';
import { DEFAULT_CHUNK_BYTES, InputFile, Progress, inFile, throwIfCancelled } from '../input';
import { Lz4FrameDecoder, decodeBlock, type DecodeWindow } from './lz4';

/** A consumer of the decoded record stream (the record parsers). */
export interface StreamConsumer {
  /**
   * Parses complete records in buf[pos, end) and returns the position of the first byte it
   * did not consume. `base` is the stream offset of buf[0]. With `final`, an incomplete record
   * at the end is the truncation point.
   */
  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number;
  /** TRAILER seen or an unreadable record: nothing after this point is used. */
  readonly stopped: boolean;
  /** Records parsed so far (for progress). */
  readonly records: number;
  /** Where the decoded stream should live (default: a JS buffer). */
  windowMemory?(): WindowMemory | undefined;
}

/**
 * The storage of the decoded-stream window. The totals replay keeps it inside its WebAssembly
 * memory, so its loop and its LZ4 decoder work in place (no copy per chunk).
 */
export interface WindowMemory {
  /** The window's bytes (a fresh view each call: the memory behind it may have moved). */
  bytes(): Uint8Array;
  /** Replaces the storage by one of at least `size` bytes holding the first `keep` bytes. */
  grow(size: number, keep: number): void;
  /** Decodes one LZ4 block src[start, end) to bytes()[wpos…]; returns the new wpos, or -1. */
  decodeBlock?(src: Uint8Array, start: number, end: number, wpos: number, limit: number): number;
}

class ArrayWindowMemory implements WindowMemory {
  private buf: Uint8Array;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  bytes(): Uint8Array {
    return this.buf;
  }
  grow(size: number, keep: number): void {
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, keep));
    this.buf = grown;
  }
}

export interface StreamFacts {
  compressed: boolean;
  sizeBytes: number;
  /** Raw files: bytes before the trailing zero padding. */
  effectiveBytes: number;
  /** Decoded stream bytes seen. */
  decodedBytes: number;
  /** LZ4 input ended before the frame's end mark. */
  lz4Truncated: boolean;
}

/** LZ4 frames may refer back 64 KiB: that much decoded history stays in the window. */
const HISTORY = 65536;

class Window implements DecodeWindow {
  wpos = 0;
  rpos = 0;
  base = 0;

  constructor(
    private readonly memory: WindowMemory,
    private readonly history: number,
    private readonly consumer: StreamConsumer,
  ) {}

  get buf(): Uint8Array {
    return this.memory.bytes();
  }

  drain(): void {
    if (this.consumer.stopped) {
      this.rpos = this.wpos;
      return;
    }
    this.rpos = this.consumer.parse(this.memory.bytes(), this.rpos, this.wpos, false, this.base);
    if (this.consumer.stopped) this.rpos = this.wpos;
  }

  reserve(n: number): void {
    if (this.wpos + n <= this.memory.bytes().length) return;
    this.drain();
    let keep = this.rpos;
    if (this.history > 0) keep = Math.min(keep, this.wpos - this.history);
    if (keep > 0) {
      this.memory.bytes().copyWithin(0, keep, this.wpos);
      this.base += keep;
      this.rpos -= keep;
      this.wpos -= keep;
    }
    const size = this.memory.bytes().length;
    if (this.wpos + n > size) this.memory.grow(Math.max(size * 2, this.wpos + n), this.wpos);
  }

  decodeBlock(src: Uint8Array, start: number, end: number, limit: number): number {
    if (this.memory.decodeBlock) return this.memory.decodeBlock(src, start, end, this.wpos, limit);
    return decodeBlock(src, start, end, this.memory.bytes(), this.wpos, limit);
  }
}

/** Offset just past the last non-zero byte (memray's raw-file reader ignores the zero tail). */
async function effectiveRawEnd(input: InputFile): Promise<number> {
  const block = new Uint8Array(65536);
  let end = input.size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const n = await input.readAt(block, 0, end - start, start);
    for (let i = n - 1; i >= 0; i--) if (block[i] !== 0) return start + i + 1;
    end = start;
  }
  return 0;
}

export const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];

/**
 * Streams a memray capture file into `consumer`: chunked reads, LZ4 frame or raw, progress and
 * cancellation between chunks. Never holds more than a window of the decoded stream.
 */
export function streamFile(
  path: string,
  options: LoadOptions,
  consumer: StreamConsumer,
): Promise<StreamFacts> {
  return InputFile.use(path, (input) => streamInput(input, options, consumer));
}

/** streamFile on a file already open. */
export async function streamInput(
  input: InputFile,
  options: LoadOptions,
  consumer: StreamConsumer,
): Promise<StreamFacts> {
  const { path, size } = input;
  const chunk = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_BYTES);
  if (size === 0) {
    throw new InputError(
      'empty file: expected a memray capture (magic "memray\\0" or an LZ4 frame)',
      path,
      0,
    );
  }
  const head = await input.head(4);
  const compressed = head.length === 4 && LZ4_MAGIC.every((b, i) => head[i] === b);
  const effective = compressed ? size : await effectiveRawEnd(input);
  if (effective === 0) {
    throw new InputError(
      'file holds only zero bytes: expected a memray capture (magic "memray\\0")',
      path,
      0,
    );
  }
  const windowSize = Math.max(4 << 20, Math.min(chunk, 16 << 20) * 2);
  const memory = consumer.windowMemory?.() ?? new ArrayWindowMemory(windowSize);
  if (memory.bytes().length < windowSize) memory.grow(windowSize, 0);
  const window = new Window(memory, compressed ? HISTORY : 0, consumer);
  const decoder = compressed ? new Lz4FrameDecoder() : undefined;
  const inBuf = compressed ? new Uint8Array(Math.min(chunk, 16 << 20)) : undefined;
  const progress = new Progress(options, size);
  let filePos = 0;
  while (filePos < effective && !consumer.stopped) {
    throwIfCancelled(options.signal);
    const want = Math.min(chunk, effective - filePos);
    if (decoder && inBuf) {
      const n = await input.readAt(inBuf, 0, want, filePos);
      if (n === 0) break;
      filePos += n;
      try {
        decoder.push(inBuf.subarray(0, n), window);
      } catch (e) {
        if (e instanceof InputError) throw inFile(e, path);
        throw e;
      }
      if (decoder.done) filePos = effective;
    } else {
      window.reserve(want);
      // (a view of the window's memory stays valid over the await: it moves only while parsing)
      const n = await input.readAt(window.buf, window.wpos, want, filePos);
      if (n === 0) break;
      window.wpos += n;
      filePos += n;
    }
    window.drain();
    progress.tick(filePos, consumer.records);
  }
  throwIfCancelled(options.signal);
  // A block cut short: decode what its bytes determine (then parse it like any cut stream).
  if (decoder && !decoder.done && !consumer.stopped) {
    decoder.finish(window);
    window.drain();
  }
  // Cut inside the first block's first sequence: nothing decodes; say that, not "too short".
  if (decoder && !decoder.done && window.base + window.wpos === 0)
    throw new InputError(
      'the LZ4-compressed capture is cut short inside its first block, so no record can be read',
      path,
      filePos,
    );
  if (!consumer.stopped) {
    window.rpos = consumer.parse(window.buf, window.rpos, window.wpos, true, window.base);
  }
  progress.done(filePos, consumer.records);
  return {
    compressed,
    sizeBytes: size,
    effectiveBytes: effective,
    decodedBytes: window.base + window.wpos,
    lz4Truncated: decoder !== undefined && !decoder.done,
  };
}
