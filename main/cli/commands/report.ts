/** `heapscope report FILE -o report.html`: the self-contained HTML report. */
import { parseRange, parseSizeOption, SYMBOL_OPTIONS } from '../args';
import { expectFiles, inputFiles, openOne, output, refuseOverwritingInput, type Command } from '../context';
import { CliError } from '../errors';

export const report: Command = {
  options: ['baseline', 'range', 'redact', 'output', 'units', 'limit', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'report', 1, 1, 'one FILE');
    if (!ctx.values.output) throw new CliError('report needs -o OUT.html');
    const named = ctx.values.baseline ? [file, ctx.values.baseline] : [file];
    await refuseOverwritingInput(ctx.values.output, named);
    const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
    const [info, baseline] = await Promise.all([
      openOne(ctx.engine, file),
      ctx.values.baseline ? openOne(ctx.engine, ctx.values.baseline) : Promise.resolve(undefined),
    ]);
    await refuseOverwritingInput(ctx.values.output, inputFiles(info, baseline));
    const result = await ctx.engine.export({
      format: 'html',
      captureId: info.id,
      ...(baseline && { baseline: { captureId: baseline.id, snapshot: { kind: 'peak' } } }),
      ...(range && { range }),
      ...(ctx.values.redact && { redact: true }),
      units: ctx.units,
      ...(ctx.values.limit !== undefined && { limitBytes: parseSizeOption('limit', ctx.values.limit) }),
    });
    await output(ctx, result.content ?? '', ctx.values.output, 'the report');
    return 0;
  },
};
