import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: lz4js ships no type declarations
import lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { InputError, type LoadProgress } from '../../model/capture-model';
import type { CaptureInfo } from '../../../shared/api';
import { loadMemray, loadMemrayModel, loadMemrayMultiProcess } from './index';
import { listCaptures } from './oracles';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/memray', import.meta.url));
const captures = listCaptures(FIXTURES);
const find = (folder: string, name: string) => {
  const c = captures.find((x) => x.folder.startsWith(folder) && x.name === name);
  if (!c) throw new Error(`fixture ${folder}/${name} missing`);
  return c;
};
const tmp = mkdtempSync(join(tmpdir(), 'heapscope-memray-'));

/** Everything a capture yields that must not depend on read boundaries. */
async function fingerprint(path: string, chunkSize?: number) {
  const m = await loadMemrayModel(path, { chunkSize });
  return {
    info: { ...m.info(), id: '' },
    stats: m.statsJson({ top: 10 }),
    hwm: m.exportTable('memray-csv', { leaks: false }),
    leaks: m.exportTable('memray-csv', { leaks: true }),
    counts: m.recordCounts(),
    timeline: m.timeline(),
  };
}

describe('chunk boundaries', () => {
  const picks = [
    ['v10', 'basic.bin'],
    ['v11', 'threads.bin'],
    ['v12-memray1.19.3-py311', 'basic-nocompress.bin'],
    ['v12-memray1.19.3-py311', 'killed.bin'],
    ['v12-memray1.19.3-py312', 'allocators.bin'],
    ['v13', 'basic-aggregate.bin'],
    ['v13', 'killed-buffered.bin'],
    ['v12-memray1.19.3-py313', 'fork.bin.24558'],
  ] as const;
  for (const [folder, name] of picks) {
    it(`${folder}/${name}: 7-byte reads give the same model as 1 MiB reads`, async () => {
      const c = find(folder, name);
      const big = await fingerprint(c.path);
      const tiny = await fingerprint(c.path, 7);
      expect(tiny).toEqual(big);
      expect(big.stats.totalAllocations === null || big.stats.totalAllocations > 0).toBe(true);
      // the totals-only replay, read 7 bytes at a time, reports what the full model does
      const totals = await loadMemrayModel(c.path, { chunkSize: 7, detail: 'totals' });
      const info = totals.info();
      // no time index, so no ranges, growth or allocator layouts; everything else the same
      expect({
        ...info,
        id: '',
        capabilities: {
          ...info.capabilities,
          ranges: big.info.capabilities.ranges,
          growth: big.info.capabilities.growth,
          layout: big.info.capabilities.layout,
        },
      }).toEqual(big.info);
      expect(info.capabilities.layout).toBe(false);
      expect(totals.statsJson({ top: 10 })).toEqual(big.stats);
    });
  }
  it('a 4093-byte read size over a 1 MB LZ4 capture gives the same model', async () => {
    const c = find('v11', 'pymalloc.bin');
    expect(await fingerprint(c.path, 4093)).toEqual(await fingerprint(c.path));
  });
});

describe('truncation', () => {
  it('killed captures open with truncated=true and memray’s numbers (SIGKILL, no TRAILER)', async () => {
    for (const c of captures.filter((x) => x.name.startsWith('killed'))) {
      const m = await loadMemrayModel(c.path, {});
      const info = m.info();
      expect(info.truncated, c.path).toBe(true);
      expect(info.truncatedAtByte).toBeGreaterThan(0);
      const o = JSON.parse(c.oracle('stats.json')!);
      expect(m.statsJson({}).peakMemory).toBe(o.metadata.peak_memory);
    }
  });

  it('fork children (os._exit, no TRAILER) open on their own, truncated', async () => {
    const children = captures.filter((x) => /\.bin\.\d+$/.test(x.name));
    expect(children.length).toBe(6);
    for (const c of children) {
      const m = await loadMemrayModel(c.path, {});
      expect(m.info().truncated).toBe(true);
      const o = JSON.parse(c.oracle('stats.json')!);
      expect(m.statsJson({}).totalBytesAllocated).toBe(o.total_bytes_allocated);
    }
  });

  it('an LZ4 capture cut in half keeps every record before the cut', async () => {
    const c = find('v11', 'pymalloc.bin');
    const bytes = readFileSync(c.path);
    const cut = join(tmp, 'cut.bin');
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const full = await loadMemrayModel(c.path, {});
    const half = await loadMemrayModel(cut, {});
    expect(full.info().truncated).toBe(false);
    expect(half.info().truncated).toBe(true);
    expect(half.info().truncatedAtByte).toBeGreaterThan(0);
    expect(half.b.allocationRecords).toBeGreaterThan(1000);
    expect(half.b.allocationRecords).toBeLessThan(full.b.allocationRecords);
  });

  it('a raw capture cut mid-record stops at that record (7-byte reads agree)', async () => {
    const c = find('v12-memray1.19.3-py311', 'basic-nocompress.bin');
    const bytes = readFileSync(c.path);
    const cut = join(tmp, 'cut-raw.bin');
    writeFileSync(cut, bytes.subarray(0, 20011));
    const a = await loadMemrayModel(cut, {});
    const b = await loadMemrayModel(cut, { chunkSize: 7 });
    expect(a.info().truncated).toBe(true);
    expect(a.info().truncatedAtByte).toBeLessThanOrEqual(20011);
    expect(a.info().truncatedAtByte).toBeGreaterThan(20011 - 64);
    expect(b.info().truncatedAtByte).toBe(a.info().truncatedAtByte);
    expect(b.statsJson({})).toEqual(a.statsJson({}));
  });
});

describe('bad input', () => {
  const expectInputError = async (path: string, offset: number, pattern: RegExp) => {
    const err = await loadMemray(path, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).offset).toBe(offset);
    expect((err as InputError).message).toMatch(pattern);
  };

  it('random bytes: expected the memray magic, at byte 0', async () => {
    const p = join(tmp, 'random.bin');
    const bytes = new Uint8Array(5000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    bytes[0] = 0x42;
    writeFileSync(p, bytes);
    await expectInputError(p, 0, /memray/);
  });

  it('a tracemalloc pickle is not a memray capture', async () => {
    const p = join(tmp, 'snapshot.pickle');
    writeFileSync(
      p,
      Buffer.from([
        0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x8c, 0x0b, 0x74, 0x72, 0x61, 0x63, 0x65, 0x6d, 0x61,
        0x6c, 0x6c, 0x6f, 0x63, 0x2e,
      ]),
    );
    await expectInputError(p, 0, /expected magic "memray\\0"/);
  });

  it('an empty file', async () => {
    const p = join(tmp, 'empty.bin');
    writeFileSync(p, new Uint8Array(0));
    await expectInputError(p, 0, /empty file/);
  });

  it('a compressed capture cut inside its first LZ4 block opens with the records before the cut', async () => {
    const source = readFileSync(find('v13-memray1.20.0-py313', 'basic.bin').path);
    // lz4js (an independent decoder) gives the whole stream; the records before the cut must be
    // the same as those of the uncompressed stream cut where our reader says it stopped
    const raw = Buffer.from(lz4js.decompress(source) as Uint8Array);
    for (const cut of [3000, 1200]) {
      const p = join(tmp, `cut-lz4-${cut}.bin`);
      writeFileSync(p, source.subarray(0, cut));
      const full = await loadMemrayModel(p, {});
      const totals = await loadMemrayModel(p, { detail: 'totals' });
      const info = full.info();
      expect(info.truncated).toBe(true);
      expect(info.records).toBeGreaterThan(0);
      const at = info.truncatedAtByte!;
      expect(at).toBeGreaterThan(0);
      expect(totals.info().truncatedAtByte).toBe(at);
      const prefix = join(tmp, `cut-raw-${cut}.bin`);
      writeFileSync(prefix, raw.subarray(0, at));
      const plain = await loadMemrayModel(prefix, {});
      expect(plain.info().records).toBe(info.records);
      const stats = full.statsJson({ top: 10 });
      expect(totals.statsJson({ top: 10 })).toEqual(stats);
      expect(plain.statsJson({ top: 10 })).toEqual(stats);
    }
  });

  it('an LZ4 capture cut before its first sequence completes says so', async () => {
    const p = join(tmp, 'cut-lz4-head.bin');
    writeFileSync(p, readFileSync(find('v13-memray1.20.0-py313', 'basic.bin').path).subarray(0, 12));
    await expectInputError(p, 12, /cut short inside its first block/);
  });

  it('a wrong header version names the offset of the version field', async () => {
    const p = join(tmp, 'v9.bin');
    const bytes = Buffer.from(readFileSync(find('v12-memray1.19.3-py311', 'basic-nocompress.bin').path));
    bytes.writeInt32LE(9, 7);
    writeFileSync(p, bytes);
    await expectInputError(p, 7, /header version 9/);
  });

  it('an LZ4 frame that does not hold a memray stream', async () => {
    const p = join(tmp, 'not-memray.lz4');
    const payload = Buffer.from('hello, this is not memray');
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc0]),
      Buffer.from(new Uint32Array([payload.length | 0x80000000]).buffer),
      payload,
      Buffer.alloc(4),
    ]);
    writeFileSync(p, frame);
    await expectInputError(p, 0, /memray/);
  });

  it('a header cut short', async () => {
    const p = join(tmp, 'short.bin');
    writeFileSync(
      p,
      readFileSync(find('v12-memray1.19.3-py311', 'basic-nocompress.bin').path).subarray(0, 30),
    );
    const err = await loadMemray(p, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).offset).toBeGreaterThan(0);
  });
});

describe('streaming contract', () => {
  it('calls onHeader before the end, reports progress, and counts records', async () => {
    const c = find('v12-memray1.19.3-py311', 'pymalloc.bin');
    const events: string[] = [];
    let header: CaptureInfo | undefined;
    const progress: LoadProgress[] = [];
    const m = await loadMemrayModel(c.path, {
      chunkSize: 65536,
      onHeader: (info) => {
        header = info;
        events.push('header');
      },
      onProgress: (p) => {
        progress.push(p);
        events.push('progress');
      },
    });
    expect(events[0]).toBe('header');
    expect(header?.facts.headerVersion).toBe(12);
    expect(header?.facts.pythonVersion).toBe('3.11.2');
    expect(header?.facts.tracePythonAllocators).toBe(true);
    const last = progress[progress.length - 1];
    expect(last.bytesDone).toBe(c.sizeBytes);
    expect(last.bytesTotal).toBe(c.sizeBytes);
    expect(last.records).toBe(m.info().records);
  });

  it('an aborted signal stops loading with an AbortError', async () => {
    const c = find('v12-memray1.19.3-py311', 'pymalloc.bin');
    const ac = new AbortController();
    let headers = 0;
    // abort as soon as the header is in: loading must stop between chunks, not run to the end
    const err = await loadMemrayModel(c.path, {
      chunkSize: 4096,
      signal: ac.signal,
      onHeader: () => {
        headers++;
        ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(headers).toBe(1);
    expect((err as Error).name).toBe('AbortError');
  });
});

describe('multi-process (--follow-fork)', () => {
  for (const folder of ['v10', 'v11', 'v12-memray1.19.3-py311', 'v13']) {
    it(`${folder}: parent + child merge into one capture with both processes' numbers`, async () => {
      const parent = find(folder, 'fork.bin');
      const child = captures.find((x) => x.folder.startsWith(folder) && /^fork\.bin\.\d+$/.test(x.name))!;
      const single = await loadMemrayModel(parent.path, {});
      expect(single.info().forkChildren).toEqual([child.path]);
      const m = await loadMemrayMultiProcess(parent.path, [child.path], {});
      const po = JSON.parse(parent.oracle('stats.json')!);
      const co = JSON.parse(child.oracle('stats.json')!);
      const s = m.statsJson({});
      expect(s.totalAllocations).toBe(po.total_num_allocations + co.total_num_allocations);
      expect(s.totalBytesAllocated).toBe(po.total_bytes_allocated + co.total_bytes_allocated);
      expect(s.processes.map((p) => p.peakMemory)).toEqual([
        po.metadata.peak_memory,
        co.metadata.peak_memory,
      ]);
      expect(s.processes.map((p) => p.pid)).toEqual([po.metadata.pid, co.metadata.pid]);
      expect(m.info().threads.map((t) => t.label)).toEqual([
        `pid ${po.metadata.pid} · 0x1`,
        `pid ${co.metadata.pid} · 0x1`,
      ]);
      // the 'all' snapshot holds every allocation of both processes
      const rows = m.snapshot({ kind: 'all' }).rows;
      let count = 0;
      for (let i = 0; i < rows.length; i++) count += rows.count[i];
      expect(count).toBe(po.total_num_allocations + co.total_num_allocations);
      // thread filter on the child's thread keeps only the child's allocations
      const childOnly = m.snapshot({ kind: 'all' }, { threads: [1] }).rows;
      let c1 = 0;
      for (let i = 0; i < childOnly.length; i++) c1 += childOnly.count[i];
      expect(c1).toBe(co.total_num_allocations);
      expect(m.timeline()?.timeMs.length).toBeGreaterThan(0);
    });
  }
});

describe('totals-only models', () => {
  it('answer stats --json and refuse what needs the full index', async () => {
    const c = find('v12-memray1.19.3-py311', 'basic.bin');
    const m = await loadMemrayModel(c.path, { detail: 'totals' });
    expect(m.totalsOnly).toBe(true);
    expect(m.info().capabilities.ranges).toBe(false);
    expect(() => m.statsJson({ range: { fromMs: 0, toMs: 10 } })).toThrow(/totals only/);
  });
});
