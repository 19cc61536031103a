/**
 * The decoded Scalene profile the model is built from. The reader (main/formats/scalene/
 * profile.ts) normalises the JSON into it: keys the file lacks are defaulted, numbers to 0,
 * arrays to []. See docs/formats/scalene-format.md.
 */

/** Scalene's "MB" is MiB: its sampler divides byte counts by 1024 * 1024. */
export const MIB = 1024 * 1024;

/** MB (MiB) to whole bytes: Scalene's MB are byte counts ÷ 1024², rounded to 6 decimals in stacks. */
export function mbToBytes(mb: number): number {
  return Math.round(mb * MIB);
}

export interface ScaleneLine {
  file: string;
  lineno: number;
  /** Source text without its trailing newline, `& < >` unescaped. */
  text: string;
  /** Enclosing function's qualified name, `<module>` at top level. */
  functionName: string;
  mallocMb: number;
  mallocs: number;
  avgMb: number;
  peakMb: number;
  pythonFraction: number;
  /** n_malloc_mb ÷ the program's total MB allocated; undefined when the file lacks it. */
  usageFraction?: number;
  copyMbPerSec: number;
  /** [ns since start, global footprint MB] at the moments a sample fell on this line. */
  memorySamples: [number, number][];
}

export interface ScaleneLeak {
  file: string;
  lineno: number;
  likelihood: number;
  velocityMbPerSec: number;
}

export interface ScaleneFrame {
  kind: 'py' | 'native';
  name: string;
  file: string;
  /** null for native frames. */
  line: number | null;
}

export interface ScaleneStack {
  frames: ScaleneFrame[];
  /** memory_stacks: MB allocated; CPU stacks: samples. */
  weight: number;
}

export interface ScaleneFile {
  path: string;
  percentCpu: number;
  imports: string[];
  lines: ScaleneLine[];
  leaks: ScaleneLeak[];
}

export interface ScaleneProfile {
  /** Memory profiling was on (`memory`; inferred from the memory fields in files that lack it). */
  memory: boolean;
  elapsedSec: number;
  startTimeAbsoluteSec?: number;
  program?: string;
  /** The program directory (`filename`, a directory despite its name). */
  programDir?: string;
  args?: string[];
  allocSamples: number;
  maxFootprintMb: number;
  maxFootprintPythonFraction?: number;
  maxFootprintFile?: string;
  maxFootprintLine?: number;
  growthRatePercent: number;
  nativeAllocationsMb: number;
  gpuDevice?: string;
  samples: [number, number][];
  files: ScaleneFile[];
  memoryStacks: ScaleneStack[];
  /** combined_stacks (2.3.0+) or, in older files, the Python-only `stacks`. */
  cpuStacks: ScaleneStack[];
  cpuStacksSource?: 'combined_stacks' | 'stacks';
}
