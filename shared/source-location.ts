import type { SourceLocation } from './api';

/**
 * Where a frame or site is, as people read it: `where:line`, or `where` alone when there is no
 * line (a native frame, a function row). A native frame whose source line was found (DWARF
 * line tables, main/symbols) is named by that source, then the object it is in:
 * `foo.c:5 (libfoo.so)`. `where` is the file as the caller shows it (default the full path;
 * tables pass a module-relative or base name).
 */
export function locationText(
  site: { file: string; line: number; source?: SourceLocation },
  where: string = site.file,
): string {
  if (site.source) return `${site.source.file}:${site.source.line} (${where})`;
  return site.line > 0 ? `${where}:${site.line}` : where;
}
