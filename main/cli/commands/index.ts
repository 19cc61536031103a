/**
 * Every verb of `heapscope`, one module each (memray's "one Command per CLI verb"), loaded when
 * it runs: `stats` of a tracemalloc dump need not load the report page, the exports or the
 * memray layout (in the bundle these are chunks of their own; see scripts/build-node.mjs).
 */
import type { Command } from '../context';

export const COMMANDS = {
  stats: async () => (await import('./stats')).stats,
  series: async () => (await import('./series')).series,
  export: async () => (await import('./export')).exportCommand,
  growth: async () => (await import('./growth')).growth,
  layout: async () => (await import('./layout')).layout,
  diff: async () => (await import('./diff')).diff,
  report: async () => (await import('./report')).report,
  check: async () => (await import('./check')).check,
  serve: async () => (await import('./serve')).serve,
} satisfies Record<string, () => Promise<Command>>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
