/**
 * `heapscope` command line: the same engine (one worker per capture) and numbers as the app.
 * Parses the command line (args.ts), picks the command (commands/), runs it and turns every
 * failure into one line on stderr: bad input is exit code 2, a broken `check` limit exit code 1.
 */
import { version } from '../../package.json';
import type { SymbolSearch } from '../../shared/api';
import { HeapscopeError, isApiError } from '../../shared/api-error';
import { Engine } from '../engine/engine';
import { parseCommandLine, parseUnitsOption, symbolSearchOf, type OptionName } from './args';
import { COMMANDS, isCommandName, type CommandName } from './commands/index';
import type { CliIo } from './context';
import { CliError, describeError, oneLine } from './errors';
import { HELP } from './help';
import { showProgress } from './progress';

export type { CliIo };

/** Runs one command line; returns the exit code. Never throws for bad input. */
export async function runCli(argv: string[], io: CliIo, workerUrl: URL): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`heapscope: ${(error as Error).message.split('\n')[0]}. Try \`heapscope --help\`.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (values.version) {
    io.stdout(`${version}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    io.stderr(`heapscope: no command or file given. Try \`heapscope --help\`.\n`);
    return 2;
  }
  let name: CommandName;
  let args = positionals.slice(1);
  if (isCommandName(positionals[0])) name = positionals[0];
  else {
    // `heapscope FILE` is `heapscope stats FILE`; a bare word that is no file is a typo.
    if (positionals.length > 1 && !/[./\\]/.test(positionals[0])) {
      io.stderr(`heapscope: unknown command "${positionals[0]}". Try \`heapscope --help\`.\n`);
      return 2;
    }
    name = 'stats';
    args = positionals;
  }
  const command = await COMMANDS[name]();

  let symbols: SymbolSearch | undefined;
  try {
    symbols = symbolSearchOf(values);
  } catch (error) {
    io.stderr(`heapscope: ${oneLine((error as Error).message)}\n`);
    return 2;
  }
  // A one-shot command waits for its answer: its first capture loads in this thread, saving a
  // worker's start-up (main/engine/in-thread.ts), and a second one (diff, --baseline) in a worker,
  // so both load at once. `serve` keeps its thread free for clients.
  const engine = new Engine({
    workerUrl,
    transport: name === 'serve' ? 'worker' : 'in-thread',
    ...(symbols && { symbols }),
  });
  let stopProgress = (): void => undefined;
  if (io.progress) stopProgress = showProgress(engine, io);
  try {
    const refused = (Object.keys(values) as OptionName[]).filter((k) => !command.options.includes(k));
    if (refused.length > 0)
      throw new CliError(`${name} does not take --${refused[0]}. Try \`heapscope --help\`.`);
    return await command.run({
      engine,
      host: engine,
      values,
      args,
      io,
      units: parseUnitsOption(values.units),
    });
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`heapscope: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof HeapscopeError || isApiError(error)) {
      io.stderr(`heapscope: ${oneLine(describeError(error))}\n`);
      return 2;
    }
    // Not an engine error nor ours: its own text (a TypeError's) would mean nothing here.
    io.stderr(
      `heapscope: internal error (please report): ${oneLine(error instanceof Error ? error.name : 'unknown')}\n`,
    );
    return 2;
  } finally {
    stopProgress();
    if (name !== 'serve') await engine.closeAll();
  }
}
