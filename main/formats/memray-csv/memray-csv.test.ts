/**
 * memray `transform csv` import, against the memray-written oracles beside each CSV
 * (test/fixtures/memray-csv, copied from ../shared/fixtures/memray): `stats.json` of the same
 * capture and the workload facts of the memray MANIFEST.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../model/capture-model';
import { snapshotTotals } from '../../model/snapshot';
import { compareGroups } from '../../query/diff';
import { groupSnapshot } from '../../model/groups';
import { MemrayCsvModel } from '../../model/memray-csv/model';
import { loadMemrayCsv, parseStackTrace } from './index';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/memray-csv/', import.meta.url));
const V13 = join(ROOT, 'v13-memray1.20.0-py313');
const V12 = join(ROOT, 'v12-memray1.19.3-py311');

const HWM = [
  join(V13, 'basic.hwm.csv'),
  join(V13, 'threads.hwm.csv'),
  join(V12, 'native.hwm.csv'),
  join(V12, 'pymalloc.hwm.csv'),
];

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-csv-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function load(path: string, chunkSize?: number): Promise<MemrayCsvModel> {
  return (await loadMemrayCsv(path, chunkSize ? { chunkSize } : {})) as MemrayCsvModel;
}

describe('memray CSV (hwm) against memray stats.json', () => {
  for (const path of HWM) {
    const name = path.slice(ROOT.length);
    it(`${name}: the rows add up to memray's peak_memory`, async () => {
      const stats = JSON.parse(readFileSync(path.replace('.hwm.csv', '.stats.json'), 'utf8')) as {
        metadata: { peak_memory: number; has_native_traces: boolean };
      };
      const m = await load(path);
      expect(m.summary().peakBytes).toBe(stats.metadata.peak_memory);
      const snap = m.snapshot({ kind: 'peak' });
      expect(snapshotTotals(snap.rows).bytes).toBe(stats.metadata.peak_memory);
      // Every grouping partitions the same bytes.
      for (const groupBy of ['lineno', 'filename', 'traceback', 'function'] as const) {
        expect(groupSnapshot(snap, { groupBy }).reduce((s, g) => s + g.size, 0)).toBe(
          stats.metadata.peak_memory,
        );
      }
      expect(m.info().capabilities.native).toBe(stats.metadata.has_native_traces);
      expect(m.info().capabilities.timeline).toBe(false);
      expect(m.timeline()).toBeUndefined();
      expect(() => m.snapshot({ kind: 'range', fromMs: 0, toMs: 1, measure: 'peak' })).toThrow(
        /no time axis/,
      );
    });

    it(`${name}: 7-byte chunks give the same model`, async () => {
      const big = await load(path);
      const tiny = await load(path, 7);
      expect(tiny.statsJson({ groupBy: 'traceback' })).toEqual(big.statsJson({ groupBy: 'traceback' }));
      expect(tiny.exportTable('memray-csv')).toBe(big.exportTable('memray-csv'));
    });
  }
});

describe('memray CSV stacks', () => {
  it("basic.leaks.csv: the 5 MiB leak's stack is leak_5mb (basic.py:35) called from main (MANIFEST)", async () => {
    const m = await load(join(V13, 'basic.leaks.csv'));
    const snap = m.snapshot({ kind: 'leaks' });
    const rows = Array.from({ length: snap.rows.length }, (_, i) => i).filter(
      (i) => snap.rows.bytes[i] === 5_242_913,
    );
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(snap.allocators[snap.rows.allocator[r]]).toBe('MALLOC');
    const path = snap.stacks.path(snap.rows.stack[r]).map((f) => snap.frames.info(f));
    const innermost = path[path.length - 1];
    expect([innermost.name, innermost.line, innermost.kind]).toEqual(['leak_5mb', 35, 'python']);
    expect(innermost.file.endsWith('/basic.py')).toBe(true);
    expect(path[path.length - 2].name).toBe('main');
    // Oldest first: memray's own driver is the root.
    expect(path[0].name).toBe('_run_tracker');
    // statistics('lineno') puts it under basic.py:35.
    const top = groupSnapshot(snap, { groupBy: 'lineno' }).find(
      (g) => g.frames[0].line === 35 && g.frames[0].file.endsWith('/basic.py'),
    );
    expect(top?.size).toBeGreaterThanOrEqual(5_242_913);
  });

  it('threads.hwm.csv: the threads of threads.py keep their names (MANIFEST)', async () => {
    const m = await load(join(V13, 'threads.hwm.csv'));
    const labels = m.info().threads.map((t) => t.label);
    for (const name of ['loader', 'parser', 'writer'])
      expect(labels.some((l) => l.endsWith(`(${name})`))).toBe(true);
    expect(m.info().capabilities.threads).toBe(true);
    // Thread filter narrows the rows to that thread.
    const writer = m.info().threads.find((t) => t.label.endsWith('(writer)'))!;
    const only = m.snapshot({ kind: 'peak' }, { threads: [writer.id] });
    expect(Array.from(only.rows.thread).every((t) => t === writer.id)).toBe(true);
  });

  it('native.hwm.csv: C frames are native, Python frames python (MANIFEST: do_json over native frames)', async () => {
    const m = await load(join(V12, 'native.hwm.csv'));
    const snap = m.snapshot({ kind: 'peak' });
    const kinds = new Map<string, string>();
    for (let f = 0; f < snap.frames.size; f++) kinds.set(snap.frames.names[f], snap.frames.kind(f));
    expect(kinds.get('PyEval_EvalCode')).toBe('native');
    expect(kinds.get('_PyObject_MakeTpCall')).toBe('native');
    expect(kinds.get('do_json')).toBe('python');
    expect(kinds.get('_run_code')).toBe('python');
  });

  it('parses | and ; inside function names and the trailing separator', () => {
    expect(parseStackTrace('operator|;lib.so;0|<script>;"q.py";7|')).toEqual([
      { function: 'operator|', file: 'lib.so', line: 0 },
      { function: '<script>', file: '"q.py"', line: 7 },
    ]);
    expect(parseStackTrace('a;b;x.py;3')).toEqual([{ function: 'a;b', file: 'x.py', line: 3 }]);
    expect(parseStackTrace('')).toEqual([]);
    expect(() => parseStackTrace('no frame here')).toThrow(/cannot parse/);
  });
});

describe('memray CSV export and round trip', () => {
  it('without native stacks, the export is byte-identical to what memray wrote', async () => {
    for (const path of [
      join(V13, 'basic.hwm.csv'),
      join(V13, 'basic.leaks.csv'),
      join(V13, 'threads.hwm.csv'),
    ]) {
      const m = await load(path);
      expect(m.exportTable('memray-csv')).toBe(readFileSync(path, 'utf8'));
    }
  });

  it('quoted fields (quotes, commas, <script>) survive an export and re-import verbatim', async () => {
    const csv =
      'allocator,num_allocations,size,tid,thread_name,stack_trace\r\n' +
      'MALLOC,2,100,1,"0x1 (a, ""b"")","f""q;/x/a,b.py;3|<script>;/x/m.py;9"\r\n' +
      'PYMALLOC_MALLOC,1,8,1,"0x1 (a, ""b"")",<module>;/x/m.py;1\r\n';
    const file = join(scratch, 'quoted.csv');
    writeFileSync(file, csv);
    const m = await load(file, 5);
    expect(m.exportTable('memray-csv')).toBe(csv);
    const snap = m.snapshot({ kind: 'peak' });
    const names = Array.from({ length: snap.frames.size }, (_, f) => snap.frames.names[f]);
    expect(names).toContain('f"q');
    expect(names).toContain('<script>');
    expect(snap.frames.files).toContain('/x/a,b.py');
    expect(m.info().threads).toEqual([{ id: 1, label: '0x1 (a, "b")' }]);
  });

  it('stacks that print alike (native IPs, 3.11 code offsets) merge without changing any total', async () => {
    for (const path of [join(V12, 'native.hwm.csv'), join(V12, 'pymalloc.hwm.csv')]) {
      const m = await load(path);
      const file = join(scratch, 'export.csv');
      writeFileSync(file, m.exportTable('memray-csv'));
      const again = await load(file);
      expect(again.statsJson({ groupBy: 'traceback' })).toEqual(m.statsJson({ groupBy: 'traceback' }));
      expect(again.summary().peakBytes).toBe(m.summary().peakBytes);
    }
  });
});

describe('memray CSV diff and errors', () => {
  it('diffs the high-water mark against the leaks of the same run', async () => {
    const hwm = await load(join(V13, 'basic.hwm.csv'));
    const leaks = await load(join(V13, 'basic.leaks.csv'));
    const rows = compareGroups(
      groupSnapshot(hwm.snapshot({ kind: 'peak' }), { groupBy: 'lineno' }),
      groupSnapshot(leaks.snapshot({ kind: 'peak' }), { groupBy: 'lineno' }),
    );
    const net = rows.reduce((s, r) => s + r.sizeDiff, 0);
    expect(net).toBe(leaks.summary().peakBytes - hwm.summary().peakBytes);
    // The 50 MiB buffer of make_big_buffer is alive at the peak and freed before the end.
    expect(rows[0].status).toMatch(/gone|shrunk/);
    expect(rows[0].sizeDiff).toBeLessThanOrEqual(-52_428_800);
  });

  it('rejects files that are not memray CSV', async () => {
    const file = join(scratch, 'other.csv');
    writeFileSync(file, 'a,b,c\n1,2,3\n');
    await expect(loadMemrayCsv(file, {})).rejects.toBeInstanceOf(InputError);
    await expect(loadMemrayCsv(file, {})).rejects.toThrow(/header lacks allocator/);
    const empty = join(scratch, 'empty.csv');
    writeFileSync(empty, '');
    await expect(loadMemrayCsv(empty, {})).rejects.toThrow(/empty file/);
  });

  it('fixtures are present', () => {
    expect(readdirSync(V13).length).toBeGreaterThan(0);
  });
});
