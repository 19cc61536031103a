import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * What native symbolization needs from one ELF64 little-endian file (x86-64 and aarch64 Linux,
 * where memray runs): its PT_LOAD segments (to match the mappings a capture recorded), its GNU
 * build-id and .gnu_debuglink (to find and check a separate debug file), its function symbols
 * and whether it carries DWARF line tables. Only headers, notes and the symbol tables are read;
 * every failure means "not an ELF object we can use" (null), never an error.
 */
export interface ElfFacts {
  /** PT_LOAD (p_vaddr, p_memsz) pairs in program-header order, as memray records them. */
  loads: [vaddr: number, memsz: number][];
  /** .note.gnu.build-id as lowercase hex; undefined when the file has none. */
  buildId?: string;
  /** .gnu_debuglink: the debug file's name and the CRC32 of its contents. */
  debugLink?: { name: string; crc: number };
  /** Function symbols from .symtab when present, else from .dynsym; sorted by start. */
  symbols: ElfSymbolTable;
  /** Which table `symbols` came from. */
  symbolSource: 'symtab' | 'dynsym' | 'none';
  /** The file has a non-empty .debug_line section (DWARF line tables). */
  hasLineTables: boolean;
}

export interface ElfSymbolTable {
  /** Sorted symbol start addresses (image-relative, i.e. p_vaddr space). */
  start: Float64Array;
  size: Float64Array;
  /** Raw (mangled) names. */
  name: string[];
}

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHT_NOTE = 7;
const PT_LOAD = 1;
const PT_NOTE = 4;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const NT_GNU_BUILD_ID = 3;
/** A symbol or string table bigger than this is not something we hold in memory. */
const MAX_TABLE_BYTES = 256 << 20;

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, b, done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return b.subarray(0, done);
}

function cString(b: Buffer, at: number): string {
  let end = at;
  while (end < b.length && b[end] !== 0) end++;
  return b.toString('utf8', at, end);
}

const EMPTY_TABLE: ElfSymbolTable = { start: new Float64Array(0), size: new Float64Array(0), name: [] };

/** Reads the facts of `path`; null when it is missing, unreadable, or not an ELF64 LE file. */
export function readElfFacts(path: string): ElfFacts | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readOpen(fd);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function readOpen(fd: number): ElfFacts | null {
  const st = fstatSync(fd);
  if (!st.isFile() || st.size < 64) return null;
  const h = readAt(fd, 0, 64);
  if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return null;
  const phoff = Number(h.readBigUInt64LE(32));
  const shoff = Number(h.readBigUInt64LE(40));
  const phentsize = h.readUInt16LE(54);
  const phnum = h.readUInt16LE(56);
  const shentsize = h.readUInt16LE(58);
  const shnum = h.readUInt16LE(60);
  const shstrndx = h.readUInt16LE(62);
  if (phentsize * phnum > 1 << 20 || shentsize * shnum > 4 << 20) return null;

  const loads: [number, number][] = [];
  const notes: { offset: number; size: number }[] = [];
  const ph = readAt(fd, phoff, phentsize * phnum);
  for (let i = 0; i < phnum && (i + 1) * phentsize <= ph.length; i++) {
    const o = i * phentsize;
    const type = ph.readUInt32LE(o);
    if (type === PT_LOAD)
      loads.push([Number(ph.readBigUInt64LE(o + 16)), Number(ph.readBigUInt64LE(o + 40))]);
    else if (type === PT_NOTE)
      notes.push({ offset: Number(ph.readBigUInt64LE(o + 8)), size: Number(ph.readBigUInt64LE(o + 32)) });
  }

  const sections = readSections(fd, shoff, shentsize, shnum, shstrndx, st.size);
  // A debug file made by `objcopy --only-keep-debug` keeps its notes as sections, not as a
  // loaded PT_NOTE; an object keeps both. Read the sections first, then the segments.
  for (const s of sections) if (s.type === SHT_NOTE) notes.unshift({ offset: s.offset, size: s.size });
  const buildId = findBuildId(fd, notes, st.size);
  const debugLink = readDebugLink(
    fd,
    sections.find((s) => s.name === '.gnu_debuglink'),
  );
  const lines = sections.find((s) => s.name === '.debug_line' || s.name === '.zdebug_line');
  const hasLineTables = !!lines && lines.type !== SHT_NOBITS && lines.size > 0;

  const symtab = sections.find((s) => s.type === SHT_SYMTAB && s.size > 0);
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM && s.size > 0);
  let symbols = EMPTY_TABLE;
  let symbolSource: ElfFacts['symbolSource'] = 'none';
  for (const [table, source] of [
    [symtab, 'symtab'],
    [dynsym, 'dynsym'],
  ] as const) {
    if (!table) continue;
    const read = readFunctions(fd, table, sections[table.link], st.size);
    if (read && read.name.length > 0) {
      symbols = read;
      symbolSource = source;
      break;
    }
  }
  return {
    loads,
    ...(buildId !== undefined && { buildId }),
    ...(debugLink !== undefined && { debugLink }),
    symbols,
    symbolSource,
    hasLineTables,
  };
}

function readSections(
  fd: number,
  shoff: number,
  shentsize: number,
  shnum: number,
  shstrndx: number,
  fileSize: number,
): Section[] {
  if (shoff === 0 || shnum === 0 || shentsize < 64 || shoff + shentsize * shnum > fileSize) return [];
  const sh = readAt(fd, shoff, shentsize * shnum);
  const raw: Omit<Section, 'name'>[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    nameOffsets.push(sh.readUInt32LE(o));
    raw.push({
      type: sh.readUInt32LE(o + 4),
      offset: Number(sh.readBigUInt64LE(o + 24)),
      size: Number(sh.readBigUInt64LE(o + 32)),
      link: sh.readUInt32LE(o + 40),
      entsize: Number(sh.readBigUInt64LE(o + 56)),
    });
  }
  const strs = raw[shstrndx];
  const names =
    strs && strs.size < 1 << 20 && strs.offset + strs.size <= fileSize
      ? readAt(fd, strs.offset, strs.size)
      : Buffer.alloc(0);
  return raw.map((s, i) => ({ ...s, name: cString(names, nameOffsets[i]) }));
}

/** The NT_GNU_BUILD_ID descriptor of the first note that has one. */
function findBuildId(
  fd: number,
  notes: { offset: number; size: number }[],
  fileSize: number,
): string | undefined {
  for (const n of notes) {
    if (n.size <= 0 || n.size > 1 << 16 || n.offset + n.size > fileSize) continue;
    const b = readAt(fd, n.offset, n.size);
    for (let o = 0; o + 12 <= b.length;) {
      const namesz = b.readUInt32LE(o);
      const descsz = b.readUInt32LE(o + 4);
      const type = b.readUInt32LE(o + 8);
      const nameAt = o + 12;
      const descAt = nameAt + ((namesz + 3) & ~3);
      if (descAt + descsz > b.length) break;
      if (type === NT_GNU_BUILD_ID && namesz === 4 && b.toString('latin1', nameAt, nameAt + 3) === 'GNU')
        return descsz > 0 ? b.toString('hex', descAt, descAt + descsz) : undefined;
      o = descAt + ((descsz + 3) & ~3);
    }
  }
  return undefined;
}

function readDebugLink(fd: number, s: Section | undefined): { name: string; crc: number } | undefined {
  if (!s || s.size < 8 || s.size > 4096) return undefined;
  const b = readAt(fd, s.offset, s.size);
  const name = cString(b, 0);
  // The CRC follows the name's NUL, padded to 4 bytes.
  const crcAt = (name.length + 1 + 3) & ~3;
  if (!name || crcAt + 4 > b.length || name.includes('/')) return undefined;
  return { name, crc: b.readUInt32LE(crcAt) };
}

function readFunctions(
  fd: number,
  table: Section,
  strtab: Section | undefined,
  fileSize: number,
): ElfSymbolTable | null {
  if (!strtab || table.entsize < 24 || table.type === SHT_NOBITS || strtab.type === SHT_NOBITS) return null;
  if (table.size > MAX_TABLE_BYTES || strtab.size > MAX_TABLE_BYTES) return null;
  if (table.offset + table.size > fileSize || strtab.offset + strtab.size > fileSize) return null;
  const syms = readAt(fd, table.offset, table.size);
  const strs = readAt(fd, strtab.offset, strtab.size);
  const found: { start: number; size: number; name: string }[] = [];
  for (let o = 0; o + 24 <= syms.length; o += table.entsize) {
    const kind = syms[o + 4] & 0xf;
    if (kind !== STT_FUNC && kind !== STT_GNU_IFUNC) continue;
    if (syms.readUInt16LE(o + 6) === 0) continue; // undefined (imported)
    const name = cString(strs, syms.readUInt32LE(o));
    if (!name) continue;
    found.push({
      start: Number(syms.readBigUInt64LE(o + 8)),
      size: Number(syms.readBigUInt64LE(o + 16)),
      name,
    });
  }
  // Aliases share a start; the sized, global-looking one (no leading underscore) reads best.
  found.sort((a, b) => a.start - b.start || b.size - a.size || rank(a.name) - rank(b.name));
  return {
    start: Float64Array.from(found, (f) => f.start),
    size: Float64Array.from(found, (f) => f.size),
    name: found.map((f) => f.name),
  };
}

function rank(name: string): number {
  return name.startsWith('_') ? 1 : 0;
}

/**
 * Index of the function containing image-relative `addr`, or -1. Among symbols starting at or
 * before `addr`, the nearest one counts when `addr` is inside its size; a symbol without a size
 * (hand-written assembly) covers up to 4 KiB.
 */
export function functionIndexAt(s: ElfSymbolTable, addr: number): number {
  let lo = 0;
  let hi = s.start.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s.start[mid] <= addr) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Aliases sorted right after the best name share its start: step back to the first of them.
  while (at > 0 && s.start[at - 1] === s.start[at]) at--;
  if (at < 0) return -1;
  const size = s.size[at];
  return (size > 0 ? addr < s.start[at] + size : addr - s.start[at] < 4096) ? at : -1;
}

/** CRC-32 (IEEE, as .gnu_debuglink stores it) of a whole file, read in 1 MiB pieces. */
export function fileCrc32(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let crc = 0xffffffff;
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      for (let i = 0; i < n; i++) crc = CRC_TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
      pos += n;
    }
    return (crc ^ 0xffffffff) >>> 0;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
