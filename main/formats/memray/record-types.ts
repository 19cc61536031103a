/**
 * The record type bytes of memray's three record encodings (docs/formats/memray-format.md §5.1,
 * §5.4, §12). `const enum`s: the bundler writes the numbers in place, so naming a type costs the
 * record loops nothing. The WebAssembly loop keeps its own copy of the v12/v13 ones
 * (wasm/assembly/totals.ts); wasm/vocabulary.test.ts checks that the two agree.
 */

/** Records every encoding writes the same way, under the same type byte (§5.2, §5.4, §12). */
export const enum CommonType {
  NATIVE_TRACE_INDEX = 5,
  MEMORY_MAP_START = 6,
  SEGMENT_HEADER = 7,
  /** Only right after its SEGMENT_HEADER, which reads it. */
  SEGMENT = 8,
  THREAD_RECORD = 10,
  CONTEXT_SWITCH = 12,
}

/**
 * v12/v13 (§5.1): a byte with one of the top four bits set is ALLOCATION, FRAME_PUSH,
 * OBJECT_RECORD or FRAME_POP (tested in that order; the bits below are flags). Below 0x10 the
 * whole byte is the type: these, CODE_OBJECT and the common ones.
 */
export const enum V12Type {
  ALLOCATION = 0x80,
  FRAME_PUSH = 0x40,
  OBJECT_RECORD = 0x20,
  FRAME_POP = 0x10,
  TRAILER = 1,
  MEMORY_RECORD = 2,
  CODE_OBJECT = 14,
}

/** v10/v11 (§5.4): the low nibble is the type, the high nibble its flags. */
export const enum V10Type {
  /** With flags 1 the TRAILER; any other flags are invalid. */
  OTHER = 0,
  ALLOCATION = 1,
  ALLOCATION_WITH_NATIVE = 2,
  FRAME_INDEX = 3,
  FRAME_PUSH = 4,
  FRAME_POP = 9,
  MEMORY_RECORD = 11,
}

/** The flags of the v10/v11 OTHER record that ends the stream. */
export const V10_TRAILER_FLAGS = 1;

/** Aggregated files (`memray run --aggregate`, §12): the whole byte is the type. */
export const enum AggregatedType {
  MEMORY_SNAPSHOT = 1,
  AGGREGATED_ALLOCATION = 2,
  PYTHON_TRACE_INDEX = 3,
  PYTHON_FRAME_INDEX = 4,
  SURVIVING_OBJECT = 13,
  /** The same record as v12's CODE_OBJECT. */
  CODE_OBJECT = 14,
  AGGREGATED_TRAILER = 15,
}
