// The export store against a recording fake engine: what request the dialog sends in each shell.
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CaptureInfo, ExportRequest, ExportResult, HeapscopeApi } from '@shared/api';
import type { ShellApi } from '@shared/ipc';
import { setClient, type ViewClient } from '../../client';
import { useCapturesStore } from '../../stores/captures';
import { useExportStore } from '../../stores/export';
import { useSettingsStore } from '../../stores/settings';
import { useViewStore } from '../../stores/view';

function info(id: string, format: CaptureInfo['facts']['format'], fileName: string): CaptureInfo {
  return {
    id,
    facts: { format, path: `captures/${fileName}`, fileName, sizeBytes: 10 },
    capabilities: {
      timeline: format === 'memray',
      ranges: format === 'memray',
      threads: true,
      native: false,
      peak: true,
      leaks: format === 'memray',
      allAllocations: format === 'memray',
      flamegraph: true,
    },
    truncated: false,
    warnings: [],
    threads: [
      { id: 1, label: '0x1' },
      { id: 2, label: '0x2 (loader)' },
    ],
    durationMs: 1000,
    records: 5,
  };
}

class Fake {
  exports: ExportRequest[] = [];
  saveNames: string[] = [];
  savePath: string | null = 'exports/chosen.html';
  fail = false;
  /** When set, exports wait for this before answering (to see the store while busy). */
  gate: Promise<void> | null = null;
  client(desktop: boolean): ViewClient {
    const byPath: Record<string, CaptureInfo> = {
      'a.bin': info('c1', 'memray', 'a.bin'),
      'b.bin': info('c2', 'memray', 'b.bin'),
      'snap.pickle.gz': info('c3', 'tracemalloc', 'snap.pickle.gz'),
    };
    const api: Partial<HeapscopeApi> = {
      open: async (req) => byPath[req.path],
      list: async () => [],
      export: async (req): Promise<ExportResult> => {
        this.exports.push(structuredClone(req));
        if (this.gate) await this.gate;
        if (this.fail) throw { code: 'internal', message: 'disk full' };
        const content = `content of ${req.format}`;
        return req.outputPath
          ? { format: req.format, outputPath: req.outputPath, bytes: 1234 }
          : { format: req.format, content, bytes: content.length };
      },
    };
    const shell: ShellApi = {
      chooseFiles: async () => [],
      chooseSavePath: async (name) => {
        this.saveNames.push(name);
        return this.savePath;
      },
      recentFiles: async () => [],
      pathForDroppedFile: () => '',
    };
    return { ...(api as HeapscopeApi), onProgress: () => undefined, ...(desktop && { shell }) };
  }
}

let fake: Fake;
async function setup(desktop: boolean, ...paths: string[]) {
  setActivePinia(createPinia());
  fake = new Fake();
  setClient(fake.client(desktop));
  const captures = useCapturesStore();
  for (const p of paths) await captures.open(p);
  return { captures, view: useViewStore(), exp: useExportStore(), settings: useSettingsStore() };
}

beforeEach(() => setClient(null));

describe('export store', () => {
  it('browser mode: sends the frozen view and delivers the content as a named download', async () => {
    const { view, exp } = await setup(false, 'a.bin');
    view.setSnapshotKind('leaks');
    view.setRange({ fromMs: 100, toMs: 400 });
    view.setFilter({ threads: [2], hideImportSystem: true });
    exp.format = 'csv';
    expect(exp.frozen).toMatchObject({
      capture: 'a.bin',
      snapshot: 'range 100 ms – 400 ms (live-at-end)',
      threads: '0x2 (loader)',
      baseline: null,
    });
    const delivered: [string, string, string][] = [];
    const outcome = await exp.run((...args) => delivered.push(args));
    expect(fake.exports).toEqual([
      {
        format: 'csv',
        captureId: 'c1',
        filter: { mergeThreads: true, hideImportSystem: true, hideInternals: true, threads: [2] },
        snapshot: { kind: 'range', fromMs: 100, toMs: 400, measure: 'live-at-end' },
        range: { fromMs: 100, toMs: 400 },
      },
    ]);
    expect(delivered).toEqual([['content of csv', 'a.csv', 'text/csv']]);
    expect(outcome).toMatchObject({ fileName: 'a.csv', bytes: 'content of csv'.length });
    expect(outcome?.path).toBeUndefined();
    expect(exp.outcomeText).toMatch(/^Downloaded a\.csv/);
    expect(exp.busy).toBe(false);
  });

  it('desktop: asks where to save, writes there and shows the path; a cancelled dialog exports nothing', async () => {
    const { exp } = await setup(true, 'a.bin');
    exp.redact = true;
    const outcome = await exp.run(() => {
      throw new Error('no download in the desktop shell');
    });
    expect(fake.saveNames).toEqual(['a-report.html']);
    expect(fake.exports).toHaveLength(1);
    expect(fake.exports[0]).toMatchObject({
      format: 'html',
      outputPath: 'exports/chosen.html',
      redact: true,
    });
    expect(outcome).toMatchObject({ path: 'exports/chosen.html', fileName: 'chosen.html', bytes: 1234 });
    expect(exp.outcomeText).toContain('Saved to exports/chosen.html');

    fake.savePath = null;
    expect(await exp.run(() => undefined)).toBeNull();
    expect(fake.exports).toHaveLength(1);
    expect(exp.busy).toBe(false);
  });

  it('includes the chosen baseline as the diff (swapped when the view is swapped), unless turned off', async () => {
    const { captures, view, exp } = await setup(false, 'b.bin', 'a.bin');
    captures.activate('c2');
    view.baselineId = 'c1';
    exp.format = 'html';
    expect(exp.frozen?.baseline).toBe('a.bin (peak)');
    await exp.run(() => undefined);
    expect(fake.exports[0]).toMatchObject({
      captureId: 'c2',
      snapshot: { kind: 'peak' },
      baseline: { captureId: 'c1', snapshot: { kind: 'peak' } },
    });
    expect(exp.fileName).toBe('b-diff-report.html');
    // Redaction only exists for the HTML report.
    exp.redact = true;
    exp.format = 'json';
    expect(exp.request?.redact).toBeUndefined();
    expect(exp.request?.baseline).toBeDefined();
    // speedscope has no diff form: the capture alone.
    exp.format = 'speedscope';
    expect(exp.request?.baseline).toBeUndefined();
    exp.format = 'html';
    exp.withBaseline = false;
    expect(exp.request?.baseline).toBeUndefined();
    expect(exp.fileName).toBe('b-report.html');
  });

  it('is busy while the engine works, and ignores a second click meanwhile', async () => {
    const { exp } = await setup(false, 'a.bin');
    let open!: () => void;
    fake.gate = new Promise((resolve) => (open = resolve));
    exp.show();
    const first = exp.run(() => undefined);
    await Promise.resolve();
    expect(exp.busy).toBe(true);
    expect(await exp.run(() => undefined)).toBeNull();
    // The dialog stays up until the export is done.
    exp.hide();
    expect(exp.open).toBe(true);
    open();
    expect(await first).not.toBeNull();
    expect(exp.busy).toBe(false);
    expect(fake.exports).toHaveLength(1);
  });

  it('offers memray CSV only for memray data, and reports a failed export', async () => {
    const { captures, exp } = await setup(false, 'a.bin', 'snap.pickle.gz');
    captures.activate('c1');
    expect(exp.available.map((f) => f.value)).toContain('memray-csv');
    captures.activate('c3');
    expect(exp.available.map((f) => f.value)).not.toContain('memray-csv');
    exp.format = 'memray-csv';
    exp.show();
    expect(exp.format).toBe('html');
    fake.fail = true;
    expect(await exp.run(() => undefined)).toBeNull();
    expect(exp.error).toBe('disk full');
    expect(exp.outcome).toBeNull();
  });
});
