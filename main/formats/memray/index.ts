import { basename } from 'node:path';
import type { CaptureInfo, ThreadInfo } from '../../../shared/api';
import {
  InputError,
  type CaptureLoader,
  type HeapLineSoFar,
  type LoadOptions,
} from '../../model/capture-model';
import { MemrayModel } from '../../model/memray/model';
import { MemrayMultiProcessModel } from '../../model/memray/multi';
import { TEMPORARY_THRESHOLDS } from '../../model/memray/temporary';
import { createSymbolizer } from '../../symbols/index';
import { InputFile } from '../input';
import { findForkChildren } from './fork-children';
import { PYTHON_ALLOCATOR_NAMES, pythonVersionString, type MemrayHeader } from './header';
import { MemrayRecordParser } from './records';
import { streamInput } from './stream';

function headerInfo(
  path: string,
  sizeBytes: number,
  compressed: boolean | undefined,
  h: MemrayHeader,
): CaptureInfo {
  const finalized = h.endTime > h.startTime;
  return {
    id: path,
    facts: {
      format: 'memray',
      path,
      fileName: basename(path),
      sizeBytes,
      compressed,
      headerVersion: h.version,
      pythonVersion: pythonVersionString(h.pythonVersionHex),
      pythonAllocator: PYTHON_ALLOCATOR_NAMES[h.pythonAllocator] ?? 'unknown',
      commandLine: h.commandLine,
      pid: h.pid,
      fileFormat: h.fileFormat === 1 ? 'aggregated' : 'all',
      nativeTraces: h.nativeTraces,
      tracePythonAllocators: h.tracePythonAllocators,
      trackObjectLifetimes: h.trackObjectLifetimes,
      startTimeMs: h.startTime,
      endTimeMs: finalized ? h.endTime : undefined,
      libdest: h.libdest,
      sitePackages: h.sitePackages,
      sysPath: h.sysPath,
    },
    capabilities: {
      timeline: true,
      ranges: h.fileFormat === 0,
      threads: true,
      native: h.nativeTraces,
      peak: true,
      leaks: true,
      allAllocations: h.fileFormat === 0,
      flamegraph: true,
      // memray finds temporaries by replaying every record; an aggregated file has none left.
      ...(h.fileFormat === 0 && { temporaryThresholds: [...TEMPORARY_THRESHOLDS] }),
    },
    truncated: false,
    warnings: [],
    threads: [],
    durationMs: finalized ? h.endTime - h.startTime : 0,
    records: 0,
  };
}

/** The builder's memory records so far: views of its own timeline (capture-model HeapLineSoFar). */
function heapLineSoFar(parser: MemrayRecordParser): HeapLineSoFar {
  const line = parser.model?.timeline;
  if (!line) return { timeMs: [], heapBytes: [], rssBytes: [] };
  return { timeMs: line.timeMs.view(), heapBytes: line.heapBytes.view(), rssBytes: line.rssBytes.view() };
}

/**
 * Opens a memray capture (header 10–13, raw or LZ4, all-allocations or aggregated) in one
 * streaming pass and returns its indexed model. Fork children (`NAME.bin.PID`) open the same way.
 */
export const loadMemray: CaptureLoader = async (path: string, options: LoadOptions = {}) =>
  loadMemrayModel(path, options);

export interface MemrayLoadOptions extends LoadOptions {
  /** Decode every record but skip the heap replay (benchmarks only; the model is empty). */
  decodeOnly?: boolean;
  /** Time-index resolution: buckets kept before neighbours merge (default 2048; even). */
  maxBuckets?: number;
  /** Per-key time-index entries kept before buckets merge (default 400 000). */
  entryBudget?: number;
  /** With detail 'totals': replay v12/v13 in JavaScript, not WebAssembly (tests, benches). */
  jsTotals?: boolean;
  /** The full index of v12/v13 from the JavaScript loop (records-v12.ts; tests, benches). */
  jsFull?: boolean;
  /** The full index of v12/v13 from the WebAssembly loop (records-wasm-full.ts; tests, benches). */
  wasmFull?: boolean;
  /** The WebAssembly full loop's first live-table size, log2 slots, 8–22 (tests: a small one grows). */
  liveTableBits?: number;
}

export async function loadMemrayModel(path: string, options: MemrayLoadOptions = {}): Promise<MemrayModel> {
  const { parser, facts } = await InputFile.use(path, async (input) => {
    const parser = new MemrayRecordParser(path, (h) => {
      if (options.maxBuckets) parser.model!.timeIndex.maxBuckets = Math.max(2, options.maxBuckets & ~1);
      if (options.entryBudget) parser.model!.timeIndex.entryBudget = options.entryBudget;
      options.onHeader?.(headerInfo(path, input.size, undefined, h));
    });
    parser.decodeOnly = options.decodeOnly === true;
    parser.totalsOnly = options.detail === 'totals';
    parser.jsTotals = options.jsTotals === true;
    if (options.jsFull) parser.fullLoop = 'js';
    else if (options.wasmFull) parser.fullLoop = 'wasm';
    parser.fileBytes = input.size;
    if (options.liveTableBits !== undefined)
      parser.liveTableBits = Math.min(22, Math.max(8, Math.round(options.liveTableBits)));
    // Progress carries the heap line so far (LoadProgress.heapLine), read only when asked.
    const { onProgress } = options;
    const reading: LoadOptions = onProgress
      ? { ...options, onProgress: (p) => onProgress({ ...p, heapLine: () => heapLineSoFar(parser) }) }
      : options;
    return { parser, facts: await streamInput(input, reading, parser) };
  });
  const h = parser.header;
  const m = parser.model;
  if (!h || !m) throw new InputError('no memray header found: expected magic "memray\\0"', path, 0);
  m.finish();

  const info = headerInfo(path, facts.sizeBytes, facts.compressed, h);
  const truncated = !parser.sawTrailer;
  const warnings: string[] = [];
  if (truncated) {
    info.truncated = true;
    info.truncatedAtByte = parser.stopOffset >= 0 ? parser.stopOffset : facts.decodedBytes;
    info.truncationReason =
      parser.stopReason ??
      (facts.lz4Truncated
        ? 'the LZ4 frame ends before its end mark'
        : 'the capture ends without a TRAILER record (the process was killed, or this is a fork child that left through os._exit)');
    warnings.push(
      `Truncated capture: every record before decoded byte ${info.truncatedAtByte} is used (${info.truncationReason}).`,
    );
  }
  if (h.fileFormat === 1) {
    warnings.push(
      'Aggregated capture (--aggregate): only the high-water-mark and leak numbers per location exist; no per-allocation history, no time ranges.',
    );
  }
  if (m.objectsCreated + m.objectsDestroyed > 0) {
    warnings.push(
      `Object-lifetime records: ${m.objectsCreated} created, ${m.objectsDestroyed} destroyed (they do not change heap numbers).`,
    );
  }
  info.warnings = warnings;
  const threads: ThreadInfo[] = m.threadTid.map((tid, slot) => {
    const name = m.threadName[slot];
    return { id: tid, label: name ? `0x${tid.toString(16)} (${name})` : `0x${tid.toString(16)}` };
  });
  info.threads = threads;
  info.capabilities.threads = threads.length > 1;
  info.capabilities.timeline = m.timeline.length > 0;
  info.capabilities.ranges = h.fileFormat === 0 && m.timeIndex.bucketCount > 0;
  info.capabilities.growth = info.capabilities.ranges;
  // allocator layouts (issue 14) come from the full replay of an all-allocations capture
  info.capabilities.layout = h.fileFormat === 0 && options.detail !== 'totals';
  info.records = parser.records;
  const lastMs = m.timeline.lastTimeMs;
  if (info.durationMs <= 0) info.durationMs = Math.max(0, lastMs);
  const children = await findForkChildren(path);
  if (children.length) info.forkChildren = children;
  return new MemrayModel(
    m,
    info,
    {
      headerVersion: h.version,
      pythonVersion: pythonVersionString(h.pythonVersionHex),
      mainTid: h.mainTid,
      skippedFramesOnMainTid: h.skippedFramesOnMainTid,
      startTime: h.startTime,
      durationMs: info.durationMs,
    },
    options.symbolizer ?? createSymbolizer(),
  );
}

/**
 * Opens a parent capture and its fork children (`NAME.bin.PID`) as one multi-process capture.
 * Each file streams through the same loader; progress covers all files in order.
 */
export async function loadMemrayMultiProcess(
  parentPath: string,
  childPaths: string[],
  options: LoadOptions = {},
): Promise<MemrayMultiProcessModel> {
  const models: MemrayModel[] = [];
  for (const path of [parentPath, ...childPaths]) {
    models.push(
      await loadMemrayModel(path, {
        ...options,
        onHeader: models.length === 0 ? options.onHeader : undefined,
        // The merged timeline sums the processes: no one file's line is a first part of it.
        onProgress:
          options.onProgress &&
          ((p) =>
            options.onProgress!({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, records: p.records })),
      }),
    );
  }
  return new MemrayMultiProcessModel(models);
}
