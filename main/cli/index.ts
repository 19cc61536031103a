/** Entry of the `heapscope` command (bundled to out/node/cli.js). */
import { runCli } from './run';

// `heapscope stats … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(
  process.argv.slice(2),
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
