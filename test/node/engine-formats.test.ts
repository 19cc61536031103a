// Format sniffing by content (main/formats/index.ts) and dispatch to each format's loader.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../../main/model/capture-model';
import { describeUnrecognised, loadCapture, readHead, sniffBytes, sniffFile } from '../../main/formats/index';
import { findForkChildren } from '../../main/formats/memray/fork-children';
import { requireFixture } from './engine-helpers/paths';

const M = 'memray/v12-memray1.19.3-py311';
const FILES = {
  memrayLz4: requireFixture(`${M}/basic.bin`),
  memrayRaw: requireFixture(`${M}/basic-nocompress.bin`),
  memrayCsv: requireFixture('memray-csv/v13-memray1.20.0-py313/basic.hwm.csv'),
  // The repository keeps these dumps gzipped; the sniffer sees both the gzip and what is inside.
  tracemalloc5: requireFixture('tracemalloc/py311/inventory-before.pickle.gz'),
  tracemalloc2: requireFixture('tracemalloc/variants/deep-py313-protocol2.pickle.gz'),
  tracemalloc0: requireFixture('tracemalloc/variants/deep-py313-protocol0.pickle.gz'),
  tracemallocGz: requireFixture('tracemalloc/bad/valid-dump.pickle.gz'),
  scalene: requireFixture('scalene/leak.json'),
  text: requireFixture('tracemalloc/bad/text-statistics.txt.pickle'),
  random: requireFixture('tracemalloc/bad/random-bytes.pickle'),
};

async function head(path: string): Promise<Uint8Array> {
  return readHead(path);
}

/** The first bytes of the dump inside a .gz fixture, as the user's own (uncompressed) file. */
async function innerHead(path: string): Promise<Uint8Array> {
  return gunzipSync(await readFile(path)).subarray(0, 64 * 1024);
}

async function expectInputError(run: Promise<unknown>, pattern: RegExp): Promise<InputError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toMatch(pattern);
  return error as InputError;
}

describe('sniffBytes', () => {
  it('recognises memray captures: LZ4 frames and raw "memray\\0" streams', async () => {
    expect(sniffBytes(await head(FILES.memrayLz4))).toEqual({ format: 'memray' });
    expect(sniffBytes(await head(FILES.memrayRaw))).toEqual({ format: 'memray' });
    expect(Array.from((await head(FILES.memrayLz4)).subarray(0, 4))).toEqual([0x04, 0x22, 0x4d, 0x18]);
  });

  it('recognises tracemalloc dumps: binary pickles, protocol 0 and gzip', async () => {
    expect(Array.from((await innerHead(FILES.tracemalloc5)).subarray(0, 2))).toEqual([0x80, 0x05]);
    expect(sniffBytes(await innerHead(FILES.tracemalloc5))).toEqual({ format: 'tracemalloc' });
    expect(sniffBytes(await innerHead(FILES.tracemalloc2))).toEqual({ format: 'tracemalloc' });
    expect(new TextDecoder().decode((await innerHead(FILES.tracemalloc0)).subarray(0, 10))).toBe(
      'ccopy_reg\n',
    );
    expect(sniffBytes(await innerHead(FILES.tracemalloc0))).toEqual({ format: 'tracemalloc' });
    expect(sniffBytes(await head(FILES.tracemalloc5))).toEqual({ format: 'tracemalloc', gzip: true });
    expect(sniffBytes(await head(FILES.tracemallocGz))).toEqual({ format: 'tracemalloc', gzip: true });
  });

  it('recognises memray transform-csv output by its header line', async () => {
    expect(sniffBytes(await head(FILES.memrayCsv))).toEqual({ format: 'memray-csv' });
    expect(
      sniffBytes(
        new TextEncoder().encode(
          'allocator,num_allocations,size,tid,thread_name,stack_trace\r\nMALLOC,1,2,1,0x1,f;a.py;1\r\n',
        ),
      ),
    ).toEqual({ format: 'memray-csv' });
    // Another CSV is not a capture.
    expect(sniffBytes(new TextEncoder().encode('a,b,c\n1,2,3\n'))).toBeUndefined();
  });

  it('recognises Scalene profiles by their keys, including the empty profile', async () => {
    expect(sniffBytes(await head(FILES.scalene))).toEqual({ format: 'scalene' });
    expect(sniffBytes(new TextEncoder().encode('{}\n'))).toEqual({ format: 'scalene' });
    expect(sniffBytes(new TextEncoder().encode('{"name": "package", "version": "1"}'))).toBeUndefined();
  });

  it('rejects text, random bytes and gzip of anything but a dump', async () => {
    expect(sniffBytes(await head(FILES.text))).toBeUndefined();
    expect(sniffBytes(await head(FILES.random))).toBeUndefined();
    expect(sniffBytes(gzipSync(Buffer.from('just some text')))).toBeUndefined();
    expect(sniffBytes(new Uint8Array(0))).toBeUndefined();
  });

  it('describes what it found and what it expected', async () => {
    const text = describeUnrecognised('/x/stats.txt', await head(FILES.text));
    expect(text).toContain('stats.txt');
    expect(text).toContain('not a pickle (looks like text)');
    expect(text).toMatch(
      /expected a memray capture .* tracemalloc dump .* "transform csv" output .* Scalene/,
    );
    // What the file holds is never quoted: it may be a secret, and browser mode shows this to a page.
    const random = await head(FILES.random);
    const binary = describeUnrecognised('/x/r.bin', random);
    expect(binary).toContain('found binary data');
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
    expect(binary).not.toContain(hex(random.subarray(0, 4)));
    const secret = new TextEncoder().encode('API_KEY=sk-live-0123456789abcdef\n');
    const envText = describeUnrecognised('/x/.env', secret);
    expect(envText).toContain('found text');
    expect(envText).not.toContain('API_KEY');
    expect(envText).not.toContain('sk-live');
  });
});

describe('sniffFile and loadCapture', () => {
  it('names the file and byte 0 for unknown or empty files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heapscope-sniff-'));
    try {
      const empty = join(dir, 'empty.pickle');
      await writeFile(empty, '');
      const e1 = await expectInputError(sniffFile(empty), /empty file/);
      expect(e1.offset).toBe(0);
      expect(e1.file).toBe(empty);
      const e2 = await expectInputError(sniffFile(FILES.random), /not a capture Heapscope can read/);
      expect(e2.offset).toBe(0);
      await expectInputError(sniffFile(dir), /is a directory/);
      await expectInputError(sniffFile(join(dir, 'missing')), /no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dispatches each format to its own loader', async () => {
    const cases: [string, string][] = [
      [FILES.memrayLz4, 'memray'],
      [FILES.tracemalloc5, 'tracemalloc'],
      [FILES.tracemallocGz, 'tracemalloc'],
      [FILES.memrayCsv, 'memray-csv'],
      [FILES.scalene, 'scalene'],
    ];
    for (const [path, format] of cases) {
      const model = await loadCapture(path);
      expect(model.info().facts.format, path).toBe(format);
    }
  });

  it('passes tracemalloc errors through from the loader (nothing executed)', async () => {
    const error = await loadCapture(requireFixture('tracemalloc/bad/malicious-os-system.pickle')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/os\.system/);
  });

  it('finds memray fork children beside a parent', async () => {
    const parent = requireFixture(`${M}/fork.bin`);
    const children = await findForkChildren(parent);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) expect(child).toMatch(/fork\.bin\.\d+$/);
    expect(await readFile(children[0])).toBeTruthy();
  });
});
