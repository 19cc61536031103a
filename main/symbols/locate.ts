/**
 * Finding a mapped object's copy and its debug file on this machine, and refusing any file that
 * is not the object the capture recorded. The capture holds the path and the PT_LOAD segments
 * (SEGMENT_HEADER/SEGMENT records), not a build-id, so:
 * - a copy of the object counts only when its PT_LOAD (p_vaddr, p_memsz) equal the recorded
 *   segments, one for one;
 * - a debug file counts only when its GNU build-id equals the copy's (or, for files without
 *   build-ids, when its CRC32 is the one the copy's .gnu_debuglink names).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SymbolSearch } from '../../shared/api';
import { fileCrc32, readElfFacts, type ElfFacts } from '../formats/elf/elf-file';
import type { NativeObject } from '../model/symbolizer';

/** Where Debian's -dbgsym packages (and most distributions') install debug files. */
export const SYSTEM_DEBUG_DIR = '/usr/lib/debug';

export interface FoundFile {
  path: string;
  facts: ElfFacts;
}

export interface Located {
  object?: FoundFile;
  debug?: FoundFile & { via: 'build-id' | 'debuglink' };
  /** Files that exist but were not used, and why. */
  refused: { path: string; why: string }[];
}

/** The search as given, plus the system debug directory and each sysroot's own debug tree. */
export function debugDirs(search: SymbolSearch, includeSystem = true): string[] {
  const dirs = [
    ...(search.debugDirs ?? []),
    ...(search.sysroots ?? []).map((root) => join(root, SYSTEM_DEBUG_DIR)),
    ...(includeSystem ? [SYSTEM_DEBUG_DIR] : []),
  ];
  return [...new Set(dirs)];
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function segmentsText(segs: readonly (readonly [number, number])[]): string {
  return segs.map(([v, m]) => `${hex(v)}+${hex(m)}`).join(', ');
}

/** Why `facts` is not the recorded object, or undefined when its PT_LOAD segments match. */
export function segmentMismatch(object: NativeObject, facts: ElfFacts): string | undefined {
  const rec = object.segments;
  const same =
    rec.length === facts.loads.length &&
    rec.every(([v, m], i) => v === facts.loads[i][0] && m === facts.loads[i][1]);
  return same
    ? undefined
    : `its PT_LOAD segments (${segmentsText(facts.loads)}) differ from the capture's (${segmentsText(rec)})`;
}

/** The copies of the object to try, in order: under each sysroot, then the recorded path. */
export function objectCandidates(path: string, search: SymbolSearch): string[] {
  if (!path.startsWith('/')) return [];
  return [...new Set([...(search.sysroots ?? []).map((root) => join(root, path)), path])];
}

function findObject(
  object: NativeObject,
  search: SymbolSearch,
  refused: Located['refused'],
): FoundFile | undefined {
  for (const path of objectCandidates(object.path, search)) {
    if (!existsSync(path)) continue;
    const facts = readElfFacts(path);
    if (!facts) {
      refused.push({ path, why: 'not an ELF64 little-endian file' });
      continue;
    }
    const why = segmentMismatch(object, facts);
    if (why) {
      refused.push({ path, why });
      continue;
    }
    return { path, facts };
  }
  return undefined;
}

function buildIdPath(dir: string, id: string): string {
  return join(dir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`);
}

/** Why `debug` is not `object`'s debug file, or undefined when it is. */
function debugMismatch(object: FoundFile, debug: FoundFile, crc?: number): string | undefined {
  const want = object.facts.buildId;
  const got = debug.facts.buildId;
  if (want && got) return want === got ? undefined : `its build-id ${got} is not the object's ${want}`;
  if (want && !got) return `it has no build-id; the object's is ${want}`;
  if (crc === undefined) return 'neither file has a build-id to compare';
  const actual = fileCrc32(debug.path);
  return actual === crc
    ? undefined
    : `its CRC32 ${actual === undefined ? 'cannot be read' : hex(actual)} is not the debuglink's ${hex(crc)}`;
}

function tryDebug(
  path: string,
  object: FoundFile,
  refused: Located['refused'],
  crc?: number,
): FoundFile | undefined {
  if (path === object.path || !existsSync(path)) return undefined;
  const facts = readElfFacts(path);
  if (!facts) {
    refused.push({ path, why: 'not an ELF64 little-endian file' });
    return undefined;
  }
  const found = { path, facts };
  const why = debugMismatch(object, found, crc);
  if (why) {
    refused.push({ path, why });
    return undefined;
  }
  return found;
}

/** The debug file candidates named by .gnu_debuglink: beside the copy, then under each dir. */
export function debugLinkCandidates(
  objectPath: string,
  recordedPath: string,
  name: string,
  dirs: string[],
): string[] {
  const here = dirname(objectPath);
  return [
    ...new Set([
      join(here, name),
      join(here, '.debug', name),
      ...dirs.flatMap((dir) => [join(dir, dirname(recordedPath), name), join(dir, name)]),
    ]),
  ];
}

function findDebug(
  object: FoundFile,
  recordedPath: string,
  dirs: string[],
  refused: Located['refused'],
): Located['debug'] {
  const id = object.facts.buildId;
  if (id && id.length > 2) {
    for (const dir of dirs) {
      const found = tryDebug(buildIdPath(dir, id), object, refused);
      if (found) return { ...found, via: 'build-id' };
    }
  }
  const link = object.facts.debugLink;
  if (link) {
    for (const path of debugLinkCandidates(object.path, recordedPath, link.name, dirs)) {
      const found = tryDebug(path, object, refused, link.crc);
      if (found) return { ...found, via: 'debuglink' };
    }
  }
  return undefined;
}

/**
 * The copy of `object` to read and its debug file, searched in the documented order. A debug
 * file is looked for only when the copy lacks a full symbol table or line tables.
 */
export function locate(object: NativeObject, search: SymbolSearch, includeSystemDebug = true): Located {
  const refused: Located['refused'] = [];
  const found = findObject(object, search, refused);
  if (!found) return { refused };
  const complete = found.facts.symbolSource === 'symtab' && found.facts.hasLineTables;
  const debug = complete
    ? undefined
    : findDebug(found, object.path, debugDirs(search, includeSystemDebug), refused);
  return { object: found, ...(debug && { debug }), refused };
}
