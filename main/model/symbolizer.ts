/**
 * What a model asks about native frames, and nothing about how it is answered: the model never
 * reads ELF files or searches directories (main/symbols does, behind this interface).
 */

/** A mapped object as the capture recorded it: its path and its loaded segments. */
export interface NativeObject {
  path: string;
  /** (p_vaddr, p_memsz) of each PT_LOAD segment, in the order the capture listed them. */
  segments: readonly (readonly [vaddr: number, memsz: number])[];
}

export interface Symbolizer {
  /**
   * The label of a native frame whose return address is `offset` bytes past `object`'s load
   * address: the (demangled) function containing the call, or `libfoo.so+0x1a2b` when that
   * function is unknown. Never throws; synchronous and cheap after the object's first lookup.
   */
  nativeName(object: NativeObject, offset: number): string;
}

/** `libfoo.so+0x1a2b`: a frame of a known object whose function is not known here. */
export function offsetLabel(path: string, offset: number): string {
  const base = path.slice(path.lastIndexOf('/') + 1) || path;
  return `${base}+0x${offset.toString(16)}`;
}
