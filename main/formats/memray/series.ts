/**
 * Opens several memray captures of one program (named one by one, or every capture in a folder)
 * as one MemraySeriesModel: each capture is read by the one-capture reader, in series order.
 * Captures of different programs are refused before any of them is read (headers only).
 */
import { basename } from 'node:path';
import type { MemraySeriesInfo } from '../../../shared/api';
import { InputError, type LoadOptions } from '../../model/capture-model';
import type { MemrayModel } from '../../model/memray/model';
import { MemraySeriesModel, type MemraySeriesMember } from '../../model/memray/series';
import { parseHeader, type MemrayHeader } from './header';
import { loadMemrayModel } from './index';
import { streamFile, type StreamConsumer } from './stream';

/** A series never holds more captures than this (each one is a worker-resident model). */
export const MAX_SERIES_CAPTURES = 200;

/** Reads only a capture's header (the first decoded bytes; LZ4 or raw). */
export async function readMemrayHeader(path: string): Promise<MemrayHeader> {
  let header: MemrayHeader | undefined;
  const consumer: StreamConsumer = {
    parse(buf, pos, end, final) {
      if (header) return end;
      header = parseHeader(buf, pos, end, final, path);
      return header ? end : pos;
    },
    get stopped() {
      return header !== undefined;
    },
    records: 0,
  };
  await streamFile(path, { chunkSize: 64 * 1024 }, consumer);
  if (!header) throw new InputError('no memray header found: expected magic "memray\\0"', path, 0);
  return header;
}

/** memray run's own options that take a value (argparse: `-o X`, `-oX`, `--output X`, `--output=X`). */
const VALUE_OPTIONS = new Set(['-o', '--output', '-p', '--live-port']);
/** memray run's flags that choose how the program is started: they are part of the program. */
const MODE_FLAGS = new Set(['-m', '-c']);

/**
 * The program a capture ran, from the header's command line (`" ".join(sys.argv)` of the
 * tracking process). `memray run [options] SCRIPT ARGS` records memray's own argv, so memray's
 * part (its path, `run`, and options such as `-o FILE`, which differs for every capture, or
 * `--native`) is left out: what is left is `SCRIPT ARGS` (`-m MODULE ARGS`, `-c CODE ARGS`).
 * Any other command line (the Tracker API inside the program, `memray attach`) is the
 * program's own and is kept whole.
 */
export function programCommand(commandLine: string): string {
  const argv = commandLine.split(' ');
  if (argv.length < 3 || argv[1] !== 'run' || !/(^|\/)memray(\/__main__\.py|[\d.]*)$/.test(argv[0]))
    return commandLine;
  let i = 2;
  const mode: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    // short options, possibly grouped (-qf) or with an attached value (-oout.bin)
    for (let k = 1; k < a.length; k++) {
      const flag = `-${a[k]}`;
      if (MODE_FLAGS.has(flag)) mode.push(flag);
      if (VALUE_OPTIONS.has(flag)) {
        if (k === a.length - 1) i++;
        break;
      }
    }
  }
  return [...mode, ...argv.slice(i)].join(' ');
}

/**
 * The captures of a folder that make its series: fork children (NAME.bin.PID beside their
 * parent NAME.bin, memray run --follow-fork) belong to their parent, not to the series.
 */
export function memraySeriesFolder(paths: readonly string[]): { captures: string[]; forkChildren: number } {
  const names = new Set(paths.map((p) => basename(p)));
  const captures = paths.filter((p) => {
    const child = /^(.*)\.\d+$/.exec(basename(p));
    return !(child && names.has(child[1]));
  });
  return { captures, forkChildren: paths.length - captures.length };
}

/**
 * Whether the memray captures of a folder make a series to open on their own (browser mode opens
 * such a folder at start): two or more, fork children aside, all of one program. Headers only.
 */
export async function isMemraySeriesFolder(paths: readonly string[]): Promise<boolean> {
  const { captures } = memraySeriesFolder(paths);
  if (captures.length < 2) return false;
  const programs = new Set<string>();
  for (const path of captures) {
    const header = await readMemrayHeader(path).catch(() => undefined);
    if (!header) return false;
    programs.add(programCommand(header.commandLine));
  }
  return programs.size === 1;
}

interface Candidate {
  path: string;
  fileName: string;
  header: MemrayHeader;
  program: string;
}

/** Code-point order, the same on every machine (no locale). */
function byName(a: Candidate, b: Candidate): number {
  return a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0;
}

/**
 * Series order: by the start time in each header (memray writes it when tracking starts), ties
 * by file name; by file name when a header has none.
 */
function orderCaptures(list: Candidate[]): {
  ordered: Candidate[];
  order: MemraySeriesInfo['order'];
  note: string;
} {
  const lay =
    'The timeline lays the captures end to end (the time between them is left out); growth is per capture, each site as that capture’s tracking stopped.';
  const missing = list.find((c) => !(c.header.startTime > 0));
  if (missing)
    return {
      ordered: [...list].sort(byName),
      order: 'name',
      note: `Ordered by file name: ${missing.fileName} has no start time in its header. ${lay}`,
    };
  return {
    ordered: [...list].sort((a, b) => a.header.startTime - b.header.startTime || byName(a, b)),
    order: 'start-time',
    note: `Ordered by the start time in each capture’s header. ${lay}`,
  };
}

/** Refuses captures of different programs, naming the first two that differ. */
function checkOneProgram(list: readonly Candidate[]): void {
  const first = list[0];
  const other = list.find((c) => c.program !== first.program);
  if (other)
    throw new InputError(
      `${other.fileName}: a capture of another program ("${other.program}", while ${first.fileName} ran "${first.program}"); a series holds captures of one program (the same command line, memray's own options aside)`,
      other.path,
    );
}

/** Loads `paths` as one series named `label` (the folder, or the first capture). */
export async function loadMemraySeries(
  paths: readonly string[],
  options: LoadOptions & { label?: string; skipped?: number; skippedNote?: string } = {},
): Promise<MemraySeriesModel> {
  if (paths.length === 0) throw new InputError('a series needs at least one memray capture');
  if (paths.length > MAX_SERIES_CAPTURES)
    throw new InputError(
      `a series holds at most ${MAX_SERIES_CAPTURES} memray captures (got ${paths.length})`,
    );
  const candidates: Candidate[] = [];
  for (const path of paths) {
    const header = await readMemrayHeader(path);
    candidates.push({ path, fileName: basename(path), header, program: programCommand(header.commandLine) });
  }
  checkOneProgram(candidates);
  const { ordered, order, note } = orderCaptures(candidates);

  const sizes: number[] = [];
  const { stat } = await import('node:fs/promises');
  for (const c of ordered) sizes.push((await stat(c.path)).size);
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const members: MemraySeriesMember[] = [];
  let bytesBefore = 0;
  let records = 0;
  for (let i = 0; i < ordered.length; i++) {
    const c = ordered[i];
    const model: MemrayModel = await loadMemrayModel(c.path, {
      ...(options.signal && { signal: options.signal }),
      ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
      ...(options.symbolizer && { symbolizer: options.symbolizer }),
      onProgress: (p) =>
        options.onProgress?.({
          bytesDone: bytesBefore + p.bytesDone,
          bytesTotal,
          records: records + p.records,
        }),
    });
    members.push({
      model,
      fileName: c.fileName,
      path: c.path,
      ...(order === 'start-time' && { startTimeMs: c.header.startTime }),
    });
    bytesBefore += sizes[i];
    records += model.info().records;
    options.onProgress?.({ bytesDone: bytesBefore, bytesTotal, records });
  }
  const warnings: string[] = [];
  if (options.skipped)
    warnings.push(
      `${options.skipped} file${options.skipped === 1 ? ' is' : 's are'} in the folder but not memray captures of the series; left out${options.skippedNote ? ` (${options.skippedNote})` : ''}`,
    );
  return new MemraySeriesModel(members, {
    label: options.label ?? ordered[0].path,
    order,
    orderNote: note,
    program: ordered[0].program,
    warnings,
  });
}
