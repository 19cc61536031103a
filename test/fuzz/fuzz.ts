/**
 * The mutation fuzzer's driver: hands mutants to worker processes, classifies each run as
 * ok / refused / crash / hang / blowup, and saves the smallest reproducer it can find for each
 * problem (shrinking by halving). Used by `npm run fuzz` (cli.ts) and, in a bounded slice, by
 * test/node/fuzz.test.ts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Job, JobResult } from './child';
import { FAMILIES, loadSeeds } from './families';
import { makeMutant } from './mutate';
import type { Mode, Outcome } from './target';

export type Verdict =
  'ok' | 'refused' | 'refused-no-offset' | 'refused-unsafe-text' | 'crash' | 'hang' | 'blowup';

/** Verdicts that are bugs. */
export const PROBLEMS: readonly Verdict[] = [
  'refused-no-offset',
  'refused-unsafe-text',
  'crash',
  'hang',
  'blowup',
];

export interface FuzzOptions {
  /** Absolute path of test/fixtures. */
  fixtures: string;
  families: string[];
  perFamily: number;
  workers: number;
  /** Per-mutant limit (both paths together). */
  timeoutMs: number;
  /** A worker whose resident memory passes this is a blowup (bytes). */
  rssLimit: number;
  salt: number;
  modes: Mode[];
  /** Where reproducers are saved (none when undefined). */
  saveDir?: string;
  /** Cut memray seeds to this many stream bytes (the bounded run in `npm test`). */
  seedLimit?: number;
  /** Shrink problems before saving (costs extra runs). */
  shrink: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface Problem {
  family: string;
  seed: string;
  index: number;
  verdict: Verdict;
  mode?: Mode;
  message: string;
  description: string;
  size: number;
  shrunkSize?: number;
  savedAs?: string;
}

export interface FamilyReport {
  family: string;
  mutants: number;
  verdicts: Record<Verdict, number>;
  /** Mutants the full model opened though truncated (a cut it reads up to). */
  openedTruncated: number;
  peakRss: number;
}

export interface FuzzReport {
  families: FamilyReport[];
  problems: Problem[];
  elapsedMs: number;
}

/** Bundles the worker (TypeScript sources) into one ES module beside the build output. */
export async function bundleChild(repo: string): Promise<string> {
  const outfile = join(repo, 'out', 'fuzz', 'child.mjs');
  await build({
    entryPoints: [join(repo, 'test', 'fuzz', 'child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __hsCreateRequire } from 'node:module'; const require = __hsCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

function verdictOf(outcome: Outcome): Verdict {
  if (outcome.kind === 'refused') return outcome.unsafeText ? 'refused-unsafe-text' : 'refused';
  return outcome.kind;
}

function messageOf(outcome: Outcome): string {
  return outcome.kind === 'ok'
    ? ''
    : outcome.kind === 'crash'
      ? outcome.stack || outcome.message
      : outcome.message;
}

/** The worst verdict of a job (a bug anywhere beats a clean refusal). */
function worst(result: JobResult): { verdict: Verdict; mode?: Mode; message: string } {
  let best: { verdict: Verdict; mode?: Mode; message: string } = { verdict: 'ok', message: '' };
  const rank = (v: Verdict) => (PROBLEMS.includes(v) ? 2 : v === 'ok' ? 0 : 1);
  for (const { mode, outcome } of result.outcomes) {
    const v = verdictOf(outcome);
    if (rank(v) > rank(best.verdict)) best = { verdict: v, mode, message: messageOf(outcome) };
  }
  return best;
}

interface Slot {
  child: ChildProcess;
  busy?: { job: Job; resolve: (r: RunResult) => void; timer: NodeJS.Timeout };
  poll: NodeJS.Timeout;
}

type RunResult =
  { result: JobResult } | { verdict: 'hang' | 'blowup' | 'crash'; message: string; rss: number };

/** Resident memory of a process from /proc (0 where /proc is missing). */
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return pages * 4096;
  } catch {
    return 0;
  }
}

/** A pool of worker processes; a worker that hangs, crashes or bloats is replaced. */
class Pool {
  private readonly slots: Slot[] = [];
  private peak = 0;

  constructor(
    private readonly childPath: string,
    private readonly options: FuzzOptions,
  ) {}

  get peakRss(): number {
    return this.peak;
  }

  takePeak(): number {
    const p = this.peak;
    this.peak = 0;
    return p;
  }

  private spawn(): Slot {
    const child = fork(this.childPath, [], {
      env: {
        ...process.env,
        HEAPSCOPE_FUZZ_FIXTURES: this.options.fixtures,
        ...(this.options.seedLimit !== undefined && {
          HEAPSCOPE_FUZZ_SEED_LIMIT: String(this.options.seedLimit),
        }),
      },
      // a V8 heap limit a little over the blowup line: a runaway worker dies instead of the box
      execArgv: [`--max-old-space-size=${Math.ceil((this.options.rssLimit * 1.5) / 2 ** 20)}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const slot: Slot = {
      child,
      poll: setInterval(() => {
        const rss = rssOf(child.pid);
        if (rss > this.peak) this.peak = rss;
        if (rss > this.options.rssLimit && slot.busy)
          this.fail(slot, 'blowup', `resident memory ${rss} bytes`, rss);
      }, 25),
    };
    child.on('message', (result: JobResult) => {
      const busy = slot.busy;
      if (!busy || busy.job.id !== result.id) return;
      clearTimeout(busy.timer);
      slot.busy = undefined;
      if (result.rss > this.peak) this.peak = result.rss;
      if (result.rss > this.options.rssLimit) {
        this.replace(slot);
        busy.resolve({
          verdict: 'blowup',
          message: `resident memory ${result.rss} bytes after the run`,
          rss: result.rss,
        });
        return;
      }
      busy.resolve({ result });
    });
    child.on('exit', (code, signal) => {
      clearInterval(slot.poll);
      const at = this.slots.indexOf(slot);
      if (at >= 0) this.slots.splice(at, 1);
      if (slot.busy) {
        const oom = /heap out of memory|Allocation failed|Invalid array length/.test(stderr);
        this.finish(
          slot,
          oom ? 'blowup' : 'crash',
          `worker exited (${signal ?? code}): ${stderr.slice(-800)}`,
          0,
        );
      }
    });
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot, verdict: 'hang' | 'blowup' | 'crash', message: string, rss: number): void {
    const busy = slot.busy;
    if (!busy) return;
    clearTimeout(busy.timer);
    slot.busy = undefined;
    busy.resolve({ verdict, message, rss });
  }

  private fail(slot: Slot, verdict: 'hang' | 'blowup', message: string, rss: number): void {
    this.finish(slot, verdict, message, rss);
    this.replace(slot);
  }

  private replace(slot: Slot): void {
    clearInterval(slot.poll);
    slot.child.removeAllListeners('exit');
    slot.child.kill('SIGKILL');
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }

  private idle(): Slot | undefined {
    const free = this.slots.find((s) => !s.busy && s.child.connected);
    if (free) return free;
    if (this.slots.length < this.options.workers) return this.spawn();
    return undefined;
  }

  private waiting: (() => void)[] = [];

  async run(job: Job): Promise<RunResult> {
    let slot = this.idle();
    while (!slot) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      slot = this.idle();
    }
    const s = slot;
    const result = await new Promise<RunResult>((resolve) => {
      const timer = setTimeout(
        () => this.fail(s, 'hang', `no answer within ${this.options.timeoutMs} ms`, 0),
        this.options.timeoutMs,
      );
      s.busy = { job, resolve, timer };
      s.child.send({ ...job, ...(job.bytes && { bytes: Array.from(job.bytes) }) });
    });
    this.waiting.shift()?.();
    return result;
  }

  close(): void {
    for (const slot of [...this.slots]) {
      clearInterval(slot.poll);
      slot.child.removeAllListeners('exit');
      slot.child.disconnect();
      slot.child.kill();
    }
    this.slots.length = 0;
  }
}

function classify(run: RunResult): { verdict: Verdict; mode?: Mode; message: string; truncated: boolean } {
  if ('verdict' in run) return { verdict: run.verdict, message: run.message, truncated: false };
  const w = worst(run.result);
  const full = run.result.outcomes.find((o) => o.mode === 'full')?.outcome;
  return { ...w, truncated: full?.kind === 'ok' && full.truncated };
}

/** Shrinks by halving: drop halves, then quarters…, of the bytes while the verdict stays. */
async function shrink(pool: Pool, job: Job, bytes: Uint8Array, verdict: Verdict): Promise<Uint8Array> {
  let best = bytes;
  let id = job.id * 1000;
  for (let chunk = best.length >> 1; chunk >= 1; chunk >>= 1) {
    let at = 0;
    while (at < best.length) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      if (candidate.length === 0) break;
      const run = await pool.run({ ...job, id: ++id, bytes: candidate });
      if (classify(run).verdict === verdict) best = candidate;
      else at += chunk;
      if (id - job.id * 1000 > 400) return best;
    }
  }
  return best;
}

export async function runFuzz(childPath: string, options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const pool = new Pool(childPath, options);
  const reports: FamilyReport[] = [];
  const problems: Problem[] = [];
  const total = options.families.length * options.perFamily;
  let done = 0;
  let nextId = 1;
  try {
    for (const family of options.families) {
      const seeds = loadSeeds(options.fixtures, family, options.seedLimit);
      const report: FamilyReport = {
        family,
        mutants: 0,
        verdicts: Object.fromEntries(
          (['ok', 'refused', ...PROBLEMS] as Verdict[]).map((v) => [v, 0]),
        ) as Record<Verdict, number>,
        openedTruncated: 0,
        peakRss: 0,
      };
      pool.takePeak();
      const jobs: Job[] = [];
      for (let i = 0; i < options.perFamily; i++) {
        jobs.push({
          id: nextId++,
          family,
          seed: i % seeds.length,
          index: i,
          salt: options.salt,
          modes: options.modes,
        });
      }
      await Promise.all(
        jobs.map(async (job) => {
          const run = await pool.run(job);
          const c = classify(run);
          report.mutants++;
          report.verdicts[c.verdict]++;
          if (c.truncated) report.openedTruncated++;
          done++;
          options.onProgress?.(done, total);
          if (!PROBLEMS.includes(c.verdict)) return;
          const seed = seeds[job.seed];
          const mutant = makeMutant(seed.bytes, seed.wrapper, job.index, job.salt);
          const problem: Problem = {
            family,
            seed: seed.name,
            index: job.index,
            verdict: c.verdict,
            ...(c.mode && { mode: c.mode }),
            message: c.message.slice(0, 2000),
            description: 'result' in run ? run.result.description : mutant.description,
            size: mutant.bytes.length,
          };
          let bytes = mutant.bytes;
          if (options.shrink) {
            bytes = await shrink(pool, job, bytes, c.verdict);
            problem.shrunkSize = bytes.length;
          }
          if (options.saveDir) {
            mkdirSync(options.saveDir, { recursive: true });
            const name = `${family}-${c.verdict}-s${options.salt}-i${job.index}.bin`;
            writeFileSync(join(options.saveDir, name), bytes);
            problem.savedAs = name;
          }
          problems.push(problem);
        }),
      );
      report.peakRss = pool.takePeak();
      reports.push(report);
    }
  } finally {
    pool.close();
  }
  return { families: reports, problems, elapsedMs: performance.now() - started };
}

export const ALL_FAMILIES = Object.keys(FAMILIES);
