/**
 * Exports (issue 5's "must show"), through the `heapscope` command users run (bin/heapscope.js,
 * the built bundle): speedscope files valid against speedscope's own schema with weights summing
 * to the total, HTML report numbers equal to `stats --json`, escaping of hostile function names
 * (a crafted memray CSV), `--redact` leaving no absolute path, and the `check` CI gate with its
 * JUnit XML.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Ajv from 'ajv';
import Papa from 'papaparse';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ReportData } from '../../shared/report';
import type { MemrayStatsJson } from '../../shared/stats';
import { CLI, REPO, requireBuilt, requireFixture } from './engine-helpers/paths';
import { temporariesFromDump } from '../memray-temporary-oracle';

const MEMRAY = 'memray/v12-memray1.19.3-py311';

function temporaryBytes(dump: string, n: number): number {
  const text = gunzipSync(readFileSync(requireFixture(dump))).toString('utf8');
  return [...temporariesFromDump(text, n).byAllocator.values()].reduce((s, v) => s + v.bytes, 0);
}
const BASIC = requireFixture(`${MEMRAY}/basic.bin`);
const KILLED = requireFixture(`${MEMRAY}/killed.bin`);
const V13_BASIC = requireFixture('memray/v13-memray1.20.0-py313/basic.bin');
const TM_BEFORE = requireFixture('tracemalloc/py312/inventory-before.pickle.gz');
const TM_AFTER = requireFixture('tracemalloc/py312/inventory-after.pickle.gz');
const TM_AFTER_ORACLE = requireFixture('tracemalloc/py312/inventory-after.oracle.json');
/** Function names with `</script>`, quotes, `&`, an <img onerror> and an HTML comment. */
const CRAFTED = requireFixture('crafted/evil-names.hwm.csv');
const HOSTILE_NAMES = [
  '</script><script>document.title="pwned"</script>',
  `it's "quoted" & <img src=x onerror=alert(1)>`,
  "<!-- comment --> & 'single'",
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[]): string {
  const r = run(args);
  if (r.code !== 0) throw new Error(`heapscope ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const statsJson = <T>(file: string, ...extra: string[]): T =>
  JSON.parse(ok(['stats', file, '--json', ...extra])) as T;

let tmp: string;
beforeAll(() => {
  requireBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'heapscope-export-cli-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});

/** Runs `heapscope report … -o OUT` and returns the file's text. */
function report(name: string, ...args: string[]): string {
  const out = join(tmp, name);
  ok(['report', ...args, '-o', out]);
  return readFileSync(out, 'utf8');
}

/** The ReportData the page draws, read back the way its script reads it. */
function reportData(html: string): ReportData {
  const m = /<script type="application\/json" id="hs-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('the report has no #hs-data block');
  return JSON.parse(m[1]) as ReportData;
}

describe('speedscope export', () => {
  // The schema shipped in the speedscope package (generated from its FileFormat.File type).
  const schemaPath = createRequire(import.meta.url).resolve(
    'speedscope/dist/release/file-format-schema.json',
  );
  const validate = new Ajv({ allErrors: true }).compile(
    JSON.parse(readFileSync(schemaPath, 'utf8')) as object,
  );

  interface Speedscope {
    shared: { frames: { name: string }[] };
    profiles: { name: string; weights: number[]; samples: number[][]; endValue: number }[];
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  function exportSpeedscope(file: string, ...extra: string[]): Speedscope {
    const text = ok(['export', file, '--format', 'speedscope', ...extra]);
    const json = JSON.parse(text) as Speedscope;
    const valid = validate(json);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(valid).toBe(true);
    for (const p of json.profiles) {
      expect(p.samples).toHaveLength(p.weights.length);
      expect(p.endValue).toBe(sum(p.weights));
      for (const s of p.samples) for (const f of s) expect(f).toBeLessThan(json.shared.frames.length);
    }
    return json;
  }

  it('memray: valid, the peak profile weighs the peak and the leaks profile the leaked bytes', () => {
    const stats = statsJson<MemrayStatsJson>(BASIC);
    const file = exportSpeedscope(BASIC);
    expect(file.profiles).toHaveLength(2);
    expect(sum(file.profiles[0].weights)).toBe(stats.peakMemory);
    expect(sum(file.profiles[1].weights)).toBe(stats.leakedBytes);
  });

  it('memray --leaks and --range: the weights equal `stats --range` numbers', () => {
    const leaks = exportSpeedscope(KILLED, '--leaks');
    expect(sum(leaks.profiles[0].weights)).toBe(statsJson<MemrayStatsJson>(KILLED).leakedBytes);
    const ranged = exportSpeedscope(KILLED, '--range', '0:1200');
    expect(sum(ranged.profiles[0].weights)).toBe(
      statsJson<MemrayStatsJson>(KILLED, '--range', '0:1200').peakMemory,
    );
  });

  it('tracemalloc and memray CSV: the weights sum to the snapshot total', () => {
    const oracle = JSON.parse(readFileSync(TM_AFTER_ORACLE, 'utf8')) as { total_size: number };
    expect(sum(exportSpeedscope(TM_AFTER).profiles[0].weights)).toBe(oracle.total_size);
    const crafted = exportSpeedscope(CRAFTED);
    expect(sum(crafted.profiles[0].weights)).toBe(statsJson<{ totalBytes: number }>(CRAFTED).totalBytes);
    // Names travel as data: speedscope shows them verbatim.
    const names = crafted.shared.frames.map((f) => f.name);
    for (const n of HOSTILE_NAMES) expect(names).toContain(n);
  });
});

/** `export --format csv` output: `# name` headed tables separated by blank lines. */
function csvTables(text: string): Record<string, Record<string, string>[]> {
  const tables: Record<string, Record<string, string>[]> = {};
  for (const block of text.split(/\n(?=# )/)) {
    const m = /^# (\S+)\n([\s\S]*)$/.exec(block.trim());
    if (!m) continue;
    const parsed = Papa.parse<Record<string, string>>(m[2].trim(), { header: true, skipEmptyLines: true });
    expect(parsed.errors, m[1]).toEqual([]);
    tables[m[1]] = parsed.data;
  }
  return tables;
}

describe('CSV and JSON export', () => {
  const total = (rows: Record<string, string>[], column: string) =>
    rows.reduce((s, r) => s + Number(r[column]), 0);

  it('CSV: every table parses back; the sites add up to the peak, names survive, formulas are defused', () => {
    const stats = statsJson<MemrayStatsJson>(BASIC);
    const tables = csvTables(ok(['export', BASIC, '--format', 'csv']));
    expect(Object.keys(tables)).toEqual(expect.arrayContaining(['sites', 'allocators', 'timeline']));
    expect(total(tables.sites, 'own_bytes')).toBe(stats.peakMemory);
    expect(total(tables.allocators, 'bytes')).toBe(stats.peakMemory);
    expect(total(tables['allocator-families'], 'all_count')).toBe(stats.totalAllocations);
    expect(Math.max(...tables.timeline.map((r) => Number(r.heap_bytes)))).toBe(stats.peakMemory);

    const crafted = csvTables(ok(['export', CRAFTED, '--format', 'csv']));
    const cstats = statsJson<{ totalBytes: number }>(CRAFTED);
    expect(total(crafted.sites, 'own_bytes')).toBe(cstats.totalBytes);
    const names = crafted.sites.map((r) => r.function);
    for (const n of HOSTILE_NAMES) expect(names).toContain(n);
    // A cell a spreadsheet would run as a formula is prefixed with a quote.
    expect(names).toContain(`'=HYPERLINK("x")`);
    expect(names).not.toContain('=HYPERLINK("x")');
  });

  it('JSON: the same object as `stats --json`', () => {
    expect(JSON.parse(ok(['export', BASIC, '--format', 'json']))).toEqual(statsJson(BASIC));
    expect(JSON.parse(ok(['export', KILLED, '--format', 'json', '--range', '500:1200']))).toEqual(
      statsJson(KILLED, '--range', '500:1200'),
    );
  });
});

describe('HTML report', () => {
  it('its numbers equal `stats --json` (memray)', () => {
    const stats = statsJson<MemrayStatsJson>(BASIC);
    const html = report('basic.html', BASIC);
    expect(Buffer.byteLength(html)).toBeLessThan(5 * 1024 * 1024);
    const data = reportData(html);
    expect(data.summary.peakBytes).toBe(stats.peakMemory);
    expect(data.summary.peakTimeMs).toBe(stats.peakTimeMs);
    expect(data.summary.leakedBytes).toBe(stats.leakedBytes);
    expect(data.summary.totalAllocations).toBe(stats.totalAllocations);
    expect(data.summary.totalBytesAllocated).toBe(stats.totalBytesAllocated);
    expect(data.info.durationMs).toBe(stats.durationMs);
    // The flame graphs the page draws weigh the same.
    expect(data.flames.map((f) => [f.id, f.tree.totalBytes])).toEqual([
      ['peak', stats.peakMemory],
      ['leaks', stats.leakedBytes],
      // memray's temporary allocations (N = 1), by its rule over its own record dump
      ['temporary', temporaryBytes(`${MEMRAY}/basic.parse.txt.gz`, 1)],
    ]);
    expect(data.timeline?.peak.bytes).toBe(stats.peakMemory);
    // `stats --json`'s largest site is the report's top site.
    const [fn, ...rest] = stats.topBySize[0].location.split(':');
    const top = data.topSites[0];
    expect(`${top.function}:${top.file}:${top.line}`).toBe(`${fn}:${rest.join(':')}`);
  });

  it('its numbers equal `stats --range --json` for a range', () => {
    const stats = statsJson<MemrayStatsJson>(KILLED, '--range', '500:1200');
    const data = reportData(report('killed-range.html', KILLED, '--range', '500:1200'));
    expect(data.frozen.range).toEqual({ fromMs: 500, toMs: 1200 });
    expect(data.summary.peakBytes).toBe(stats.peakMemory);
    expect(data.summary.peakTimeMs).toBe(stats.peakTimeMs);
    expect(data.summary.leakedBytes).toBe(stats.leakedBytes);
    expect(data.summary.totalAllocations).toBe(stats.totalAllocations);
    expect(data.summary.totalBytesAllocated).toBe(stats.totalBytesAllocated);
    expect(data.flames[0].tree.totalBytes).toBe(stats.peakMemory);
  });

  it('a diff report holds the numbers of `diff --json`', () => {
    const html = report('tm-diff.html', TM_AFTER, '--baseline', TM_BEFORE);
    // A typical diff report stays far below the 5 MB.
    expect(Buffer.byteLength(html)).toBeLessThan(5 * 1024 * 1024);
    const data = reportData(html);
    const cli = JSON.parse(ok(['diff', TM_BEFORE, TM_AFTER, '--json', '--group-by', 'lineno'])) as {
      old: { totalSize: number };
      new: { totalSize: number };
      groupCount: number;
      diff: { filename: string; lineno: number; sizeDiff: number }[];
    };
    expect(data.diff?.base.totalBytes).toBe(cli.old.totalSize);
    expect(data.diff?.target.totalBytes).toBe(cli.new.totalSize);
    expect(data.diff?.groupCount).toBe(cli.groupCount);
    expect(data.diff?.rows.slice(0, 20).map((r) => [r.file, r.line, r.sizeDiff])).toEqual(
      cli.diff.slice(0, 20).map((r) => [r.filename, r.lineno, r.sizeDiff]),
    );
    expect(data.frozen.baseline).toBe('inventory-before.pickle.gz');
  });

  it('escapes function names with <script>, quotes and comments (crafted memray CSV)', () => {
    const html = report('crafted.html', CRAFTED);
    // Only the page's own two script elements: the data block and the runtime.
    expect(html.match(/<script\b/gi)).toHaveLength(2);
    expect(html.match(/<\/script>/gi)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<!--');
    for (const name of HOSTILE_NAMES) expect(html).not.toContain(name);
    // …and the names survive as data, exactly.
    const data = reportData(html);
    const names = data.topSites.map((s) => s.function);
    for (const name of HOSTILE_NAMES) expect(names).toContain(name);
    const frames = data.flames[0].tree.frames.map((f) => f.name);
    for (const name of HOSTILE_NAMES) expect(frames).toContain(name);
  });
});

describe('--redact', () => {
  // An absolute POSIX path (/dir/…), a home path (~/…) or a Windows drive / UNC path, anywhere.
  const ABSOLUTE =
    /(?<![\w.$)\]\\/])(?:\/|~\/)(?:[\w.@+-]+\/)+[\w.@+-]*|\b[A-Za-z]:\\[\w.\\ -]+|\\\\[\w.-]+\\/g;
  const absolutePaths = (text: string) => [...new Set(text.match(ABSOLUTE) ?? [])];

  it.each([
    ['memray capture (command line, sys.path)', V13_BASIC, []],
    ['memray CSV with home paths', CRAFTED, []],
    ['tracemalloc diff report', TM_AFTER, ['--baseline', TM_BEFORE]],
  ])('%s: no absolute path is left', (_what, file, extra) => {
    const plain = report('plain.html', file, ...extra);
    // The regex is real: the same report without --redact is full of absolute paths.
    expect(absolutePaths(plain).length).toBeGreaterThan(0);
    const redacted = report('redacted.html', file, ...extra, '--redact');
    expect(absolutePaths(redacted)).toEqual([]);
    const data = reportData(redacted);
    expect(data.redacted).toBe(true);
    expect(data.info.facts.commandLine).toBeUndefined();
    // Still a useful report: the same top site, by its relative path.
    const before = reportData(plain).topSites[0];
    const after = data.topSites[0];
    expect(after.ownBytes).toBe(before.ownBytes);
    expect(before.file.endsWith(after.file.replace(/^[./]+/, ''))).toBe(true);
  });
});

describe('heapscope check', () => {
  const peak = () => statsJson<MemrayStatsJson>(BASIC).peakMemory;

  it('exits 1 with a one-paragraph reason naming the top site just over the limit, 0 at it', () => {
    const p = peak();
    const over = run(['check', BASIC, '--max-peak', String(p - 1)]);
    expect(over.code).toBe(1);
    const reason = over.stderr.trim();
    expect(reason.split('\n')).toHaveLength(1);
    expect(reason).toMatch(/exceeds the limit/);
    expect(reason).toContain('make_big_buffer');
    const at = run(['check', BASIC, '--max-peak', String(p)]);
    expect(at.code, at.stderr).toBe(0);
    expect(at.stdout).toMatch(/passed/);
  });

  it('takes units and checks leaks and growth over a baseline', () => {
    const leaked = statsJson<MemrayStatsJson>(BASIC).leakedBytes;
    expect(run(['check', BASIC, '--max-peak', '1.5GB', '--max-leaked', '50MiB']).code).toBe(0);
    const leak = run(['check', BASIC, '--max-peak', '1.5GB', '--max-leaked', String(leaked - 1)]);
    expect(leak.code).toBe(1);
    expect(leak.stderr).toMatch(/leaked memory .* exceeds the limit/);
    expect(run(['check', BASIC, '--max-leaked', String(leaked)]).code).toBe(0);
    const grew = run(['check', TM_AFTER, '--baseline', TM_BEFORE, '--max-growth', '10%']);
    expect(grew.code).toBe(1);
    // 5 307 839 → 6 902 755 bytes is +30.0%.
    expect(grew.stderr).toMatch(/grew \+30\.0%/);
    expect(run(['check', TM_AFTER, '--baseline', TM_BEFORE, '--max-growth', '31%']).code).toBe(0);
  });

  it('--junit writes valid XML with one testcase per limit', () => {
    const xmlOut = join(tmp, 'junit.xml');
    const r = run(['check', BASIC, '--max-peak', '10MB', '--max-leaked', '50MB', '--junit', xmlOut]);
    expect(r.code).toBe(1);
    const xml = readFileSync(xmlOut, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: {
          name: string;
          tests: string;
          failures: string;
          testcase: { name: string; failure?: { type: string; message: string; '#text': string } }[];
        };
      };
    };
    const suite = doc.testsuites.testsuite;
    expect([doc.testsuites.tests, doc.testsuites.failures]).toEqual(['2', '1']);
    expect(suite.name).toBe('basic.bin');
    expect(suite.testcase.map((c) => [c.name, c.failure?.type ?? null])).toEqual([
      ['max-peak', 'max-peak'],
      ['max-leaked', null],
    ]);
    expect(suite.testcase[0].failure!['#text']).toBe(
      r.stderr.trim().replace(/^heapscope check FAILED: /, ''),
    );

    // Hostile names reach the XML through the reason text: still well-formed.
    const evilOut = join(tmp, 'junit-evil.xml');
    expect(run(['check', CRAFTED, '--max-peak', '1KB', '--junit', evilOut]).code).toBe(1);
    const evil = readFileSync(evilOut, 'utf8');
    expect(XMLValidator.validate(evil)).toBe(true);
    expect(evil).not.toContain('<script>');
  });
});
