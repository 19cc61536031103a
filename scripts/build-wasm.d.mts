// Types of scripts/build-wasm.mjs for the tests that import it.

/** The asc options every module (and every test that compiles a component alone) is built with. */
export const ASC_OPTIONS: Record<string, unknown>;
export const WASM_DIR: string;
export const MODULES: string[];
export const WASM_MODULES: { dir: string; names: string[] }[];
/** The module `name` compiled from `wasmDir`/assembly. */
export function compileModule(name: string, wasmDir?: string): Promise<Uint8Array>;
/** The TypeScript source of a compiled module (the committed NAME.wasm.ts). */
export function moduleText(name: string, binary: Uint8Array): string;
