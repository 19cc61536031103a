import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../model/capture-model';
import { snapshotTotals, type Snapshot } from '../../model/snapshot';
import { buildFlameTree } from '../../query/flamegraph';
import { compareGroups } from '../../query/diff';
import { groupSnapshot } from '../../model/groups';
import { scaleneLineTable, type ScaleneModel } from '../../model/scalene/model';
import { MIB } from '../../model/scalene/profile';
import { loadScalene } from './index';
import { JsonStreamParser, JsonSyntaxError } from './json-stream';
import { unescapeSourceLine } from './profile';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/scalene');
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-scalene-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One row of the MANIFEST's fixture table, as written there. */
interface ManifestRow {
  file: string;
  bytes: number;
  memory: boolean;
  elapsedSec: string;
  peak: string;
  growth: string;
  samples: number;
  stackCounts: number[];
  leakLines: number[];
  topLine: string;
  copyLines: number[];
}

function lineList(cell: string): number[] {
  return cell === '–' ? [] : cell.split(',').map(Number);
}

function readManifest(): ManifestRow[] {
  const text = readFileSync(join(FIXTURES, 'MANIFEST.md'), 'utf8');
  const rows: ManifestRow[] = [];
  for (const line of text.split('\n')) {
    if (!/^\| `[^`]+\.json` \|/.test(line)) continue;
    const c = line
      .split('|')
      .slice(1, -1)
      .map((s) => s.trim());
    rows.push({
      file: c[0].replace(/`/g, ''),
      bytes: Number(c[1].replace(/,/g, '')),
      memory: c[3] === 'true',
      elapsedSec: c[4],
      peak: c[5],
      growth: c[6],
      samples: Number(c[7]),
      stackCounts: c[8].split('/').map(Number),
      leakLines: lineList(c[9]),
      topLine: c[10],
      copyLines: lineList(c[11]),
    });
  }
  return rows;
}

/** `x` agrees with a MANIFEST number to the number of decimals the MANIFEST prints. */
function expectAsPrinted(actual: number, printed: string): void {
  const decimals = printed.includes('.') ? printed.split('.')[1].length : 0;
  expect(Math.abs(actual - Number(printed))).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
}

type RawFrame = { filename_or_module: string; line: number | null };
type RawProfile = {
  memory_stacks?: [RawFrame[], number][];
  files?: Record<string, { lines: { lineno: number; n_malloc_mb: number; line: string }[] }>;
};

/** The fixture read with JSON.parse: an oracle independent of the streaming reader. */
function raw(file: string): RawProfile {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as RawProfile;
}

const load = async (file: string, chunkSize?: number) =>
  (await loadScalene(join(FIXTURES, file), { chunkSize })) as ScaleneModel;

const manifest = readManifest();
const fixtureFiles = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

function leafTotalsByLine(snapshot: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < snapshot.rows.length; i++) {
    const leaf = snapshot.stacks.frame(snapshot.rows.stack[i]);
    const key = `${snapshot.frames.files[leaf]}:${snapshot.frames.lines[leaf]}`;
    out.set(key, (out.get(key) ?? 0) + snapshot.rows.bytes[i]);
  }
  return out;
}

describe('Scalene MANIFEST', () => {
  it('lists every fixture in the folder', () => {
    expect(manifest.map((r) => r.file).sort()).toEqual([...fixtureFiles].sort());
  });
});

describe.each(manifest)('$file', (row) => {
  it('summary numbers equal the MANIFEST', async () => {
    const model = await load(row.file);
    const info = model.info();
    const summary = model.summary();
    const stats = model.statsJson({});
    expect(info.facts.format).toBe('scalene');
    expect(info.facts.sizeBytes).toBe(row.bytes);
    expect(statSync(join(FIXTURES, row.file)).size).toBe(row.bytes);
    expect(stats.memoryProfiled).toBe(row.memory);
    expectAsPrinted(info.durationMs / 1000, row.elapsedSec);
    expect(stats.elapsedMs).toBe(info.durationMs);

    const peak = /^([\d.]+) (?:@L(\d+)|\(null loc\))$/.exec(row.peak);
    expect(peak, row.peak).not.toBeNull();
    // Scalene's MB are MiB: peakBytes / 1024² is max_footprint_mb.
    expectAsPrinted(summary.peakBytes / MIB, peak![1]);
    expect(stats.peakMemory).toBe(summary.peakBytes);
    if (peak![2]) expect(stats.peakLocation).toMatch(new RegExp(`:${peak![2]}$`));
    else expect(stats.peakLocation).toBeUndefined();

    expectAsPrinted(stats.growthRatePercent, row.growth);

    const timeline = model.timeline();
    if (row.samples === 0) expect(timeline).toBeUndefined();
    else {
      expect(timeline!.timeMs).toHaveLength(row.samples);
      expect(timeline!.rssBytes.every((v) => v === null)).toBe(true);
      expect(timeline!.peak.bytes).toBe(summary.peakBytes);
      expect(Math.max(...timeline!.heapBytes)).toBeLessThanOrEqual(summary.peakBytes + 1);
    }

    const leaks = model.leakSuspects().map((l) => l.line);
    expect([...leaks].sort((a, b) => a - b)).toEqual([...row.leakLines].sort((a, b) => a - b));
    const leakFindings = summary.findings!.filter((f) => f.code === 'scalene-leak');
    expect(leakFindings).toHaveLength(row.leakLines.length);
    for (const line of row.leakLines) {
      expect(
        leakFindings.some(
          (f) =>
            f.text.includes(`.py:${line} `) &&
            /Scalene's hint/.test(f.text) &&
            /likelihood \d+%/.test(f.text),
        ),
      ).toBe(true);
    }
    expect(stats.leaks.map((l) => Number(l.location.split(':').pop())).sort()).toEqual(
      [...row.leakLines].sort(),
    );
  });

  it('memory_stacks MB sum to the flamegraph root', async () => {
    const model = await load(row.file);
    const stacks = raw(row.file).memory_stacks ?? [];
    expect(stacks).toHaveLength(row.stackCounts[3]);
    const expectedMb = stacks.reduce((a, s) => a + s[1], 0);
    const snapshot = model.snapshot({ kind: 'peak' });
    const tree = buildFlameTree(snapshot, {});
    // Bytes are whole numbers: each stack's MB (6 decimals) rounds to the nearest byte.
    expect(Math.abs(tree.totalBytes / MIB - expectedMb)).toBeLessThanOrEqual(stacks.length / MIB);
    expect(snapshotTotals(snapshot.rows).bytes).toBe(tree.totalBytes);
    expect(model.info().capabilities.flamegraph).toBe(stacks.length > 0);
    // Distinct memory stacks stay distinct (split only by allocator).
    expect(new Set(snapshot.rows.stack).size).toBe(stacks.length);
    // CPU stacks are kept apart from bytes: present exactly when the profile has them.
    expect(model.cpuStacks() === undefined).toBe(row.stackCounts[0] + row.stackCounts[1] === 0);
  });

  it('the top line by n_malloc_mb is the MANIFEST’s', async () => {
    const model = await load(row.file);
    const top = /^L(\d+) ([\d.]+)$/.exec(row.topLine);
    expect(top, row.topLine).not.toBeNull();
    const table = scaleneLineTable(model);
    if (Number(top![2]) === 0) {
      // All-zero memory columns: no line allocated anything, so the table is empty.
      expect(table).toEqual([]);
      return;
    }
    expect(table[0].line).toBe(Number(top![1]));
    expectAsPrinted(table[0].bytes / MIB, top![2]);
    expect(model.summary().topSites![0].key).toBe(table[0].key);
    const stats = model.statsJson({});
    expect(stats.topBySize[0].location).toBe(table[0].key);
    expect(stats.topBySize.length).toBeLessThanOrEqual(10);
    // Per-line columns come from the line's own record.
    const source = raw(row.file).files![table[0].file].lines.find((l) => l.lineno === table[0].line)!;
    expect(table[0].sourceLine).toBe(unescapeSourceLine(source.line).replace(/\n$/, ''));
    expect(table[0].peakBytes).toBeGreaterThan(0);
  });

  it('copy volume appears exactly on the MANIFEST’s lines', async () => {
    const model = await load(row.file);
    const breakdown = model.allocators({ kind: 'peak' });
    const copied = (breakdown.bySite ?? []).filter((s) => (s.copyBytes ?? 0) > 0).map((s) => s.line);
    expect(copied.sort((a, b) => a - b)).toEqual(row.copyLines);
    if (row.copyLines.length === 0) expect(breakdown.copyBytes).toBeUndefined();
    else expect(breakdown.copyBytes).toBeGreaterThan(0);
  });

  it('streams in 7-byte chunks with identical results', async () => {
    const a = await load(row.file);
    const b = await load(row.file, 7);
    expect(b.profile).toEqual(a.profile);
    expect(b.summary()).toEqual(a.summary());
    expect(b.statsJson({})).toEqual(a.statsJson({}));
    expect(b.snapshot({ kind: 'peak' }).rows).toEqual(a.snapshot({ kind: 'peak' }).rows);
  });

  it('per-leaf-line totals of the snapshot equal the lines’ n_malloc_mb (diff by file:line)', async () => {
    const model = await load(row.file);
    const byLine = leafTotalsByLine(model.snapshot({ kind: 'peak' }));
    const profile = raw(row.file);
    for (const [file, f] of Object.entries(profile.files ?? {})) {
      for (const l of f.lines) {
        if (l.n_malloc_mb > 0)
          expect((byLine.get(`${file}:${l.lineno}`) ?? 0) / MIB).toBeCloseTo(l.n_malloc_mb, 4);
      }
    }
  });
});

describe('Scalene profiles without memory data', () => {
  it('the --cpu-only profile says clearly that it has no memory data, and its views are empty', async () => {
    const model = await load('small_objects.cpu_only.json');
    const info = model.info();
    expect(info.warnings.join(' ')).toMatch(/no memory data in this profile/i);
    const summary = model.summary();
    expect(summary.findings!.map((f) => f.code)).toEqual(['scalene-no-memory']);
    expect(summary.findings![0].text).toMatch(/no memory data in this profile/i);
    expect(summary.peakBytes).toBe(0);
    expect(summary.topSites).toEqual([]);
    expect(info.capabilities).toMatchObject({ flamegraph: false, timeline: false, peak: false });
    expect(model.timeline()).toBeUndefined();
    const snapshot = model.snapshot({ kind: 'peak' });
    expect(snapshot.rows.length).toBe(0);
    expect(buildFlameTree(snapshot, {}).totalBytes).toBe(0);
    const breakdown = model.allocators({ kind: 'peak' });
    expect(breakdown.byAllocator.map((a) => a.bytes)).toEqual([0, 0]);
    expect(model.statsJson({})).toMatchObject({ format: 'scalene', peakMemory: 0, topBySize: [], leaks: [] });
  });

  it('the empty profile {} opens with the same message', async () => {
    const path = join(scratch, 'empty.json');
    writeFileSync(path, '{}\n');
    const model = (await loadScalene(path, {})) as ScaleneModel;
    expect(model.info().warnings.join(' ')).toMatch(/no memory data in this profile/i);
    expect(model.summary().peakBytes).toBe(0);
  });
});

describe('--no-stacks profiles', () => {
  for (const file of ['numpy_arrays.no_stacks.json', 'peak_release.no_stacks.json']) {
    it(`${file} opens with a table, and its flamegraph is memory_stacks only (no CPU stacks)`, async () => {
      const model = await load(file);
      expect(scaleneLineTable(model).length).toBeGreaterThan(0);
      expect(model.cpuStacks()).toBeUndefined();
      // Scalene 2.3.0 still writes memory_stacks with --no-stacks (docs/formats/scalene-format.md §6.4).
      expect(model.info().capabilities.flamegraph).toBe((raw(file).memory_stacks ?? []).length > 0);
    });

    it(`${file} without memory_stacks (pre-2.3.0 shape) has a per-line table and no flamegraph`, async () => {
      const profile = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
      delete profile.memory_stacks;
      const path = join(scratch, `no-memory-stacks-${file}`);
      writeFileSync(path, JSON.stringify(profile, null, 4));
      const model = (await loadScalene(path, {})) as ScaleneModel;
      expect(model.info().capabilities.flamegraph).toBe(false);
      expect(model.info().warnings.join(' ')).toMatch(/no memory_stacks/);
      const snapshot = model.snapshot({ kind: 'peak' });
      // One frame per row: file:line.
      for (let i = 0; i < snapshot.rows.length; i++)
        expect(snapshot.stacks.depth(snapshot.rows.stack[i])).toBe(1);
      const lines = Object.values(profile.files as RawProfile['files'] & object).flatMap((f) => f.lines);
      const expectedMb = lines.reduce((a, l) => a + l.n_malloc_mb, 0);
      expect(Math.abs(snapshotTotals(snapshot.rows).bytes / MIB - expectedMb)).toBeLessThanOrEqual(
        lines.length / MIB,
      );
      const table = scaleneLineTable(model);
      // numpy line 12 allocates 0 MB itself but has 3 episodes (its bytes land in numpy's frame).
      const withMemory = lines.filter((l) => l.n_malloc_mb > 0 || (l as { n_mallocs?: number }).n_mallocs);
      expect(table.map((r) => r.line).sort((a, b) => a - b)).toEqual(
        withMemory.map((l) => l.lineno).sort((a, b) => a - b),
      );
      expect(model.summary().topSites!.length).toBeGreaterThan(0);
    });
  }
});

describe('Scalene details', () => {
  it('unescapes & < > in source lines', async () => {
    expect(unescapeSourceLine('if a \\u003e b \\u0026\\u0026 c \\u003c d: # \\u00e9')).toBe(
      'if a > b && c < d: # \\u00e9',
    );
    const model = await load('threads.json');
    const texts = model.profile.files.flatMap((f) => f.lines.map((l) => l.text));
    expect(texts).toContain('        if len(chunks) > 80:');
    expect(texts.some((t) => t.includes('\\u003e'))).toBe(false);
  });

  it('leak.json: line 9 is the leak suspect, with its memory_samples on selection', async () => {
    const model = await load('leak.json');
    const [leak] = model.leakSuspects();
    expect(leak).toMatchObject({ line: 9 });
    expect(leak.likelihood).toBeCloseTo(0.98, 2);
    const samples = model.lineSamples(leak.file, 9)!;
    const rawLine = raw('leak.json').files![leak.file].lines[8] as unknown as {
      memory_samples: [number, number][];
    };
    expect(samples.timeMs).toEqual(rawLine.memory_samples.map((p) => p[0] / 1e6));
    samples.heapBytes.forEach((b, i) =>
      expect(Math.abs(b - rawLine.memory_samples[i][1] * MIB)).toBeLessThanOrEqual(0.5),
    );
    expect(samples.leak?.likelihood).toBe(leak.likelihood);
    expect(model.lineSamples(leak.file, 10)!.timeMs).toEqual([]);
    expect(model.lineSamples('/nowhere.py', 1)).toBeUndefined();
    const rawLine9 = raw('leak.json').files![leak.file].lines[8] as unknown as {
      n_peak_mb: number;
      line: string;
    };
    const extras = model.siteExtras(leak.file, 9)!;
    expect(Math.abs(extras.peakBytes - rawLine9.n_peak_mb * MIB)).toBeLessThanOrEqual(0.5);
    expect(extras.sourceLine).toBe(rawLine9.line.replace(/\n$/, ''));
  });

  it('splits allocations into python and native by n_python_fraction', async () => {
    const numpy = await load('numpy_arrays.json');
    const n = numpy.allocators({ kind: 'peak' });
    const [py, native] = n.byAllocator;
    expect([py.name, native.name]).toEqual(['python', 'native']);
    // numpy buffers come from malloc: the native side dominates (MANIFEST: n_python_fraction ≈ 0).
    expect(native.bytes).toBeGreaterThan(10 * py.bytes);
    const line21 = n.bySite!.find((s) => s.line === 21)!;
    expect(line21.nativeBytes / (line21.nativeBytes + line21.pythonBytes)).toBeGreaterThan(0.99);
    const small = (await load('small_objects.json')).allocators({ kind: 'peak' });
    expect(small.byAllocator[0].bytes).toBeGreaterThan(
      0.99 * (small.byAllocator[0].bytes + small.byAllocator[1].bytes),
    );
    // Filtering to one allocator keeps exactly that side.
    const onlyNative = numpy.snapshot({ kind: 'peak' }, { allocators: ['native'] });
    expect(snapshotTotals(onlyNative.rows).bytes).toBeCloseTo(native.bytes, 0);
  });

  it('answers only the snapshot kinds Scalene has data for', async () => {
    const model = await load('leak.json');
    expect(() => model.snapshot({ kind: 'leaks' })).toThrow(/leak suspects/);
    expect(() => model.snapshot({ kind: 'at', timeMs: 1 })).toThrow(/no time-resolved/);
    expect(model.snapshot({ kind: 'all' })).toBe(model.snapshot({ kind: 'peak' }));
  });

  it('diffs two profiles by file:line through the generic groups', async () => {
    const base = await load('peak_release.json');
    const target = await load('peak_release.no_stacks.json');
    const g = (m: ScaleneModel) => groupSnapshot(m.snapshot({ kind: 'peak' }), { groupBy: 'line' });
    const rows = compareGroups(g(base), g(target));
    expect(rows.map((r) => r.line).sort((a, b) => a - b)).toEqual([6, 9, 14, 15]);
    const r14 = rows.find((r) => r.line === 14)!;
    const rawLine = (file: string) => raw(file).files!['/srv/app/jobs/peak_release.py'].lines[13].n_malloc_mb;
    expect(r14.sizeDiff / MIB).toBeCloseTo(
      rawLine('peak_release.no_stacks.json') - rawLine('peak_release.json'),
      4,
    );
  });

  it('reports facts and progress, and the header before the body', async () => {
    const events: string[] = [];
    const progress: { at: number; bytesDone: number }[] = [];
    const path = join(FIXTURES, 'small_objects.json');
    const started = performance.now();
    const model = await loadScalene(path, {
      chunkSize: 512,
      onHeader: (info) => {
        events.push('header');
        expect(info.facts.commandLine).toBe('small_objects.py');
      },
      onProgress: (p) => {
        if (events.at(-1) !== 'progress') events.push('progress');
        progress.push({ at: performance.now(), bytesDone: p.bytesDone });
      },
    });
    // (That the header comes before the body is shown by the cancel test, which aborts from onHeader.)
    expect(events).toContain('header');
    expect(progress.at(-1)!.bytesDone).toBe(statSync(path).size);
    // At most one report per 50 ms, plus the final one. Counted over the whole load rather than
    // timed between two calls: the callback's own latency (a GC, its first compile) made one
    // gap 47 ms on a slow CI machine although the reader's clock had seen 50.
    const elapsed = performance.now() - started;
    expect(progress.length).toBeLessThanOrEqual(Math.floor(elapsed / 50) + 1);
    const facts = model.info().facts;
    expect(facts.pythonVersion).toBe('3.11');
    expect(facts.startTimeMs).toBeGreaterThan(0);
  });

  it('cancels with an AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      loadScalene(join(FIXTURES, 'leak.json'), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const midway = new AbortController();
    const promise = loadScalene(join(FIXTURES, 'small_objects.json'), {
      chunkSize: 4096,
      signal: midway.signal,
      onHeader: () => midway.abort(),
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('Scalene input errors', () => {
  const write = (name: string, content: string | Buffer) => {
    const path = join(scratch, name);
    writeFileSync(path, content);
    return path;
  };
  const failure = async (path: string) => {
    const error = await loadScalene(path, { chunkSize: 7 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  };

  it('invalid JSON gives an InputError with the byte offset', async () => {
    const text = readFileSync(join(FIXTURES, 'leak.json'), 'latin1');
    const at = text.indexOf(':', text.indexOf('"elapsed_time_sec"'));
    const broken = write('broken.json', `${text.slice(0, at)}=${text.slice(at + 1)}`);
    const error = await failure(broken);
    expect(error.offset).toBe(at);
    expect(error.message).toMatch(new RegExp(`invalid JSON.*at byte ${at}`));
    expect(error.file).toBe(broken);
  });

  it('a truncated profile gives an InputError at its end', async () => {
    const bytes = readFileSync(join(FIXTURES, 'leak.json'));
    const error = await failure(write('truncated.json', bytes.subarray(0, 5000)));
    expect(error.offset).toBeLessThanOrEqual(5000);
    expect(error.offset).toBeGreaterThan(4900);
    expect(error.message).toMatch(/incomplete/);
  });

  it('JSON that is not a Scalene profile gives an InputError with an offset', async () => {
    const array = await failure(write('array.json', '  [1, 2, 3]'));
    expect(array.offset).toBe(2);
    expect(array.message).toMatch(/not a Scalene profile/);
    const other = await failure(write('other.json', '{"name": "x", "version": 1}'));
    expect(other.offset).toBe(0);
    expect(other.message).toMatch(/not a Scalene profile/);
    const wrongType = await failure(write('wrong.json', '{"elapsed_time_sec": 1, "files": [1]}'));
    expect(wrongType.offset).toBe('{"elapsed_time_sec": 1, "files": '.length);
  });

  it('tolerates NaN/Infinity tokens, unknown keys and missing keys', async () => {
    const path = write(
      'odd.json',
      '{"growth_rate": NaN, "max_footprint_mb": 12.5, "native_stacks": [1], "memory": true, ' +
        '"files": {"/a.py": {"lines": [{"lineno": 3, "line": "x = [1] * 9\\n", "n_malloc_mb": 2, "code_line": 1, "n_peak_mb": Infinity}]}}}',
    );
    const model = (await loadScalene(path, {})) as ScaleneModel;
    expect(model.summary().peakBytes).toBe(12.5 * MIB);
    expect(model.statsJson({}).growthRatePercent).toBe(0);
    expect(scaleneLineTable(model)[0]).toMatchObject({ line: 3, bytes: 2 * MIB, sourceLine: 'x = [1] * 9' });
  });
});

describe('streaming JSON parser', () => {
  it('matches JSON.parse at every chunk size and keeps byte offsets', () => {
    const text = '{"a": [1, -2.5e3, "x\\"y\\u00e9", true, false, null, {}], "b": {"c": []}, "é": "ü"}';
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5, 64]) {
      const p = new JsonStreamParser();
      for (let i = 0; i < bytes.length; i += size) p.write(bytes.subarray(i, i + size));
      expect(p.end()).toEqual(JSON.parse(text));
    }
    const p = new JsonStreamParser();
    expect(() => p.write(Buffer.from('{"a": 1 "b": 2}'))).toThrow(JsonSyntaxError);
    try {
      new JsonStreamParser().write(Buffer.from('{"é": tru3}'));
    } catch (e) {
      expect((e as JsonSyntaxError).offset).toBe(Buffer.byteLength('{"é": '));
    }
  });

  it('does not stall the event loop on a large profile', async () => {
    // ~25 MB: small_objects.json with its file entry repeated, as a profile of a large program.
    const profile = JSON.parse(readFileSync(join(FIXTURES, 'small_objects.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const [entry] = Object.values(profile.files as Record<string, unknown>);
    profile.files = Object.fromEntries(
      Array.from({ length: 160 }, (_, i) => [`/srv/app/jobs/mod${i}.py`, entry]),
    );
    const path = join(scratch, 'large.json');
    writeFileSync(path, JSON.stringify(profile, null, 4));
    let last = performance.now();
    let worst = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    const model = await loadScalene(path, {});
    clearInterval(timer);
    expect(model.info().facts.sizeBytes).toBeGreaterThan(20e6);
    // The timer keeps firing while the file is read: no chunk blocks for long.
    expect(worst).toBeLessThan(250);
  });
});
