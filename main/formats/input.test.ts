// Reading a capture file (input.ts), checked against what Node reads and inflates by itself, and
// the rule that the readers read through it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, type LoadProgress } from '../model/capture-model';
import { InputFile, PROGRESS_INTERVAL_MS, Progress, inFile, inflatePrefix } from './input';

const dir = mkdtempSync(join(tmpdir(), 'hs-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes no two chunks share by accident: position-dependent. */
function bytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >>> 8) * 7) & 0xff;
  return b;
}

writeFileSync(join(dir, 'small.bin'), bytes(20_011));
const plain = join(dir, 'plain.bin');
writeFileSync(plain, bytes(300_001));
const gz = join(dir, 'packed.bin.gz');
writeFileSync(gz, gzipSync(bytes(200_003)));

/** Everything readAll hands out, copied (a chunk's memory is reused). */
async function readAllOf(path: string, chunkSize: number, gzip = false) {
  const parts: Buffer[] = [];
  let bytesRead = 0;
  await InputFile.use(path, async (input) => {
    await input.readAll(
      { chunkSize },
      { gzip, records: () => 0, consume: (c) => void parts.push(Buffer.from(c)) },
    );
    bytesRead = input.bytesRead;
  });
  return { data: Buffer.concat(parts), chunks: parts.length, bytesRead };
}

describe('InputFile.readAll', () => {
  it.each([
    ['small.bin', 1],
    ['small.bin', 7],
    ['small.bin', 4096],
    ['plain.bin', 65_537],
    ['plain.bin', 1 << 20],
  ])('hands out the whole file in order (%s, %i-byte chunks)', async (name, chunk) => {
    const path = join(dir, name);
    const size = statSync(path).size;
    const { data, chunks, bytesRead } = await readAllOf(path, chunk);
    expect(data.equals(readFileSync(path))).toBe(true);
    expect(chunks).toBe(Math.ceil(size / chunk));
    expect(bytesRead).toBe(size);
  });

  it.each([256, 5000, 1 << 20])('gunzips on the fly (%i-byte chunks)', async (chunk) => {
    const { data, bytesRead } = await readAllOf(gz, chunk, true);
    expect(data.equals(gunzipSync(readFileSync(gz)))).toBe(true);
    expect(bytesRead).toBe(statSync(gz).size);
  });

  it('stops when the consumer says the data is complete', async () => {
    let seen = 0;
    await InputFile.use(plain, (input) =>
      input.readAll({ chunkSize: 1000 }, { records: () => 0, consume: (c) => (seen += c.length) >= 5000 }),
    );
    expect(seen).toBe(5000);
  });

  it('a damaged gzip stream comes out as zlib says it', async () => {
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, readFileSync(gz).subarray(0, 1000));
    const error = await readAllOf(cut, 256, true).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error?.code).toBe('Z_BUF_ERROR');
  });

  it('cancels between chunks, with an AbortError', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const run = InputFile.use(plain, (input) =>
      input.readAll(
        { chunkSize: 1000, signal: controller.signal },
        {
          records: () => 0,
          consume: () => {
            if (++chunks === 3) controller.abort();
          },
        },
      ),
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(chunks).toBe(3);
  });

  it('reports progress in file bytes, no more often than every PROGRESS_INTERVAL_MS', async () => {
    const reports: { p: LoadProgress }[] = [];
    let records = 0;
    const started = performance.now();
    await InputFile.use(plain, (input) =>
      input.readAll(
        { chunkSize: 64, onProgress: (p) => reports.push({ p }) },
        {
          records: () => ++records,
          // a consumer slow enough that the read spans several intervals on any machine (a fast
          // one read the 300 kB in less than one interval, and this test saw a single report)
          consume: () => {
            const until = performance.now() + PROGRESS_INTERVAL_MS / 200;
            while (performance.now() < until);
          },
        },
      ),
    );
    expect(reports.length).toBeGreaterThan(1);
    // Counted over the whole read, not timed between two calls: the callback's own latency
    // (a GC, its first compile) can shorten one measured gap below the interval the reader saw.
    const elapsed = performance.now() - started;
    expect(reports.length).toBeLessThanOrEqual(Math.floor(elapsed / PROGRESS_INTERVAL_MS) + 1);
    for (let i = 1; i < reports.length; i++)
      expect(reports[i].p.bytesDone).toBeGreaterThan(reports[i - 1].p.bytesDone);
    for (const { p } of reports) expect(p.bytesTotal).toBe(300_001);
  });
});

describe('Progress', () => {
  it('passes the last report on whatever the interval', () => {
    const got: LoadProgress[] = [];
    const progress = new Progress({ onProgress: (p) => got.push(p) }, 10);
    for (let i = 0; i < 1000; i++) progress.tick(i, i);
    progress.done(10, 5);
    expect(got.length).toBeLessThan(5);
    expect(got.at(-1)).toEqual({ bytesDone: 10, bytesTotal: 10, records: 5 });
  });
});

describe('errors name the file and the byte', () => {
  it('a file that is not there', async () => {
    const error = await InputFile.use(join(dir, 'nope.bin'), async () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`${join(dir, 'nope.bin')}: no such file`);
    expect((error as InputError).file).toBe(join(dir, 'nope.bin'));
  });

  it('an error inside a buffer, moved to the offset in the file', () => {
    const inBuffer = new InputError('bad record', undefined, 12);
    const moved = inFile(inBuffer, '/x/a.bin', 1000);
    expect(moved.message).toBe('bad record (at byte 1012)');
    expect([moved.file, moved.offset]).toEqual(['/x/a.bin', 1012]);
    expect(inFile(new InputError('no offset'), '/x/a.bin').offset).toBeUndefined();
  });
});

describe('inflatePrefix', () => {
  it('inflates a gzip prefix cut anywhere, and gives nothing for other bytes', () => {
    const whole = gzipSync(bytes(100_000));
    const head = inflatePrefix(whole.subarray(0, 2000), 4096);
    expect(Buffer.from(head).equals(bytes(100_000).subarray(0, head.length))).toBe(true);
    expect(head.length).toBeGreaterThan(0);
    expect(inflatePrefix(bytes(100), 4096)).toHaveLength(0);
  });
});

describe('every reader reads through input.ts', () => {
  // Opening, chunked reading and gunzip live in input.ts only: one read-only open, one
  // cancellation and progress rule for every format. (elf/ reads native libraries for symbols,
  // not captures; memray/oracles.ts is the tests' oracle loader.)
  const formats = join(import.meta.dirname);
  const sources = (function walk(d: string): string[] {
    return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
    );
  })(formats)
    .map((f) => relative(formats, f))
    .filter((f) => !f.endsWith('.test.ts') && !f.startsWith('elf/') && !f.includes('assembly/'));

  it.each(sources.filter((f) => f !== 'input.ts' && f !== 'memray/oracles.ts'))('%s', (file) => {
    const text = readFileSync(join(formats, file), 'utf8');
    expect(text).not.toMatch(
      /\bfrom 'node:zlib'|createReadStream|\bopen(Sync)?\(|\bFileHandle\b|readFile(Sync)?\(/,
    );
  });
});
