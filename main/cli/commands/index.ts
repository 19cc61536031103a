/**
 * Every verb of `heapscope`, one module each (memray's "one Command per CLI verb"), imported when
 * it runs, so only its own module initialises. The CLI bundle (scripts/build-node.mjs) is one
 * file all the same: split into chunks (esbuild `splitting`), the compile time of `stats` on the
 * large tracemalloc dump fell 22 → 15 ms, but loading the chunks spent it again: CPU no lower
 * in 11 alternating runs (stop 25), so it stays one file.
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
