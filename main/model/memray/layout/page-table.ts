/**
 * pymalloc's small blocks, counted per 4 KiB page of address space while the heap replays
 * (issue 14). Every live PYMALLOC_* block of 1–512 bytes is in the page its address falls in;
 * a page is the smallest pool pymalloc has ever used (CPython ≤ 3.9: 4 KiB pools; 3.10+: 16 KiB
 * pools are 4 consecutive pages), so the query can group pages into pools and arenas for
 * whichever geometry the capture's interpreter had (geometry.ts), decided after the replay.
 *
 * Per page: live blocks, their requested bytes, the largest block size (size class) seen since
 * the page was last empty, and how many of its live blocks sit off the block grid of a 4 KiB or
 * a 16 KiB pool (offset − header not a multiple of their own size class: not a pool block; see
 * geometry.ts). O(1) per block: one-entry cache of the last 1 MiB chunk, else a small hash.
 *
 * Besides the current state (= the end of tracking, once the replay is over) it keeps:
 * - the state at the peak, exactly, in memory bounded by pages: on a page's first change after
 *   the latest peak its state as of that peak is saved; a new peak drops every saved state (the
 *   trick memray's high-water-mark aggregator uses per location);
 * - checkpoints (checkpoints.ts): the pages changed since the previous one.
 *
 * The WebAssembly full index keeps the same state in its own memory while it replays
 * (main/formats/memray/wasm/assembly/pages.ts, the mirror of add/remove/atPeak): attachWasm()
 * before its loop, and memoryRecord takes a due checkpoint's rows from there; adoptWasm() at the
 * end copies everything here, so every query below reads the same arrays whichever loop ran
 * (page-table-wasm.test.ts compares them field by field).
 */
import { LayoutCheckpoints } from './checkpoints';
import { IS_PYMALLOC_ALLOCATION } from '../vocabulary';
import { PageRows, type PageStates } from './page-rows';
import { PeakBlocks } from './peak-blocks';

export type { PageStates };

/** Pages per 1 MiB chunk of address space (the chunk is the hash table's unit). */
export const PAGES_PER_CHUNK = 256;
export const PAGE_BYTES = 4096;
/** pymalloc's pool header, rounded up to 16 (CPython 3.8+ on 64-bit, see geometry.ts). */
const POOL_OVERHEAD = 48;
/** Requests of 1–512 bytes are pymalloc's; 0 and larger ones go to malloc (obmalloc.c). */
export const SMALL_REQUEST_MAX = 512;

/** Whether an allocation is a block in one of pymalloc's pools: a pymalloc request of 1–512 bytes. */
export function isSmallPymallocBlock(allocator: number, size: number): boolean {
  return IS_PYMALLOC_ALLOCATION[allocator] === 1 && size >= 1 && size <= SMALL_REQUEST_MAX;
}

/**
 * Whether a block of size class b16 (block size / 16) at address/8 ≡ i (mod poolBytes/8) sits
 * on a pool's block grid: GRID16[b16 * 2048 + i] for 16 KiB pools, GRID4[b16 * 512 + i] for
 * 4 KiB ones. A table lookup instead of two integer divisions per block (the divisions were a
 * third of the layout's cost over large.bin's 15 M pymalloc records).
 */
export function gridTable(poolBytes: number): Uint8Array {
  const slots = poolBytes / 8;
  const t = new Uint8Array(33 * slots);
  for (let b16 = 1; b16 <= 32; b16++)
    for (let i = 0; i < slots; i++) {
      const offset = i * 8;
      t[b16 * slots + i] = offset >= POOL_OVERHEAD && (offset - POOL_OVERHEAD) % (b16 * 16) === 0 ? 1 : 0;
    }
  return t;
}
const GRID16 = gridTable(16384);
const GRID4 = gridTable(4096);

/**
 * The exports of assembly/pages.ts that the host reads. Page records and rows are 16 bytes:
 * u16 blocks @0, u16 off16 @2, u16 off4 @4, u8 block16 @6, u8 flags @7 (pages: bit 0 ever,
 * bit 1 dirty; rows: 0), i32 bytes @8, i32 @12 (pages: savedAt + 1; rows: the page).
 */
export interface PagesWasm {
  memory: { buffer: ArrayBuffer };
  /** Writes the dirty pages' rows to pagesRowsPtr(), clears their marks; returns the row count. */
  pagesCheckpoint(): number;
  pagesRowsPtr(): number;
  /** 0 liveBlocks, 1 liveBytes, 2 wideBlocks, 3 wideBytes, 4 smallAllocations, 5 fit16, 6 fit4,
   *  7 peakLiveBlocks, 8 peakLiveBytes, 9 peakWideBlocks, 10 peakWideBytes, 11 peakSeen. */
  pagesTotal(i: number): number;
  pagesChunks(): number;
  pagesChunkCapacity(): number;
  pagesChunkKeyPtr(): number;
  pagesPagesPtr(): number;
  pagesDirtyPtr(): number;
  pagesDirtyCount(): number;
  pagesPeakRowsPtr(): number;
  pagesPeakRowsCount(): number;
  pagesEpoch(): number;
  /**
   * The peak blocks (peak-blocks.ts): the log's entries (3 words: lo, hi | size << 13, key) the
   * module still holds (full chunks went to takeWasmLogChunk), the log's length, entries per chunk.
   */
  pagesPeakLogTail(): number;
  pagesPeakLogTailCount(): number;
  pagesPeakLogCount(): number;
  pagesPeakLogChunkEntries(): number;
  /** The tie set's (lo, hi) pairs in insertion order, in a new block (call it first: it may grow the memory). */
  pagesTieEntries(): number;
  pagesTieCount(): number;
  pagesPeakBlocksFine(): number;
  /** bit 0 seen, bit 1 overflowed. */
  pagesPeakBlocksFlags(): number;
}

/** `n` rows of the WebAssembly row format at `ptr`, appended to `into`. */
function pushWasmRows(into: PageRows, buffer: ArrayBuffer, ptr: number, n: number): void {
  const u16 = new Uint16Array(buffer, ptr, n * 8);
  const u8 = new Uint8Array(buffer, ptr, n * 16);
  const i32 = new Int32Array(buffer, ptr, n * 4);
  for (let i = 0; i < n; i++)
    into.push(i32[i * 4 + 3], u16[i * 8], i32[i * 4 + 2], u8[i * 16 + 6], u16[i * 8 + 1], u16[i * 8 + 2]);
}

export class PymallocPageTable {
  // ---- chunks: (address >> 20) → slot; pages of slot s are s*256 … s*256+255 ----
  private keys = new Int32Array(1024).fill(-1);
  private slots = new Int32Array(1024);
  private mask = 1023;
  chunkKey = new Int32Array(64);
  chunks = 0;
  private lastKey = -1;
  private lastBase = 0;

  // ---- per page ----
  blocks = new Uint16Array(64 * PAGES_PER_CHUNK);
  bytes = new Int32Array(64 * PAGES_PER_CHUNK);
  /** Largest block size / 16 since the page was last empty (1–32; 0 when empty). */
  block16 = new Uint8Array(64 * PAGES_PER_CHUNK);
  off16 = new Uint16Array(64 * PAGES_PER_CHUNK);
  off4 = new Uint16Array(64 * PAGES_PER_CHUNK);
  /** Peak epoch of the page's saved state (see touch). */
  private savedAt = new Int32Array(64 * PAGES_PER_CHUNK).fill(-1);
  /** Changed since the last checkpoint. */
  private dirty = new Uint8Array(64 * PAGES_PER_CHUNK);
  /** Held a block at some point of the capture (the arena grid is inferred from these). */
  private ever = new Uint8Array(64 * PAGES_PER_CHUNK);
  private dirtyList = new Int32Array(1024);
  private dirtyN = 0;

  // ---- totals (the current moment) ----
  liveBlocks = 0;
  liveBytes = 0;
  /** Live small blocks at addresses ≥ 2^48 (no user-space address on x86-64): not placed. */
  wideBlocks = 0;
  wideBytes = 0;
  /** Small allocations ever, and how many sat on the 16 KiB / 4 KiB pool grid (geometry.ts). */
  smallAllocations = 0;
  fit16 = 0;
  fit4 = 0;

  // ---- the peak ----
  private epoch = 0;
  /** States as of the latest peak of pages changed since. */
  readonly peakSaved = new PageRows();
  peakLiveBlocks = 0;
  peakLiveBytes = 0;
  peakWideBlocks = 0;
  peakWideBytes = 0;
  /** A peak was reached at all (false: nothing was ever allocated). */
  peakSeen = false;
  /** The blocks live at the peak one by one, as far as the end cannot tell them (peak-blocks.ts). */
  readonly peakBlocks = new PeakBlocks();

  readonly checkpoints = new LayoutCheckpoints();

  /** While the WebAssembly loop holds the state (attachWasm … adoptWasm). */
  private wasm: PagesWasm | undefined;

  /**
   * A live small PYMALLOC block: address/8 = hi·2^32 + lo (as the heap replay gets it), allocated
   * in fine interval `fine` (memory records read before it). `peakFollows`: the record ends at
   * the heap's peak (memray's `>=`), so atPeak() comes next and makes the state after it the
   * peak's: the page's state before it would be saved for nothing, and the block would be a tie
   * only until then. On large.bin a third of the adds climb to a peak this way.
   */
  add(lo: number, hi: number, size: number, fine: number, peakFollows: boolean): void {
    if (hi >>> 0 > 8191) {
      this.wideBlocks++;
      this.wideBytes += size;
      return;
    }
    const p = this.pageOf(lo, hi, true);
    if (peakFollows) this.markDirty(p);
    else {
      this.touch(p);
      this.peakBlocks.added(lo, hi, fine);
    }
    const b16 = (size + 15) >> 4;
    const on16 = GRID16[(b16 << 11) | (lo & 2047)];
    const on4 = GRID4[(b16 << 9) | (lo & 511)];
    if (this.blocks[p] === 0 || b16 > this.block16[p]) this.block16[p] = b16;
    this.ever[p] = 1;
    this.blocks[p]++;
    this.bytes[p] += size;
    this.off16[p] += 1 - on16;
    this.off4[p] += 1 - on4;
    this.liveBlocks++;
    this.liveBytes += size;
    this.smallAllocations++;
    this.fit16 += on16;
    this.fit4 += on4;
  }

  /**
   * A live small PYMALLOC block of key `key`, born in fine interval `birthLow` (mod 2^19), left the
   * live set (freed, or replaced at its address) in fine interval `fine`.
   */
  remove(lo: number, hi: number, size: number, key: number, birthLow: number, fine: number): void {
    if (hi >>> 0 > 8191) {
      this.wideBlocks--;
      this.wideBytes -= size;
      return;
    }
    const p = this.pageOf(lo, hi, false);
    if (p < 0 || this.blocks[p] === 0) return;
    this.touch(p);
    this.peakBlocks.removed(lo, hi, size, key, birthLow, fine);
    const b16 = (size + 15) >> 4;
    this.off16[p] -= 1 - GRID16[(b16 << 11) | (lo & 2047)];
    this.off4[p] -= 1 - GRID4[(b16 << 9) | (lo & 511)];
    this.blocks[p]--;
    this.bytes[p] -= size;
    if (this.blocks[p] === 0) this.block16[p] = 0;
    this.liveBlocks--;
    this.liveBytes -= size;
  }

  /**
   * The heap reached (again) its peak after this record, read in fine interval `fine`: the
   * current state is the peak's.
   */
  atPeak(fine: number): void {
    this.epoch++;
    this.peakBlocks.atPeak(fine);
    this.peakSaved.n = 0;
    this.peakLiveBlocks = this.liveBlocks;
    this.peakLiveBytes = this.liveBytes;
    this.peakWideBlocks = this.wideBlocks;
    this.peakWideBytes = this.wideBytes;
    this.peakSeen = true;
  }

  /** Memory record number `fine` (1-based count) was read: a checkpoint when its turn comes. */
  memoryRecord(fine: number, timeMs: number, heap: number, rss: number): void {
    if (!this.checkpoints.due(fine)) return;
    const rows = this.checkpoints.begin();
    const w = this.wasm;
    if (w) {
      const n = w.pagesCheckpoint(); // first: it may move the rows and grow the memory
      pushWasmRows(rows, w.memory.buffer, w.pagesRowsPtr(), n);
      this.checkpoints.end(fine, timeMs, heap, rss, w.pagesTotal(0), w.pagesTotal(1));
      return;
    }
    for (let i = 0; i < this.dirtyN; i++) {
      const p = this.dirtyList[i];
      rows.push(p, this.blocks[p], this.bytes[p], this.block16[p], this.off16[p], this.off4[p]);
      this.dirty[p] = 0;
    }
    this.dirtyN = 0;
    this.checkpoints.end(fine, timeMs, heap, rss, this.liveBlocks, this.liveBytes);
  }

  /**
   * The WebAssembly full index replays into its own copy of this table (assembly/pages.ts) from
   * now on: add/remove/atPeak are its to call, memoryRecord reads its checkpoint rows.
   */
  attachWasm(w: PagesWasm): void {
    this.wasm = w;
  }

  /** The module's host call: chunk `c` of the peak log is full (at `ptr` in its memory). */
  takeWasmLogChunk(c: number, ptr: number): void {
    const w = this.wasm!;
    this.peakBlocks.takeChunk(c, new Int32Array(w.memory.buffer, ptr, w.pagesPeakLogChunkEntries() * 3));
  }

  /**
   * End of the WebAssembly replay (or its stop on a damaged stream): every array, total, the
   * peak's saved rows and the dirty list copied here, as if the JS loop had filled this table.
   */
  adoptWasm(): void {
    const w = this.wasm;
    if (!w) return;
    this.wasm = undefined;
    const tiePtr = w.pagesTieEntries(); // first: it allocates, which may grow the memory
    const buffer = w.memory.buffer;
    const flags = w.pagesPeakBlocksFlags();
    this.peakBlocks.adopt({
      logN: w.pagesPeakLogCount(),
      tail: new Int32Array(buffer, w.pagesPeakLogTail(), w.pagesPeakLogTailCount() * 3),
      tie: new Int32Array(buffer, tiePtr, w.pagesTieCount() * 2),
      peakFine: w.pagesPeakBlocksFine(),
      seen: (flags & 1) === 1,
      overflowed: (flags & 2) === 2,
    });
    const chunks = w.pagesChunks();
    const cap = w.pagesChunkCapacity();
    const total = cap * PAGES_PER_CHUNK;
    this.chunks = chunks;
    this.chunkKey = new Int32Array(cap);
    this.chunkKey.set(new Int32Array(buffer, w.pagesChunkKeyPtr(), chunks));
    const ptr = w.pagesPagesPtr();
    const u16 = new Uint16Array(buffer, ptr, total * 8);
    const u8 = new Uint8Array(buffer, ptr, total * 16);
    const i32 = new Int32Array(buffer, ptr, total * 4);
    this.blocks = new Uint16Array(total);
    this.off16 = new Uint16Array(total);
    this.off4 = new Uint16Array(total);
    this.block16 = new Uint8Array(total);
    this.bytes = new Int32Array(total);
    this.savedAt = new Int32Array(total);
    this.dirty = new Uint8Array(total);
    this.ever = new Uint8Array(total);
    for (let p = 0; p < total; p++) {
      this.blocks[p] = u16[p * 8];
      this.off16[p] = u16[p * 8 + 1];
      this.off4[p] = u16[p * 8 + 2];
      this.block16[p] = u8[p * 16 + 6];
      const flags = u8[p * 16 + 7];
      this.ever[p] = flags & 1;
      this.dirty[p] = (flags >> 1) & 1;
      this.bytes[p] = i32[p * 4 + 2];
      this.savedAt[p] = i32[p * 4 + 3] - 1;
    }
    const dirtyN = w.pagesDirtyCount();
    let dirtyCap = 1024;
    while (dirtyCap < dirtyN) dirtyCap *= 2;
    this.dirtyList = new Int32Array(dirtyCap);
    this.dirtyList.set(new Int32Array(buffer, w.pagesDirtyPtr(), dirtyN));
    this.dirtyN = dirtyN;
    this.epoch = w.pagesEpoch();
    this.peakSaved.n = 0;
    pushWasmRows(this.peakSaved, buffer, w.pagesPeakRowsPtr(), w.pagesPeakRowsCount());
    this.liveBlocks = w.pagesTotal(0);
    this.liveBytes = w.pagesTotal(1);
    this.wideBlocks = w.pagesTotal(2);
    this.wideBytes = w.pagesTotal(3);
    this.smallAllocations = w.pagesTotal(4);
    this.fit16 = w.pagesTotal(5);
    this.fit4 = w.pagesTotal(6);
    this.peakLiveBlocks = w.pagesTotal(7);
    this.peakLiveBytes = w.pagesTotal(8);
    this.peakWideBlocks = w.pagesTotal(9);
    this.peakWideBytes = w.pagesTotal(10);
    this.peakSeen = w.pagesTotal(11) === 1;
    // the chunk hash as add() would have grown it
    let size = 1024;
    while (chunks * 2 > size) size *= 2;
    this.rebuildHash(size);
    this.lastKey = -1;
  }

  /** Address of page `p`'s first byte. */
  pageAddress(p: number): number {
    return (this.chunkKey[p >>> 8] * PAGES_PER_CHUNK + (p & 255)) * PAGE_BYTES;
  }

  /** First change of a page since the latest peak / checkpoint: save what it was then. */
  private touch(p: number): void {
    if (this.savedAt[p] !== this.epoch) {
      this.savedAt[p] = this.epoch;
      this.peakSaved.push(p, this.blocks[p], this.bytes[p], this.block16[p], this.off16[p], this.off4[p]);
    }
    this.markDirty(p);
  }

  /** First change of a page since the latest checkpoint: on the dirty list. */
  private markDirty(p: number): void {
    if (this.dirty[p] === 0) {
      this.dirty[p] = 1;
      if (this.dirtyN === this.dirtyList.length) {
        const next = new Int32Array(this.dirtyN * 2);
        next.set(this.dirtyList);
        this.dirtyList = next;
      }
      this.dirtyList[this.dirtyN++] = p;
    }
  }

  private pageOf(lo: number, hi: number, create: boolean): number {
    // address >> 20 = (address/8) >> 17; < 2^28 for addresses below 2^48
    const key = hi * 32768 + (lo >>> 17);
    const page = (lo >>> 9) & 255;
    if (key === this.lastKey) return this.lastBase + page;
    let i = Math.imul(key, 0x9e3779b1) >>> 22;
    for (;;) {
      i &= this.mask;
      const k = this.keys[i];
      if (k === key) break;
      if (k === -1) {
        if (!create) return -1;
        this.newChunk(i, key);
        return this.pageOf(lo, hi, false);
      }
      i++;
    }
    this.lastKey = key;
    this.lastBase = this.slots[i] * PAGES_PER_CHUNK;
    return this.lastBase + page;
  }

  private newChunk(at: number, key: number): void {
    const slot = this.chunks++;
    if (slot === this.chunkKey.length) this.growChunks(slot * 2);
    this.chunkKey[slot] = key;
    this.keys[at] = key;
    this.slots[at] = slot;
    if (this.chunks * 2 > this.keys.length) this.rehash();
  }

  private growChunks(n: number): void {
    const pages = n * PAGES_PER_CHUNK;
    const k = new Int32Array(n);
    k.set(this.chunkKey);
    this.chunkKey = k;
    const g16 = (a: Uint16Array) => {
      const b = new Uint16Array(pages);
      b.set(a);
      return b;
    };
    this.blocks = g16(this.blocks);
    this.off16 = g16(this.off16);
    this.off4 = g16(this.off4);
    const bytes = new Int32Array(pages);
    bytes.set(this.bytes);
    this.bytes = bytes;
    const b16 = new Uint8Array(pages);
    b16.set(this.block16);
    this.block16 = b16;
    const dirty = new Uint8Array(pages);
    dirty.set(this.dirty);
    this.dirty = dirty;
    const ever = new Uint8Array(pages);
    ever.set(this.ever);
    this.ever = ever;
    const saved = new Int32Array(pages).fill(-1);
    saved.set(this.savedAt);
    this.savedAt = saved;
  }

  private rehash(): void {
    this.rebuildHash(this.keys.length * 2);
  }

  private rebuildHash(size: number): void {
    this.keys = new Int32Array(size).fill(-1);
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < this.chunks; s++) {
      const key = this.chunkKey[s];
      let i = Math.imul(key, 0x9e3779b1) >>> 22;
      for (;;) {
        i &= this.mask;
        if (this.keys[i] === -1) break;
        i++;
      }
      this.keys[i] = key;
      this.slots[i] = s;
    }
  }

  // ------------------------------------------------------------------ moments

  /** Addresses of every page that held a block at some point, lowest first. */
  everUsed(): Float64Array {
    let n = 0;
    for (let p = 0; p < this.chunks * PAGES_PER_CHUNK; p++) n += this.ever[p];
    const out = new Float64Array(n);
    let j = 0;
    for (const slot of this.chunksByAddress())
      for (let p = slot * PAGES_PER_CHUNK; p < (slot + 1) * PAGES_PER_CHUNK; p++)
        if (this.ever[p]) out[j++] = this.pageAddress(p);
    return out;
  }

  /** The current state (the end of tracking once the replay is over). */
  current(): PageStates {
    return this.collect(undefined);
  }

  /** The state at the peak: the current one with every page changed since the peak put back. */
  peak(): PageStates {
    return this.collect(this.peakSaved);
  }

  /** The state at checkpoint `k` (checkpoints.ts). */
  atCheckpoint(k: number): PageStates {
    const total = this.chunks * PAGES_PER_CHUNK;
    const blocks = new Uint16Array(total);
    const bytes = new Int32Array(total);
    const block16 = new Uint8Array(total);
    const off16 = new Uint16Array(total);
    const off4 = new Uint16Array(total);
    this.checkpoints.replayTo(k, (r, i) => {
      const p = r.page[i];
      blocks[p] = r.blocks[i];
      bytes[p] = r.bytes[i];
      block16[p] = r.block16[i];
      off16[p] = r.off16[i];
      off4[p] = r.off4[i];
    });
    return this.statesOf(total, blocks, bytes, block16, off16, off4);
  }

  /** Every checkpoint's state in order, from one pass over the rows. */
  replayCheckpoints(fn: (k: number, pages: PageStates) => void): void {
    const total = this.chunks * PAGES_PER_CHUNK;
    const blocks = new Uint16Array(total);
    const bytes = new Int32Array(total);
    const block16 = new Uint8Array(total);
    const off16 = new Uint16Array(total);
    const off4 = new Uint16Array(total);
    const cps = this.checkpoints;
    const r = cps.rows;
    for (let k = 0; k < cps.count; k++) {
      for (let i = cps.off[k]; i < cps.off[k + 1]; i++) {
        const p = r.page[i];
        blocks[p] = r.blocks[i];
        bytes[p] = r.bytes[i];
        block16[p] = r.block16[i];
        off16[p] = r.off16[i];
        off4[p] = r.off4[i];
      }
      fn(k, this.statesOf(total, blocks, bytes, block16, off16, off4));
    }
  }

  private collect(override: PageRows | undefined): PageStates {
    const total = this.chunks * PAGES_PER_CHUNK;
    if (!override || override.n === 0)
      return this.statesOf(total, this.blocks, this.bytes, this.block16, this.off16, this.off4);
    const blocks = this.blocks.slice(0, total);
    const bytes = this.bytes.slice(0, total);
    const block16 = this.block16.slice(0, total);
    const off16 = this.off16.slice(0, total);
    const off4 = this.off4.slice(0, total);
    for (let i = 0; i < override.n; i++) {
      const p = override.page[i];
      blocks[p] = override.blocks[i];
      bytes[p] = override.bytes[i];
      block16[p] = override.block16[i];
      off16[p] = override.off16[i];
      off4[p] = override.off4[i];
    }
    return this.statesOf(total, blocks, bytes, block16, off16, off4);
  }

  /** Chunk slots in address order (slots are handed out in first-touch order). */
  private chunksByAddress(): Int32Array {
    const order = new Int32Array(this.chunks);
    for (let i = 0; i < this.chunks; i++) order[i] = i;
    return order.sort((a, b) => this.chunkKey[a] - this.chunkKey[b]);
  }

  /** The non-empty pages, lowest address first (the query groups neighbours into pools). */
  private statesOf(
    total: number,
    blocks: Uint16Array,
    bytes: Int32Array,
    block16: Uint8Array,
    off16: Uint16Array,
    off4: Uint16Array,
  ): PageStates {
    let n = 0;
    for (let p = 0; p < total; p++) if (blocks[p] > 0) n++;
    const out: PageStates = {
      n,
      address: new Float64Array(n),
      blocks: new Uint16Array(n),
      bytes: new Int32Array(n),
      blockBytes: new Uint16Array(n),
      off16: new Uint16Array(n),
      off4: new Uint16Array(n),
    };
    let j = 0;
    for (const slot of this.chunksByAddress()) {
      const base = slot * PAGES_PER_CHUNK;
      for (let p = base; p < base + PAGES_PER_CHUNK; p++) {
        if (blocks[p] === 0) continue;
        out.address[j] = this.pageAddress(p);
        out.blocks[j] = blocks[p];
        out.bytes[j] = bytes[p];
        out.blockBytes[j] = block16[p] << 4;
        out.off16[j] = off16[p];
        out.off4[j] = off4[p];
        j++;
      }
    }
    return out;
  }

  /** Bytes held by the table (bench report). */
  approxBytes(): number {
    return (
      this.blocks.length * 15 +
      this.keys.length * 8 +
      this.peakSaved.bytesHeld +
      this.peakBlocks.bytesHeld +
      this.checkpoints.approxBytes() +
      this.dirtyList.length * 4
    );
  }
}
