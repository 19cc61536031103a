/**
 * Native symbolization against small ELF objects built here from C (Debian's gcc and binutils):
 * with and without -g, stripped with a split debug file (objcopy --only-keep-debug,
 * --add-gnu-debuglink), found through each search path; and a same-named object of another
 * build refused. The capture's side (path + PT_LOAD segments) is what a memray capture holds.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElfFacts, type ElfFacts } from '../formats/elf/elf-file';
import type { NativeObject } from '../model/symbolizer';
import { findLineTool, lookupLines } from './lines';
import { NativeSymbolizer } from './native-symbolizer';
import { demangle } from './demangle';

/** Where the functions start in SOURCE (1-based lines): what DWARF must report. */
const SOURCE = `#include <stdlib.h>
static __attribute__((noinline)) int scale(int x) {
  return x * 3 + (int)(long)getenv("HS_NEVER_SET");
}
__attribute__((noinline)) void *foo_alloc(int n) {
  return malloc((size_t)scale(n));
}
__attribute__((noinline)) void cxx_named(void) __asm__("_ZN3foo3barEv");
__attribute__((noinline)) void cxx_named(void) { foo_alloc(1); }
__attribute__((noinline)) void rust_legacy(void) __asm__("_ZN4core3ptr13drop_in_place17h6f3c2ab19d04e5c7E");
__attribute__((noinline)) void rust_legacy(void) { foo_alloc(2); }
__attribute__((noinline)) void rust_v0(void) __asm__("_RNvCs15kBYyAo9fc_7mycrate7example");
__attribute__((noinline)) void rust_v0(void) { foo_alloc(3); }
`;
const LINE = { scale: 2, foo_alloc: 5 };
/** Where the capture says the library was (the production machine's path). */
const RECORDED = '/opt/service/lib/libfoo.so';

let dir: string;
const built: Record<string, string> = {};

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function facts(path: string): ElfFacts {
  const f = readElfFacts(path);
  if (!f) throw new Error(`${path} is not an ELF file`);
  return f;
}

/** The capture's view of an object: its path and its PT_LOAD segments as recorded. */
function recorded(path: string, from = built.debugBuild): NativeObject {
  return { path, segments: facts(from).loads };
}

/** Image-relative start of a function, from the unstripped build's own symbol table. */
function start(name: string): number {
  const s = facts(built.debugBuild).symbols;
  return s.start[s.name.indexOf(name)];
}

/** A return address a few bytes inside `name` (what a native stack holds). */
function returnAddress(name: string): number {
  return start(name) + 5;
}

function place(file: string, at: string): string {
  mkdirSync(dirname(at), { recursive: true });
  copyFileSync(file, at);
  return at;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'heapscope-symbols-'));
  writeFileSync(join(dir, 'foo.c'), SOURCE);
  const cc = (out: string, ...flags: string[]) =>
    run('gcc', ['-O1', '-shared', '-fPIC', ...flags, '-o', out, 'foo.c']);
  cc('libfoo-g.so', '-g', '-Wl,--build-id');
  cc('libfoo-plain.so', '-Wl,--build-id');
  // The same code, linked with another build-id: same segments, another build.
  cc('libfoo-other.so', '-g', '-Wl,--build-id=0x00112233445566778899aabbccddeeff00112233');
  run('objcopy', ['--only-keep-debug', 'libfoo-g.so', 'libfoo.debug']);
  copyFileSync(join(dir, 'libfoo-g.so'), join(dir, 'libfoo-stripped.so'));
  run('strip', ['--strip-all', 'libfoo-stripped.so']);
  run('objcopy', ['--add-gnu-debuglink=libfoo.debug', 'libfoo-stripped.so']);
  copyFileSync(join(dir, 'libfoo-other.so'), join(dir, 'libfoo-other-stripped.so'));
  run('strip', ['--strip-all', 'libfoo-other-stripped.so']);
  run('objcopy', ['--add-gnu-debuglink=libfoo.debug', 'libfoo-other-stripped.so']);
  for (const name of ['g', 'plain', 'other', 'stripped', 'other-stripped'])
    built[name] = join(dir, `libfoo-${name}.so`);
  built.debugBuild = built.g;
  built.debug = join(dir, 'libfoo.debug');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hermetic symbolizer: never /usr/lib/debug, the machine's line tool unless told. */
function symbolizer(search: ConstructorParameters<typeof NativeSymbolizer>[0], names = false) {
  return new NativeSymbolizer(search, { systemDebugDir: false, ...(names && { lineTool: null }) });
}

const TOOL = findLineTool();

/** Lines where a line tool exists; names only (no source) where none does. */
function expectSource(s: NativeSymbolizer, name: string, line: number): void {
  const [source] = s.sources([{ name, file: RECORDED }]);
  if (TOOL) expect(source).toEqual({ file: expect.stringMatching(/foo\.c$/), line });
  else expect(source).toBeUndefined();
}

describe('the ELF files built for these tests', () => {
  it('have what each case needs (build-ids, debuglink, symbol tables, line tables)', () => {
    const g = facts(built.g);
    const stripped = facts(built.stripped);
    const debug = facts(built.debug);
    expect(g.buildId).toMatch(/^[0-9a-f]{40}$/);
    expect(g.symbolSource).toBe('symtab');
    expect(g.hasLineTables).toBe(true);
    expect(facts(built.plain).hasLineTables).toBe(false);
    // strip keeps the build-id and the loaded segments; the debug file keeps the build-id
    expect(stripped.buildId).toBe(g.buildId);
    expect(stripped.loads).toEqual(g.loads);
    expect(stripped.symbolSource).toBe('dynsym');
    expect(stripped.debugLink?.name).toBe('libfoo.debug');
    expect(debug.buildId).toBe(g.buildId);
    expect(debug.symbolSource).toBe('symtab');
    expect(facts(built.other).buildId).toBe('00112233445566778899aabbccddeeff00112233');
    expect(facts(built.other).loads).toEqual(g.loads);
    // the static function is in .symtab only: naming it proves which table answered
    expect(stripped.symbols.name).not.toContain('scale');
    expect(debug.symbols.name).toContain('scale');
  });
});

describe('search paths', () => {
  it('sysroot: DIR + the recorded path, with names and lines from the object itself', () => {
    const root = join(dir, 'sysroot-g');
    place(built.g, join(root, RECORDED));
    const s = symbolizer({ sysroots: [root] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('foo_alloc'))).toBe('foo_alloc');
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
    expectSource(s, 'foo_alloc', LINE.foo_alloc);
    expectSource(s, 'scale', LINE.scale);
    const [o] = s.note().objects;
    expect(o).toMatchObject({
      path: RECORDED,
      status: 'resolved',
      copy: join(root, RECORDED),
      lines: !!TOOL,
    });
  });

  it('build-id tree: DIR/.build-id/xx/rest.debug for a stripped object', () => {
    const root = join(dir, 'sysroot-stripped');
    const debugDir = join(dir, 'debug-tree');
    place(built.stripped, join(root, RECORDED));
    const id = facts(built.g).buildId!;
    place(built.debug, join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`));
    // the debuglink's file is nowhere near: only the build-id can find the debug file
    const s = symbolizer({ sysroots: [root], debugDirs: [debugDir] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
    expectSource(s, 'scale', LINE.scale);
    expect(s.note().objects[0].debugFile).toBe(
      join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`),
    );
  });

  it("the sysroot's own usr/lib/debug tree counts as a debug dir", () => {
    const root = join(dir, 'sysroot-with-dbgsym');
    place(built.stripped, join(root, RECORDED));
    const id = facts(built.g).buildId!;
    place(built.debug, join(root, 'usr/lib/debug/.build-id', id.slice(0, 2), `${id.slice(2)}.debug`));
    const s = symbolizer({ sysroots: [root] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
  });

  it('debuglink: the named file next to the object', () => {
    const root = join(dir, 'sysroot-link');
    place(built.stripped, join(root, RECORDED));
    place(built.debug, join(root, dirname(RECORDED), 'libfoo.debug'));
    const s = symbolizer({ sysroots: [root] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
    expect(s.nativeName(recorded(RECORDED), returnAddress('foo_alloc'))).toBe('foo_alloc');
    expectSource(s, 'foo_alloc', LINE.foo_alloc);
    // only labels this symbolizer handed out have a source: a name it never gave has none
    expect(s.sources([{ name: 'foo_alloc', file: '/elsewhere/libfoo.so' }])).toEqual([undefined]);
    expect(s.note().objects[0].debugFile).toBe(join(root, dirname(RECORDED), 'libfoo.debug'));
  });

  it('debuglink: the named file under a debug dir (DIR + the recorded directory)', () => {
    const root = join(dir, 'sysroot-link-dir');
    const debugDir = join(dir, 'debug-link-dir');
    place(built.stripped, join(root, RECORDED));
    place(built.debug, join(debugDir, dirname(RECORDED), 'libfoo.debug'));
    const s = symbolizer({ sysroots: [root], debugDirs: [debugDir] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
    expectSource(s, 'scale', LINE.scale);
  });

  it('the local file at the recorded path, when no sysroot has it', () => {
    const s = symbolizer({ sysroots: [join(dir, 'empty-sysroot')] });
    const object = recorded(built.g);
    expect(s.nativeName(object, returnAddress('foo_alloc'))).toBe('foo_alloc');
    const [source] = s.sources([{ name: 'foo_alloc', file: built.g }]);
    if (TOOL) expect(source?.line).toBe(LINE.foo_alloc);
    else expect(source).toBeUndefined();
    expect(s.note().objects[0]).toMatchObject({ status: 'resolved', path: built.g });
    expect(s.note().objects[0].copy).toBeUndefined();
  });

  it('without -g: names from .symtab, no source line', () => {
    const s = symbolizer({});
    const object = recorded(built.plain, built.plain);
    const plain = facts(built.plain).symbols;
    const at = plain.start[plain.name.indexOf('foo_alloc')] + 5;
    expect(s.nativeName(object, at)).toBe('foo_alloc');
    expect(s.sources([{ name: 'foo_alloc', file: built.plain }])).toEqual([undefined]);
    expect(s.note().objects[0].lines).toBe(false);
  });

  it('stripped and no debug file anywhere: exported names from .dynsym only', () => {
    const root = join(dir, 'sysroot-bare');
    place(built.stripped, join(root, RECORDED));
    const s = symbolizer({ sysroots: [root] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('foo_alloc'))).toBe('foo_alloc');
    // the static function has no exported symbol; the nearest one must not be claimed for it
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).not.toBe('scale');
    expect(s.note().objects[0].debugFile).toBeUndefined();
  });

  it('no line tool: the same names, and no source (the names-only fallback)', () => {
    const root = join(dir, 'sysroot-g-names');
    place(built.g, join(root, RECORDED));
    const s = symbolizer({ sysroots: [root] }, true);
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).toBe('scale');
    expect(s.sources([{ name: 'scale', file: RECORDED }])).toEqual([undefined]);
    expect(s.note().lineTool).toBeUndefined();
    expect(s.note().text).toMatch(/names only/);
  });
});

describe('refusing what is not the recorded object', () => {
  it('a same-named library with other PT_LOAD segments is refused: the frame stays lib+0x…', () => {
    const root = join(dir, 'sysroot-moved');
    place(built.g, join(root, RECORDED));
    const f = facts(built.g);
    const changed: NativeObject = {
      path: RECORDED,
      segments: f.loads.map(([v, m], i) => [v, i === 1 ? m + 0x10 : m] as const),
    };
    const s = symbolizer({ sysroots: [root] });
    const offset = returnAddress('foo_alloc');
    expect(s.nativeName(changed, offset)).toBe(`libfoo.so+0x${offset.toString(16)}`);
    const [o] = s.note().objects;
    expect(o.status).toBe('refused');
    expect(o.refused?.[0]).toMatchObject({
      path: join(root, RECORDED),
      why: expect.stringMatching(/PT_LOAD/),
    });
    expect(s.note().text).toMatch(/refused as a different build: libfoo\.so/);
  });

  it('a same-named library of another build-id: its debug file (of our build) is refused', () => {
    const root = join(dir, 'sysroot-other');
    place(built['other-stripped'], join(root, RECORDED));
    place(built.debug, join(root, dirname(RECORDED), 'libfoo.debug'));
    const s = symbolizer({ sysroots: [root] });
    // segments equal, so the object is this one; the debug file is another build's: not used
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).not.toBe('scale');
    expect(s.nativeName(recorded(RECORDED), returnAddress('foo_alloc'))).toBe('foo_alloc');
    const [o] = s.note().objects;
    expect(o.debugFile).toBeUndefined();
    expect(o.buildId).toBe('00112233445566778899aabbccddeeff00112233');
    expect(o.refused?.[0]).toMatchObject({
      path: join(root, dirname(RECORDED), 'libfoo.debug'),
      why: expect.stringMatching(/build-id [0-9a-f]{40} is not the object's 0011/),
    });
    expect(s.note().text).toMatch(/debug files refused/);
  });

  it('a debug file named by build-id but holding another build is refused', () => {
    const root = join(dir, 'sysroot-wrong-tree');
    const debugDir = join(dir, 'debug-tree-wrong');
    place(built.stripped, join(root, RECORDED));
    const id = facts(built.g).buildId!;
    // the other build's debug info filed under our build-id
    run('objcopy', ['--only-keep-debug', 'libfoo-other.so', 'libfoo-other.debug']);
    place(
      join(dir, 'libfoo-other.debug'),
      join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`),
    );
    const s = symbolizer({ sysroots: [root], debugDirs: [debugDir] });
    expect(s.nativeName(recorded(RECORDED), returnAddress('scale'))).not.toBe('scale');
    expect(s.note().objects[0].refused?.[0].why).toMatch(/build-id/);
  });

  it('nothing anywhere: not found, lib+0x…, and the note says which object', () => {
    const s = symbolizer({ sysroots: [join(dir, 'nowhere')] });
    const object: NativeObject = { path: '/opt/nowhere/libgone.so.3', segments: [[0, 0x1000]] };
    expect(s.nativeName(object, 0x1234)).toBe('libgone.so.3+0x1234');
    expect(s.note().objects[0].status).toBe('not-found');
    expect(s.note().text).toMatch(/not found: libgone\.so\.3/);
  });
});

describe('demangling', () => {
  it('C++ and Rust (legacy and v0) names from a built object read as their source spelled them', () => {
    const root = join(dir, 'sysroot-mangled');
    place(built.g, join(root, RECORDED));
    const s = symbolizer({ sysroots: [root] });
    const o = recorded(RECORDED);
    expect(s.nativeName(o, returnAddress('_ZN3foo3barEv'))).toBe('foo::bar()');
    expect(s.nativeName(o, returnAddress('_ZN4core3ptr13drop_in_place17h6f3c2ab19d04e5c7E'))).toBe(
      'core::ptr::drop_in_place',
    );
    expect(s.nativeName(o, returnAddress('_RNvCs15kBYyAo9fc_7mycrate7example'))).toBe('mycrate::example');
  });

  it('agrees with c++filt from binutils on templates, and leaves C names alone', () => {
    const names = [
      '_ZNSt6vectorIiSaIiEE9push_backERKi',
      '_ZN9__gnu_cxx13new_allocatorIcE8allocateEmPKv',
      '_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4findEPKcmm',
    ];
    const filt = execFileSync('c++filt', { input: names.join('\n') + '\n', encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(names.map(demangle)).toEqual(filt);
    for (const c of ['malloc', 'PyObject_Malloc', '_PyEval_EvalFrameDefault', '_Z', '_R', 'Z3foo'])
      expect(demangle(c)).toBe(c);
  });
});

describe('line tools', () => {
  it('every installed tool reads the same line for the same address, in one batch', () => {
    const tools = (['llvm-symbolizer', 'addr2line', 'eu-addr2line'] as const).flatMap((name) => {
      const path = whichTool(name);
      return path ? [{ name, path }] : [];
    });
    if (tools.length === 0) {
      expect(findLineTool()).toBeNull();
      return;
    }
    for (const tool of tools) {
      const got = lookupLines(tool, built.g, [start('foo_alloc'), start('scale'), 0x7fffffff]);
      expect(got.map((g) => g?.line)).toEqual([LINE.foo_alloc, LINE.scale, undefined]);
    }
  });
});

function whichTool(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
