/**
 * What every command gets (the engine, the parsed command line, the terminal) and the steps
 * several share: naming their files, opening a capture, writing an output without ever
 * overwriting an input.
 */
import { stat, writeFile } from 'node:fs/promises';
import type { CaptureInfo, HeapscopeApi } from '../../shared/api';
import { formatBytes, type UnitSystem } from '../../shared/units';
import type { CliQueries, Engine } from '../engine/engine';
import type { OptionName, Values } from './args';
import { CliError } from './errors';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Shows a progress line while big files load (interactive terminals only). */
  progress: boolean;
}

/** What a command may ask: the app's API plus the CLI-only queries, never the Engine class itself. */
export type CliEngine = HeapscopeApi & CliQueries;

export interface Context {
  engine: CliEngine;
  /** The Engine itself, for the one command that hosts it for other clients (`serve`). */
  host: Engine;
  values: Values;
  /** The positionals after the command's name: its files. */
  args: string[];
  io: CliIo;
  /** How text output writes sizes (--units). */
  units: UnitSystem;
}

/** One verb of `heapscope` (commands/<verb>.ts). */
export interface Command {
  /** The flags it takes; any other is refused before anything is opened. */
  options: readonly OptionName[];
  /** Exit code: 0 ok, 1 a `check` limit exceeded; bad input throws a CliError (or an engine error). */
  run(ctx: Context): Promise<number>;
}

/** The command's files, between `min` and `max` of them. */
export function expectFiles(ctx: Context, command: string, min: number, max: number, what: string): string[] {
  if (ctx.args.length < min || ctx.args.length > max) {
    throw new CliError(
      `${command} needs ${what} (got ${ctx.args.length === 0 ? 'none' : ctx.args.join(' ')}). Try \`heapscope --help\`.`,
    );
  }
  return ctx.args;
}

export function openOne(engine: CliEngine, path: string, detail?: 'totals'): Promise<CaptureInfo> {
  return engine.open({ path, ...(detail && { detail }) });
}

/**
 * Refuses an output path that is one of the inputs: `export capture.bin -o capture.bin` would
 * replace the capture with its own export. Compared by device and inode, so a symlink, a
 * hardlink or another spelling of the same path is caught too; a path that does not exist yet
 * is no input.
 */
export async function refuseOverwritingInput(outputPath: string, inputs: string[]): Promise<void> {
  const out = await stat(outputPath).catch(() => undefined);
  if (!out || !out.isFile()) return;
  for (const input of inputs) {
    const s = await stat(input).catch(() => undefined);
    if (s && s.dev === out.dev && s.ino === out.ino)
      throw new CliError(
        `refusing to write ${outputPath}: it is the input ${input}${input === outputPath ? '' : ' (the same file)'}; inputs are never overwritten`,
      );
  }
}

/** The files a capture was read from: itself and any fork children opened with it. */
export function inputFiles(...infos: (CaptureInfo | undefined)[]): string[] {
  return infos.flatMap((i) => (i ? [i.facts.path ?? i.id, ...(i.forkChildren ?? [])] : []));
}

/** Writes a file the user named; a failure is one line naming it. */
export async function writeUserFile(path: string, content: string): Promise<void> {
  await writeFile(path, content).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${path}: ${error.code ?? error.message}`);
  });
}

/** To `outputPath` (saying so on stderr), else to stdout. */
export async function output(
  ctx: Context,
  content: string,
  outputPath: string | undefined,
  what: string,
): Promise<void> {
  if (outputPath) {
    await writeUserFile(outputPath, content);
    ctx.io.stderr(
      `heapscope: wrote ${what} to ${outputPath} (${formatBytes(Buffer.byteLength(content), ctx.units)})\n`,
    );
  } else {
    ctx.io.stdout(content.endsWith('\n') ? content : `${content}\n`);
  }
}
