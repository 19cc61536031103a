import type {
  AllocatorBreakdown,
  CaptureInfo,
  DiffResult,
  FlameTree,
  GrowthResult,
  LastSeconds,
  LayoutBands,
  MemoryLayout,
  SiteRow,
  StackFilter,
  Summary,
  SymbolsNote,
  Timeline,
} from './api';
import type { UnitSystem } from './units';

/**
 * Everything the self-contained HTML report shows. The engine/CLI fills it from the same
 * queries the app uses; `renderHtmlReport` (main/export/html-report.ts) embeds it as JSON and
 * the report's own script (renderer/report/) draws it. Keep it display-sized: flame trees built
 * with a modest maxNodes (REPORT_MAX_NODES) keep typical reports well under 5 MB.
 */
export interface ReportData {
  /** Shown as the page title, e.g. "basic.bin". */
  title: string;
  /** ISO timestamp of generation. */
  generatedAt: string;
  generator?: string;
  info: CaptureInfo;
  summary: Omit<Summary, 'info'>;
  /** The choices frozen from the app / command line, stated on the page. */
  frozen: {
    /** e.g. "peak", "leaks", "range 1.20 s – 3.40 s (peak)". */
    snapshot: string;
    filter: StackFilter;
    range?: { fromMs: number; toMs: number };
    /** Thread labels kept, when filtered. */
    threads?: string[];
    /** Baseline label for a diff report. */
    baseline?: string;
  };
  /** Flame graphs to offer (typically peak and leaks). */
  flames: ReportFlame[];
  timeline?: Timeline;
  allocators?: AllocatorBreakdown;
  /** Top sites of the main snapshot (function or line grouping). */
  topSites: SiteRow[];
  diff?: DiffResult;
  /** Set by renderHtmlReport when paths and the command line were removed. */
  redacted?: boolean;
  /** How the page writes sizes; absent in older reports, which mean 'si'. */
  units?: UnitSystem;
  /** Native captures: which objects' symbols were found, refused or missing. */
  symbols?: SymbolsNote;
  /** A capture cut short (or checked against a limit): its final seconds. */
  lastSeconds?: LastSeconds;
  /** Leak suspects ranked by how steadily their live bytes grow. */
  growth?: GrowthResult;
  /** Where the RSS went (issue 14): allocator layouts at the peak and the end, and the RSS bands. */
  layout?: ReportLayout;
}

/** The report's memory layout section: each part present when the capture supports it. */
export interface ReportLayout {
  peak?: MemoryLayout;
  end?: MemoryLayout;
  bands?: LayoutBands;
}

/** Arenas listed pool by pool in a report's layouts (the rest are counted, not drawn). */
export const REPORT_MAX_ARENAS = 256;

export interface ReportFlame {
  id: string;
  /** e.g. "Peak (52.4 MB)", sizes in the report's units. */
  title: string;
  tree: FlameTree;
}

/** A flame tree size that keeps reports small but still detailed. */
export const REPORT_MAX_NODES = 20_000;
