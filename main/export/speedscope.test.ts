import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildFlameTree } from '../query/flamegraph';
import { toSpeedscope } from './speedscope';
import { readFixture, snapshotFromMemrayCsv } from './testing/fixtures';

// The schema shipped inside the installed speedscope package (its FileFormat.File type).
const require = createRequire(import.meta.url);
const schemaPath = require.resolve('speedscope/dist/release/file-format-schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

describe('toSpeedscope', () => {
  const peak = snapshotFromMemrayCsv(readFixture('pymalloc.hwm.csv'));
  const threads = snapshotFromMemrayCsv(readFixture('threads.hwm.csv'));

  it('is valid against speedscope file-format schema and weights sum to the total', () => {
    for (const tree of [
      buildFlameTree(peak, {}),
      buildFlameTree(peak, { filter: { hideImportSystem: true, hideInternals: true } }),
      buildFlameTree(peak, { maxNodes: 10 }),
      buildFlameTree(threads, { filter: { mergeThreads: false } }),
    ]) {
      const file = toSpeedscope(tree, 'pymalloc peak');
      const ok = validate(JSON.parse(JSON.stringify(file)));
      expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
      expect(ok).toBe(true);
      const p = file.profiles[0];
      expect(p.samples.length).toBe(p.weights.length);
      expect(p.weights.reduce((s, w) => s + w, 0)).toBe(tree.totalBytes);
      expect(p.endValue).toBe(tree.totalBytes);
      for (const s of p.samples) for (const f of s) expect(f).toBeLessThan(file.shared.frames.length);
    }
  });

  it('puts peak and leaks in one file with a shared frame table', () => {
    const a = buildFlameTree(peak, {});
    const b = buildFlameTree(threads, {});
    const file = toSpeedscope([
      { tree: a, name: 'peak' },
      { tree: b, name: 'leaks' },
    ]);
    expect(validate(JSON.parse(JSON.stringify(file)))).toBe(true);
    expect(file.profiles.map((p) => p.name)).toEqual(['peak', 'leaks']);
    expect(file.profiles[1].weights.reduce((s, w) => s + w, 0)).toBe(b.totalBytes);
  });

  it('rejects a broken file (the validator is real)', () => {
    const file = toSpeedscope(buildFlameTree(peak, {}), 'x') as unknown as { profiles: { unit: string }[] };
    file.profiles[0].unit = 'furlongs';
    expect(validate(file)).toBe(false);
  });
});
