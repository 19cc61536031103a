import { InputError } from '../../model/capture-model';
import { MemrayIndexBuilder } from '../../model/memray/builder';
import { MemrayTotalsBuilder } from '../../model/memray/totals-builder';
import { inFile } from '../input';
import { parseHeader, type MemrayHeader } from './header';
import { RecordState, type RecordLoop } from './record-state';
import { AggregatedRecords } from './records-aggregated';
import { V10Records } from './records-v10';
import { V12Records } from './records-v12';
import { V12WasmTotals } from './records-wasm';
import { V12WasmFull } from './records-wasm-full';
import type { StreamConsumer, WindowMemory } from './stream';

/**
 * The loop of the full index of v12/v13 captures unless a load says otherwise: WebAssembly,
 * proven equal to the JavaScript one in every part of the index by
 * test/node/full-wasm-differential.test.ts (every fixture, 1,000 random captures, damaged and
 * cut streams), and ~2.5× cheaper on large.bin (bench/memray-stats.bench.mjs).
 */
export const FULL_LOOP_DEFAULT: 'js' | 'wasm' = 'wasm';

/**
 * The record layer: parses the header, then hands the stream to the loop of its encoding
 * (v10/11, v12/13, aggregated; the totals replay of v12/13 in WebAssembly), which feeds
 * normalized events to the index builder. Resumable: a loop stops before an incomplete record
 * and continues when more bytes arrive.
 */
export class MemrayRecordParser implements StreamConsumer {
  header?: MemrayHeader;
  model?: MemrayIndexBuilder;
  /** Decode records but skip the heap replay (the bench's decode-only pass). */
  decodeOnly = false;
  /** Replay only what `stats` reports (totals, peak, leaks; no time index or per-key journals). */
  totalsOnly = false;
  /**
   * The totals replay of v12/v13 in JavaScript instead of WebAssembly (tests and benches: the
   * differential tests run all three replays on every capture).
   */
  jsTotals = false;
  /**
   * Which loop builds the full index of v12/v13 all-allocations captures: JavaScript
   * (records-v12.ts) or WebAssembly (records-wasm-full.ts). The differential tests and the bench
   * run both; see FULL_LOOP_DEFAULT.
   */
  fullLoop: 'js' | 'wasm' = FULL_LOOP_DEFAULT;
  /** File size, to size the replay's tables up front. */
  fileBytes = 0;
  /** The WebAssembly full loop's first live-table size, log2 slots (tests: a small one grows often). */
  liveTableBits?: number;
  private state?: RecordState;
  private loop?: RecordLoop;
  /** The WebAssembly loop, made early when the stream window is to live in its memory. */
  private wasm?: V12WasmTotals;
  private wasmFull?: V12WasmFull;

  constructor(
    private readonly file: string | undefined,
    private readonly onHeader: (h: MemrayHeader) => void,
  ) {}

  /** TRAILER seen or an unreadable record: nothing after this point is used. */
  get stopped(): boolean {
    return this.state?.stopped ?? false;
  }

  get records(): number {
    return this.state?.records ?? 0;
  }

  get sawTrailer(): boolean {
    return this.state?.sawTrailer ?? false;
  }

  /** Decoded-stream offset of the first record that could not be read (-1: none). */
  get stopOffset(): number {
    return this.state?.stopOffset ?? -1;
  }

  get stopReason(): string | undefined {
    return this.state?.stopReason;
  }

  /** The totals replay decodes into its WebAssembly memory (see stream.ts WindowMemory). */
  windowMemory(): WindowMemory | undefined {
    if (this.useWasmFull()) {
      this.wasmFull ??= new V12WasmFull(this.fullTableBits());
      return this.wasmFull.windowMemory();
    }
    if (!this.wasmTotals()) return undefined;
    this.wasm ??= new V12WasmTotals(MemrayTotalsBuilder.tableBitsFor(this.fileBytes));
    return this.wasm.windowMemory();
  }

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    if (this.stopped) return end;
    if (!this.loop) {
      const h = this.readHeader(buf, pos, end, final, base);
      if (!h) return pos;
      pos += h.length;
    }
    return this.loop!.parse(buf, pos, end, final, base);
  }

  private wasmTotals(): boolean {
    return this.totalsOnly && !this.decodeOnly && !this.jsTotals;
  }

  /**
   * The full loop's live table starts at most 2^20 slots (16 MiB) and doubles in place as the
   * live set grows (assembly/full.ts tableDouble). Sized from the file alone it had 2^22 slots
   * (64 MiB, every page touched) on the 1 GB synthetic capture, whose 200 k live blocks need a
   * sixteenth of that: peak RSS there 264.6 → 215.9 MB, CPU within the noise. large.bin (2.6 M
   * live at the peak) doubles twice on its way to the 2^22 slots it had from the start: medians
   * of 15 alternating opens 2.46 → 2.52 s CPU.
   */
  private fullTableBits(): number {
    return this.liveTableBits ?? Math.min(20, MemrayTotalsBuilder.tableBitsFor(this.fileBytes));
  }

  private useWasmFull(): boolean {
    return !this.totalsOnly && !this.decodeOnly && this.fullLoop === 'wasm';
  }

  private readHeader(
    buf: Uint8Array,
    pos: number,
    end: number,
    final: boolean,
    base: number,
  ): MemrayHeader | undefined {
    let h: MemrayHeader | undefined;
    try {
      h = parseHeader(buf, pos, end, final, this.file);
    } catch (e) {
      if (e instanceof InputError && e.offset !== undefined) throw inFile(e, this.file, base);
      throw e;
    }
    if (!h) return undefined;
    this.header = h;
    // aggregated files hold no allocation history to replay: the full builder is as cheap
    const model =
      this.totalsOnly && h.fileFormat !== 1
        ? new MemrayTotalsBuilder(h.nativeTraces, this.fileBytes)
        : new MemrayIndexBuilder(h.nativeTraces);
    model.aggregated = h.fileFormat === 1;
    this.model = model;
    const state = (this.state = new RecordState(this.file, h, model));
    if (h.fileFormat === 1) this.loop = new AggregatedRecords(state);
    else if (h.version < 12) this.loop = new V10Records(state);
    else if (model instanceof MemrayTotalsBuilder && this.wasmTotals()) {
      this.wasm ??= new V12WasmTotals(model.tableBits);
      this.loop = this.wasm.attach(state, model);
    } else if (!(model instanceof MemrayTotalsBuilder) && this.useWasmFull()) {
      this.wasmFull ??= new V12WasmFull(this.fullTableBits());
      this.loop = this.wasmFull.attach(state, model);
    } else this.loop = new V12Records(state, this.decodeOnly);
    this.onHeader(h);
    return h;
  }
}
