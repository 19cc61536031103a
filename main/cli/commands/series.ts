/**
 * `heapscope series FILE FILE…`: tracemalloc dumps, or memray captures of one program, as one
 * timeline; --from I --to J compares two of them (memray: at their peak, or --at leaks).
 */
import { seriesMembers, seriesMemberSnapshot } from '../../../shared/series-members';
import type { DiffSide } from '../../../shared/api';
import { toJsonText } from '../../export/json';
import { parsePositiveInt, topOption } from '../args';
import { expectFiles, type Command } from '../context';
import { CliError } from '../errors';
import { formatDiff } from '../text/diff';
import { printStats } from './stats';

export const series: Command = {
  options: ['json', 'top', 'units', 'from', 'to', 'at'],
  async run(ctx) {
    const files = expectFiles(ctx, 'series', 1, Infinity, 'tracemalloc DUMP files or memray captures');
    const info = await ctx.engine.open({ path: files[0], series: files });
    const { values } = ctx;
    const memray = info.captureSeries !== undefined;
    if (values.at !== undefined && !memray)
      throw new CliError(
        '--at applies to a series of memray captures; a tracemalloc dump holds one live set',
      );
    const at = values.at ?? 'peak';
    if (at !== 'peak' && at !== 'leaks') throw new CliError(`--at "${at}": expected peak or leaks`);
    if (values.from === undefined && values.to === undefined) {
      if (values.at !== undefined)
        throw new CliError('--at needs --from I --to J (the two captures to compare)');
      return printStats(ctx, info, {});
    }
    const unit = memray ? 'capture' : 'dump';
    if (values.from === undefined || values.to === undefined)
      throw new CliError(`series --from I --to J needs both ${unit} numbers`);
    const count = seriesMembers(info).length;
    const pick = (name: 'from' | 'to', text: string): number => {
      const n = parsePositiveInt(name, text);
      if (n > count) throw new CliError(`--${name} ${n}: the series has ${count} ${unit}s`);
      return n - 1;
    };
    const side = (i: number): DiffSide => ({
      captureId: info.id,
      snapshot: seriesMemberSnapshot(info, i, at),
    });
    const base = side(pick('from', values.from));
    const target = side(pick('to', values.to));
    const top = topOption(values);
    const diff = await ctx.engine.diffJson(base, target, {
      groupBy: 'lineno',
      ...(top !== undefined && { top }),
    });
    if (values.json) ctx.io.stdout(`${toJsonText(diff.json)}\n`);
    else
      ctx.io.stdout(
        `old = ${diff.baseLabel}; new = ${diff.targetLabel}\n${formatDiff(diff.json, top ?? 20, ctx.units)}`,
      );
    return 0;
  },
};
