import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from './index';
import { MemrayRecordParser } from './records';

/**
 * The totals replay of v12/v13 captures runs in WebAssembly (wasm/assembly/totals.ts); the full
 * model's parser is JavaScript (records.ts parseV12). The two must read every byte sequence the
 * same way: same records, same numbers, same stop offset and reason on damaged input.
 */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'heapscope-totals-wasm-'));

async function both(path: string, chunkSize?: number) {
  const full = await loadMemrayModel(path, { chunkSize });
  const totals = await loadMemrayModel(path, { chunkSize, detail: 'totals' });
  return { full, totals };
}

function sameOutcome(a: Awaited<ReturnType<typeof both>>): string {
  const fi = a.full.info();
  const ti = a.totals.info();
  expect(ti.truncated).toBe(fi.truncated);
  expect(ti.truncatedAtByte).toBe(fi.truncatedAtByte);
  expect(ti.truncationReason).toBe(fi.truncationReason);
  expect(ti.records).toBe(fi.records);
  expect(a.totals.recordCounts()).toEqual(a.full.recordCounts());
  expect(a.totals.statsJson({ top: 10 })).toEqual(a.full.statsJson({ top: 10 }));
  // the heap at each MEMORY_RECORD (the totals model answers no timeline query; its lists agree)
  expect([...a.totals.b.timeline.heapBytes.view()]).toEqual([...a.full.b.timeline.heapBytes.view()]);
  expect([...a.totals.b.timeline.timeMs.view()]).toEqual([...a.full.b.timeline.timeMs.view()]);
  return fi.truncationReason?.replace(/\d+/g, 'N') ?? 'complete';
}

describe('WebAssembly totals replay = JavaScript parser', () => {
  const raw = [
    'v12-memray1.19.3-py311/basic-nocompress.bin',
    'v12-memray1.19.3-py312/killed.bin',
    'v13-memray1.20.0-py313/killed-buffered.bin',
  ];

  it('damaged streams (a byte overwritten after the header) stop at the same record, for the same reason', async () => {
    let x = 20261123;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    let damaged = 0;
    const outcomes = new Set<string>();
    for (const name of raw) {
      const bytes = readFileSync(join(FIXTURES, name));
      // the header is well within the first 1 KiB of these captures
      for (let k = 0; k < 12; k++) {
        const copy = Buffer.from(bytes);
        const at = 1024 + (rnd() % (bytes.length - 1100));
        // small values: a corrupted byte that makes a 64-bit channel overflow 2^53 is read
        // exactly by the u64 loop and approximately by the double one, by design
        copy[at] = rnd() % 2 === 0 ? rnd() & 0x0f : 0x80 | (rnd() & 0x7f);
        const p = join(tmp, `damaged-${damaged++}.bin`);
        writeFileSync(p, copy);
        outcomes.add(sameOutcome(await both(p)));
      }
    }
    // the damage must have exercised the stop paths, not just changed a size here and there
    expect(outcomes.size).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('a window that is not in the module’s memory is copied in (parser fed from a JS buffer)', async () => {
    const path = join(FIXTURES, 'v12-memray1.19.3-py311/basic-nocompress.bin');
    const bytes = new Uint8Array(readFileSync(path));
    const parser = new MemrayRecordParser(path, () => {});
    parser.totalsOnly = true;
    parser.fileBytes = bytes.length;
    // fed in 1000-byte slices of a plain JS buffer, like a stream without the WebAssembly window
    let pos = 0;
    for (let end = 1000; !parser.stopped && pos < bytes.length; end = Math.min(bytes.length, end + 1000))
      pos = parser.parse(bytes, pos, end, end === bytes.length, 0);
    parser.model!.finish();
    const ref = await loadMemrayModel(path, {});
    expect(parser.sawTrailer).toBe(true);
    expect(parser.model!.peak).toBe(ref.b.peak);
    expect(parser.model!.leakedBytes()).toBe(ref.b.leakedBytes());
    expect(parser.model!.allocationRecords).toBe(ref.b.allocationRecords);
  });
});
