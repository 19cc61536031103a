import { PairMap, growI32, growU8 } from './tables';

/**
 * Python frames as a memray capture defines them (docs/formats/memray-format.md §5): code
 * objects (v12+), frames, and the locations (function, file, line) frames resolve to. v10/v11
 * define every frame outright (FRAME_INDEX, one location per frame id: memray groups their stats
 * by frame id); v12+ intern one frame per (code object, instruction offset, entry flag), its line
 * decoded by the reader from the code object's line table.
 */
export class PythonFrames {
  // Code objects by id (v12+), kept for the reader: it decodes frame lines from their tables.
  readonly codeName: string[] = [''];
  readonly codeFile: string[] = [''];
  readonly codeFirstLine: number[] = [0];
  readonly codeTable: Uint8Array[] = [new Uint8Array(0)];

  /** memray frame id → location id. */
  frameLoc = new Int32Array(1024);
  /** memray frame id → 1 when the frame is an entry frame (the first of an interpreter call). */
  frameEntry = new Uint8Array(1024);
  frameCount = 0;
  /** v12 frame interning: (code id, offset/entry) → frame id. */
  readonly frameIntern = new PairMap(10);

  readonly locFunc: string[] = [];
  readonly locFile: string[] = [];
  readonly locLine: number[] = [];
  private readonly locIndex = new Map<string, number>();

  internLocation(func: string, file: string, line: number): number {
    const k = `${func}\0${file}\0${line}`;
    let id = this.locIndex.get(k);
    if (id === undefined) {
      id = this.locFunc.length;
      this.locFunc.push(func);
      this.locFile.push(file);
      this.locLine.push(line);
      this.locIndex.set(k, id);
    }
    return id;
  }

  /** v10/11: FRAME_INDEX defines frame `id` with its own location. */
  defineFrame(id: number, func: string, file: string, line: number, isEntry: boolean): void {
    if (id >= this.frameLoc.length) this.grow(id + 1);
    this.frameLoc[id] = this.internLocation(func, file, line);
    this.frameEntry[id] = isEntry ? 1 : 0;
    if (id >= this.frameCount) this.frameCount = id + 1;
  }

  /** Appends a frame with a known location; returns its id. */
  addFrame(loc: number, isEntry: boolean): number {
    const id = this.frameCount++;
    if (id >= this.frameLoc.length) this.grow(id + 1);
    this.frameLoc[id] = loc;
    this.frameEntry[id] = isEntry ? 1 : 0;
    return id;
  }

  /** `function:file:line` of a location, as memray stats prints it. */
  locationText(loc: number): string {
    return `${this.locFunc[loc]}:${this.locFile[loc]}:${this.locLine[loc]}`;
  }

  private grow(min: number): void {
    this.frameLoc = growI32(this.frameLoc, min);
    this.frameEntry = growU8(this.frameEntry, min);
  }
}
