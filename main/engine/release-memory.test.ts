import { describe, expect, it } from 'vitest';
import { releaseLoadMemory } from './release-memory';

describe('releaseLoadMemory', () => {
  it('frees a dropped WebAssembly memory at once, in a thread where gc is not exposed', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const bytes = 64 << 20;
    let memory: WebAssembly.Memory | undefined = new WebAssembly.Memory({ initial: bytes / 65536 });
    new Uint8Array(memory.buffer).fill(1);
    const held = process.memoryUsage().external;
    memory = undefined;
    releaseLoadMemory();
    const after = process.memoryUsage().external;
    expect(held - after).toBeGreaterThan(bytes * 0.9);
    releaseLoadMemory(); // a second load: the function is reused
  });
});
