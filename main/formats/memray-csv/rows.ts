/**
 * CSV rows over bytes, as Python's csv module (dialect "excel") reads them: `,` between fields,
 * `"` quoting with `""` for a quote, CRLF, LF or CR ending a row outside quotes. It works on
 * bytes so that every row comes with its byte offset in the file, which an error about that
 * row names (a character count, what a text parser gives, is not a position in the file).
 */

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

const enum State {
  /** At the start of a field (after a comma or at the start of a row). */
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the closing one, or the first of `""`. */
  QuoteInQuoted,
  /** Just after a CR that ended a row: an LF here belongs to it. */
  AfterCr,
}

export interface CsvRow {
  fields: string[];
  /** Byte offset of the row's first byte in the file. */
  offset: number;
  /** Byte offset of each field's first byte. */
  fieldOffsets: number[];
}

export class CsvRowReader {
  private state = State.FieldStart;
  private field = new Uint8Array(256);
  private fieldLength = 0;
  private fields: string[] = [];
  private fieldOffsets: number[] = [];
  private rowOffset = 0;
  /** Absolute offset of the next byte pushed. */
  private offset = 0;
  /** Bytes of the current row seen so far (an empty row is skipped, like papaparse did). */
  private rowBytes = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly onRow: (row: CsvRow) => void) {}

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const at = this.offset + i;
      const b = chunk[i];
      if (this.state === State.AfterCr) {
        // an LF right after a row's CR belongs to it; anything else starts the next row
        this.state = State.FieldStart;
        if (b === LF) continue;
      }
      switch (this.state) {
        case State.FieldStart:
          if (this.rowBytes === 0) this.rowOffset = at;
          this.rowBytes++;
          if (b === QUOTE) {
            this.fieldOffsets.push(at);
            this.state = State.Quoted;
          } else if (b === COMMA) {
            this.fieldOffsets.push(at);
            this.endField();
          } else if (b === CR || b === LF) {
            if (this.rowBytes > 1 || this.fields.length > 0) {
              this.fieldOffsets.push(at);
              this.endRow();
            } else this.rowBytes = 0;
            if (b === CR) this.state = State.AfterCr;
          } else {
            this.fieldOffsets.push(at);
            this.append(b);
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted:
          this.rowBytes++;
          if (b === COMMA) {
            this.endField();
            this.state = State.FieldStart;
          } else if (b === CR || b === LF) {
            this.endRow();
            this.state = b === CR ? State.AfterCr : State.FieldStart;
          } else this.append(b);
          break;
        case State.Quoted:
          this.rowBytes++;
          if (b === QUOTE) this.state = State.QuoteInQuoted;
          else this.append(b);
          break;
        case State.QuoteInQuoted:
          this.rowBytes++;
          if (b === QUOTE) {
            this.append(QUOTE);
            this.state = State.Quoted;
          } else if (b === COMMA) {
            this.endField();
            this.state = State.FieldStart;
          } else if (b === CR || b === LF) {
            this.endRow();
            this.state = b === CR ? State.AfterCr : State.FieldStart;
          } else {
            // Python keeps text after a closing quote as part of the field
            this.append(b);
            this.state = State.Unquoted;
          }
          break;
      }
    }
    this.offset += chunk.length;
  }

  /** The input ended: a last row without a line end still counts. */
  end(): void {
    if (this.state !== State.AfterCr && (this.rowBytes > 0 || this.fields.length > 0)) this.endRow();
    this.state = State.FieldStart;
  }

  /** True when the input ended inside a quoted field (a quote was never closed). */
  get inQuotes(): boolean {
    return this.state === State.Quoted;
  }

  private append(b: number): void {
    if (this.fieldLength === this.field.length) {
      const grown = new Uint8Array(this.field.length * 2);
      grown.set(this.field);
      this.field = grown;
    }
    this.field[this.fieldLength++] = b;
  }

  private endField(): void {
    this.fields.push(this.decoder.decode(this.field.subarray(0, this.fieldLength)));
    this.fieldLength = 0;
  }

  private endRow(): void {
    this.endField();
    const row: CsvRow = { fields: this.fields, offset: this.rowOffset, fieldOffsets: this.fieldOffsets };
    this.fields = [];
    this.fieldOffsets = [];
    this.rowBytes = 0;
    this.onRow(row);
  }
}
