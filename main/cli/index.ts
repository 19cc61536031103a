/** Entry of the `heapscope` command (bundled to out/node/cli.js). */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run';

/** Shipped in the repository (out/node/cli.js → ../../samples), like speedscope's example profile. */
const SAMPLE = fileURLToPath(new URL('../../samples/memray-threads.bin', import.meta.url));

/**
 * `heapscope` with no arguments serves the sample capture in browser mode, so a first run shows
 * something; with the sample missing (a copy without samples/) it keeps asking for a file.
 */
function withDefault(argv: string[]): string[] {
  if (argv.length > 0 || !existsSync(SAMPLE)) return argv;
  const shown = relative(process.cwd(), SAMPLE) || SAMPLE;
  process.stderr.write(
    `heapscope: no file named: serving the sample capture ${shown} (heapscope --help for usage)\n`,
  );
  return ['serve', SAMPLE];
}

// `heapscope stats … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(
  withDefault(process.argv.slice(2)),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progress: Boolean(process.stderr.isTTY),
  },
  // The worker is bundled beside this file.
  new URL('./worker.js', import.meta.url),
);
process.exitCode = code;
// Workers are terminated by then; this only guards against a stray handle keeping a script waiting.
setTimeout(() => process.exit(code), 1000).unref();
