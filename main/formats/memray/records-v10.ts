import { AllocatorKind, ALLOCATOR_KIND, R } from '../../model/memray/vocabulary';
import { Cursor } from './header';
import { wrapU64, zigzag, type RecordLoop, type RecordState } from './record-state';
import { CommonType, V10_TRAILER_FLAGS, V10Type } from './record-types';

/**
 * The v10/v11 record loop (docs/formats/memray-format.md §5.4): full addresses, no pointer
 * cache, Python frames defined by FRAME_INDEX records and pushed by id.
 */
export class V10Records implements RecordLoop {
  // the Python frame-id and line-number delta channels (§3), used by FRAME_INDEX and FRAME_PUSH
  private pyFrameId = 0;
  private pyLine = 0;

  constructor(private readonly state: RecordState) {}

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const state = this.state;
    const m = state.model;
    let p = pos;
    while (p < end) {
      const start = p;
      const t = buf[p++];
      const type = t & 0x0f;
      const flags = t >> 4;
      if (type === V10Type.ALLOCATION || type === V10Type.ALLOCATION_WITH_NATIVE) {
        const alloc = flags;
        const kind = ALLOCATOR_KIND[alloc];
        if (alloc === 0) {
          state.stop(base + start, 'ALLOCATION record with allocator 0');
          return start;
        }
        let b = buf[p++];
        let z = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        const ptr = wrapU64(state.chan[0] + zigzag(z));
        let size = 0;
        if (type === V10Type.ALLOCATION_WITH_NATIVE || kind !== AllocatorKind.SIMPLE_DEALLOCATOR) {
          b = buf[p++];
          size = b & 0x7f;
          s = 128;
          while (b & 0x80) {
            b = buf[p++];
            size += (b & 0x7f) * s;
            s *= 128;
          }
        }
        let natChan = state.chan[1];
        let nat = 0;
        if (type === V10Type.ALLOCATION_WITH_NATIVE) {
          b = buf[p++];
          z = b & 0x7f;
          s = 128;
          while (b & 0x80) {
            b = buf[p++];
            z += (b & 0x7f) * s;
            s *= 128;
          }
          natChan = wrapU64(natChan + zigzag(z));
          nat = natChan;
        }
        if (p > end) return state.incomplete(start, final, base, 'ALLOCATION');
        if (!state.haveThread) {
          state.stop(base + start, 'ALLOCATION record before any CONTEXT_SWITCH');
          return start;
        }
        if (nat >= m.natCount) state.checkNativeId(nat, base + start, 'ALLOCATION_WITH_NATIVE record');
        state.chan[0] = ptr;
        state.chan[1] = natChan;
        if (type === V10Type.ALLOCATION_WITH_NATIVE) m.recordCounts[R.ALLOCATION_WITH_NATIVE]++;
        const a8 = Math.floor(ptr / 8);
        m.allocation(
          a8 | 0,
          (a8 / 4294967296) | 0,
          size,
          alloc,
          kind === AllocatorKind.SIMPLE_DEALLOCATOR ? 0 : state.sd > 0 ? state.st[state.sd - 1] : 0,
          nat,
        );
        state.records++;
        continue;
      }
      if (type === V10Type.FRAME_PUSH) {
        let b = buf[p++];
        let z = b & 0x7f;
        let s = 128;
        while (b & 0x80) {
          b = buf[p++];
          z += (b & 0x7f) * s;
          s *= 128;
        }
        if (p > end) return state.incomplete(start, final, base, 'FRAME_PUSH');
        if (!state.haveThread) {
          state.stop(base + start, 'FRAME_PUSH record before any CONTEXT_SWITCH');
          return start;
        }
        const frame = wrapU64(this.pyFrameId + zigzag(z));
        // FRAME_INDEX comes before the first push of its frame (docs/formats/memray-format.md §5.4)
        if (frame >= m.frameCount) state.checkFrameId(frame, base + start, 'FRAME_PUSH');
        this.pyFrameId = frame;
        state.push(m.pyChild(state.top(), frame));
        m.recordCounts[R.FRAME_PUSH]++;
        state.records++;
        continue;
      }
      if (type === V10Type.FRAME_POP) {
        const n = flags + 1;
        state.sd = state.sd > n ? state.sd - n : 0;
        m.recordCounts[R.FRAME_POP]++;
        state.records++;
        continue;
      }
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (type) {
        case V10Type.OTHER:
          if (flags === V10_TRAILER_FLAGS) {
            state.trailer(R.TRAILER);
            state.records++;
            return p;
          }
          state.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
        case V10Type.FRAME_INDEX: {
          const id = wrapU64(this.pyFrameId + c.svarint());
          const func = c.cstring();
          const file = c.cstring();
          const line = (this.pyLine + c.svarint()) | 0;
          if (c.short) ok = false;
          else {
            state.checkNewFrameId(id, base + start, 'FRAME_INDEX');
            this.pyFrameId = id;
            this.pyLine = line;
            m.defineFrame(id, func, file, line, (flags & 1) === 0);
            m.recordCounts[R.FRAME_ID]++;
          }
          break;
        }
        case V10Type.MEMORY_RECORD: {
          const rss = c.varint();
          const ms = c.varint();
          if (c.short) ok = false;
          else {
            m.memoryRecord(rss, ms);
            m.recordCounts[R.MEMORY_RECORD]++;
          }
          break;
        }
        case CommonType.NATIVE_TRACE_INDEX:
        case CommonType.MEMORY_MAP_START:
        case CommonType.SEGMENT_HEADER:
        case CommonType.THREAD_RECORD:
        case CommonType.CONTEXT_SWITCH: {
          const read = state.commonRecordOrStop(type, c, base + start);
          if (read === 'stop') return start;
          ok = read;
          break;
        }
        default:
          state.stop(base + start, `unknown record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
      }
      if (!ok) return state.incomplete(start, final, base, 'record');
      p = c.p;
      state.records++;
    }
    return p;
  }
}
