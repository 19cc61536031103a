/** Every verb of `heapscope`, one module each (memray's "one Command per CLI verb"). */
import type { Command } from '../context';
import { check } from './check';
import { diff } from './diff';
import { exportCommand } from './export';
import { growth } from './growth';
import { layout } from './layout';
import { report } from './report';
import { serve } from './serve';
import { series } from './series';
import { stats } from './stats';

export const COMMANDS = {
  stats,
  series,
  export: exportCommand,
  growth,
  layout,
  diff,
  report,
  check,
  serve,
} satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
