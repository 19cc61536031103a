import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Cheap native symbolization: function symbols from the `.dynsym` (or `.symtab`) of an ELF64
 * library that exists on this machine. Used only when the library's PT_LOAD segments match the
 * mappings the capture recorded, so a different build of the library is never trusted. No DWARF,
 * no inlined frames: memray, reading debug info, may name more frames. Every failure means "no
 * symbols", never an error.
 */
export interface ElfSymbols {
  /** Sorted symbol start addresses (image-relative). */
  start: Float64Array;
  size: Float64Array;
  name: string[];
  /** PT_LOAD (vaddr, memsz) pairs, for matching against the capture's SEGMENT records. */
  loads: [number, number][];
}

const cache = new Map<string, ElfSymbols | null>();

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

export function elfSymbols(path: string): ElfSymbols | null {
  if (cache.has(path)) return cache.get(path)!;
  let result: ElfSymbols | null = null;
  try {
    result = load(path);
  } catch {
    result = null;
  }
  cache.set(path, result);
  return result;
}

function load(path: string): ElfSymbols | null {
  const st = statSync(path);
  if (!st.isFile() || st.size < 64) return null;
  const fd = openSync(path, 'r');
  try {
    const h = readAt(fd, 0, 64);
    // ELF64, little-endian only (memray runs on x86-64 and aarch64 Linux)
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return null;
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58);
    const shnum = h.readUInt16LE(60);
    const loads: [number, number][] = [];
    const ph = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (ph.readUInt32LE(o) !== 1) continue; // PT_LOAD
      loads.push([Number(ph.readBigUInt64LE(o + 16)), Number(ph.readBigUInt64LE(o + 40))]);
    }
    const sh = readAt(fd, shoff, shentsize * shnum);
    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      sections.push({
        type: sh.readUInt32LE(o + 4),
        offset: Number(sh.readBigUInt64LE(o + 24)),
        size: Number(sh.readBigUInt64LE(o + 32)),
        link: sh.readUInt32LE(o + 40),
        entsize: Number(sh.readBigUInt64LE(o + 56)),
      });
    }
    // prefer the full symbol table when it is there (unstripped builds), else the dynamic one
    const symtab = sections.find((s) => s.type === 2) ?? sections.find((s) => s.type === 11);
    if (!symtab || symtab.entsize < 24)
      return { start: new Float64Array(0), size: new Float64Array(0), name: [], loads };
    const strtab = sections[symtab.link];
    if (!strtab || symtab.size > 64 << 20 || strtab.size > 64 << 20) return null;
    const syms = readAt(fd, symtab.offset, symtab.size);
    const strs = readAt(fd, strtab.offset, strtab.size);
    const found: { start: number; size: number; name: string }[] = [];
    for (let o = 0; o + 24 <= syms.length; o += symtab.entsize) {
      const info = syms[o + 4];
      if ((info & 0xf) !== 2) continue; // STT_FUNC
      const shndx = syms.readUInt16LE(o + 6);
      if (shndx === 0) continue; // undefined (imported)
      const value = Number(syms.readBigUInt64LE(o + 8));
      const size = Number(syms.readBigUInt64LE(o + 16));
      const nameOff = syms.readUInt32LE(o);
      let end = nameOff;
      while (end < strs.length && strs[end] !== 0) end++;
      found.push({ start: value, size, name: strs.toString('utf8', nameOff, end) });
    }
    found.sort((a, b) => a.start - b.start);
    return {
      start: Float64Array.from(found, (f) => f.start),
      size: Float64Array.from(found, (f) => f.size),
      name: found.map((f) => f.name),
      loads,
    };
  } finally {
    closeSync(fd);
  }
}

/** The function containing image-relative address `addr`, if the table has one. */
export function symbolAt(s: ElfSymbols, addr: number): string | undefined {
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
  if (at < 0) return undefined;
  const size = s.size[at];
  if (size > 0 ? addr < s.start[at] + size : addr - s.start[at] < 4096) return s.name[at];
  return undefined;
}
