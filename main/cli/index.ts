/** Entry of the `heapscope` command (bundled to out/node/cli.js). */
import { runCli } from './run';

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
