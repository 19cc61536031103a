/**
 * `heapscope check`: the CI gate. Gathers the numbers from the engine; the verdict and its
 * wording come from the gate logic in main/export/check.ts.
 */
import type { CaptureInfo, SiteRow, SnapshotSpec } from '../../shared/api';
import { HeapscopeError } from '../../shared/api-error';
import { checkLimits, toJunit, type CheckLimits } from '../export/check';
import type { Engine } from '../engine/engine';
import { pythonLocations } from '../query/table';
import type { UnitSystem } from '../../shared/units';

export type { CheckLimits };

export interface CheckOutcome {
  passed: boolean;
  /** One paragraph: what was checked, and for a failure the top offending sites. */
  text: string;
  junitXml: string;
}

async function offenders(
  engine: Engine,
  captureId: string,
  snapshot: SnapshotSpec,
): Promise<SiteRow[] | undefined> {
  try {
    const table = await engine.table({
      captureId,
      snapshot,
      groupBy: 'line',
      sortBy: 'ownBytes',
      descending: true,
      limit: 10,
      // Offenders are named like the summary's sites: memray's innermost Python frame.
      filter: pythonLocations(),
    });
    return table.rows;
  } catch (error) {
    // Formats without that snapshot (e.g. no leaks in a CSV) still get a verdict, just no names.
    if (error instanceof HeapscopeError && error.code === 'unsupported') return undefined;
    throw error;
  }
}

export async function runCheck(
  engine: Engine,
  input: { capture: CaptureInfo; baseline?: CaptureInfo; limits: CheckLimits; units?: UnitSystem },
): Promise<CheckOutcome> {
  const started = performance.now();
  const { capture, baseline, limits, units } = input;
  const [summary, baseSummary, topPeakSites, topLeakSites, diff] = await Promise.all([
    engine.summary({ captureId: capture.id }),
    baseline ? engine.summary({ captureId: baseline.id }) : Promise.resolve(undefined),
    limits.maxPeakBytes !== undefined
      ? offenders(engine, capture.id, { kind: 'peak' })
      : Promise.resolve(undefined),
    limits.maxLeakedBytes !== undefined
      ? offenders(engine, capture.id, { kind: 'leaks' })
      : Promise.resolve(undefined),
    baseline && limits.maxGrowthPercent !== undefined
      ? engine.diff({
          base: { captureId: baseline.id, snapshot: { kind: 'peak' } },
          target: { captureId: capture.id, snapshot: { kind: 'peak' } },
          groupBy: 'line',
          limit: 20,
        })
      : Promise.resolve(undefined),
  ]);
  const label = capture.facts.fileName;
  const result = checkLimits(
    {
      label,
      peakBytes: summary.peakBytes,
      leakedBytes: summary.leakedBytes,
      ...(topPeakSites && { topPeakSites }),
      ...(topLeakSites && { topLeakSites }),
      ...(baseSummary &&
        baseline && { baseline: { label: baseline.facts.fileName, peakBytes: baseSummary.peakBytes } }),
      ...(diff && { growthRows: diff.rows }),
    },
    limits,
    units,
  );
  const junitXml = toJunit(result, { label, timeSeconds: (performance.now() - started) / 1000 });
  const text = result.ok
    ? `heapscope check passed: ${label}: ${result.checks.map((c) => c.text).join('; ')}.`
    : `heapscope check FAILED: ${result.reasons}`;
  return { passed: result.ok, text, junitXml };
}
