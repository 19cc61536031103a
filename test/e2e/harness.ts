/**
 * End-to-end harness: runs the real `heapscope serve` (bin/heapscope.js, built bundle) on a free
 * loopback port and drives Debian's Chromium through playwright-core with a throwaway profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = resolve(ROOT, 'test-results');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface Harness {
  page: Page;
  context: BrowserContext;
  /** The URL `heapscope serve` printed, with its per-launch token: what a person opens. */
  baseUrl: string;
  /** `http://127.0.0.1:PORT`, without the token. */
  origin: string;
  /** The token, for tests that call the API themselves (header `X-Heapscope-Token`). */
  token: string;
  /** Uncaught errors from the page, for tests to assert none happened. */
  pageErrors: string[];
  /** Everything the server wrote to stderr (open failures are logged there). */
  serverLog: () => string;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  files?: string[];
  viewport?: { width: number; height: number };
  /** Extra `heapscope serve` arguments. */
  serveArgs?: string[];
  /** The whole command line after bin/heapscope.js instead of `serve FILES --port 0 …` (e.g. none). */
  argv?: string[];
  /** Variables added to the server's environment (e.g. HOME). */
  env?: Record<string, string>;
}

function startServe(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const cli = join(ROOT, 'bin', 'heapscope.js');
  if (
    !existsSync(join(ROOT, 'out', 'node', 'cli.js')) ||
    !existsSync(join(ROOT, 'out', 'renderer', 'index.html'))
  ) {
    throw new Error('build first: npm run build (the harness runs out/node/cli.js and serves out/renderer)');
  }
  // Port 0: the kernel picks a free port and `serve` prints the URL it got.
  const child = spawn(process.execPath, [cli, ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolveStart, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`heapscope serve did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Up to the line's end: a chunk may stop in the middle of the token.
      const match = /serving on (http:\/\/\S+)\r?\n/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, url: match[1], log: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`heapscope serve exited with ${code}: ${stderr}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  mkdirSync(SHOTS, { recursive: true });
  const argv = options.argv ?? [
    'serve',
    ...(options.files ?? []),
    '--port',
    '0',
    ...(options.serveArgs ?? []),
  ];
  const server = await startServe(argv, options.env);
  const profile = await mkdtemp(join(tmpdir(), 'heapscope-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
    });
  } catch (error) {
    await stop(server.child);
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const url = new URL(server.url);
  return {
    page,
    context,
    baseUrl: server.url,
    origin: url.origin,
    token: url.searchParams.get('token') ?? '',
    pageErrors,
    serverLog: server.log,
    async screenshot(name: string) {
      const path = join(SHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      await stop(server.child);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until every named capture's tab says ready (the server log joins a time-out's message). */
export async function waitForCaptures(harness: Harness, names: string[]): Promise<void> {
  for (const name of names)
    await harness.page
      .locator('[data-testid=capture-tab][data-status=ready]')
      .filter({ hasText: name })
      .waitFor({ timeout: 120_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message}\nserver log:\n${harness.serverLog()}`);
      });
}
