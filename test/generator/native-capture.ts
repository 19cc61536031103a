/**
 * A small `memray run --native` capture (header v12, uncompressed) whose native frames fall in
 * ELF objects a test built: the SEGMENT records are each object's own PT_LOAD segments at a
 * load address, and every native frame is a return address inside one of its functions. It is
 * what a capture of a service calling into libfoo.so on another machine holds, made without
 * memray (docs/formats/memray-format.md §4, §5.2, §8).
 */
import { Bytes, Channel, encodeHeader, lineTable, type CodeObject } from './memray-capture';

export interface MappedObject {
  /** The path the capture records (the production machine's). */
  path: string;
  loadAddr: number;
  /** (p_vaddr, p_memsz) of each PT_LOAD segment. */
  segments: readonly (readonly [number, number])[];
}

export interface NativeAllocation {
  /** Python frames, outermost first: code object ids (each shown at its firstLine + 1). */
  python: number[];
  /** Return addresses, innermost first, as (object index, offset from its load address). */
  native: { object: number; offset: number }[];
  size: number;
}

export interface NativeCaptureSpec {
  objects: MappedObject[];
  codes: CodeObject[];
  /** Allocated one after another on one thread, 1 ms apart, none freed. */
  allocations: NativeAllocation[];
  startTimeMs?: number;
}

const V12_MALLOC = 6;

export function encodeNativeCapture(spec: NativeCaptureSpec): Uint8Array {
  const start = spec.startTimeMs ?? 1_700_000_000_000;
  const o = new Bytes();
  const pointer = new Channel();
  const firstLine = new Channel();
  const ip = new Channel();
  const nativeId = new Channel();
  const table = lineTable();

  o.u8(0x0c); // CONTEXT_SWITCH
  o.uint(1, 8);
  o.u8(0x06); // MEMORY_MAP_START: generation 1
  for (const obj of spec.objects) {
    o.u8(0x07); // SEGMENT_HEADER
    o.cstring(obj.path);
    o.varint(BigInt(obj.segments.length));
    o.uint(obj.loadAddr, 8);
    for (const [vaddr, memsz] of obj.segments) {
      o.u8(0x08);
      o.uint(vaddr, 8);
      o.varint(BigInt(memsz));
    }
  }
  for (const c of spec.codes) {
    o.u8(0x0e); // CODE_OBJECT
    o.varint(BigInt(c.id));
    o.cstring(c.name);
    o.cstring(c.file);
    firstLine.delta(o, BigInt(c.firstLine));
    o.varint(BigInt(table.length));
    for (const b of table) o.u8(b);
  }
  let rss = 10_000_000;
  o.u8(0x02); // MEMORY_RECORD
  o.varint(BigInt(rss));
  o.varint(0n);

  // The native trace tree: node k is the k-th NATIVE_TRACE_INDEX record (1-based).
  const nodes = new Map<string, number>();
  let address = 0x7f00_0000_0000;
  spec.allocations.forEach((a, i) => {
    for (const code of a.python) {
      o.u8(0x40 | 1); // FRAME_PUSH, entry frame
      o.varint(BigInt(code));
      o.svarint(0n); // offset 0: line firstLine + 1
    }
    let parent = 0;
    for (let k = a.native.length - 1; k >= 0; k--) {
      const { object, offset } = a.native[k];
      const at = spec.objects[object].loadAddr + offset;
      const key = `${parent}:${at}`;
      let node = nodes.get(key);
      if (node === undefined) {
        node = nodes.size + 1;
        nodes.set(key, node);
        o.u8(0x05); // NATIVE_TRACE_INDEX
        ip.delta(o, BigInt(at));
        nativeId.delta(o, BigInt(parent));
      }
      parent = node;
    }
    o.u8(0x80 | (15 << 3) | V12_MALLOC); // ALLOCATION, pointer-cache miss, MALLOC
    pointer.delta(o, BigInt(address) >> 3n);
    nativeId.delta(o, BigInt(parent));
    o.varint(BigInt(a.size));
    address += Math.ceil(a.size / 16 + 1) * 16;
    for (let n = a.python.length; n > 0; n -= 16) o.u8(0x10 | (Math.min(n, 16) - 1)); // FRAME_POP
    rss += a.size;
    o.u8(0x02);
    o.varint(BigInt(rss));
    o.varint(BigInt(i + 1));
  });
  o.u8(0x01); // TRAILER

  const header = encodeHeader({
    version: 12,
    nAllocations: spec.allocations.length,
    startTimeMs: start,
    endTimeMs: start + spec.allocations.length,
    fileFormat: 0,
    nativeTraces: true,
    tracePythonAllocators: false,
  });
  const body = o.bytes();
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}
