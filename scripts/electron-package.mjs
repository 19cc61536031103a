// Runs after `npm install` (the root package's postinstall). Electron is an optional dependency:
// its own install step downloads the Electron binary from outside the npm registry, and where that
// download fails npm drops the whole package instead of failing the install. The app still needs
// the package's JavaScript half to build (electron-vite reads its version) and to typecheck (its
// electron.d.ts), so this puts the package back from npm's cache without the binary: the same state
// as `ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install`. `npm start` then opens browser mode.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'node_modules', 'electron');

/** Whether `electron/package.json` resolves from the project (the package is installed). */
function electronInstalled() {
  try {
    createRequire(join(root, 'package.json')).resolve('electron/package.json');
    return true;
  } catch {
    return false;
  }
}

/** The version the lockfile pins (so the restored package is the one npm would have kept). */
function lockedVersion() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.['node_modules/electron']?.version;
  if (!version) throw new Error('package-lock.json names no electron version');
  return version;
}

/** `npm …` through the npm that runs this script (npm_execpath), else the one on PATH. */
function npm(args, cwd) {
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith('.js')
    ? execFileSync(process.execPath, [npmCli, ...args], { cwd, encoding: 'utf8' })
    : execFileSync('npm', args, { cwd, encoding: 'utf8', shell: process.platform === 'win32' });
}

function restore() {
  const version = lockedVersion();
  const scratch = mkdtempSync(join(tmpdir(), 'heapscope-electron-'));
  try {
    // npm install fetched this tarball moments ago, so --prefer-offline reads it from the cache.
    npm(['pack', `electron@${version}`, '--prefer-offline', '--silent', '--pack-destination', scratch], root);
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack electron@${version} wrote no tarball`);
    mkdirSync(target, { recursive: true });
    // Every supported system has a tar that reads gzip (GNU tar, bsdtar, Windows 10+'s tar.exe).
    execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', target, '--strip-components=1']);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return version;
}

if (!electronInstalled()) {
  try {
    const version = restore();
    process.stderr.write(
      `heapscope: the Electron binary could not be downloaded; installed electron@${version} without it ` +
        '(the app builds and typechecks; `npm start` opens browser mode). ' +
        'To add the desktop app later: node node_modules/electron/install.js\n',
    );
  } catch (error) {
    rmSync(target, { recursive: true, force: true });
    process.stderr.write(
      `heapscope: could not restore the electron package: ${error.message.split('\n')[0]}\n`,
    );
    process.exitCode = 1;
  }
}
