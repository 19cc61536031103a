/**
 * A production-like native setup built in a test: libfoo.so compiled here from C (Debian's gcc
 * and binutils) with -g, its stripped copy in a sysroot at the path the capture recorded, its
 * debug file in a build-id tree, and two `--native` captures (before / after) whose native
 * frames are return addresses inside its functions. One more recorded object, libgone.so,
 * exists nowhere, so symbolization has something to report as not found.
 *
 * Addresses, segments and build-id come from binutils (nm, readelf), not from Heapscope's
 * ELF reader, so a test comparing names and lines against them checks that reader too.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CodeObject } from './memray-capture';
import { encodeNativeCapture, type MappedObject, type NativeAllocation } from './native-capture';

/** 1-based lines of each function's opening line in SOURCE: what DWARF must report. */
export const NATIVE_SOURCE_LINES = { scale_buffer: 2, foo_alloc: 5, foo_grow: 8, _ZN7service6handleEm: 12 };

const SOURCE = `#include <stdlib.h>
static __attribute__((noinline)) void *scale_buffer(size_t n) {
  return malloc(n * 2 + (size_t)(long)getenv("HS_NEVER_SET"));
}
__attribute__((noinline)) void *foo_alloc(size_t n) {
  return malloc(n + (size_t)(long)getenv("HS_NEVER_SET"));
}
__attribute__((noinline)) void *foo_grow(size_t n) {
  return scale_buffer(n + 1);
}
__attribute__((noinline)) void *cxx_entry(size_t n) __asm__("_ZN7service6handleEm");
__attribute__((noinline)) void *cxx_entry(size_t n) {
  return foo_alloc(n + 1);
}
`;

/** Where the capture says the libraries were (the production machine's paths). */
export const RECORDED_LIB = '/opt/service/lib/libfoo.so';
export const RECORDED_GONE = '/opt/service/lib/libgone.so.3';
const LOAD_ADDR = 0x7f12_3400_0000;
const GONE_LOAD_ADDR = 0x7f12_3500_0000;
/** Return addresses sit this far into a function (past its call). */
const INTO = 5;

export interface NativeFixture {
  dir: string;
  /** The object built with -g (names and lines in itself). */
  library: string;
  /** DIR + RECORDED_LIB holds the stripped copy (exported names only, no lines). */
  sysroot: string;
  /** DIR/.build-id/xx/rest.debug: the debug file of the stripped copy. */
  debugDir: string;
  buildId: string;
  /** `memray run --native` captures of the same service, before and after a change. */
  before: string;
  after: string;
  /** Image-relative start of each function (nm). */
  starts: Record<keyof typeof NATIVE_SOURCE_LINES, number>;
  /** The label of a frame inside `fn` when nothing names it: `libfoo.so+0x…`. */
  unnamed(fn: keyof typeof NATIVE_SOURCE_LINES): string;
  /** Bytes at each native site, per capture (the oracle for any table or flamegraph). */
  bytes: {
    before: Record<'foo_alloc' | 'scale_buffer', number>;
    after: Record<'foo_alloc' | 'scale_buffer', number>;
  };
}

function run(dir: string, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** PT_LOAD (p_vaddr, p_memsz) of an ELF file, as `readelf -lW` prints them. */
function loadSegments(dir: string, file: string): [number, number][] {
  return run(dir, 'readelf', ['-lW', file])
    .split('\n')
    .filter((l) => /^\s*LOAD\s/.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return [Number(f[2]), Number(f[5])] as [number, number];
    });
}

export const CODES: CodeObject[] = [
  { id: 1, name: '<module>', file: '/srv/app/service.py', firstLine: 1 },
  { id: 2, name: 'handle_request', file: '/srv/app/service.py', firstLine: 20 },
  { id: 3, name: 'rebuild_index', file: '/srv/app/service.py', firstLine: 40 },
];

export function buildNativeFixture(dir: string): NativeFixture {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'foo.c'), SOURCE);
  run(dir, 'gcc', ['-O1', '-shared', '-fPIC', '-g', '-Wl,--build-id', '-o', 'libfoo-g.so', 'foo.c']);
  run(dir, 'objcopy', ['--only-keep-debug', 'libfoo-g.so', 'libfoo.debug']);
  copyFileSync(join(dir, 'libfoo-g.so'), join(dir, 'libfoo-stripped.so'));
  run(dir, 'strip', ['--strip-all', 'libfoo-stripped.so']);

  const buildId = /Build ID: ([0-9a-f]+)/.exec(run(dir, 'readelf', ['-n', 'libfoo-g.so']))![1];
  const sysroot = join(dir, 'sysroot');
  const inRoot = join(sysroot, RECORDED_LIB);
  mkdirSync(dirname(inRoot), { recursive: true });
  copyFileSync(join(dir, 'libfoo-stripped.so'), inRoot);
  const debugDir = join(dir, 'debug');
  const debugFile = join(debugDir, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`);
  mkdirSync(dirname(debugFile), { recursive: true });
  copyFileSync(join(dir, 'libfoo.debug'), debugFile);

  const symbols = new Map(
    run(dir, 'nm', ['libfoo-g.so'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length === 3)
      .map(([addr, , name]) => [name, parseInt(addr, 16)] as const),
  );
  const starts = Object.fromEntries(
    Object.keys(NATIVE_SOURCE_LINES).map((name) => [name, symbols.get(name)!]),
  ) as NativeFixture['starts'];
  const objects: MappedObject[] = [
    { path: RECORDED_LIB, loadAddr: LOAD_ADDR, segments: loadSegments(dir, 'libfoo-g.so') },
    { path: RECORDED_GONE, loadAddr: GONE_LOAD_ADDR, segments: [[0, 0x4000]] },
  ];
  const at = (fn: keyof typeof NATIVE_SOURCE_LINES) => ({ object: 0, offset: starts[fn] + INTO });
  const gone = { object: 1, offset: 0x1234 };
  const site = (fn: 'foo_alloc' | 'scale_buffer', size: number): NativeAllocation =>
    fn === 'foo_alloc'
      ? { python: [1, 2], native: [at('foo_alloc'), at('_ZN7service6handleEm'), gone], size }
      : { python: [1, 3], native: [at('scale_buffer'), at('foo_grow'), gone], size };
  const bytes = {
    before: { foo_alloc: 3 * 1_000_000, scale_buffer: 2 * 2_000_000 },
    after: { foo_alloc: 3 * 1_000_000, scale_buffer: 2 * 5_000_000 },
  };
  const capture = (b: NativeFixture['bytes']['before']) =>
    encodeNativeCapture({
      objects,
      codes: CODES,
      allocations: [
        ...Array.from({ length: 3 }, () => site('foo_alloc', b.foo_alloc / 3)),
        ...Array.from({ length: 2 }, () => site('scale_buffer', b.scale_buffer / 2)),
      ],
    });
  // In a folder of their own: a folder of captures named on `serve` opens as a series.
  mkdirSync(join(dir, 'captures'));
  const before = join(dir, 'captures', 'service-before.bin');
  const after = join(dir, 'captures', 'service-after.bin');
  writeFileSync(before, capture(bytes.before));
  writeFileSync(after, capture(bytes.after));
  return {
    dir,
    library: join(dir, 'libfoo-g.so'),
    sysroot,
    debugDir,
    buildId,
    before,
    after,
    starts,
    unnamed: (fn) => `libfoo.so+0x${(starts[fn] + INTO).toString(16)}`,
    bytes,
  };
}
