/** `heapscope growth FILE`: leak suspects, sites ranked by how steadily their live bytes grow. */
import { toJsonText } from '../../export/json';
import { SYMBOL_OPTIONS, topOption } from '../args';
import { expectFiles, openOne, type Command } from '../context';
import { CliError } from '../errors';
import { formatGrowth } from '../text/growth';

export const growth: Command = {
  options: ['json', 'top', 'units', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const [file] = expectFiles(ctx, 'growth', 1, 1, 'one FILE');
    const top = topOption(ctx.values) ?? 20;
    const info = await openOne(ctx.engine, file);
    if (!info.capabilities.growth)
      throw new CliError(
        `${info.facts.fileName}: growth needs an all-allocations memray capture with memory records (${info.facts.format}${info.facts.fileFormat === 'aggregated' ? ', aggregated' : ''})`,
      );
    const result = await ctx.engine.growth({ captureId: info.id, limit: top });
    ctx.io.stdout(ctx.values.json ? `${toJsonText(result)}\n` : formatGrowth(result, top, ctx.units));
    return 0;
  },
};
