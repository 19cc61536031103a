import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_FAMILIES, PROBLEMS, bundleChild, runFuzz } from '../fuzz/fuzz';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A bounded slice of `npm run fuzz`: seeded mutants of every format through both read paths
 * (the totals replay and the full model with its queries). None may crash, hang or take memory
 * out of proportion, and every refusal names the file and a byte offset in escaped text.
 */
describe('mutation fuzzing (bounded slice of npm run fuzz)', () => {
  it('no crash, hang or blowup; every refusal names file and offset', async () => {
    const child = await bundleChild(REPO);
    const report = await runFuzz(child, {
      fixtures: fileURLToPath(new URL('../fixtures', import.meta.url)),
      families: ALL_FAMILIES,
      perFamily: 200,
      workers: 2,
      salt: 11,
      // generous: this classifies a stuck reader, it does not time anything
      timeoutMs: 30_000,
      rssLimit: 768 * 2 ** 20,
      modes: ['totals', 'full'],
      seedLimit: 6000,
      shrink: false,
    });
    const problems = report.problems.map(
      (p) => `${p.verdict} ${p.family} #${p.index} (${p.description}): ${p.message.split('\n')[0]}`,
    );
    expect(problems).toEqual([]);
    for (const family of report.families) {
      expect(family.mutants).toBe(200);
      for (const verdict of PROBLEMS) expect(family.verdicts[verdict]).toBe(0);
      // the mutants do reach the refusal paths
      expect(family.verdicts.refused).toBeGreaterThan(0);
    }
  }, 300_000);
});
