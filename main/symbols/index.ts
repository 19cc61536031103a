/**
 * Native symbolization (the `Symbolizer` a memray model is handed): objects and debug files
 * found by sysroot, build-id and debuglink, names from ELF symbol tables, lines from a system
 * tool, C++/Rust names demangled. See native-symbolizer.ts.
 */
import { resolve } from 'node:path';
import type { SymbolSearch } from '../../shared/api';
import { NativeSymbolizer } from './native-symbolizer';

export { NativeSymbolizer, type NativeSymbolizerOptions } from './native-symbolizer';
export { findLineTool, type LineTool } from './lines';
export { demangle } from './demangle';

/** The search with empty and repeated entries dropped, each directory made absolute. */
export function normalizeSearch(search: SymbolSearch | undefined): SymbolSearch {
  const clean = (dirs: unknown): string[] =>
    Array.isArray(dirs)
      ? [
          ...new Set(
            dirs.filter((d): d is string => typeof d === 'string' && d.trim() !== '').map((d) => resolve(d)),
          ),
        ]
      : [];
  const sysroots = clean(search?.sysroots);
  const debugDirs = clean(search?.debugDirs);
  return { ...(sysroots.length && { sysroots }), ...(debugDirs.length && { debugDirs }) };
}

/** A symbolizer for one capture: each open gets its own (caches live as long as the capture). */
export function createSymbolizer(search?: SymbolSearch): NativeSymbolizer {
  return new NativeSymbolizer(normalizeSearch(search));
}
