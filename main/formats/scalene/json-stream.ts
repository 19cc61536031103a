/**
 * A small push-style JSON parser for Scalene profiles.
 *
 * Why not `JSON.parse`: a 100 MB profile would have to be read into one string first and parsed in
 * one blocking call, with no progress, no cancellation and no byte offset on errors. Why not an npm
 * streaming parser: Scalene writes through Python's `json`, which emits `NaN` / `Infinity` tokens
 * that standard parsers reject, and we want to drop the bulky CPU-only arrays (`cpu_samples_list`,
 * `combined_stacks_timeline`) without ever materialising them.
 *
 * Works on bytes, so every error carries the exact byte offset in the file. Tokens cut by a chunk
 * boundary are carried over to the next `write`, so any chunk size (down to 1) gives the same result.
 */

import { quoteInput } from '../../../shared/quote';

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export interface JsonStreamHooks {
  /** Keys whose values are parsed for syntax but never built (at any depth). */
  skipKeys?: ReadonlySet<string>;
  /** A key of the root object was read (its value follows). */
  onRootKey?(key: string): void;
  /** A value of the root object is complete. */
  onRootValue?(key: string, value: unknown, offset: number): void;
}

type Container = Record<string, unknown> | unknown[];

interface Frame {
  /** null while skipping: the structure is checked, nothing is kept. */
  value: Container | null;
  isArray: boolean;
  key: string | null;
  /** Byte offset of the container's opening bracket. */
  start: number;
}

const enum Expect {
  /** A value (start of document, after ':' or after ',' in an array). */
  Value,
  /** A value or ']' (just after '['). */
  ValueOrClose,
  /** A key or '}' (just after '{'). */
  KeyOrClose,
  /** A key (after ',' in an object). */
  Key,
  Colon,
  /** ',' or the container's closing bracket. */
  CommaOrClose,
  /** Only whitespace may follow the root value. */
  End,
}

/**
 * Deepest nesting accepted. Scalene's profiles nest six levels or so; a file of nothing but `[`
 * would otherwise keep one open container per byte (about 120 bytes each) until it ends.
 */
export const MAX_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;
}

const LITERALS: [Uint8Array, unknown][] = [
  [Buffer.from('true'), true],
  [Buffer.from('false'), false],
  [Buffer.from('null'), null],
  // Python's json writes these for float('nan') / float('inf') unless allow_nan=False.
  [Buffer.from('NaN'), NaN],
  [Buffer.from('Infinity'), Infinity],
  [Buffer.from('-Infinity'), -Infinity],
];

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

export class JsonStreamParser {
  private readonly stack: Frame[] = [];
  private expect = Expect.Value;
  private root: unknown = undefined;
  private hasRoot = false;
  /** Absolute offset of `carry[0]` (or of the next chunk when nothing is carried). */
  private base = 0;
  private carry: Buffer | null = null;
  private skipDepth = 0;
  private readonly skipKeys: ReadonlySet<string>;
  /** Objects and arrays completed so far, for progress reports. */
  containersDone = 0;
  /** Byte offset of the root value and whether it is an object, once its first byte was seen. */
  rootStart?: number;
  rootIsObject?: boolean;

  constructor(private readonly hooks: JsonStreamHooks = {}) {
    this.skipKeys = hooks.skipKeys ?? new Set();
  }

  /** Bytes consumed so far (including any carried, not yet complete token). */
  get bytesSeen(): number {
    return this.base + (this.carry?.length ?? 0);
  }

  write(chunk: Uint8Array): void {
    let buf: Buffer;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    } else {
      buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    const used = this.parse(buf, false);
    if (used < buf.length) this.carry = Buffer.from(buf.subarray(used));
    this.base += used;
  }

  /** Ends the input and returns the root value. */
  end(): unknown {
    let cut = false;
    if (this.carry) {
      const buf = this.carry;
      this.carry = null;
      const used = this.parse(buf, true);
      cut = used < buf.length;
      this.base += cut ? used : buf.length;
    }
    if (cut || this.stack.length > 0) {
      throw new JsonSyntaxError(
        'unexpected end of input: the JSON is incomplete (truncated file?)',
        this.base,
      );
    }
    if (!this.hasRoot) throw new JsonSyntaxError('empty input: no JSON value', this.base);
    return this.root;
  }

  /** Parses as much of `buf` as forms complete tokens; returns the bytes consumed. */
  private parse(buf: Buffer, eof: boolean): number {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      const b = buf[i];
      if (isWhitespace(b)) {
        i++;
        continue;
      }
      switch (this.expect) {
        case Expect.End:
          throw this.error(`unexpected ${describeByte(b)} after the end of the JSON value`, i);
        case Expect.Colon:
          if (b !== 0x3a) throw this.error(`expected ':' after an object key, found ${describeByte(b)}`, i);
          this.expect = Expect.Value;
          i++;
          continue;
        case Expect.CommaOrClose: {
          const top = this.stack[this.stack.length - 1];
          if (b === 0x2c) {
            this.expect = top.isArray ? Expect.Value : Expect.Key;
            i++;
            continue;
          }
          if (b === (top.isArray ? 0x5d : 0x7d)) {
            this.close();
            i++;
            continue;
          }
          throw this.error(`expected ',' or '${top.isArray ? ']' : '}'}', found ${describeByte(b)}`, i);
        }
        case Expect.KeyOrClose:
        case Expect.Key: {
          if (b === 0x7d && this.expect === Expect.KeyOrClose) {
            this.close();
            i++;
            continue;
          }
          if (b !== QUOTE) throw this.error(`expected an object key (a string), found ${describeByte(b)}`, i);
          const end = this.findStringEnd(buf, i);
          if (end < 0) return i;
          const top = this.stack[this.stack.length - 1];
          top.key = this.decodeString(buf, i, end);
          if (this.stack.length === 1) this.hooks.onRootKey?.(top.key);
          this.expect = Expect.Colon;
          i = end + 1;
          continue;
        }
        case Expect.Value:
        case Expect.ValueOrClose: {
          if (b === 0x5d && this.expect === Expect.ValueOrClose) {
            this.close();
            i++;
            continue;
          }
          const next = this.value(buf, i, eof);
          if (next < 0) return i;
          i = next;
          continue;
        }
      }
    }
    return n;
  }

  /** Parses the value starting at `i`; returns the index after it, or -1 when it is cut off. */
  private value(buf: Buffer, i: number, eof: boolean): number {
    const b = buf[i];
    const start = this.base + i;
    const parent = this.stack.length > 0 ? this.stack[this.stack.length - 1] : null;
    if (!parent && this.rootStart === undefined) {
      this.rootStart = start;
      this.rootIsObject = b === 0x7b;
    }
    if (
      parent &&
      !parent.isArray &&
      this.skipDepth === 0 &&
      parent.key !== null &&
      this.skipKeys.has(parent.key)
    ) {
      this.skipDepth = 1;
      // A skipped scalar ends the skip at once in finish(); a container ends it on close.
      if (b === 0x7b || b === 0x5b) this.skipDepth = this.stack.length + 1;
    }
    if (b === 0x7b || b === 0x5b) {
      if (this.stack.length >= MAX_DEPTH)
        throw this.error(`JSON nested deeper than ${MAX_DEPTH} levels: not a Scalene profile`, i);
      const isArray = b === 0x5b;
      const keep = this.skipDepth === 0;
      this.stack.push({ value: keep ? (isArray ? [] : {}) : null, isArray, key: null, start });
      this.expect = isArray ? Expect.ValueOrClose : Expect.KeyOrClose;
      return i + 1;
    }
    if (b === QUOTE) {
      const end = this.findStringEnd(buf, i);
      if (end < 0) return -1;
      this.finish(this.skipDepth === 0 ? this.decodeString(buf, i, end) : undefined, start);
      return end + 1;
    }
    const minusInfinity = b === 0x2d && i + 1 < buf.length && buf[i + 1] === 0x49;
    if (((b >= 0x30 && b <= 0x39) || b === 0x2d) && !minusInfinity) {
      let j = i + 1;
      while (j < buf.length && isNumberByte(buf[j])) j++;
      if (j === buf.length && !eof) return -1;
      this.finish(this.skipDepth === 0 ? this.parseNumber(buf, i, j) : undefined, start);
      return j;
    }
    for (const [bytes, literal] of LITERALS) {
      if (bytes[0] !== b) continue;
      const avail = Math.min(bytes.length, buf.length - i);
      let matches = true;
      for (let k = 1; k < avail; k++) {
        if (buf[i + k] !== bytes[k]) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      if (avail < bytes.length) {
        if (!eof) return -1;
        break;
      }
      this.finish(literal, start);
      return i + bytes.length;
    }
    throw this.error(`unexpected ${describeByte(b)} where a JSON value should start`, i);
  }

  private parseNumber(buf: Buffer, from: number, to: number): number {
    const text = buf.toString('latin1', from, to);
    const value = Number(text);
    // Number() also accepts "", "1e" is NaN; JSON's grammar is stricter but Scalene never writes
    // the edge cases, so only reject what is not a number at all.
    if (Number.isNaN(value) || !/^-?\d/.test(text))
      throw this.error(`malformed number ${quoteInput(text)}`, from);
    return value;
  }

  /** Index of the closing quote of the string opening at `i`, or -1 when not in `buf` yet. */
  private findStringEnd(buf: Buffer, i: number): number {
    let from = i + 1;
    for (;;) {
      const q = buf.indexOf(QUOTE, from);
      if (q < 0) return -1;
      let slashes = 0;
      for (let k = q - 1; k > i && buf[k] === BACKSLASH; k--) slashes++;
      if (slashes % 2 === 0) return q;
      from = q + 1;
    }
  }

  private decodeString(buf: Buffer, open: number, close: number): string {
    const slash = buf.indexOf(BACKSLASH, open + 1);
    if (slash < 0 || slash > close) return buf.toString('utf8', open + 1, close);
    try {
      return JSON.parse(buf.toString('utf8', open, close + 1)) as string;
    } catch {
      throw this.error('invalid escape sequence in a string', open);
    }
  }

  /** A scalar value (or a closed container) is complete. */
  private finish(value: unknown, start: number): void {
    const parent = this.stack.length > 0 ? this.stack[this.stack.length - 1] : null;
    if (
      this.skipDepth === 1 &&
      parent &&
      !parent.isArray &&
      parent.key !== null &&
      this.skipKeys.has(parent.key)
    ) {
      // A skipped scalar (or container, closed now) at the skip point.
      this.skipDepth = 0;
    } else if (this.skipDepth > 0) {
      this.expect = Expect.CommaOrClose;
      return;
    } else if (parent?.value) {
      if (parent.isArray) (parent.value as unknown[]).push(value);
      else (parent.value as Record<string, unknown>)[parent.key as string] = value;
    }
    if (!parent) {
      this.root = value;
      this.hasRoot = true;
      this.expect = Expect.End;
      return;
    }
    if (this.stack.length === 1 && !parent.isArray && parent.key !== null) {
      this.hooks.onRootValue?.(parent.key, this.skipKeys.has(parent.key) ? undefined : value, start);
    }
    this.expect = Expect.CommaOrClose;
  }

  private close(): void {
    const frame = this.stack.pop() as Frame;
    this.containersDone++;
    if (this.skipDepth > 1 && this.stack.length + 1 === this.skipDepth) this.skipDepth = 1;
    this.finish(frame.value ?? undefined, frame.start);
  }

  private error(message: string, index: number): JsonSyntaxError {
    return new JsonSyntaxError(message, this.base + index);
  }
}
