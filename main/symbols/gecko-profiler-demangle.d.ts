// The wasm-bindgen glue of gecko-profiler-demangle, imported directly (see demangle.ts): the
// package types only its entry module, which Node 20 cannot load.
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function __wbg_set_wasm(exports: Record<string, unknown>): void;
  export function demangle_any(name: string): string;
}
