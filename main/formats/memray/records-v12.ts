import { AllocatorKind, ALLOCATOR_KIND, R, V12_TO_CANONICAL } from '../../model/memray/vocabulary';
import { Cursor } from './header';
import { wrapU64, zigzag, type RecordLoop, type RecordState } from './record-state';
import { CommonType, V12Type } from './record-types';

/**
 * The v12/v13 record loop in JavaScript (docs/formats/memray-format.md §5.1–5.3): the full index
 * the app, export, report, diff and check read, and the totals replay when asked for in
 * JavaScript (`jsTotals`). The hot records (ALLOCATION, FRAME_PUSH, OBJECT_RECORD, FRAME_POP)
 * are decoded inline with hand-written varints; the rest goes through bounds-checked Cursors.
 */
export class V12Records implements RecordLoop {
  /** v12 pointer cache (docs/formats/memray-format.md §5.3): 15 addresses/8, newest at ringHead. */
  private readonly ring = new Float64Array(16);
  private ringHead = 0;
  /** (parent node, code id, offset/entry) → child node, 4096 direct-mapped entries. */
  private readonly pushCache = new Int32Array(4096 * 4).fill(-1);

  constructor(
    private readonly state: RecordState,
    /** Decode records but skip the heap replay (the bench's decode-only pass). */
    private readonly decodeOnly: boolean,
  ) {}

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const state = this.state;
    const m = state.model;
    const native = state.header.nativeTraces;
    const decodeOnly = this.decodeOnly;
    const ring = this.ring;
    const counts = m.recordCounts;
    const pc = this.pushCache;
    // Hot state lives in locals for the loop and is written back once, at the single exit.
    let head = this.ringHead;
    const chan = state.chan;
    let st = state.st;
    let sd = state.sd;
    let records = 0;
    let pushes = 0;
    let pops = 0;
    let objects = 0;
    let result = -1;
    let p = pos;
    loop: while (p < end) {
      const start = p;
      const t = buf[p++];
      if (t >= V12Type.ALLOCATION) {
        // ALLOCATION: hand-inlined varints, side effects only after the bounds check
        const idx = (t >> 3) & 15;
        let ptr = chan[0];
        // address / 8: the channel already holds it, and the cache stores it
        let a8: number;
        if (idx === 15) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          ptr = wrapU64(ptr + zigzag(z));
          a8 = ptr;
        } else {
          a8 = ring[(head + idx) & 15];
        }
        let a = t & 7;
        if (a === 0) a = buf[p++];
        if (a > 15 || a === 0) {
          if (p > end) result = state.incomplete(start, final, base, 'ALLOCATION');
          else {
            state.stop(base + start, `invalid allocator id ${a} in an ALLOCATION record`);
            result = start;
          }
          break;
        }
        const ca = V12_TO_CANONICAL[a];
        const kind = ALLOCATOR_KIND[ca];
        let nat = 0;
        let natChan = chan[1];
        let size = 0;
        if (kind !== AllocatorKind.SIMPLE_DEALLOCATOR) {
          if (native) {
            let b = buf[p++];
            let z = b & 0x7f;
            let s = 128;
            while (b & 0x80) {
              b = buf[p++];
              z += (b & 0x7f) * s;
              s *= 128;
            }
            natChan = wrapU64(natChan + zigzag(z));
            nat = natChan;
          }
          let b = buf[p++];
          size = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            size += (b & 0x7f) * s;
            s *= 128;
          }
        }
        if (p > end) {
          result = state.incomplete(start, final, base, 'ALLOCATION');
          break;
        }
        if (!state.haveThread) {
          state.stop(base + start, 'ALLOCATION record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        if (nat >= m.natCount) state.checkNativeId(nat, base + start, 'ALLOCATION record');
        if (idx === 15) {
          // pointer cache (docs/formats/memray-format.md §5.3): a miss goes to the front, hits keep
          // their place
          chan[0] = ptr;
          head = (head + 15) & 15;
          ring[head] = a8;
        }
        chan[1] = natChan;
        if (decodeOnly) m.allocationRecords++;
        else
          m.allocation(
            a8 | 0,
            (a8 / 4294967296) | 0,
            size,
            ca,
            kind === AllocatorKind.SIMPLE_DEALLOCATOR ? 0 : sd > 0 ? st[sd - 1] : 0,
            nat,
          );
        records++;
        continue;
      }
      if (t >= V12Type.FRAME_PUSH) {
        // FRAME_PUSH
        let b = buf[p++];
        let code = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          code += (b & 0x7f) * s;
          s *= 128;
        }
        b = buf[p++];
        let z = b & 0x7f;
        s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        if (p > end) {
          result = state.incomplete(start, final, base, 'FRAME_PUSH');
          break;
        }
        if (!state.haveThread) {
          state.stop(base + start, 'FRAME_PUSH record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        const offset = zigzag(z);
        const entry = t & 1;
        const sub = (offset + 1) * 2 + entry;
        const parent = sd > 0 ? st[sd - 1] : 0;
        // Loops push the same (parent, code, offset) again and again: a direct-mapped cache of
        // the resulting tree node skips both hash lookups (frame interning, trie child).
        const ci =
          (Math.imul(parent ^ Math.imul(code, 0x9e3779b1) ^ Math.imul(sub, 0x85ebca6b), 0x27d4eb2f) >>> 20) *
          4;
        let node: number;
        if (pc[ci] === parent && pc[ci + 1] === code && pc[ci + 2] === sub) {
          node = pc[ci + 3];
        } else {
          let frame = m.frameIntern.get(code, sub);
          if (frame < 0) {
            frame = state.newFrameV12(code, offset, entry);
            m.frameIntern.set(code, sub, frame);
          }
          node = m.pyChild(parent, frame);
          pc[ci] = parent;
          pc[ci + 1] = code;
          pc[ci + 2] = sub;
          pc[ci + 3] = node;
        }
        if (sd === st.length) {
          const g = new Int32Array(Math.max(64, st.length * 2));
          g.set(st);
          st = g;
        }
        st[sd++] = node;
        pushes++;
        records++;
        continue;
      }
      if (t >= V12Type.OBJECT_RECORD) {
        // OBJECT_RECORD
        const created = t & 1;
        const idx = (t >> 1) & 15;
        let ptr = chan[0];
        let a8 = 0;
        if (idx === 15) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          ptr = wrapU64(ptr + zigzag(z));
          a8 = ptr;
        } else a8 = ring[(head + idx) & 15];
        let natChan = chan[1];
        if (native && created) {
          let b = buf[p++];
          let z = b & 0x7f;
          let s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          natChan = wrapU64(natChan + zigzag(z));
        }
        if (p > end) {
          result = state.incomplete(start, final, base, 'OBJECT_RECORD');
          break;
        }
        if (idx === 15) {
          chan[0] = ptr;
          head = (head + 15) & 15;
          ring[head] = a8;
        }
        chan[1] = natChan;
        if (created) m.objectsCreated++;
        else m.objectsDestroyed++;
        objects++;
        records++;
        continue;
      }
      if (t >= V12Type.FRAME_POP) {
        // FRAME_POP
        if (!state.haveThread) {
          state.stop(base + start, 'FRAME_POP record before any CONTEXT_SWITCH');
          result = start;
          break;
        }
        const n = (t & 0x0f) + 1;
        sd = sd > n ? sd - n : 0;
        pops++;
        records++;
        continue;
      }
      // plain record types (cold): they may switch threads, so the stack goes back to `state`
      state.st = st;
      state.sd = sd;
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (t) {
        case V12Type.TRAILER:
          state.trailer(R.TRAILER);
          records++;
          result = p;
          break loop;
        case V12Type.MEMORY_RECORD: {
          const rss = c.varint();
          const ms = c.varint();
          if (c.short) ok = false;
          else {
            m.memoryRecord(rss, ms);
            counts[R.MEMORY_RECORD]++;
          }
          break;
        }
        case V12Type.CODE_OBJECT:
          ok = state.codeObject(c, base + start);
          break;
        case CommonType.NATIVE_TRACE_INDEX:
        case CommonType.MEMORY_MAP_START:
        case CommonType.SEGMENT_HEADER:
        case CommonType.THREAD_RECORD:
        case CommonType.CONTEXT_SWITCH: {
          const read = state.commonRecordOrStop(t, c, base + start);
          if (read === 'stop') {
            result = start;
            break loop;
          }
          ok = read;
          break;
        }
        default:
          state.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          result = start;
          break loop;
      }
      st = state.st;
      sd = state.sd;
      if (!ok) {
        result = state.incomplete(start, final, base, 'record');
        break;
      }
      p = c.p;
      records++;
    }
    this.ringHead = head;
    state.st = st;
    state.sd = sd;
    state.records += records;
    counts[R.FRAME_PUSH] += pushes;
    counts[R.FRAME_POP] += pops;
    counts[R.OBJECT_RECORD] += objects;
    return result >= 0 ? result : p;
  }
}
