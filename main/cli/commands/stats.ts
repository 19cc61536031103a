/**
 * `heapscope stats FILE`: a readable summary with findings, or with --json the numbers in the
 * profiler's own shape (shared/stats.ts). Also what `heapscope FILE` alone runs.
 */
import type { CaptureInfo } from '../../../shared/api';
import { toJsonText } from '../../export/json';
import { parseGroupBy, parseLastMs, parseRange, parseSizeOption, SYMBOL_OPTIONS, topOption } from '../args';
import { expectFiles, openOne, type Command, type Context } from '../context';
import { CliError } from '../errors';
import { formatCaptureSeries } from '../text/capture-series';
import { formatLastSeconds } from '../text/last-seconds';
import { formatSeries } from '../text/series';
import { formatSummary } from '../text/summary';

export const stats: Command = {
  options: ['json', 'range', 'group-by', 'cumulative', 'top', 'units', 'limit', 'last', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'stats', 1, 1, 'one FILE');
    const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
    const limitBytes =
      ctx.values.limit !== undefined ? parseSizeOption('limit', ctx.values.limit) : undefined;
    const lastMs = ctx.values.last !== undefined ? parseLastMs(ctx.values.last) : undefined;
    if (ctx.values.json && (limitBytes !== undefined || lastMs !== undefined))
      throw new CliError('--limit and --last print text; they cannot be combined with --json');
    // The whole capture's JSON numbers need no time index or per-stack journals: a lighter replay.
    const info = await openOne(ctx.engine, file, ctx.values.json && !range ? 'totals' : undefined);
    return printStats(ctx, info, { range, limitBytes, lastMs });
  },
};

/** The summary (or JSON) of an open capture, then its series or last-seconds section. */
export async function printStats(
  ctx: Context,
  info: CaptureInfo,
  options: { range?: { fromMs: number; toMs: number }; limitBytes?: number; lastMs?: number },
): Promise<number> {
  const { range, limitBytes, lastMs } = options;
  const groupBy = parseGroupBy(ctx.values['group-by']);
  const top = topOption(ctx.values);
  if (ctx.values.json) {
    const json = await ctx.engine.statsJson(info.id, {
      ...(range && { range }),
      ...(groupBy && { groupBy }),
      ...(ctx.values.cumulative && { cumulative: true }),
      ...(top !== undefined && { top }),
    });
    ctx.io.stdout(`${toJsonText(json)}\n`);
    return 0;
  }
  const summary = await ctx.engine.summary({
    captureId: info.id,
    ...(range && { range }),
    units: ctx.units,
    ...(limitBytes !== undefined && { limitBytes }),
  });
  ctx.io.stdout(formatSummary(summary, top ?? 10, range, ctx.units));
  if (info.series) {
    const timeline = await ctx.engine.timeline({ captureId: info.id });
    ctx.io.stdout(`\n${formatSeries(info.series, timeline, top ?? 10, ctx.units)}`);
  } else if (info.captureSeries) {
    const growth = info.capabilities.growth
      ? await ctx.engine.growth({ captureId: info.id, limit: top ?? 10 })
      : undefined;
    ctx.io.stdout(`\n${formatCaptureSeries(info.captureSeries, growth, top ?? 10, ctx.units)}`);
  } else if (
    !range &&
    info.capabilities.ranges &&
    (info.truncated || limitBytes !== undefined || lastMs !== undefined)
  ) {
    // A capture cut short (a kill) or checked against a limit: what grew at its end.
    const last = await ctx.engine.lastSeconds({
      captureId: info.id,
      units: ctx.units,
      ...(limitBytes !== undefined && { limitBytes }),
      ...(lastMs !== undefined && { windowMs: lastMs }),
    });
    ctx.io.stdout(`\n${formatLastSeconds(last, top ?? 10, ctx.units)}`);
  } else if (limitBytes !== undefined || lastMs !== undefined) {
    ctx.io.stderr(
      `heapscope: note: ${info.facts.fileName} has no per-allocation times, so there is no last-seconds section${limitBytes !== undefined ? ' (the limit findings use its peak)' : ''}\n`,
    );
  }
  return 0;
}
