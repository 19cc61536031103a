import { describe, expect, it } from 'vitest';
import { releaseLoadMemory } from './release-memory';

// tsconfig.node.json has no DOM or WebAssembly lib: the one constructor used, typed here
interface WasmMemory {
  buffer: ArrayBuffer;
}
const { Memory } = (
  globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }
).WebAssembly;

describe('releaseLoadMemory', () => {
  it('frees a dropped WebAssembly memory at once, in a thread where gc is not exposed', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const bytes = 64 << 20;
    let memory: WasmMemory | undefined = new Memory({ initial: bytes / 65536 });
    new Uint8Array(memory.buffer).fill(1);
    const held = process.memoryUsage().external;
    memory = undefined;
    releaseLoadMemory();
    const after = process.memoryUsage().external;
    expect(held - after).toBeGreaterThan(bytes * 0.9);
    releaseLoadMemory(); // a second load: the function is reused
  });
});
