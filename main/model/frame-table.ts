import type { FrameInfo, FrameKind } from '../../shared/api';

const KIND_CODES: readonly FrameKind[] = ['python', 'native', 'synthetic'];

/**
 * Interned frames. A frame is a location (function, file, line) of one kind; identical
 * locations share one id, so aggregation by location is aggregation by id.
 */
export class FrameTable {
  readonly names: string[] = [];
  readonly files: string[] = [];
  readonly lines: number[] = [];
  private kindCodes = new Uint8Array(1024);
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.names.length;
  }

  intern(name: string, file: string, line: number, kind: FrameKind = 'python'): number {
    const key = `${kind}\0${name}\0${file}\0${line}`;
    const existing = this.index.get(key);
    if (existing !== undefined) return existing;
    const id = this.names.length;
    this.names.push(name);
    this.files.push(file);
    this.lines.push(line);
    if (id >= this.kindCodes.length) {
      const grown = new Uint8Array(this.kindCodes.length * 2);
      grown.set(this.kindCodes);
      this.kindCodes = grown;
    }
    this.kindCodes[id] = KIND_CODES.indexOf(kind);
    this.index.set(key, id);
    return id;
  }

  kind(id: number): FrameKind {
    return KIND_CODES[this.kindCodes[id]];
  }

  info(id: number): FrameInfo {
    return { name: this.names[id], file: this.files[id], line: this.lines[id], kind: this.kind(id) };
  }
}
