import type {
  AllocatorBreakdown,
  AllocatorSiteSplit,
  Capabilities,
  CaptureInfo,
  Finding,
  LineSamples,
  SiteRow,
  SnapshotSpec,
  StackFilter,
  ThreadInfo,
  Timeline,
} from '../../../shared/api';
import type { ScaleneStatsJson, ScaleneStatsLeak, ScaleneStatsLine } from '../../../shared/stats';
import { UnsupportedQuery, type CaptureModel, type StatsOptions } from '../capture-model';
import { FrameTable } from '../frame-table';
import { SnapshotBuilder, type Snapshot } from '../snapshot';
import { StackTrie } from '../stack-trie';
import { formatBytes, type UnitSystem } from '../../../shared/units';
import { MIB, mbToBytes, type ScaleneLine, type ScaleneProfile } from './profile';

/** Allocator indices in every Scalene snapshot (`Snapshot.allocators`). */
const PYTHON = 0;
const NATIVE = 1;
const ALLOCATORS = ['python', 'native'];

const THREADS: ThreadInfo[] = [{ id: 0, label: 'all threads' }];

export const NO_MEMORY_MESSAGE =
  'No memory data in this profile: Scalene ran without memory profiling (--cpu-only), so only its CPU columns were recorded.';

/** A per-line table row: `SiteRow` with Scalene's peak and source text filled in. */
export type ScaleneLineRow = SiteRow & { peakBytes: number; sourceLine: string };

function lineKey(file: string, line: number): string {
  return `${file}:${line}`;
}

/** Scalene's per-line memory columns say something (its GUI's "has memory data" test, minus samples). */
function hasMemoryData(l: ScaleneLine): boolean {
  return l.mallocMb > 0 || l.peakMb > 0 || l.avgMb > 0 || l.mallocs > 0;
}

/**
 * Splits integer `total` over `weights` by largest remainder, so the parts are whole numbers that
 * add up to `total` (allocation episodes spread over a line's stacks).
 */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && k < order.length; k++, left--) parts[order[k][1]]++;
  return parts;
}

export class ScaleneModel implements CaptureModel {
  private readonly lineIndex = new Map<string, ScaleneLine>();
  private readonly leakIndex = new Map<string, { likelihood: number; velocityMbPerSec: number }>();
  private memorySnapshot?: Snapshot;
  private cpuSnapshot?: Snapshot;
  private readonly captureInfo: CaptureInfo;

  constructor(
    readonly profile: ScaleneProfile,
    info: Omit<CaptureInfo, 'capabilities' | 'durationMs' | 'records' | 'threads'>,
  ) {
    for (const f of profile.files) {
      for (const l of f.lines) this.lineIndex.set(lineKey(l.file, l.lineno), l);
      for (const k of f.leaks) this.leakIndex.set(lineKey(k.file, k.lineno), k);
    }
    const memory = profile.memory;
    const capabilities: Capabilities = {
      timeline: memory && profile.samples.length > 0,
      ranges: false,
      threads: false,
      // memory_stacks are Python-only; the native share is a per-line fraction (see allocators()).
      native: false,
      peak: memory,
      leaks: false,
      allAllocations: memory,
      flamegraph: memory && profile.memoryStacks.length > 0,
    };
    this.captureInfo = {
      ...info,
      capabilities,
      threads: THREADS,
      durationMs: profile.elapsedSec * 1000,
      records: profile.allocSamples,
    };
  }

  info(): CaptureInfo {
    return this.captureInfo;
  }

  /** Source lines that carry memory data, in file order. */
  memoryLines(): ScaleneLine[] {
    const out: ScaleneLine[] = [];
    for (const f of this.profile.files) for (const l of f.lines) if (hasMemoryData(l)) out.push(l);
    return out;
  }

  line(file: string, lineno: number): ScaleneLine | undefined {
    return this.lineIndex.get(lineKey(file, lineno));
  }

  /** Bytes allocated by all lines, plus threads without a Python frame (growth rate's denominator). */
  totalAllocatedBytes(): number {
    let bytes = mbToBytes(this.profile.nativeAllocationsMb);
    for (const f of this.profile.files) for (const l of f.lines) bytes += mbToBytes(l.mallocMb);
    return bytes;
  }

  /** Scalene 2.3 on Linux samples copies only with --no-stacks; otherwise every n_copy_mb_s is 0. */
  hasCopyData(): boolean {
    return this.profile.files.some((f) => f.lines.some((l) => l.copyMbPerSec > 0));
  }

  /** `file:line` shortened to the program directory, for text meant for people. */
  displayLocation(file: string, line: number): string {
    const dir = this.profile.programDir;
    const short =
      dir && file.startsWith(`${dir.replace(/\/$/, '')}/`)
        ? file.slice(dir.replace(/\/$/, '').length + 1)
        : file;
    return `${short}:${line}`;
  }

  /**
   * 'peak' and 'all' are the same set here: Scalene records bytes allocated per stack and per line
   * over the whole run, never a live set at one moment, so there is nothing else to offer. The
   * label says so.
   */
  snapshot(spec: SnapshotSpec, filter?: StackFilter): Snapshot {
    if (spec.kind !== 'peak' && spec.kind !== 'all') {
      throw new UnsupportedQuery(
        `Scalene profiles have no ${spec.kind === 'leaks' ? 'leaked set (see the leak suspects in the summary)' : 'time-resolved allocations'}; ` +
          'only the allocation totals per line and stack ("peak" / "all") are available',
      );
    }
    const snap = (this.memorySnapshot ??= this.buildMemorySnapshot());
    const keep = filter?.allocators?.filter((a) => ALLOCATORS.includes(a));
    if (!filter?.allocators || (keep && keep.length === ALLOCATORS.length)) return snap;
    const builder = new SnapshotBuilder();
    const r = snap.rows;
    for (let i = 0; i < r.length; i++) {
      if (keep?.includes(ALLOCATORS[r.allocator[i]]))
        builder.add(r.stack[i], r.thread[i], r.allocator[i], r.bytes[i], r.count[i]);
    }
    return { ...snap, rows: builder.build() };
  }

  /**
   * The memory flamegraph: memory_stacks when the profile has them (their MB sum is the root), else
   * one row per source line (frames file:line) so tables and diffs by line still work. Each row is
   * split into the 'python' and 'native' allocators by its line's n_python_fraction.
   */
  private buildMemorySnapshot(): Snapshot {
    const frames = new FrameTable();
    const stacks = new StackTrie();
    const builder = new SnapshotBuilder();
    const addSplit = (leaf: number, bytes: number, count: number, pythonFraction: number) => {
      const py = Math.round(bytes * pythonFraction);
      // The count goes with the larger share, so allocation counts are never split into fractions.
      const pyCount = pythonFraction >= 0.5 ? count : 0;
      if (py > 0 || pyCount > 0) builder.add(leaf, 0, PYTHON, py, pyCount);
      if (bytes - py > 0 || count - pyCount > 0) builder.add(leaf, 0, NATIVE, bytes - py, count - pyCount);
    };
    let label: string;
    if (!this.profile.memory) {
      label = 'no memory data (CPU-only profile)';
    } else if (this.profile.memoryStacks.length > 0) {
      label = 'bytes allocated per call stack over the run (Scalene memory_stacks)';
      const byLeafLine = new Map<string, number[]>();
      const leaves: number[] = [];
      this.profile.memoryStacks.forEach((s, i) => {
        const path = s.frames.map((f) =>
          frames.intern(
            f.name || '<unknown>',
            f.file,
            f.line ?? 0,
            f.kind === 'native' ? 'native' : 'python',
          ),
        );
        leaves.push(stacks.intern(path));
        const leaf = s.frames[s.frames.length - 1];
        const key = lineKey(leaf.file, leaf.line ?? 0);
        const list = byLeafLine.get(key);
        if (list) list.push(i);
        else byLeafLine.set(key, [i]);
      });
      const counts = new Array<number>(this.profile.memoryStacks.length).fill(0);
      for (const [key, indices] of byLeafLine) {
        const line = this.lineIndex.get(key);
        if (!line) continue;
        const parts = apportion(
          line.mallocs,
          indices.map((i) => this.profile.memoryStacks[i].weight),
        );
        indices.forEach((i, k) => (counts[i] = parts[k]));
      }
      this.profile.memoryStacks.forEach((s, i) => {
        addSplit(leaves[i], mbToBytes(s.weight), counts[i], this.stackPythonFraction(s.frames));
      });
    } else {
      label = 'bytes allocated per line over the run (Scalene n_malloc_mb; the profile has no memory_stacks)';
      for (const l of this.memoryLines()) {
        if (l.mallocMb <= 0 && l.mallocs <= 0) continue;
        const leaf = stacks.intern([frames.intern(l.functionName, l.file, l.lineno, 'python')]);
        addSplit(leaf, mbToBytes(l.mallocMb), l.mallocs, l.pythonFraction);
      }
    }
    return { frames, stacks, threads: THREADS, allocators: ALLOCATORS, rows: builder.build(), label };
  }

  /**
   * n_python_fraction of the innermost frame that is a profiled line. Frames outside the profiled
   * files (numpy's `<__array_function__ internals>`) take the fraction of their nearest caller,
   * where Scalene's per-line numbers put those bytes.
   */
  private stackPythonFraction(frames: { file: string; line: number | null }[]): number {
    for (let i = frames.length - 1; i >= 0; i--) {
      const l = this.lineIndex.get(lineKey(frames[i].file, frames[i].line ?? 0));
      if (l && l.mallocMb > 0) return l.pythonFraction;
    }
    return 0;
  }

  /**
   * CPU stacks (combined_stacks, or the older Python-only `stacks`) as a snapshot whose `count` is
   * CPU samples and whose `bytes` are 0 — kept apart from the memory snapshot on purpose: CPU hits
   * are not bytes. Undefined when the profile has no CPU stacks.
   */
  cpuStacks(): Snapshot | undefined {
    if (this.profile.cpuStacks.length === 0) return undefined;
    if (!this.cpuSnapshot) {
      const frames = new FrameTable();
      const stacks = new StackTrie();
      const builder = new SnapshotBuilder();
      for (const s of this.profile.cpuStacks) {
        const path = s.frames.map((f) =>
          f.kind === 'native'
            ? frames.intern(f.name || `[${f.file || 'unknown'}]`, f.file, 0, 'native')
            : frames.intern(f.name, f.file, f.line ?? 0, 'python'),
        );
        builder.add(stacks.intern(path), 0, 0, 0, s.weight);
      }
      this.cpuSnapshot = {
        frames,
        stacks,
        threads: THREADS,
        allocators: ['cpu'],
        rows: builder.build(),
        label: `CPU samples per stack (Scalene ${this.profile.cpuStacksSource ?? 'stacks'}; count = samples)`,
      };
    }
    return this.cpuSnapshot;
  }

  /** Per-line table rows, largest allocation first: allocated, peak, episodes, share, source text. */
  lineTable(): ScaleneLineRow[] {
    const total = this.totalAllocatedBytes();
    return this.memoryLines()
      .map((l): ScaleneLineRow => {
        const bytes = mbToBytes(l.mallocMb);
        return {
          key: lineKey(l.file, l.lineno),
          function: l.functionName,
          file: l.file,
          line: l.lineno,
          ownBytes: bytes,
          ownCount: l.mallocs,
          bytes,
          count: l.mallocs,
          share: l.usageFraction ?? (total > 0 ? bytes / total : 0),
          peakBytes: mbToBytes(l.peakMb),
          sourceLine: l.text,
        };
      })
      .sort((a, b) => b.bytes - a.bytes || b.peakBytes - a.peakBytes);
  }

  /**
   * Scalene's own per-line columns for a table row found by file:line (the generic table builder
   * knows allocated bytes and counts, not these). Undefined for frames outside the profiled files.
   */
  siteExtras(file: string, lineno: number): { peakBytes: number; sourceLine: string } | undefined {
    const l = this.line(file, lineno);
    return l && { peakBytes: mbToBytes(l.peakMb), sourceLine: l.text };
  }

  /** The line's `memory_samples` (global footprint when samples fell there), for a selected row. */
  lineSamples(file: string, lineno: number): LineSamples | undefined {
    const l = this.line(file, lineno);
    if (!l) return undefined;
    const leak = this.leakIndex.get(lineKey(file, lineno));
    return {
      file,
      line: lineno,
      timeMs: l.memorySamples.map((p) => p[0] / 1e6),
      heapBytes: l.memorySamples.map((p) => mbToBytes(p[1])),
      leak: leak && { likelihood: leak.likelihood, velocityBytesPerSec: leak.velocityMbPerSec * MIB },
    };
  }

  /** Leak suspects, most likely first. */
  leakSuspects(): {
    file: string;
    line: number;
    likelihood: number;
    velocityBytesPerSec: number;
    sourceLine?: string;
  }[] {
    return this.profile.files
      .flatMap((f) => f.leaks)
      .map((k) => ({
        file: k.file,
        line: k.lineno,
        likelihood: k.likelihood,
        velocityBytesPerSec: k.velocityMbPerSec * MIB,
        sourceLine: this.line(k.file, k.lineno)?.text,
      }))
      .sort((a, b) => b.likelihood - a.likelihood || a.file.localeCompare(b.file) || a.line - b.line);
  }

  private peakSample(): { timeMs: number; mb: number } {
    let best = { timeMs: 0, mb: -Infinity };
    for (const [t, mb] of this.profile.samples) if (mb > best.mb) best = { timeMs: t / 1e6, mb };
    return best.mb === -Infinity ? { timeMs: 0, mb: 0 } : best;
  }

  /** Sizes from Scalene's MB (which are MiB), written in `units` with that system's labels. */
  findings(units?: UnitSystem): Finding[] {
    const p = this.profile;
    const out: Finding[] = [];
    if (!p.memory) {
      out.push({ severity: 'info', code: 'scalene-no-memory', text: NO_MEMORY_MESSAGE });
      return out;
    }
    for (const leak of this.leakSuspects()) {
      const source = leak.sourceLine?.trim();
      out.push({
        severity: 'warning',
        code: 'scalene-leak',
        text:
          `Possible leak at ${this.displayLocation(leak.file, leak.line)} (Scalene's hint): ` +
          `likelihood ${Math.round(leak.likelihood * 100)}%, velocity ${formatBytes(leak.velocityBytesPerSec, units)}/s` +
          (source ? ` — ${source}` : ''),
      });
    }
    if (p.growthRatePercent > 0) {
      out.push({
        severity: p.growthRatePercent >= 50 ? 'warning' : 'info',
        code: 'scalene-growth',
        text:
          `Scalene's growth rate: ${p.growthRatePercent.toFixed(1)}% — the footprint grew by that share of all memory allocated` +
          (p.growthRatePercent >= 99.95 ? ' (nothing allocated was freed)' : ''),
      });
    }
    if (p.maxFootprintFile && p.maxFootprintLine) {
      out.push({
        severity: 'info',
        code: 'scalene-peak-line',
        text: `The allocation at ${this.displayLocation(p.maxFootprintFile, p.maxFootprintLine)} set the peak footprint of ${formatBytes(mbToBytes(p.maxFootprintMb), units)}.`,
      });
    }
    if (p.nativeAllocationsMb > 0) {
      out.push({
        severity: 'info',
        code: 'scalene-native-threads',
        text: `${formatBytes(mbToBytes(p.nativeAllocationsMb), units)} were allocated by threads with no Python frame; Scalene attributes them to no line.`,
      });
    }
    return out;
  }

  summary(_range?: unknown, units?: UnitSystem): ReturnType<CaptureModel['summary']> {
    const p = this.profile;
    const lines = this.memoryLines();
    const last = p.samples.length > 0 ? mbToBytes(p.samples[p.samples.length - 1][1]) : undefined;
    return {
      peakBytes: mbToBytes(p.maxFootprintMb),
      // The footprint samples are the time axis; a profile without them has no moment of its peak.
      peakTimeMs: p.samples.length > 0 ? this.peakSample().timeMs : null,
      totalAllocations: p.memory ? lines.reduce((a, l) => a + l.mallocs, 0) : null,
      totalBytesAllocated: p.memory ? this.totalAllocatedBytes() : null,
      // Scalene measures no leaked set; its leak suspects are findings.
      leakedBytes: null,
      leakedCount: null,
      heapAtEndBytes: last,
      // Lines with episodes but no bytes of their own (numpy's line 12) stay in the table, not here.
      topSites: this.lineTable()
        .filter((r) => r.bytes > 0)
        .slice(0, 10),
      findings: this.findings(units),
    };
  }

  /** The global footprint samples (at most 100: Scalene's reservoir), with its peak. */
  timeline(): Timeline | undefined {
    const p = this.profile;
    if (!p.memory || p.samples.length === 0) return undefined;
    const points = p.samples;
    const peak = this.peakSample();
    return {
      timeMs: points.map((s) => s[0] / 1e6),
      heapBytes: points.map((s) => mbToBytes(s[1])),
      rssBytes: points.map(() => null),
      allocatedBytes: points.map(() => 0),
      allocationCount: points.map(() => 0),
      // Samples are a reservoir: their maximum is usually below max_footprint_mb, which is the peak.
      peak: { timeMs: peak.timeMs, bytes: mbToBytes(p.maxFootprintMb) },
      durationMs: p.elapsedSec * 1000,
    };
  }

  allocators(spec: SnapshotSpec, filter?: StackFilter): AllocatorBreakdown {
    const snap = this.snapshot(spec, filter);
    const bytes = [0, 0];
    const count = [0, 0];
    for (let i = 0; i < snap.rows.length; i++) {
      bytes[snap.rows.allocator[i]] += snap.rows.bytes[i];
      count[snap.rows.allocator[i]] += snap.rows.count[i];
    }
    const nativeThreads = mbToBytes(this.profile.nativeAllocationsMb);
    if (!filter?.allocators || filter.allocators.includes('native')) bytes[NATIVE] += nativeThreads;
    const hasCopies = this.hasCopyData();
    const elapsed = this.profile.elapsedSec;
    const bySite: AllocatorSiteSplit[] = this.profile.files
      .flatMap((f) => f.lines)
      .filter((l) => l.mallocMb > 0 || l.copyMbPerSec > 0)
      .map((l) => {
        const bytes = mbToBytes(l.mallocMb);
        const pythonBytes = Math.round(bytes * l.pythonFraction);
        return {
          file: l.file,
          line: l.lineno,
          function: l.functionName,
          pythonBytes,
          nativeBytes: bytes - pythonBytes,
          ...(hasCopies ? { copyBytes: mbToBytes(l.copyMbPerSec * elapsed) } : {}),
        };
      })
      .sort((a, b) => b.pythonBytes + b.nativeBytes - (a.pythonBytes + a.nativeBytes));
    const copyBytes = hasCopies ? bySite.reduce((a, s) => a + (s.copyBytes ?? 0), 0) : undefined;
    const notes = [
      "Scalene's split: each line's bytes allocated through Python's allocator (PyMem/PyObject) vs native malloc, from n_python_fraction.",
    ];
    if (nativeThreads > 0)
      notes.push(`${formatBytes(nativeThreads)} from threads without a Python frame count as native.`);
    if (!hasCopies && this.profile.memory) {
      notes.push('No copy volume: Scalene 2.3 samples copies only with --no-stacks on Linux.');
    }
    return {
      byAllocator: [
        { name: 'python', family: 'pymalloc', bytes: bytes[PYTHON], count: count[PYTHON] },
        { name: 'native', family: 'malloc', bytes: bytes[NATIVE], count: count[NATIVE] },
      ],
      byFamily: [
        { family: 'pymalloc', bytes: bytes[PYTHON], count: count[PYTHON] },
        { family: 'malloc', bytes: bytes[NATIVE], count: count[NATIVE] },
      ],
      // Scalene samples by volume (one sample per ≥ 1 MB), so it has no allocation sizes to bin.
      histogram: [],
      pymallocThresholdBytes: 512,
      attributionNote: notes.join(' '),
      bySite,
      ...(copyBytes !== undefined ? { copyBytes } : {}),
    };
  }

  statsJson(options: StatsOptions): ScaleneStatsJson {
    const p = this.profile;
    const top = options.top ?? 10;
    const hasCopies = this.hasCopyData();
    const topBySize: ScaleneStatsLine[] = this.lineTable()
      .filter((r) => r.bytes > 0)
      .slice(0, top)
      .map((r) => {
        const l = this.line(r.file, r.line) as ScaleneLine;
        return {
          location: r.key,
          function: r.function,
          bytes: r.bytes,
          peakBytes: r.peakBytes,
          count: r.count,
          share: r.share,
          pythonFraction: l.pythonFraction,
          ...(hasCopies ? { copyBytes: mbToBytes(l.copyMbPerSec * p.elapsedSec) } : {}),
        };
      });
    const leaks: ScaleneStatsLeak[] = this.leakSuspects().map((k) => ({
      location: lineKey(k.file, k.line),
      likelihood: k.likelihood,
      velocityBytesPerSec: k.velocityBytesPerSec,
    }));
    return {
      format: 'scalene',
      memoryProfiled: p.memory,
      peakMemory: mbToBytes(p.maxFootprintMb),
      ...(p.maxFootprintFile && p.maxFootprintLine
        ? { peakLocation: lineKey(p.maxFootprintFile, p.maxFootprintLine) }
        : {}),
      ...(p.maxFootprintPythonFraction !== undefined && p.memory
        ? { peakPythonFraction: p.maxFootprintPythonFraction }
        : {}),
      ...(p.elapsedSec > 0 ? { elapsedMs: p.elapsedSec * 1000 } : {}),
      growthRatePercent: p.growthRatePercent,
      totalAllocatedBytes: this.totalAllocatedBytes(),
      nativeThreadBytes: mbToBytes(p.nativeAllocationsMb),
      allocationSamples: p.allocSamples,
      topBySize,
      leaks,
      warnings: this.captureInfo.warnings,
    };
  }
}

/** The per-line table for a Scalene capture (peak and source text included), largest first. */
export function scaleneLineTable(model: CaptureModel): ScaleneLineRow[] {
  if (!(model instanceof ScaleneModel))
    throw new UnsupportedQuery('the per-line Scalene table needs a Scalene profile');
  return model.lineTable();
}
