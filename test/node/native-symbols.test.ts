/**
 * Issue 17: a `--native` capture read on another machine, symbolised against a sysroot and a
 * build-id debug tree, shows the same names and source lines through every display-sized
 * result: flamegraph, table, summary, last seconds, the diff (each side by its own capture's
 * symbolizer), and the exports (CSV, JSON, speedscope, HTML report), which also say which
 * objects were not found.
 *
 * Oracles: binutils (nm, readelf) for where each function is, the C source for its line, and
 * the bytes each site was given when the captures were written (test/generator/native-fixture.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DiffResult,
  FlameTree,
  SourceLocation,
  Summary,
  SymbolSearch,
  TableResult,
} from '../../shared/api';
import { runQuery } from '../../main/engine/handlers';
import type { WorkerMethod } from '../../main/engine/protocol';
import { Engine } from '../../main/engine/engine';
import { loadMemrayModel } from '../../main/formats/memray/index';
import { findLineTool } from '../../main/symbols/lines';
import { NativeSymbolizer } from '../../main/symbols/index';
import {
  buildNativeFixture,
  NATIVE_SOURCE_LINES,
  RECORDED_GONE,
  RECORDED_LIB,
  type NativeFixture,
} from '../generator/native-fixture';
import { requireBuilt, WORKER_URL } from './engine-helpers/paths';

const TOOL = findLineTool();
/** nm's names, demangled as C++ readers write them. */
const SHOWN: Record<keyof typeof NATIVE_SOURCE_LINES, string> = {
  scale_buffer: 'scale_buffer',
  foo_alloc: 'foo_alloc',
  foo_grow: 'foo_grow',
  _ZN7service6handleEm: 'service::handle(unsigned long)',
};
const BY_SHOWN = new Map(Object.entries(SHOWN).map(([fn, shown]) => [shown, fn as keyof typeof SHOWN]));

let dir: string;
let fx: NativeFixture;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'heapscope-native-'));
  fx = buildNativeFixture(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything in a result that names a frame of libfoo.so, found by walking it (not by the code's own list). */
function libfooSites(value: unknown, out: { label: string; source?: SourceLocation }[] = []) {
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'object') for (const v of value) libfooSites(v, out);
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const label =
      typeof o.name === 'string' ? o.name : typeof o.function === 'string' ? o.function : undefined;
    if (o.file === RECORDED_LIB && label !== undefined)
      out.push({ label, ...(o.source !== undefined && { source: o.source as SourceLocation }) });
    for (const [k, v] of Object.entries(o)) if (k !== 'source') libfooSites(v, out);
  }
  return out;
}

function expectResolved(site: { label: string; source?: SourceLocation }): void {
  const fn = BY_SHOWN.get(site.label);
  expect(fn, `${site.label} is a function of libfoo.so`).toBeDefined();
  if (TOOL)
    expect(site.source).toEqual({ file: expect.stringMatching(/foo\.c$/), line: NATIVE_SOURCE_LINES[fn!] });
  else expect(site.source).toBeUndefined();
}

async function model(search: SymbolSearch, path = fx.after) {
  const symbolizer = new NativeSymbolizer(search, { systemDebugDir: false });
  return { model: await loadMemrayModel(path, { symbolizer }), ctx: { captureId: 'c1', symbolizer } };
}

/** One call of every worker query that shows frames of a capture. */
const QUERIES: [WorkerMethod, unknown][] = [
  ['summary', {}],
  ['flamegraph', { snapshot: { kind: 'peak' } }],
  ['flamegraph', { snapshot: { kind: 'leaks' }, inverted: true }],
  ['table', { snapshot: { kind: 'peak' }, groupBy: 'line', sortBy: 'bytes', descending: true }],
  ['table', { snapshot: { kind: 'all' }, groupBy: 'function', sortBy: 'ownBytes', descending: true }],
  ['lastSeconds', {}],
  ['growth', {}],
  ['allocators', { snapshot: { kind: 'peak' } }],
  ['timeline', {}],
];

describe('every display-sized result names native frames the same way', () => {
  it('through a sysroot (stripped copy) and a build-id debug tree: names and lines everywhere', async () => {
    const { model: m, ctx } = await model({ sysroots: [fx.sysroot], debugDirs: [fx.debugDir] });
    let seen = 0;
    for (const [method, args] of QUERIES) {
      const sites = libfooSites(runQuery(m, method, args, ctx));
      for (const site of sites) expectResolved(site);
      seen += sites.length;
    }
    expect(seen).toBeGreaterThan(10);
    // the static function is only in the debug file's .symtab: naming it proves it was used
    const tree = runQuery(m, 'flamegraph', { snapshot: { kind: 'peak' } }, ctx) as FlameTree;
    expect(tree.frames.map((f) => f.name)).toEqual(expect.arrayContaining(Object.values(SHOWN)));
    const note = ctx.symbolizer.note();
    expect(note.objects.find((o) => o.path === RECORDED_LIB)).toMatchObject({
      status: 'resolved',
      copy: join(fx.sysroot, RECORDED_LIB),
      buildId: fx.buildId,
      lines: !!TOOL,
    });
    expect(note.objects.find((o) => o.path === RECORDED_GONE)?.status).toBe('not-found');
    expect(note.text).toMatch(/not found: libgone\.so\.3/);
  });

  it('table rows carry the bytes each native site was given, with its source', async () => {
    const { model: m, ctx } = await model({ sysroots: [fx.sysroot], debugDirs: [fx.debugDir] });
    const table = runQuery(
      m,
      'table',
      { snapshot: { kind: 'peak' }, groupBy: 'function', sortBy: 'ownBytes', descending: true },
      ctx,
    ) as TableResult;
    for (const fn of ['foo_alloc', 'scale_buffer'] as const) {
      const row = table.rows.find((r) => r.function === SHOWN[fn] && r.file === RECORDED_LIB)!;
      expect(row.ownBytes).toBe(fx.bytes.after[fn]);
      expectResolved({ label: row.function, ...(row.source && { source: row.source }) });
    }
  });

  it('the summary names Python locations (memray’s rule) and says what symbolization found', async () => {
    const { model: m, ctx } = await model({ sysroots: [fx.sysroot], debugDirs: [fx.debugDir] });
    const summary = runQuery(m, 'summary', {}, ctx) as Summary;
    // innermost Python frames: rebuild_index called into foo_grow, handle_request into service::handle
    expect(summary.topSites.slice(0, 2).map((s) => [`${s.function}:${s.line}`, s.ownBytes])).toEqual([
      ['rebuild_index:41', fx.bytes.after.scale_buffer],
      ['handle_request:21', fx.bytes.after.foo_alloc],
    ]);
    expect(summary.symbols?.text).toMatch(/1 of 2 objects named/);
    expect(summary.symbols?.text).toMatch(/not found: libgone\.so\.3/);
  });

  it('a sysroot alone names the exported functions; the static one stays library+offset, no lines', async () => {
    const { model: m, ctx } = await model({ sysroots: [fx.sysroot] });
    const tree = runQuery(m, 'flamegraph', { snapshot: { kind: 'peak' } }, ctx) as FlameTree;
    const labels = libfooSites(tree).map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(['foo_alloc', 'foo_grow', SHOWN._ZN7service6handleEm]));
    expect(labels).toContain(fx.unnamed('scale_buffer'));
    expect(libfooSites(tree).every((s) => s.source === undefined)).toBe(true);
  });

  it('without a search path nothing resolves (the recorded path is not on this machine), and no query fails', async () => {
    const { model: m, ctx } = await model({});
    for (const [method, args] of QUERIES) {
      for (const site of libfooSites(runQuery(m, method, args, ctx))) {
        expect(site.label).toMatch(/^libfoo\.so\+0x[0-9a-f]+$/);
        expect(site.source).toBeUndefined();
      }
    }
    const labels = libfooSites(runQuery(m, 'flamegraph', { snapshot: { kind: 'peak' } }, ctx)).map(
      (s) => s.label,
    );
    expect(labels).toEqual(expect.arrayContaining([fx.unnamed('foo_alloc'), fx.unnamed('scale_buffer')]));
    expect(ctx.symbolizer.note().text).toMatch(/0 of 2 objects named.*not found: libfoo\.so, libgone\.so\.3/);
  });
});

describe('the diff and the exports (Engine, built worker)', () => {
  let engine: Engine;
  const search = () => ({ sysroots: [fx.sysroot], debugDirs: [fx.debugDir] });

  beforeAll(() => {
    requireBuilt();
    engine = new Engine({ workerUrl: WORKER_URL });
  });
  afterAll(async () => engine?.closeAll());

  it('diff rows and the diff flamegraph carry each capture’s names and lines, with the written bytes', async () => {
    const [base, target] = await Promise.all([
      engine.open({ path: fx.before, symbols: search() }),
      engine.open({ path: fx.after, symbols: search() }),
    ]);
    for (const groupBy of ['line', 'traceback'] as const) {
      const diff = await engine.diff({
        base: { captureId: base.id, snapshot: { kind: 'peak' } },
        target: { captureId: target.id, snapshot: { kind: 'peak' } },
        groupBy,
      });
      const sites = libfooSites(diff.rows);
      expect(sites.length).toBeGreaterThan(0);
      for (const site of sites) expectResolved(site);
      for (const site of libfooSites(diff.flame)) expectResolved(site);
      if (groupBy === 'line') {
        const grown = diff.rows.find((r) => r.function === 'scale_buffer')!;
        expect(grown.status).toBe('grown');
        expect(grown.sizeDiff).toBe(fx.bytes.after.scale_buffer - fx.bytes.before.scale_buffer);
        // Every frame of a library has line 0: by line, its functions are still rows of their own.
        const same = diff.rows.find((r) => r.function === 'foo_alloc')!;
        expect([same.status, same.size]).toEqual(['same', fx.bytes.after.foo_alloc]);
      }
    }
  });

  it('each side asks its own symbolizer: a base opened without symbols keeps library+offset', async () => {
    const [base, target] = await Promise.all([
      engine.open({ path: fx.before }),
      engine.open({ path: fx.after, symbols: search() }),
    ]);
    const diff: DiffResult = await engine.diff({
      base: { captureId: base.id, snapshot: { kind: 'peak' } },
      target: { captureId: target.id, snapshot: { kind: 'peak' } },
      groupBy: 'line',
    });
    const gone = libfooSites(diff.rows.filter((r) => r.status === 'gone'));
    const kept = libfooSites(diff.rows.filter((r) => r.status !== 'gone'));
    expect(gone.map((s) => s.label)).toContain(fx.unnamed('scale_buffer'));
    expect(gone.every((s) => s.source === undefined)).toBe(true);
    expect(kept.map((s) => s.label)).toContain('scale_buffer');
    for (const site of kept) expectResolved(site);
  });

  it('exports carry what was resolved and name the objects not found', async () => {
    const [base, target] = await Promise.all([
      engine.open({ path: fx.before, symbols: search() }),
      engine.open({ path: fx.after, symbols: search() }),
    ]);
    const content = async (format: 'csv' | 'json' | 'speedscope' | 'html', baseline = false) =>
      (
        await engine.export({
          captureId: target.id,
          format,
          ...(baseline && { baseline: { captureId: base.id, snapshot: { kind: 'peak' } } }),
        })
      ).content!;

    const csv = await content('csv', true);
    const line = (fn: keyof typeof SHOWN) => (TOOL ? `foo.c,${NATIVE_SOURCE_LINES[fn]}` : ',');
    expect(csv).toMatch(/source_file,source_line/);
    expect(csv).toContain(`scale_buffer,${RECORDED_LIB},0,`);
    expect(csv.split('\n').find((l) => l.startsWith(`scale_buffer,${RECORDED_LIB},`))).toMatch(
      new RegExp(`${line('scale_buffer').replace('.', '\\.')}$`),
    );
    expect(csv).toMatch(new RegExp(`${RECORDED_GONE.replace(/\./g, '\\.')},not-found`));

    const json = JSON.parse(await content('json', true)) as DiffResult & {
      symbols: { base: { text: string }; target: { text: string } };
    };
    for (const site of libfooSites(json.rows)) expectResolved(site);
    expect(json.symbols.base.text).toMatch(/not found: libgone\.so\.3/);
    expect(json.symbols.target.text).toMatch(/not found: libgone\.so\.3/);

    const speedscope = JSON.parse(await content('speedscope')) as {
      shared: { frames: { name: string; file?: string; line?: number }[] };
      symbols: { objects: { path: string; status: string }[] };
    };
    const scale = speedscope.shared.frames.find((f) => f.name === 'scale_buffer')!;
    if (TOOL)
      expect(scale).toEqual({ name: 'scale_buffer', file: expect.stringMatching(/foo\.c$/), line: 2 });
    expect(speedscope.symbols.objects).toContainEqual(
      expect.objectContaining({ path: RECORDED_GONE, status: 'not-found' }),
    );

    const html = await content('html', true);
    expect(html).toContain('not found: libgone.so.3');
    if (TOOL) expect(html).toMatch(/"source":\{"file":"[^"]*foo\.c","line":2\}/);
  });
});
