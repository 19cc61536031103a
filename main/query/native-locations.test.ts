/**
 * Issue 10 §6: on `memray run --native` captures the sites Heapscope names (summary top sites,
 * findings, `stats`, the HTML report) follow memray's location rule, the innermost Python frame,
 * and a native capture diffed against a plain one is matched on Python frames.
 *
 * Oracles: memray's own `stats --json` top locations (every allocation, innermost Python frame)
 * and, for the peak, memray's `transform csv` high-water-mark rows grouped here by their innermost
 * Python frame (a frame of a `.py` file or a `<frozen …>` module; native frames name C sources
 * and shared objects).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SiteRow, Summary } from '../../shared/api';
import { handlers } from '../engine/handlers';
import { loadMemrayModel } from '../formats/memray/index';
import { listCaptures, parseCsv } from '../formats/memray/oracles';
import type { MemrayModel } from '../model/memray/model';
import { compareGroups } from './diff';
import { groupSnapshot } from '../model/groups';
import { matchCaptures, PYTHON_FRAMES_NOTE } from './path-identity';
import { buildTable, topSites } from './table';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/memray', import.meta.url));
const natives = listCaptures(FIXTURES).filter((c) => c.name === 'native.bin');

interface OracleLocation {
  location: string;
  size?: number;
  count?: number;
}

const location = (r: Pick<SiteRow, 'function' | 'file' | 'line'>) => `${r.function}:${r.file}:${r.line}`;
// memray's CSV writes unresolved native frames as `<unknown>`; Python pseudo-files are `<frozen …>`.
const isPythonFile = (file: string) => file.endsWith('.py') || file.startsWith('<frozen');

/** memray's hwm.csv rows grouped by innermost Python frame: bytes per `function:file:line`. */
function peakByPythonLocation(csv: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of parseCsv(csv)) {
    const frames = row.stack_trace ? row.stack_trace.split('|').map((f) => f.split(';')) : [];
    const py = frames.find(([, file]) => isPythonFile(file));
    const key = py ? `${py[0]}:${py[1]}:${py[2]}` : '<no stack>';
    out.set(key, (out.get(key) ?? 0) + Number(row.size));
  }
  return out;
}

describe('native captures name Python locations, as memray does', () => {
  it('has a native capture per memray version', () => {
    expect(natives.length).toBeGreaterThanOrEqual(6);
  });

  for (const c of natives) {
    describe(`${c.folder}/${c.name}`, () => {
      it('top sites over every allocation equal memray stats top locations (size and count)', async () => {
        const model = await loadMemrayModel(c.path);
        const stats = JSON.parse(c.oracle('stats.json')!) as {
          top_allocations_by_size: OracleLocation[];
          top_allocations_by_count: OracleLocation[];
        };
        const all = model.snapshot({ kind: 'all' });
        const bySize = topSites(all, { limit: stats.top_allocations_by_size.length });
        expect(bySize.map((r) => ({ location: location(r), size: r.ownBytes }))).toEqual(
          stats.top_allocations_by_size,
        );
        // By count: the same location rule, ranked on own allocations.
        const rows = buildTable(all, { groupBy: 'line', filter: { pythonOnly: true } }).rows;
        const byCount = [...rows]
          .sort((a, b) => b.ownCount - a.ownCount)
          .slice(0, stats.top_allocations_by_count.length);
        expect(byCount.map((r) => ({ location: location(r), count: r.ownCount }))).toEqual(
          stats.top_allocations_by_count,
        );
      });

      it('the summary’s top sites and findings name Python frames, with memray’s peak bytes', async () => {
        const model = (await loadMemrayModel(c.path)) as MemrayModel;
        const summary = handlers.summary(model, {}, { captureId: 't' }) as Summary;
        expect(summary.topSites.length).toBeGreaterThan(0);
        const oracle = peakByPythonLocation(c.oracle('hwm.csv')!);
        for (const site of summary.topSites) {
          expect(site.function === '<no stack>' || isPythonFile(site.file)).toBe(true);
          expect(site.ownBytes).toBe(oracle.get(location(site)) ?? oracle.get(site.function));
        }
        const expected = [...oracle.values()].sort((a, b) => b - a).slice(0, summary.topSites.length);
        expect(summary.topSites.map((s) => s.ownBytes)).toEqual(expected);
        for (const f of summary.findings.filter((x) => /call site|comes from/.test(x.text))) {
          expect(f.text).not.toMatch(/\.so|\+0x|python3\.\d+\+/);
        }
      });
    });
  }

  it('a dominating Python site is named in the finding (v13)', async () => {
    const c = natives.find((x) => x.folder.startsWith('v13'))!;
    const model = (await loadMemrayModel(c.path)) as MemrayModel;
    const summary = handlers.summary(model, {}, { captureId: 't' }) as Summary;
    const oracle = peakByPythonLocation(c.oracle('hwm.csv')!);
    const [topLocation, topBytes] = [...oracle].sort((a, b) => b[1] - a[1])[0];
    expect(isPythonFile(topLocation.split(':')[1])).toBe(true);
    const dominates = summary.findings.find((f) => f.code === 'single-site-dominates');
    if (topBytes / summary.peakBytes >= 0.5) {
      const [fn, file, line] = topLocation.split(':');
      expect(dominates?.text).toContain(`${fn} at ${file}:${line}`);
    } else expect(dominates).toBeUndefined();
  });
});

describe('a native capture diffed against a plain one', () => {
  const v13 = listCaptures(FIXTURES).filter((c) => c.folder.startsWith('v13'));
  const native = v13.find((c) => c.name === 'native.bin')!;
  const plain = v13.find((c) => c.name === 'basic.bin')!;

  it('is matched on Python frames, and says so', async () => {
    const [n, p] = await Promise.all([loadMemrayModel(native.path), loadMemrayModel(plain.path)]);
    const facts = (m: typeof n) => ({ facts: m.info().facts, files: [] as string[] });
    const matching = matchCaptures(facts(p), facts(n));
    expect(matching.pythonOnly).toBe(true);
    expect(matching.note).toContain(PYTHON_FRAMES_NOTE);
    // Two plain captures (or two native ones) keep every frame.
    expect(matchCaptures(facts(p), facts(p)).pythonOnly).toBeUndefined();
    expect(matchCaptures(facts(n), facts(n)).pythonOnly).toBeUndefined();

    const nativeAll = n.snapshot({ kind: 'all' });
    const groups = groupSnapshot(nativeAll, { groupBy: 'lineno', pythonOnly: true });
    // Every group is a Python location; the sizes are memray's innermost-Python-frame totals.
    expect(
      groups.every((g) =>
        g.frames.every((f) => isPythonFile(f.file) || (f.file === '<unknown>' && f.line === 0)),
      ),
    ).toBe(true);
    const stats = JSON.parse(native.oracle('stats.json')!) as { top_allocations_by_size: OracleLocation[] };
    const top = groups.slice(0, stats.top_allocations_by_size.length);
    expect(top.map((g) => g.size)).toEqual(stats.top_allocations_by_size.map((l) => l.size));
    expect(top.map((g) => `${g.frames[0].file}:${g.frames[0].line}`)).toEqual(
      stats.top_allocations_by_size.map((l) => l.location.split(':').slice(1).join(':')),
    );

    // Without the rule the native side's innermost frames are C frames nothing on the plain side
    // has; with it, Python locations both runs share (the import system, runpy) line up.
    const plainGroups = groupSnapshot(p.snapshot({ kind: 'all' }), { groupBy: 'lineno' });
    const raw = compareGroups(plainGroups, groupSnapshot(nativeAll, { groupBy: 'lineno' }));
    const matched = compareGroups(plainGroups, groups);
    const shared = (rows: typeof raw) => rows.filter((r) => r.status !== 'new' && r.status !== 'gone').length;
    expect(shared(matched)).toBeGreaterThan(shared(raw));
    expect(shared(matched)).toBeGreaterThan(0);
  });

  it('traceback and cumulative groups skip native frames too', async () => {
    const n = await loadMemrayModel(native.path);
    const all = n.snapshot({ kind: 'all' });
    const total = groupSnapshot(all, { groupBy: 'lineno' }).reduce((a, g) => a + g.size, 0);
    for (const opts of [
      { groupBy: 'traceback' as const },
      { groupBy: 'lineno' as const, cumulative: true },
    ]) {
      const groups = groupSnapshot(all, { ...opts, pythonOnly: true });
      expect(
        groups.every((g) =>
          g.frames.every((f) => isPythonFile(f.file) || (f.file === '<unknown>' && f.line === 0)),
        ),
      ).toBe(true);
      if (!opts.cumulative) expect(groups.reduce((a, g) => a + g.size, 0)).toBe(total);
    }
  });
});
