import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseHeader } from './header';
import { loadMemrayModel } from './index';

/**
 * memray's replay (docs/formats/memray-format.md §13.2): an ALLOCATION at an address that is still
 * live replaces the live entry without taking the old size off the heap; a later free takes off the newer
 * size. Crafted v12 records after a real header, so the small → wide (≥ 64 KiB) replacement,
 * rare in real captures, is covered in both models.
 */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function capture(records: number[]): string {
  const raw = readFileSync(join(FIXTURES, 'v12-memray1.19.3-py311/basic-nocompress.bin'));
  const header = parseHeader(raw, 0, raw.length, true, 'basic-nocompress.bin')!;
  const path = join(mkdtempSync(join(tmpdir(), 'heapscope-overwrite-')), 'crafted.bin');
  writeFileSync(path, Buffer.concat([raw.subarray(0, header.length), Buffer.from(records)]));
  return path;
}

// v12 ALLOCATION type byte: 1 cccc aaa (cache index, allocator id; MALLOC = 6, FREE = 5)
const MALLOC_MISS = 0x80 | (15 << 3) | 6;
const MALLOC_HIT0 = 0x80 | (0 << 3) | 6;
const FREE_HIT0 = 0x80 | (0 << 3) | 5;
const A8 = 0x2000; // address 0x10000, as the address/8 delta from 0 (zigzag: ×2)

describe('an allocation at a live address (memray’s overwrite rule)', () => {
  for (const [small, wide] of [
    [100, 100_000],
    [100_000, 100],
    [100, 300_000],
  ]) {
    it(`${small} B then ${wide} B at one address, then a free: heap ${small} → ${small + wide} → ${small}`, async () => {
      const path = capture([
        0x0c,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0, // CONTEXT_SWITCH tid 1
        MALLOC_MISS,
        ...varint(A8 * 2),
        ...varint(small),
        MALLOC_HIT0,
        ...varint(wide),
        FREE_HIT0,
        0x02,
        ...varint(50_000_000),
        ...varint(10), // MEMORY_RECORD
        0x01, // TRAILER
      ]);
      for (const detail of ['full', 'totals'] as const) {
        const m = await loadMemrayModel(path, { detail });
        const s = m.statsJson({ top: 10 });
        expect(m.info().truncated).toBe(false);
        expect(s.totalAllocations).toBe(2);
        expect(s.totalBytesAllocated).toBe(small + wide);
        expect(s.peakMemory).toBe(small + wide);
        // the free took the newer allocation off; nothing is left alive
        expect(s.leakedBytes).toBe(0);
        expect([...m.b.timeline.heapBytes.view()]).toEqual([small]);
      }
    });
  }
});
