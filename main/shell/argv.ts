/**
 * Files named on the command line: `heapscope FILE` (packaged) or `electron . FILE` (dev).
 * Electron/Chromium switches and the app path itself are skipped.
 */
export function filesFromArgv(
  argv: readonly string[],
  options: { isPackaged: boolean; appPath?: string },
): string[] {
  // Packaged: [exe, ...args]. Unpackaged: [electron, appPath or ".", ...args].
  const args = argv.slice(options.isPackaged ? 1 : 2);
  const files: string[] = [];
  let afterDashes = false;
  for (const arg of args) {
    if (!afterDashes && arg === '--') {
      afterDashes = true;
      continue;
    }
    if (!afterDashes && arg.startsWith('-')) continue;
    if (options.appPath && arg === options.appPath) continue;
    files.push(arg);
  }
  return files;
}
