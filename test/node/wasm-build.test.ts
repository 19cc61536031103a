import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { MODULES, WASM_DIR, compileModule, moduleText } from '../../scripts/build-wasm.mjs';

describe('committed WebAssembly modules', () => {
  for (const name of MODULES as string[]) {
    it(`${name}.wasm.ts is what assembly/${name}.ts compiles to (run node scripts/build-wasm.mjs)`, async () => {
      const fresh = moduleText(name, await compileModule(name));
      expect(readFileSync(join(WASM_DIR as string, `${name}.wasm.ts`), 'utf8')).toBe(fresh);
    }, 120_000);
  }
});
