// `npm start [-- FILE…]`: the desktop app where the Electron binary is installed and a display
// exists; otherwise one line saying why, then browser mode (`heapscope serve`) on loopback, which
// prints its URL. With no FILE both open the sample capture in samples/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE = join(root, 'samples', 'memray-threads.bin');

/**
 * Why the desktop app cannot start here, or undefined when it can. `require('electron')` returns
 * the binary's path, and throws when the package was installed without it (see
 * scripts/electron-package.mjs).
 */
function desktopUnavailable(env = process.env, platform = process.platform) {
  let binary;
  try {
    binary = createRequire(join(root, 'package.json'))('electron');
  } catch {
    binary = undefined;
  }
  if (typeof binary !== 'string' || !existsSync(binary))
    return 'the Electron binary is not installed (its download failed or was skipped)';
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'no display to show a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  return undefined;
}

/** Runs a child with this terminal, passes Ctrl-C / SIGTERM on, and exits with its code. */
function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// npm runs scripts in the package folder; INIT_CWD is where the user typed `npm start`.
const here = process.env.INIT_CWD ?? process.cwd();
const files = process.argv.slice(2).map((arg) => (arg.startsWith('-') ? arg : resolve(here, arg)));
const why = desktopUnavailable();
if (why === undefined) {
  // Built by `npm install`; --skipBuild keeps the start quick (`npm run dev` rebuilds on change).
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  run(process.execPath, [cli, 'preview', '--skipBuild', '--', ...(files.length ? files : [SAMPLE])]);
} else {
  process.stderr.write(`heapscope: ${why}: starting browser mode instead.\n`);
  // `heapscope` alone serves the sample capture.
  run(process.execPath, [join(root, 'bin', 'heapscope.js'), ...(files.length ? ['serve', ...files] : [])]);
}
