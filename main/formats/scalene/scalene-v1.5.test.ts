/**
 * Scalene 1.5.16 profiles (test/fixtures/scalene/v1.5.16, see its MANIFEST): line records carry no
 * function range, so a line's function comes from the file's `functions` entries. Checked against
 * the workload's own source, read here with Python's rule (a line belongs to the innermost `def`
 * whose indented body holds it). Also the CLI's share column for Scalene's sites.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../../shared/api';
import { formatSummary } from '../../cli/text/summary';
import { handlers } from '../../engine/handlers';
import { buildTable } from '../../query/table';
import type { ScaleneModel } from '../../model/scalene/model';
import { MIB } from '../../model/scalene/profile';
import { loadScalene } from './index';
import { functionAtDefLine } from './profile';

const DIR = resolve(import.meta.dirname, '../../../test/fixtures/scalene/v1.5.16');
const PROFILE = join(DIR, 'recursive_nested.json');
const SOURCE = readFileSync(join(DIR, 'workloads', 'recursive_nested.py'), 'utf8').split('\n');
const RAW = JSON.parse(readFileSync(PROFILE, 'utf8')) as {
  max_footprint_mb: number;
  files: Record<string, { lines: { lineno: number; n_malloc_mb: number }[] }>;
};

/** The function whose body holds source line `lineno` (1-based), by indentation; `<module>` if none. */
function enclosingDef(lineno: number): string {
  const indent = (s: string) => s.length - s.trimStart().length;
  const own = SOURCE[lineno - 1];
  if (/^\s*def\s/.test(own)) return /def\s+(\w+)/.exec(own)![1];
  let level = indent(own);
  for (let i = lineno - 2; i >= 0; i--) {
    const s = SOURCE[i];
    if (!s.trim() || indent(s) >= level) continue;
    const def = /^\s*def\s+(\w+)/.exec(s);
    if (def) return def[1];
    level = indent(s);
    if (level === 0) return '<module>';
  }
  return '<module>';
}

describe('Scalene 1.5.16: lines mapped to their functions', () => {
  it('names each line’s enclosing function as the source does, not <module>', async () => {
    const model = (await loadScalene(PROFILE, {})) as ScaleneModel;
    const lines = model.profile.files.flatMap((f) => f.lines);
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(l.functionName, `line ${l.lineno}`).toBe(enclosingDef(l.lineno));
    expect(new Set(lines.map((l) => l.functionName))).toEqual(
      new Set(['build', 'count_leaves', 'chain', 'main']),
    );
  });

  it('the function table sums each function’s lines (build holds line 6’s 91.6 MB)', async () => {
    const model = (await loadScalene(PROFILE, {})) as ScaleneModel;
    const table = buildTable(model.snapshot({ kind: 'peak' }), { groupBy: 'function' });
    const [file] = Object.keys(RAW.files);
    const expected = new Map<string, number>();
    for (const l of RAW.files[file].lines) {
      const fn = enclosingDef(l.lineno);
      expected.set(fn, (expected.get(fn) ?? 0) + Math.round(l.n_malloc_mb * MIB));
    }
    for (const [fn, bytes] of expected) {
      if (bytes === 0) continue;
      const row = table.rows.find((r) => r.function === fn);
      expect(row, fn).toBeDefined();
      expect(row!.ownBytes).toBe(bytes);
      expect(row!.line).toBe(0);
    }
    expect(table.rows.find((r) => r.function === '<module>')).toBeUndefined();
  });

  it('keeps column-0 code after the functions at module level', () => {
    const defs: [number, string][] = [
      [5, 'build'],
      [22, 'main'],
    ];
    expect(functionAtDefLine(defs, 3, 'import sys')).toBe('<module>');
    expect(functionAtDefLine(defs, 5, 'def build(depth, width):')).toBe('build');
    expect(functionAtDefLine(defs, 8, '    return [build(d - 1, w) for _ in range(w)]')).toBe('build');
    expect(functionAtDefLine(defs, 34, 'if __name__ == "__main__":')).toBe('<module>');
    expect(functionAtDefLine(defs, 12, 'def helper():')).toBe('<module>');
    expect(functionAtDefLine([], 8, '    x = 1')).toBe('<module>');
  });
});

describe('stats text for a Scalene profile', () => {
  it('shares are of all bytes allocated (never above 100%), and the heading says so', async () => {
    const model = (await loadScalene(PROFILE, {})) as ScaleneModel;
    const summary = handlers.summary(model, {}, { captureId: 't' }) as Summary;
    const text = formatSummary(summary, 10);
    expect(text).toMatch(
      /Top \d+ lines by bytes allocated over the run \(own bytes, share of all bytes allocated\):/,
    );
    const shares = [...text.matchAll(/^\s+\S+ \S+\s+([\d.,]+)%/gm)].map((m) =>
      Number(m[1].replace(/,/g, '')),
    );
    expect(shares.length).toBe(summary.topSites.length);
    const total = model.totalAllocatedBytes();
    summary.topSites.forEach((s, i) => {
      expect(shares[i]).toBeLessThanOrEqual(100);
      expect(shares[i]).toBeCloseTo((s.ownBytes / total) * 100, 1);
    });
    // The bytes are allocated over the run: line 6 alone allocated less than the whole, more than
    // most of the peak.
    expect(summary.topSites[0].ownBytes).toBeLessThan(total);
    expect(summary.topSites[0].line).toBe(6);
  });
});
