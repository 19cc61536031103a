import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DiffSide, ExportFormat, ExportRequest, StackFilter } from '@shared/api';
import { formatBytes, formatDuration } from '@shared/units';
import { useClient } from '../client';
import { errorMessage } from '../lib/errors';
import { useCapturesStore } from './captures';
import { useDiffStore } from './diff';
import { useSettingsStore } from './settings';
import { useViewStore } from './view';
import { describeSnapshot } from '@shared/snapshot-label';
import { describeFilter } from '@shared/present';

export interface ExportFormatInfo {
  value: ExportFormat;
  label: string;
  hint: string;
  /** File name suffix (after the capture's base name). */
  suffix: string;
  mime: string;
}

export const EXPORT_FORMATS: readonly ExportFormatInfo[] = [
  {
    value: 'html',
    label: 'HTML report',
    hint: 'One self-contained file: summary, findings, flame graphs, timeline, tables (and the diff). Opens offline.',
    suffix: '-report.html',
    mime: 'text/html',
  },
  {
    value: 'csv',
    label: 'CSV',
    hint: 'Every table: sites, allocators, timeline (and the diff rows).',
    suffix: '.csv',
    mime: 'text/csv',
  },
  {
    value: 'json',
    label: 'JSON',
    hint: 'The `heapscope stats --json` object, or the diff object when a baseline is included.',
    suffix: '.json',
    mime: 'application/json',
  },
  {
    value: 'speedscope',
    label: 'speedscope',
    hint: 'The flame graph as a speedscope file (bytes as weights).',
    suffix: '.speedscope.json',
    mime: 'application/json',
  },
  {
    value: 'memray-csv',
    label: 'memray CSV',
    hint: 'The rows of `memray transform csv` for this snapshot.',
    suffix: '.hwm.csv',
    mime: 'text/csv',
  },
];

/** Hands finished content to the user in browser mode (a download); swapped out in tests. */
export type Deliver = (content: string, fileName: string, mime: string) => void;

export interface ExportOutcome {
  format: ExportFormat;
  fileName: string;
  /** Electron: where it was written. */
  path?: string;
  bytes: number;
  ms: number;
}

function baseName(fileName: string): string {
  // "basic.bin", "x.pickle.gz", "y.hwm.csv" → "basic", "x", "y"
  return fileName.replace(/(\.(pickle|bin|json|csv|hwm|leaks|gz|snap|\d+))+$/i, '') || fileName;
}

/** Export from the app: the request is frozen from what the views show right now. */
export const useExportStore = defineStore('export', () => {
  const view = useViewStore();
  const captures = useCapturesStore();
  const diff = useDiffStore();
  const settings = useSettingsStore();

  const open = ref(false);
  const format = ref<ExportFormat>('html');
  const redact = ref(false);
  /** Include the diff against the chosen baseline (HTML, CSV, JSON). */
  const withBaseline = ref(true);
  const busy = ref(false);
  const startedAt = ref(0);
  const error = ref<string | null>(null);
  const outcome = ref<ExportOutcome | null>(null);

  const capture = computed(() => captures.active);
  const available = computed(() => {
    const f = capture.value?.facts.format;
    // Only memray data has memray's CSV rows (allocator, thread, stack).
    return EXPORT_FORMATS.filter((x) => x.value !== 'memray-csv' || f === 'memray' || f === 'memray-csv');
  });

  /**
   * The diff the app is showing, when there is one: a chosen baseline capture, or two moments
   * while the diff view is open. Its target becomes the exported capture and snapshot, so a
   * swapped diff is exported swapped.
   */
  const baselineDiff = computed<{ target: DiffSide; base: DiffSide } | null>(() => {
    const q = diff.query;
    if (!q) return null;
    if (diff.mode === 'moments' && settings.tab !== 'diff') return null;
    return { target: q.target, base: q.base };
  });

  const usesBaseline = computed(
    () =>
      !!baselineDiff.value &&
      withBaseline.value &&
      format.value !== 'speedscope' &&
      format.value !== 'memray-csv',
  );

  const request = computed<ExportRequest | null>(() => {
    const id = view.captureId;
    if (!id || !captures.activeReady) return null;
    const filter: StackFilter = { ...view.filter };
    const req: ExportRequest = { format: format.value, captureId: id, filter };
    const d = usesBaseline.value ? baselineDiff.value : null;
    if (d) {
      req.captureId = d.target.captureId;
      req.snapshot = d.target.snapshot;
      req.baseline = d.base;
    } else {
      req.snapshot = view.effectiveSnapshot;
      if (view.range) req.range = { ...view.range };
    }
    if (redact.value && format.value === 'html') req.redact = true;
    // The report writes sizes as the app does.
    if (format.value === 'html') req.units = settings.units;
    return req;
  });

  const labelOf = (id: string) => captures.captures.find((c) => c.id === id)?.facts.fileName ?? id;
  const formatOf = (id: string) => captures.captures.find((c) => c.id === id)?.facts.format;

  /** What the export freezes, as the dialog states it (the HTML report states the same). */
  const frozen = computed(() => {
    const req = request.value;
    if (!req) return null;
    const info = captures.captures.find((c) => c.id === req.captureId);
    const threads = view.filter.threads?.map(
      (t) => info?.threads.find((x) => x.id === t)?.label ?? String(t),
    );
    let baseline: string | null = null;
    if (req.baseline) {
      const b = req.baseline;
      baseline =
        b.captureId === req.captureId
          ? `${labelOf(b.captureId)} ${describeSnapshot(b.snapshot, formatOf(b.captureId))} (two moments)`
          : `${labelOf(b.captureId)} (${describeSnapshot(b.snapshot, formatOf(b.captureId))})`;
    }
    return {
      capture: labelOf(req.captureId),
      snapshot: describeSnapshot(req.snapshot ?? { kind: 'peak' }, info?.facts.format),
      range: req.range
        ? `${formatDuration(req.range.fromMs)} – ${formatDuration(req.range.toMs)}`
        : 'whole capture',
      threads: threads?.length ? threads.join(', ') : 'all',
      filters: describeFilter(view.filter),
      baseline,
    };
  });

  const fileName = computed(() => {
    const req = request.value;
    const info = EXPORT_FORMATS.find((f) => f.value === format.value)!;
    const name = req ? labelOf(req.captureId) : 'heapscope';
    const suffix =
      format.value === 'memray-csv' && req?.snapshot?.kind === 'leaks' ? '.leaks.csv' : info.suffix;
    return `${baseName(name)}${req?.baseline && format.value !== 'speedscope' ? '-diff' : ''}${suffix}`;
  });

  function show(): void {
    if (!available.value.some((f) => f.value === format.value)) format.value = 'html';
    error.value = null;
    outcome.value = null;
    open.value = true;
  }

  function hide(): void {
    if (!busy.value) open.value = false;
  }

  /**
   * Electron: ask where to save, then the engine writes the file. Browser mode: the server
   * answers with the content, which becomes a download.
   */
  async function run(deliver: Deliver): Promise<ExportOutcome | null> {
    // Plain data: the view's filter and snapshot are reactive proxies, which Electron's IPC
    // (structured clone) refuses.
    const req = request.value ? (JSON.parse(JSON.stringify(request.value)) as ExportRequest) : null;
    if (!req || busy.value) return null;
    const client = useClient();
    const name = fileName.value;
    const mime = EXPORT_FORMATS.find((f) => f.value === req.format)!.mime;
    error.value = null;
    outcome.value = null;
    busy.value = true;
    startedAt.value = performance.now();
    try {
      let result;
      if (client.shell) {
        const path = await client.shell.chooseSavePath(name);
        if (!path) return null;
        result = await client.export({ ...req, outputPath: path });
      } else {
        result = await client.export(req);
        if (result.content === undefined) throw new Error('the server sent no content for the export');
        deliver(result.content, name, mime);
      }
      const path = result.outputPath;
      outcome.value = {
        format: req.format,
        fileName: path ? path.replace(/^.*[\\/]/, '') : name,
        ...(path && { path }),
        bytes: result.bytes,
        ms: performance.now() - startedAt.value,
      };
      return outcome.value;
    } catch (e) {
      error.value = errorMessage(e);
      return null;
    } finally {
      busy.value = false;
    }
  }

  const outcomeText = computed(() => {
    const o = outcome.value;
    if (!o) return '';
    return `${o.path ? `Saved to ${o.path}` : `Downloaded ${o.fileName}`} (${formatBytes(o.bytes, settings.units)})`;
  });

  return {
    open,
    format,
    redact,
    withBaseline,
    busy,
    startedAt,
    error,
    outcome,
    outcomeText,
    available,
    baselineDiff,
    usesBaseline,
    request,
    frozen,
    fileName,
    show,
    hide,
    run,
  };
});
