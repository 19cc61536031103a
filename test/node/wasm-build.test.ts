import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASM_MODULES, compileModule, moduleText } from '../../scripts/build-wasm.mjs';

describe('committed WebAssembly modules', () => {
  for (const { dir, names } of WASM_MODULES) {
    for (const name of names) {
      it(`${name}.wasm.ts is what assembly/${name}.ts compiles to (run node scripts/build-wasm.mjs)`, async () => {
        const fresh = moduleText(name, await compileModule(name, dir));
        expect(readFileSync(join(dir, `${name}.wasm.ts`), 'utf8')).toBe(fresh);
      }, 120_000);
    }
  }
});
