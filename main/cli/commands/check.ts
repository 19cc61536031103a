/**
 * `heapscope check FILE --max-peak SIZE …`: the CI gate. Gathers the numbers from the engine; the
 * verdict and its wording come from the gate logic in main/export/check.ts.
 */
import type { CaptureInfo, SiteRow, SnapshotSpec } from '../../../shared/api';
import { HeapscopeError } from '../../../shared/api-error';
import { absentReason } from '../../../shared/present';
import type { UnitSystem } from '../../../shared/units';
import { checkLimits, toJunit, type CheckLimits } from '../../export/check';
import { pythonLocations } from '../../query/table';
import { parseGrowth, parseSizeOption, SYMBOL_OPTIONS } from '../args';
import {
  type CliEngine,
  expectFiles,
  inputFiles,
  openOne,
  refuseOverwritingInput,
  writeUserFile,
  type Command,
} from '../context';
import { CliError } from '../errors';

export const check: Command = {
  options: [
    'max-peak',
    'max-leaked',
    'max-held',
    'baseline',
    'max-growth',
    'junit',
    'json',
    'units',
    ...SYMBOL_OPTIONS,
  ],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'check', 1, 1, 'one FILE');
    const { values } = ctx;
    if (
      values['max-peak'] === undefined &&
      values['max-leaked'] === undefined &&
      values['max-held'] === undefined &&
      values['max-growth'] === undefined
    ) {
      throw new CliError(
        'check needs at least one limit: --max-peak SIZE, --max-leaked SIZE, --max-held SIZE or --baseline OTHER --max-growth PCT',
      );
    }
    if ((values['max-growth'] === undefined) !== (values.baseline === undefined)) {
      throw new CliError('--max-growth and --baseline go together');
    }
    const limits: CheckLimits = {
      ...(values['max-peak'] !== undefined && {
        maxPeakBytes: parseSizeOption('max-peak', values['max-peak']),
      }),
      ...(values['max-leaked'] !== undefined && {
        maxLeakedBytes: parseSizeOption('max-leaked', values['max-leaked']),
      }),
      ...(values['max-growth'] !== undefined && { maxGrowthPercent: parseGrowth(values['max-growth']) }),
      ...(values['max-held'] !== undefined && {
        maxHeldBytes: parseSizeOption('max-held', values['max-held']),
      }),
    };
    if (values.junit)
      await refuseOverwritingInput(values.junit, values.baseline ? [file, values.baseline] : [file]);
    const [info, baseline] = await Promise.all([
      openOne(ctx.engine, file),
      values.baseline ? openOne(ctx.engine, values.baseline) : Promise.resolve(undefined),
    ]);
    if (values.junit) await refuseOverwritingInput(values.junit, inputFiles(info, baseline));
    const result = await runCheck(ctx.engine, {
      capture: info,
      ...(baseline && { baseline }),
      limits,
      units: ctx.units,
    });
    if (values.junit) await writeUserFile(values.junit, result.junitXml);
    if (result.passed) {
      ctx.io.stdout(`${result.text}\n`);
      return 0;
    }
    ctx.io.stderr(`${result.text}\n`);
    return 1;
  },
};

/**
 * --max-held: the most the allocators held beyond live blocks over the capture's layout moments
 * (the RSS bands' held band), and the layout's own finding at that moment as the reason.
 */
async function mostHeld(
  engine: CliEngine,
  capture: CaptureInfo,
): Promise<{ bytes: number; moment: string; why?: string }> {
  if (!capture.capabilities.layout)
    throw new CliError(
      `${capture.facts.fileName}: --max-held needs a memory layout, which needs an all-allocations memray capture (${capture.facts.format}${capture.facts.fileFormat === 'aggregated' ? ', aggregated' : ''})`,
    );
  const bands = await engine.layoutBands({ captureId: capture.id });
  let best = 0;
  bands.heldBytes.forEach((h, i) => {
    if (h > bands.heldBytes[best]) best = i;
  });
  const kind = bands.kind[best];
  const layout = await engine.layout({
    captureId: capture.id,
    at: kind === 'at' ? { kind, timeMs: bands.timeMs[best] } : { kind },
    maxArenas: 0,
  });
  const why = layout.findings.find((f) => f.code.startsWith('layout-') && f.code !== 'layout-rss-split');
  return {
    bytes: bands.heldBytes[best] ?? 0,
    moment: layout.moment.label,
    ...(why && { why: why.text.replace(/ Remed(y|ies) \(suggestions?\):.*$/, '') }),
  };
}

export interface CheckOutcome {
  passed: boolean;
  /** One paragraph: what was checked, and for a failure the top offending sites. */
  text: string;
  junitXml: string;
}

async function offenders(
  engine: CliEngine,
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
  engine: CliEngine,
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
  const held = limits.maxHeldBytes !== undefined ? await mostHeld(engine, capture) : undefined;
  // A gate on a number the capture does not have would pass whatever happened.
  if (limits.maxLeakedBytes !== undefined && summary.leakedBytes === null)
    throw new CliError(
      `${label}: --max-leaked cannot be checked: ${capture.facts.format} captures have no leaked total (${absentReason(capture, 'leaks')})`,
    );
  const result = checkLimits(
    {
      label,
      peakBytes: summary.peakBytes,
      ...(summary.leakedBytes !== null && { leakedBytes: summary.leakedBytes }),
      ...(topPeakSites && { topPeakSites }),
      ...(topLeakSites && { topLeakSites }),
      ...(baseSummary &&
        baseline && { baseline: { label: baseline.facts.fileName, peakBytes: baseSummary.peakBytes } }),
      ...(diff && { growthRows: diff.rows }),
      ...(held && { held }),
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
