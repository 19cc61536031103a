/** `heapscope export FILE --format …`: memray CSV, CSV, JSON, speedscope or the HTML report. */
import type { SnapshotSpec } from '../../../shared/api';
import { parseRange, parseTemporary, SYMBOL_OPTIONS } from '../args';
import { expectFiles, inputFiles, openOne, output, refuseOverwritingInput, type Command } from '../context';
import { CliError } from '../errors';

const EXPORT_FORMATS = ['memray-csv', 'csv', 'json', 'speedscope', 'html'] as const;
type CliExportFormat = (typeof EXPORT_FORMATS)[number];

export const exportCommand: Command = {
  options: ['format', 'leaks', 'temporary', 'output', 'range', 'redact', 'units', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'export', 1, 1, 'one FILE');
    const format = ctx.values.format;
    if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new CliError(
        `export needs --format ${EXPORT_FORMATS.join('|')}${format ? ` (got "${format}")` : ''}`,
      );
    }
    if (ctx.values.output) await refuseOverwritingInput(ctx.values.output, [file]);
    const info = await openOne(ctx.engine, file);
    if (ctx.values.output) await refuseOverwritingInput(ctx.values.output, inputFiles(info));
    const range = ctx.values.range !== undefined ? parseRange(ctx.values.range) : undefined;
    if (ctx.values.leaks && ctx.values.temporary !== undefined)
      throw new CliError('--leaks and --temporary ask for different snapshots; give one');
    const temporary = ctx.values.temporary !== undefined ? parseTemporary(ctx.values.temporary) : undefined;
    const snapshot: SnapshotSpec | undefined = ctx.values.leaks
      ? { kind: 'leaks' }
      : temporary !== undefined
        ? { kind: 'temporary', threshold: temporary, ...range }
        : range
          ? { kind: 'range', ...range, measure: 'peak' }
          : undefined;
    const result = await ctx.engine.export({
      format: format as CliExportFormat,
      captureId: info.id,
      ...(snapshot && { snapshot }),
      ...(range && { range }),
      ...(ctx.values.redact && { redact: true }),
      units: ctx.units,
    });
    await output(ctx, result.content ?? '', ctx.values.output, format);
    return 0;
  },
};
