/**
 * Reading a capture file, the same way for every reader: opened read-only (a capture is never
 * written), read in chunks with the next read in flight, gunzipped on the fly when it is gzip,
 * cancellation checked between chunks, progress reported at most every PROGRESS_INTERVAL_MS,
 * and errors found inside a buffer re-raised naming the file and the byte offset in it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { InputError, type LoadOptions } from '../model/capture-model';

/** Read size when the caller sets none: a read costs little per byte, and a cancel waits at most one. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Progress events at most this often: a screen's progress bar needs no more, and each one is a message. */
export const PROGRESS_INTERVAL_MS = 50;

/** What a cancelled load ends with (the engine answers it as `cancelled`). */
export function cancelledError(): Error {
  const error = new Error('loading was cancelled');
  error.name = 'AbortError';
  return error;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

/**
 * An InputError raised while decoding a buffer, raised again naming `path` and the offset in
 * the file (`base` is the file or stream offset of the buffer's byte 0).
 */
export function inFile(error: InputError, path: string | undefined, base = 0): InputError {
  const message = error.message.replace(/ \(at byte \d+\)$/, '');
  return new InputError(message, path, error.offset === undefined ? undefined : base + error.offset);
}

/**
 * The first `n` bytes (at most) that a gzip prefix inflates to, for recognising what is inside;
 * empty when the bytes are no gzip data. The prefix may end anywhere.
 */
export function inflatePrefix(gz: Uint8Array, n: number): Uint8Array {
  try {
    // Z_SYNC_FLUSH: a stream cut short gives what it holds instead of an error
    return gunzipSync(gz, { finishFlush: 2 }).subarray(0, n);
  } catch {
    return new Uint8Array(0);
  }
}

/** A file that cannot be opened, said the same way by every reader and the sniffer. */
export function unreadable(path: string, error: NodeJS.ErrnoException): InputError {
  return new InputError(`${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, path);
}

/** `options.onProgress`, called at most every PROGRESS_INTERVAL_MS while reading, and at the end. */
export class Progress {
  private last = performance.now();

  constructor(
    private readonly options: Pick<LoadOptions, 'onProgress'>,
    private readonly bytesTotal: number,
  ) {}

  /** While reading: passed on when PROGRESS_INTERVAL_MS went by since the last report. */
  tick(bytesDone: number, records: number): void {
    if (!this.options.onProgress) return;
    const now = performance.now();
    if (now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.options.onProgress({ bytesDone, bytesTotal: this.bytesTotal, records });
  }

  /** Reading is over: always passed on. */
  done(bytesDone: number, records: number): void {
    this.options.onProgress?.({ bytesDone, bytesTotal: this.bytesTotal, records });
  }
}

/** How a reader that decodes the bytes front to back is fed (see InputFile.readAll). */
export interface ChunkConsumer {
  /** Read the gunzipped content instead of the file's bytes. */
  gzip?: boolean;
  /** Bytes per read when `options.chunkSize` is not set. */
  defaultChunkSize?: number;
  /** Records decoded so far, for progress. */
  records(): number;
  /**
   * Decodes one chunk; returns true when the data is complete and reading stops. The chunk's
   * memory is read into again afterwards: keep a copy of anything needed later.
   */
  consume(chunk: Buffer): boolean | void;
}

export class InputFile {
  /** Bytes of the file read so far by readAll (of the compressed file, for gzip). */
  bytesRead = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** The file's size in bytes. */
    readonly size: number,
  ) {}

  /** Opens `path` read-only, runs `use` on it and closes it, whatever `use` does. */
  static async use<T>(path: string, use: (input: InputFile) => Promise<T>): Promise<T> {
    const handle = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw unreadable(path, e);
    });
    try {
      return await use(new InputFile(path, handle, (await handle.stat()).size));
    } finally {
      await handle.close();
    }
  }

  /** Reads `length` bytes at file offset `position` into buf[offset…]; fewer only at the end of the file. */
  async readAt(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  /** The first `n` bytes (fewer when the file is shorter). */
  async head(n: number): Promise<Uint8Array> {
    const buf = new Uint8Array(Math.min(n, this.size));
    return buf.subarray(0, await this.readAt(buf, 0, buf.length, 0));
  }

  /**
   * Feeds the file (or its gunzipped content) to `consumer` front to back: cancellation is
   * checked before each chunk and after the last, progress reported (throttled) after each.
   * zlib's errors on a damaged gzip stream come out as they are (code Z_…): what they mean is
   * the reader's to say.
   */
  async readAll(options: LoadOptions, consumer: ChunkConsumer): Promise<void> {
    const chunkSize = Math.max(1, options.chunkSize ?? consumer.defaultChunkSize ?? DEFAULT_CHUNK_BYTES);
    const progress = new Progress(options, this.size);
    const chunks = consumer.gzip ? this.gunzipped(chunkSize) : this.chunks(chunkSize);
    for await (const chunk of chunks) {
      throwIfCancelled(options.signal);
      if (consumer.consume(chunk)) break;
      progress.tick(this.bytesRead, consumer.records());
    }
    throwIfCancelled(options.signal);
  }

  /**
   * The file in chunks, the next read already in flight while the caller works on the current
   * one, so reading and decoding overlap. Two buffers in turn: a chunk's memory is read into
   * again once the one after it is asked for (fewer large allocations, less GC).
   */
  private async *chunks(chunkSize: number): AsyncGenerator<Buffer> {
    const size = this.size;
    if (size === 0) return;
    const buffers = [
      Buffer.allocUnsafe(Math.min(chunkSize, size)),
      Buffer.allocUnsafe(Math.min(chunkSize, size)),
    ];
    let turn = 0;
    const read = (at: number): Promise<Buffer> => {
      const buf = buffers[turn];
      turn ^= 1;
      return this.readAt(buf, 0, Math.min(buf.length, size - at), at).then((n) => buf.subarray(0, n));
    };
    let next: Promise<Buffer> | undefined = read(0);
    try {
      while (next) {
        const chunk: Buffer = await next;
        next = undefined;
        if (chunk.length === 0) break;
        this.bytesRead += chunk.length;
        if (this.bytesRead < size) next = read(this.bytesRead);
        yield chunk;
      }
    } finally {
      // A read still in flight (the consumer stopped early) must settle before the file closes.
      await next?.catch(() => undefined);
    }
  }

  /** The gunzipped content in chunks of about `chunkSize` bytes. */
  private async *gunzipped(chunkSize: number): AsyncGenerator<Buffer> {
    const source = this.handle.createReadStream({ start: 0, highWaterMark: chunkSize, autoClose: false });
    source.on('data', (chunk) => {
      this.bytesRead += chunk.length;
    });
    const gunzip = createGunzip({ chunkSize: Math.max(64, chunkSize) });
    source.on('error', (e) => gunzip.destroy(e));
    try {
      yield* source.pipe(gunzip);
    } finally {
      source.destroy();
      gunzip.destroy();
    }
  }
}
