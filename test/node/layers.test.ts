import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the ESLint flat config is plain JavaScript without type declarations
import { KNOWN_LAYER_EXCEPTIONS, layerRule } from '../../eslint.config.js';

/**
 * The layer and import-cycle rules of eslint.config.js (docs/architecture.md), run on the real
 * tree with one synthetic import added in memory: each must fail on a new cycle or a new
 * upward import, and the list of known exceptions must be exactly what the tree still needs.
 */

interface KnownException {
  file: string;
  imports: string;
  why: string;
}

const ROOT = resolve(import.meta.dirname, '../..');
const KNOWN = KNOWN_LAYER_EXCEPTIONS as KnownException[];
const LAYER_RULE = 'import-x/no-restricted-paths';
const CYCLE_RULE = 'import-x/no-cycle';

const eslint = new ESLint({ cwd: ROOT });
/** The same config with no exceptions at all (and no cycle search: only layers are asked of it). */
const strict = new ESLint({
  cwd: ROOT,
  overrideConfig: { rules: { [LAYER_RULE]: layerRule([]) as Linter.RuleEntry, [CYCLE_RULE]: 'off' } },
});

/** A real source file's text with `line` appended, linted as that file; the layer/cycle findings. */
async function lintWith(file: string, line: string, linter = eslint): Promise<Linter.LintMessage[]> {
  const path = join(ROOT, file);
  const text = `${readFileSync(path, 'utf8')}\n${line}\n`;
  const [result] = await linter.lintText(text, { filePath: path });
  return result.messages.filter((m) => m.ruleId === LAYER_RULE || m.ruleId === CYCLE_RULE);
}

const rules = (messages: Linter.LintMessage[]) => [...new Set(messages.map((m) => m.ruleId))].sort();

describe('import layers and cycles (eslint.config.js)', () => {
  it('a new cycle fails: query/frame-filter.ts importing query/flamegraph.ts, which imports it', async () => {
    const found = await lintWith('main/query/frame-filter.ts', "import './flamegraph';");
    expect(rules(found)).toEqual([CYCLE_RULE]);
  }, 60_000);

  it('an upward import fails, and one that is also a cycle fails both ways', async () => {
    // query/table.ts is imported by export/assemble.ts: importing it back is a cycle and breaks a layer.
    const found = await lintWith('main/query/table.ts', "import '../export/assemble';");
    expect(rules(found)).toEqual([CYCLE_RULE, LAYER_RULE]);
    expect(found.find((m) => m.ruleId === LAYER_RULE)?.message).toContain(
      'main/query may not import main/export',
    );
  }, 60_000);

  it.each([
    ['shared/api.ts', "import '../main/engine/engine';", 'shared may not import main'],
    [
      'shared/units.ts',
      "import type { Api } from '../renderer/src/api/types';",
      'shared may not import renderer',
    ],
    [
      'renderer/src/client.ts',
      "import type { Engine } from '../../main/engine/engine';",
      'renderer may not import main',
    ],
    [
      'main/model/snapshot.ts',
      "import '../formats/memray/header';",
      'main/model may not import main/formats',
    ],
    ['main/model/snapshot.ts', "import '../query/table';", 'main/model may not import main/query'],
    ['main/query/table.ts', "import '../formats/memray/header';", 'main/query may not import main/formats'],
    ['main/formats/memray/header.ts', "import '../../cli/run';", 'main/formats may not import main/cli'],
    [
      'main/formats/memray/header.ts',
      "import '../../server/auth';",
      'main/formats may not import main/server',
    ],
  ])(
    '%s: %s is refused',
    async (file, line, message) => {
      const found = (await lintWith(file, line)).filter((m) => m.ruleId === LAYER_RULE);
      expect(found.map((m) => m.message)).toEqual([expect.stringContaining(message)]);
    },
    60_000,
  );

  it('readers may build models', async () => {
    expect(await lintWith('main/formats/memray/header.ts', "import '../../model/snapshot';")).toEqual([]);
  }, 60_000);

  it("the renderer's @shared alias resolves (an import the resolver misses is not checked)", async () => {
    const found = await lintWith('renderer/src/client.ts', "import '@shared/../main/engine/engine';");
    expect(found.map((m) => m.message)).toEqual([expect.stringContaining('renderer may not import main')]);
  }, 60_000);

  it('an exception allows exactly its one import: a second one from the same layer fails', async () => {
    // The mechanism of KNOWN_LAYER_EXCEPTIONS, with a synthetic entry: frame-table.ts may import
    // query/timeline-lod.ts (neither imports the other, so no cycle muddles the result).
    const withOne = new ESLint({
      cwd: ROOT,
      overrideConfig: {
        files: ['main/model/frame-table.ts'],
        rules: { [LAYER_RULE]: layerRule(['main/query/timeline-lod.ts']) as Linter.RuleEntry },
      },
    });
    const file = 'main/model/frame-table.ts';
    expect(await lintWith(file, "import '../query/timeline-lod';", withOne)).toEqual([]);
    const found = await lintWith(file, "import '../query/timeline-lod';\nimport '../query/growth';", withOne);
    expect(found.map((m) => m.message)).toEqual([
      expect.stringMatching(/"\.\.\/query\/growth".*main\/model may not import main\/query/),
    ]);
  }, 60_000);

  it('the known exceptions are exactly the upward imports the tree still has', async () => {
    // Every file of the layers below the engine, with no exception allowed: what breaks a layer
    // must be listed, and every listed import must still exist (remove an entry once it goes).
    const layered = ['shared', 'main/formats', 'main/model', 'main/query'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .map((f) => join(dir, f))
        .filter((f) => f.endsWith('.ts') && !/\.test\.ts$|\/(testing|assembly)\//.test(f)),
    );
    expect(layered.length).toBeGreaterThan(100);
    const layers = layered.map((f) => join(ROOT, f));
    const results = await strict.lintFiles(layers);
    const found = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === LAYER_RULE)
        .map((m) => `${relative(ROOT, r.filePath)} → ${/"([^"]+)"/.exec(m.message)?.[1]}`),
    );
    // Paths as written in the import; one per known exception.
    expect(found).toHaveLength(KNOWN.length);
    for (const e of KNOWN) {
      expect(e.why).toMatch(/^TODO\(issue 13\): /);
      const stem = e.imports.replace(/\.ts$/, '').split('/').slice(-2).join('/');
      expect(found.filter((f) => f.startsWith(`${e.file} → `) && f.endsWith(stem))).toHaveLength(1);
    }
    // And with the exceptions, their files pass.
    const excepted = [...new Set(KNOWN.map((e) => join(ROOT, e.file)))];
    const withExceptions = excepted.length > 0 ? await eslint.lintFiles(excepted) : [];
    expect(withExceptions.flatMap((r) => r.messages.filter((m) => m.ruleId === LAYER_RULE))).toEqual([]);
  }, 120_000);
});
