/**
 * `heapscope diff OLD NEW` (two captures at their peak or leaks) and `diff FILE --from --to`
 * (two moments of one memray capture): tracemalloc's compare_to(), answered by the engine.
 */
import type { DiffSide } from '../../../shared/api';
import { toJsonText } from '../../export/json';
import { parseGroupBy, parseMs, SYMBOL_OPTIONS, topOption } from '../args';
import { expectFiles, openOne, type Command, type Context } from '../context';
import { CliError } from '../errors';
import { formatDiff } from '../text/diff';

export const diff: Command = {
  options: ['json', 'group-by', 'cumulative', 'top', 'at', 'from', 'to', 'units', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const { values } = ctx;
    const twoMoments = values.from !== undefined || values.to !== undefined;
    const [base, target] = twoMoments ? await twoMomentsOf(ctx) : await twoCaptures(ctx);
    const top = topOption(values);
    const result = await ctx.engine.diffJson(base, target, {
      groupBy: parseGroupBy(values['group-by']) ?? 'lineno',
      ...(values.cumulative && { cumulative: true }),
      ...(top !== undefined && { top }),
    });
    if (result.matchingNote && !values.json) ctx.io.stderr(`heapscope: note: ${result.matchingNote}\n`);
    if (values.json) ctx.io.stdout(`${toJsonText(result.json)}\n`);
    else {
      // Two moments: say which, as chosen (ms, like --from/--to) and which memory record answered.
      const moments = twoMoments ? `moments: old = ${result.baseLabel}; new = ${result.targetLabel}\n` : '';
      ctx.io.stdout(moments + formatDiff(result.json, top ?? 20, ctx.units));
    }
    return 0;
  },
};

async function twoMomentsOf(ctx: Context): Promise<[DiffSide, DiffSide]> {
  const { values } = ctx;
  const [file] = expectFiles(ctx, 'diff --from/--to', 1, 1, 'one memray FILE');
  if (values.from === undefined || values.to === undefined)
    throw new CliError('diff of two moments needs both --from T1 and --to T2');
  if (values.at !== undefined) throw new CliError('--at cannot be combined with --from/--to');
  const fromMs = parseMs('from', values.from);
  const toMs = parseMs('to', values.to);
  const info = await openOne(ctx.engine, file);
  if (!info.capabilities.ranges)
    throw new CliError(
      `${info.facts.fileName}: ${info.facts.format} captures have no time axis, so --from/--to cannot be used`,
    );
  return [
    { captureId: info.id, snapshot: { kind: 'at', timeMs: fromMs } },
    { captureId: info.id, snapshot: { kind: 'at', timeMs: toMs } },
  ];
}

async function twoCaptures(ctx: Context): Promise<[DiffSide, DiffSide]> {
  const [oldFile, newFile] = expectFiles(
    ctx,
    'diff',
    2,
    2,
    'OLD and NEW files (or one memray FILE with --from/--to)',
  );
  const at = ctx.values.at ?? 'peak';
  if (at !== 'peak' && at !== 'leaks') throw new CliError(`--at "${at}": expected peak or leaks`);
  const [oldInfo, newInfo] = await Promise.all([openOne(ctx.engine, oldFile), openOne(ctx.engine, newFile)]);
  return [
    { captureId: oldInfo.id, snapshot: { kind: at } },
    { captureId: newInfo.id, snapshot: { kind: at } },
  ];
}
