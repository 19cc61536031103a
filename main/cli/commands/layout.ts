/** `heapscope layout FILE [--at peak|end|MS] [--json]`: where the RSS went (issue 14). */
import type { LayoutMoment } from '../../../shared/api';
import { toJsonText } from '../../export/json';
import { parseMs, SYMBOL_OPTIONS } from '../args';
import { expectFiles, openOne, type Command } from '../context';
import { CliError } from '../errors';
import { formatLayout } from '../text/layout';

/** --at peak | end | MS (ms from the start; the nearest checkpoint at or before it answers). */
export function parseLayoutMoment(text: string | undefined): LayoutMoment {
  if (text === undefined || text === 'peak') return { kind: 'peak' };
  if (text === 'end') return { kind: 'end' };
  return { kind: 'at', timeMs: parseMs('at', text) };
}

export const layout: Command = {
  options: ['at', 'json', 'units', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'layout', 1, 1, 'one FILE');
    const at = parseLayoutMoment(ctx.values.at);
    const info = await openOne(ctx.engine, file);
    if (!info.capabilities.layout)
      throw new CliError(
        `${info.facts.fileName}: a memory layout needs an all-allocations memray capture (${info.facts.format}${info.facts.fileFormat === 'aggregated' ? ', aggregated: record without --aggregate' : ''})`,
      );
    const result = await ctx.engine.layout({ captureId: info.id, at, units: ctx.units });
    ctx.io.stdout(
      ctx.values.json ? `${toJsonText(result)}\n` : formatLayout(result, info.facts.fileName, ctx.units),
    );
    return 0;
  },
};
