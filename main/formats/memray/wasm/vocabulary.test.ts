// The WebAssembly loops' copy of memray's vocabulary (assembly/common.ts, shared by totals.ts and
// full.ts; AssemblyScript cannot import TypeScript) against the one definition,
// main/model/memray/vocabulary.ts and ../record-types.ts, and the status and error codes both
// modules export against the host's (loop-wasm.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOCATOR_KIND, AllocatorKind, V12_TO_CANONICAL } from '../../../model/memray/vocabulary';
import { CommonType, V12Type } from '../record-types';
import { instantiateFull, type FullHost } from './full-wasm';
import { ERR, STATUS } from './loop-wasm';
import { instantiateTotals, type TotalsHost } from './totals-wasm';

const SOURCE = readFileSync(join(import.meta.dirname, 'assembly', 'common.ts'), 'utf8');

/** `const NAME: u8|u32|i32 = N;` at the top level of the AssemblyScript source. */
function scalar(name: string): number {
  const m = new RegExp(`^(?:export )?const ${name}: (?:u8|u32|i32) = (0x[0-9a-fA-F]+|\\d+);`, 'm').exec(
    SOURCE,
  );
  if (!m) throw new Error(`assembly/common.ts defines no constant ${name}`);
  return Number(m[1]);
}

/** `const NAME: StaticArray<u8> = [...];` */
function array(name: string): number[] {
  const m = new RegExp(`^(?:export )?const ${name}: StaticArray<u8> = \\[([^\\]]*)\\];`, 'm').exec(SOURCE);
  if (!m) throw new Error(`assembly/common.ts defines no array ${name}`);
  return m[1].split(',').map((v) => Number(v.trim()));
}

describe('the WebAssembly loop speaks the same memray vocabulary', () => {
  it('allocator ids and kinds', () => {
    expect(array('V12_TO_CANONICAL')).toEqual([...V12_TO_CANONICAL]);
    expect(array('ALLOCATOR_KIND')).toEqual([...ALLOCATOR_KIND]);
    expect({
      SIMPLE_ALLOCATOR: scalar('SIMPLE_ALLOCATOR'),
      SIMPLE_DEALLOCATOR: scalar('SIMPLE_DEALLOCATOR'),
      RANGED_ALLOCATOR: scalar('RANGED_ALLOCATOR'),
    }).toEqual({
      SIMPLE_ALLOCATOR: AllocatorKind.SIMPLE_ALLOCATOR,
      SIMPLE_DEALLOCATOR: AllocatorKind.SIMPLE_DEALLOCATOR,
      RANGED_ALLOCATOR: AllocatorKind.RANGED_ALLOCATOR,
    });
  });

  it('v12/v13 record type bytes', () => {
    const ours = {
      ALLOCATION: V12Type.ALLOCATION,
      FRAME_PUSH: V12Type.FRAME_PUSH,
      OBJECT_RECORD: V12Type.OBJECT_RECORD,
      FRAME_POP: V12Type.FRAME_POP,
      TRAILER: V12Type.TRAILER,
      MEMORY_RECORD: V12Type.MEMORY_RECORD,
      NATIVE_TRACE_INDEX: CommonType.NATIVE_TRACE_INDEX,
      MEMORY_MAP_START: CommonType.MEMORY_MAP_START,
      SEGMENT_HEADER: CommonType.SEGMENT_HEADER,
      THREAD_RECORD: CommonType.THREAD_RECORD,
      CONTEXT_SWITCH: CommonType.CONTEXT_SWITCH,
      CODE_OBJECT: V12Type.CODE_OBJECT,
    };
    const theirs = Object.fromEntries(Object.keys(ours).map((name) => [name, scalar(`T_${name}`)]));
    expect(theirs).toEqual(ours);
    // every T_ constant the loop has is one of these
    const defined = [...SOURCE.matchAll(/^(?:export )?const T_(\w+): u32/gm)].map((m) => m[1]).sort();
    expect(defined).toEqual(Object.keys(ours).sort());
  });

  it('status and error codes, as both modules export them', () => {
    const totals = instantiateTotals(new Proxy({} as TotalsHost, { get: () => () => 0 }));
    const full = instantiateFull(new Proxy({} as FullHost, { get: () => () => 0 }));
    for (const exports of [totals, full] as unknown as Record<string, { value: number }>[]) {
      const value = (name: string) => exports[name].value;
      expect({
        MORE: value('STATUS_MORE'),
        INCOMPLETE: value('STATUS_INCOMPLETE'),
        ERROR: value('STATUS_ERROR'),
        TRAILER: value('STATUS_TRAILER'),
        COLD_STOP: value('STATUS_COLD_STOP'),
      }).toEqual(STATUS);
      expect({
        BAD_ALLOCATOR: value('ERR_BAD_ALLOCATOR'),
        NO_THREAD_ALLOCATION: value('ERR_NO_THREAD_ALLOCATION'),
        NO_THREAD_PUSH: value('ERR_NO_THREAD_PUSH'),
        NO_THREAD_POP: value('ERR_NO_THREAD_POP'),
        UNKNOWN_TYPE: value('ERR_UNKNOWN_TYPE'),
      }).toEqual(ERR);
    }
  });
});
