import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { functionIndexAt, readElfFacts } from './elf-file';

describe('ELF facts for native frames', () => {
  it('reads the segments and function symbols of an ELF64 binary (the running node) and finds them by address', () => {
    const f = readElfFacts(process.execPath);
    expect(f).not.toBeNull();
    expect(f!.loads.length).toBeGreaterThan(0);
    const s = f!.symbols;
    expect(s.name.length).toBeGreaterThan(100);
    // every sized symbol is found at its own start address, and just before its end
    for (let i = 0; i < s.name.length; i += Math.ceil(s.name.length / 50)) {
      if (s.size[i] === 0) continue;
      for (const at of [s.start[i], s.start[i] + s.size[i] - 1]) {
        const found = functionIndexAt(s, at);
        expect(found).toBeGreaterThanOrEqual(0);
        expect(s.start[found]).toBe(s.start[i]);
      }
    }
  });

  it('never fails on what is not an ELF file', () => {
    expect(readElfFacts(fileURLToPath(import.meta.url))).toBeNull();
    expect(readElfFacts('/nonexistent/libnothing.so')).toBeNull();
    expect(readElfFacts('/')).toBeNull();
  });
});
