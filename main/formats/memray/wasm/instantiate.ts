/** The slice of the WebAssembly JS API used here (this project's Node typings omit it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<string, object>();

/**
 * A fresh instance (its own memory) of a module committed as base64 (scripts/build-wasm.mjs);
 * each module is compiled once per thread.
 */
export function instantiate<T>(name: string, base64: string, imports: Record<string, object> = {}): T {
  let module = compiled.get(name);
  if (!module) compiled.set(name, (module = new wasmApi.Module(Buffer.from(base64, 'base64'))));
  const instance = new wasmApi.Instance(module, {
    ...imports,
    env: {
      abort(): never {
        throw new Error(`internal error in the WebAssembly module ${name} (abort)`);
      },
    },
  });
  return instance.exports as T;
}
