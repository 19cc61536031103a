/**
 * Scalene JSON profiles (`scalene run -o FILE.json`), streamed: see
 * docs/formats/scalene-format.md for the format and ./profile.ts for how it is normalised.
 */
import { basename } from 'node:path';
import type { Capabilities, CaptureFacts, CaptureInfo } from '../../../shared/api';
import { InputError, type CaptureLoader, type LoadOptions } from '../../model/capture-model';
import { InputFile, throwIfCancelled } from '../input';
import { JsonStreamParser, JsonSyntaxError } from './json-stream';
import { ScaleneModel, NO_MEMORY_MESSAGE } from '../../model/scalene/model';
import type { ScaleneProfile } from '../../model/scalene/profile';
import { SKIPPED_KEYS, normaliseProfile } from './profile';

/** Small enough that one chunk parses in a few ms (measured: ≤ 10 ms for 64 KiB), so nothing stalls. */
const DEFAULT_CHUNK = 64 * 1024;

/**
 * Scalene records no Python version; the path of its own package (…/lib/python3.11/site-packages/
 * scalene/…) in native stack frames names the interpreter that ran it.
 */
function pythonVersionFromStacks(profile: ScaleneProfile): string | undefined {
  for (const s of profile.cpuStacks) {
    for (const f of s.frames) {
      const m = /\/lib\/python(\d+\.\d+)\/(?:site|dist)-packages\/scalene\//.exec(f.file);
      if (m) return m[1];
    }
  }
  return undefined;
}

function commandLine(args: string[] | undefined, program: string | undefined): string | undefined {
  if (args && args.length > 0) return args.map((a) => (/[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return program;
}

function factsFrom(
  path: string,
  sizeBytes: number,
  values: Record<string, unknown>,
  profile?: ScaleneProfile,
): CaptureFacts {
  const args =
    profile?.args ??
    (Array.isArray(values.args) ? values.args.filter((a): a is string => typeof a === 'string') : undefined);
  const program = profile?.program ?? (typeof values.program === 'string' ? values.program : undefined);
  const start =
    profile?.startTimeAbsoluteSec ??
    (typeof values.start_time_absolute === 'number' ? values.start_time_absolute : undefined);
  const elapsed =
    profile?.elapsedSec ??
    (typeof values.elapsed_time_sec === 'number' ? values.elapsed_time_sec : undefined);
  const facts: CaptureFacts = { format: 'scalene', path, fileName: basename(path), sizeBytes };
  const cmd = commandLine(args, program);
  if (cmd) facts.commandLine = cmd;
  if (start !== undefined && Number.isFinite(start)) {
    facts.startTimeMs = start * 1000;
    if (elapsed !== undefined && Number.isFinite(elapsed)) facts.endTimeMs = (start + elapsed) * 1000;
  }
  const version = profile && pythonVersionFromStacks(profile);
  if (version) facts.pythonVersion = version;
  return facts;
}

function warningsFor(profile: ScaleneProfile, empty: boolean): string[] {
  const warnings: string[] = [];
  if (empty) {
    warnings.push(
      'This Scalene profile is empty ({}): Scalene sampled nothing, so there is no memory data in this profile.',
    );
  } else if (!profile.memory) {
    warnings.push(NO_MEMORY_MESSAGE);
  } else if (profile.memoryStacks.length === 0) {
    warnings.push(
      'This profile has no memory_stacks (Scalene writes them from 2.3.0 on), so there is no memory flamegraph; the table shows bytes allocated per line.',
    );
  }
  return warnings;
}

export const loadScalene: CaptureLoader = async (path: string, options: LoadOptions = {}) => {
  throwIfCancelled(options.signal);
  return InputFile.use(path, (input) => readProfile(input, options));
};

async function readProfile(input: InputFile, options: LoadOptions): Promise<ScaleneModel> {
  const { onProgress, onHeader } = options;
  const { path, size: sizeBytes } = input;
  const fileName = basename(path);
  const id = path;

  const rootValues: Record<string, unknown> = {};
  const offsets = new Map<string, number>();
  let headerSent = false;
  const sendHeader = () => {
    if (headerSent || !onHeader) return;
    headerSent = true;
    // Scalene sorts its keys, so the metadata before `files` (args, elapsed time) is known here;
    // what the memory fields will allow is not yet, hence the cautious capabilities.
    const allocSamples = typeof rootValues.alloc_samples === 'number' ? rootValues.alloc_samples : 0;
    const capabilities: Capabilities = {
      timeline: allocSamples > 0,
      ranges: false,
      threads: false,
      native: false,
      peak: allocSamples > 0,
      leaks: false,
      allAllocations: allocSamples > 0,
      flamegraph: false,
    };
    const elapsed = typeof rootValues.elapsed_time_sec === 'number' ? rootValues.elapsed_time_sec : 0;
    const header: CaptureInfo = {
      id,
      facts: factsFrom(path, sizeBytes, rootValues),
      capabilities,
      truncated: false,
      warnings: [],
      threads: [{ id: 0, label: 'all threads' }],
      durationMs: elapsed * 1000,
      records: allocSamples,
    };
    onHeader(header);
  };

  const parser = new JsonStreamParser({
    skipKeys: SKIPPED_KEYS,
    onRootKey: (key) => {
      if (key === 'files') sendHeader();
    },
    onRootValue: (key, value, offset) => {
      offsets.set(key, offset);
      // Keep only scalars and small arrays for the early header; the rest is read from the root.
      if (typeof value !== 'object' || value === null || key === 'args') rootValues[key] = value;
    },
  });

  const fail = (error: unknown): never => {
    if (error instanceof JsonSyntaxError) {
      throw new InputError(
        `${fileName}: not a valid Scalene profile: invalid JSON: ${error.message}`,
        path,
        error.offset,
      );
    }
    throw error;
  };

  let checkedRoot = false;
  await input.readAll(options, {
    defaultChunkSize: DEFAULT_CHUNK,
    records: () => parser.containersDone,
    consume: (chunk) => {
      try {
        parser.write(chunk);
      } catch (error) {
        fail(error);
      }
      if (!checkedRoot && parser.rootStart !== undefined) {
        checkedRoot = true;
        // Fail before reading a large file that cannot be a profile (a JSON array, a string …).
        if (!parser.rootIsObject) {
          throw new InputError(
            `${fileName}: not a Scalene profile: expected a JSON object`,
            path,
            parser.rootStart,
          );
        }
      }
    },
  });
  let root: unknown;
  try {
    root = parser.end();
  } catch (error) {
    fail(error);
  }
  const profile = normaliseProfile(root, path, offsets, parser.rootStart ?? 0);
  sendHeader();
  onProgress?.({ bytesDone: sizeBytes, bytesTotal: sizeBytes, records: parser.containersDone });

  const empty = typeof root === 'object' && root !== null && Object.keys(root).length === 0;
  return new ScaleneModel(profile, {
    id,
    facts: factsFrom(path, sizeBytes, rootValues, profile),
    truncated: false,
    warnings: warningsFor(profile, empty),
  });
}
