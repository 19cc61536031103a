import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { elfSymbols, symbolAt } from './elf';
import { loadMemrayModel } from './index';

describe('ELF symbols for native frames', () => {
  it('reads the function symbols of an ELF64 binary (the running node) and finds them by address', () => {
    const s = elfSymbols(process.execPath);
    expect(s).not.toBeNull();
    expect(s!.loads.length).toBeGreaterThan(0);
    expect(s!.name.length).toBeGreaterThan(100);
    // every symbol is found at its own start address
    for (let i = 0; i < s!.name.length; i += Math.ceil(s!.name.length / 50)) {
      if (s!.size[i] === 0) continue;
      const name = symbolAt(s!, s!.start[i]);
      expect(name).toBeDefined();
      expect(s!.start[s!.name.indexOf(name!)]).toBe(s!.start[i]);
    }
  });

  it('never fails on what is not an ELF file', () => {
    expect(elfSymbols(fileURLToPath(import.meta.url))).toBeNull();
    expect(elfSymbols('/nonexistent/libnothing.so')).toBeNull();
  });

  it('labels native frames as a symbol or library+offset, never an error', async () => {
    const m = await loadMemrayModel(
      fileURLToPath(
        new URL('../../../test/fixtures/memray/v13-memray1.20.0-py313/native.bin', import.meta.url),
      ),
      {},
    );
    const snap = m.snapshot({ kind: 'all' });
    let native = 0;
    for (let i = 0; i < snap.rows.length; i++) {
      for (const f of snap.stacks.path(snap.rows.stack[i])) {
        if (snap.frames.kind(f) !== 'native') continue;
        native++;
        const info = snap.frames.info(f);
        const base = info.file.slice(info.file.lastIndexOf('/') + 1);
        // lib+0x… names the recorded library; a bare name came from that library's own symbols
        if (/\+0x[0-9a-f]+$/.test(info.name)) expect(info.name.startsWith(`${base}+0x`)).toBe(true);
        else expect(info.name.length).toBeGreaterThan(0);
      }
    }
    expect(native).toBeGreaterThan(1000);
  });
});
