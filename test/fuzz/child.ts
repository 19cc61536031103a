/**
 * A fuzz worker process: makes the mutants it is asked for (or takes given bytes), writes each
 * to a private file, runs both paths on it and reports the outcome and its memory. The parent
 * kills it on a hang or a blowup, so one bad mutant cannot take the run down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeeds, type Seed } from './families';
import { makeMutant } from './mutate';
import { runTarget, type Mode, type Outcome } from './target';

export interface Job {
  id: number;
  family: string;
  /** Index into the family's seeds. */
  seed: number;
  /** Mutant index (with the run's salt, the mutant's identity). */
  index: number;
  salt: number;
  /** Bytes to run instead of a generated mutant (shrinking). */
  bytes?: Uint8Array;
  modes: Mode[];
}

export interface JobResult {
  id: number;
  description: string;
  size: number;
  outcomes: { mode: Mode; outcome: Outcome }[];
  /** Resident set size after the job (bytes). */
  rss: number;
}

const fixtures = process.env.HEAPSCOPE_FUZZ_FIXTURES ?? '';
const seedLimit = process.env.HEAPSCOPE_FUZZ_SEED_LIMIT
  ? Number(process.env.HEAPSCOPE_FUZZ_SEED_LIMIT)
  : undefined;
const dir = mkdtempSync(join(tmpdir(), 'heapscope-fuzz-'));
const seeds = new Map<string, Seed[]>();

function seedsOf(family: string): Seed[] {
  let list = seeds.get(family);
  if (!list) seeds.set(family, (list = loadSeeds(fixtures, family, seedLimit)));
  return list;
}

async function run(job: Job): Promise<JobResult> {
  const seed = seedsOf(job.family)[job.seed];
  const mutant = job.bytes
    ? { bytes: job.bytes, description: 'given bytes' }
    : makeMutant(seed.bytes, seed.wrapper, job.index, job.salt);
  const path = join(dir, `mutant-${job.id}.bin`);
  writeFileSync(path, mutant.bytes);
  const outcomes: JobResult['outcomes'] = [];
  try {
    for (const mode of job.modes) outcomes.push({ mode, outcome: await runTarget(path, mode) });
  } finally {
    rmSync(path, { force: true });
  }
  return {
    id: job.id,
    description: mutant.description,
    size: mutant.bytes.length,
    outcomes,
    rss: process.memoryUsage().rss,
  };
}

process.on('message', (message: Job & { bytes?: number[] }) => {
  const job = { ...message, ...(message.bytes && { bytes: Uint8Array.from(message.bytes) }) };
  void run(job).then(
    (result) => process.send!(result),
    (error: unknown) =>
      process.send!({
        id: job.id,
        description: 'runner failure',
        size: 0,
        outcomes: job.modes.map((mode) => ({
          mode,
          outcome: { kind: 'crash', message: String(error), stack: (error as Error).stack ?? '' },
        })),
        rss: process.memoryUsage().rss,
      } satisfies JobResult),
  );
});
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
process.on('disconnect', () => process.exit(0));
