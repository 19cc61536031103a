import { R, V12_TO_CANONICAL } from '../../model/memray/vocabulary';
import { Cursor } from './header';
import { ID_SLACK, type RecordLoop, type RecordState } from './record-state';
import { AggregatedType, CommonType } from './record-types';

/**
 * The records of an aggregated capture (`memray run --aggregate`, docs/formats/memray-format.md
 * §12): written once at exit, per-location high-water-mark and leak totals instead of an
 * allocation history, in either header version's encoding.
 */
export class AggregatedRecords implements RecordLoop {
  /** The PYTHON_TRACE_INDEX node the next one defines, less one. */
  private aggTraceIndex = 0;
  /** v10/11 aggregated PYTHON_FRAME_INDEX records not yet defined (any order, ids 0…n-1). */
  private pendingFrames?: {
    at: number[];
    id: number[];
    func: string[];
    file: string[];
    line: number[];
    entry: boolean[];
  };

  constructor(private readonly state: RecordState) {}

  parse(buf: Uint8Array, pos: number, end: number, final: boolean, base: number): number {
    const state = this.state;
    const m = state.model;
    const v12 = state.header.version >= 12;
    const native = state.header.nativeTraces;
    let p = pos;
    while (p < end) {
      const start = p;
      const t = buf[p++];
      // v10/11 frame definitions come in hash-map order: they are checked once all are read
      if (t !== AggregatedType.PYTHON_FRAME_INDEX && this.pendingFrames) this.definePendingFrames();
      const c = new Cursor(buf, p, end);
      let ok = true;
      switch (t) {
        case AggregatedType.MEMORY_SNAPSHOT: {
          const time = c.u64();
          const rss = c.u64();
          const heap = c.u64();
          if (c.short) ok = false;
          else {
            m.memorySnapshot(time - state.header.startTime, rss, heap);
            m.recordCounts[R.MEMORY_SNAPSHOT]++;
          }
          break;
        }
        case AggregatedType.AGGREGATED_ALLOCATION: {
          const tid = c.u64();
          const alloc = c.u8();
          c.bytes(7);
          const nat = c.u64();
          const py = c.u64();
          const gen = c.u64();
          const nHwm = c.u64();
          const nLeak = c.u64();
          const bHwm = c.u64();
          const bLeak = c.u64();
          if (c.short) ok = false;
          else {
            this.checkAggregatedKey(base + start, alloc, nat, py, gen);
            const ca = v12 ? V12_TO_CANONICAL[alloc] : alloc;
            m.aggregatedAllocation(tid, ca, nat, py, gen, nHwm, nLeak, bHwm, bLeak);
            m.recordCounts[R.AGGREGATED_ALLOCATION]++;
          }
          break;
        }
        case AggregatedType.PYTHON_TRACE_INDEX: {
          const frame = v12 ? c.varint() : c.u64();
          const parent = v12 ? c.varint() : c.u32();
          if (c.short) ok = false;
          else {
            const node = this.aggTraceIndex + 1;
            state.checkFrameId(frame, base + start, `PYTHON_TRACE_INDEX node ${node}`);
            // record k defines node k, written in node order: a parent comes before its children
            if (!(parent < node))
              state.refuse(
                base + start,
                `PYTHON_TRACE_INDEX node ${node} names parent ${parent}: expected an earlier node (0 to ${node - 1})`,
              );
            this.aggTraceIndex = node;
            m.setNode(node, frame, parent);
            m.recordCounts[R.PYTHON_TRACE_INDEX]++;
          }
          break;
        }
        case AggregatedType.PYTHON_FRAME_INDEX: {
          if (v12) {
            const id = c.varint();
            const code = c.varint();
            const offset = c.svarint();
            const entry = c.u8();
            if (c.short) ok = false;
            else {
              // memray refuses v12 frame ids that are not consecutive (docs/formats/memray-format.md §12)
              if (id !== m.frameCount)
                state.refuse(
                  base + start,
                  `PYTHON_FRAME_INDEX defines frame id ${id}: expected ${m.frameCount}, the ids count up from 0`,
                );
              const loc = state.codeLocation(code, offset);
              m.defineFrame(id, loc.name, loc.file, loc.line, entry !== 0);
            }
          } else {
            const id = c.u64();
            const func = c.cstring();
            const file = c.cstring();
            const line = c.i32();
            const entry = c.u8();
            if (c.short) ok = false;
            else this.holdFrame(base + start, id, func, file, line, entry !== 0);
          }
          if (ok && v12) m.recordCounts[R.PYTHON_FRAME_INDEX]++;
          break;
        }
        case AggregatedType.SURVIVING_OBJECT: {
          c.varint();
          if (native) c.varint();
          if (c.short) ok = false;
          else m.recordCounts[R.SURVIVING_OBJECT]++;
          break;
        }
        case AggregatedType.CODE_OBJECT:
          ok = state.codeObject(c, base + start);
          break;
        case AggregatedType.AGGREGATED_TRAILER:
          if (this.pendingFrames) this.definePendingFrames();
          state.trailer(R.AGGREGATED_TRAILER);
          state.records++;
          return p;
        case CommonType.NATIVE_TRACE_INDEX:
        case CommonType.MEMORY_MAP_START:
        case CommonType.SEGMENT_HEADER:
        case CommonType.THREAD_RECORD:
        case CommonType.CONTEXT_SWITCH: {
          const read = state.commonRecordOrStop(t, c, base + start);
          if (read === 'stop') return start;
          ok = read;
          break;
        }
        default:
          state.stop(base + start, `unknown aggregated record type 0x${t.toString(16).padStart(2, '0')}`);
          return start;
      }
      if (!ok) {
        if (final && this.pendingFrames) this.definePendingFrames();
        return state.incomplete(start, final, base, 'record');
      }
      p = c.p;
      state.records++;
    }
    if (final && this.pendingFrames) this.definePendingFrames();
    return p;
  }

  private holdFrame(at: number, id: number, func: string, file: string, line: number, entry: boolean): void {
    const f = (this.pendingFrames ??= { at: [], id: [], func: [], file: [], line: [], entry: [] });
    f.at.push(at);
    f.id.push(id);
    f.func.push(func);
    f.file.push(file);
    f.line.push(line);
    f.entry.push(entry);
  }

  /**
   * The section's ids are the frame registry's, 0…n-1 in hash-map order: each must fall inside
   * what the section holds (with ID_SLACK), so none sizes the frame arrays past the records.
   */
  private definePendingFrames(): void {
    const f = this.pendingFrames!;
    this.pendingFrames = undefined;
    const state = this.state;
    const m = state.model;
    const limit = m.frameCount + f.id.length + ID_SLACK;
    for (let i = 0; i < f.id.length; i++) {
      if (!(f.id[i] < limit))
        state.refuse(
          f.at[i],
          `PYTHON_FRAME_INDEX defines frame id ${f.id[i]}, but the capture holds ${f.id.length} frame records (ids 0 to ${f.id.length - 1})`,
        );
    }
    for (let i = 0; i < f.id.length; i++) {
      m.defineFrame(f.id[i], f.func[i], f.file[i], f.line[i], f.entry[i]);
      m.recordCounts[R.PYTHON_FRAME_INDEX]++;
    }
  }

  /**
   * An AGGREGATED_ALLOCATION's key: each part names something defined before it
   * (docs/formats/memray-format.md §12).
   */
  private checkAggregatedKey(at: number, alloc: number, nat: number, py: number, gen: number): void {
    const state = this.state;
    const m = state.model;
    if (!(alloc >= 1 && alloc <= 15))
      state.refuse(at, `AGGREGATED_ALLOCATION with allocator ${alloc}: expected an allocator id 1 to 15`);
    if (!(py < m.nodeCount))
      state.refuse(
        at,
        `AGGREGATED_ALLOCATION names Python stack ${py}, but only ${m.nodeCount - 1} PYTHON_TRACE_INDEX records came before it`,
      );
    if (nat > 0) state.checkNativeId(nat, at, 'AGGREGATED_ALLOCATION');
    if (!(gen <= m.generation))
      state.refuse(
        at,
        `AGGREGATED_ALLOCATION names memory-map generation ${gen}, but only ${m.generation} MEMORY_MAP_START records came before it`,
      );
  }
}
