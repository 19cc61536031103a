/**
 * What one mutant goes through: both ways the app reads a capture. `totals` is the light replay
 * behind `stats --json`; `full` is the model behind export, report, stats and the app, opened
 * through the format registry and asked what the engine worker would ask.
 */
import { loadCapture } from '../../main/formats/index';
import { runQuery } from '../../main/engine/handlers';
import type { CaptureModel } from '../../main/model/capture-model';

export type Mode = 'totals' | 'full';

export type Outcome =
  | { kind: 'ok'; truncated: boolean }
  /** Our error type with the file and a byte offset: what a person is owed. */
  | { kind: 'refused'; message: string; offset: number; unsafeText: boolean }
  /** Our error type, but it does not say where. */
  | { kind: 'refused-no-offset'; message: string }
  /** Any other exception. */
  | { kind: 'crash'; message: string; stack: string };

/** Control characters, separators and bidi overrides: what a message must never carry raw. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function isOurs(error: unknown): error is Error & { file?: string; offset?: number } {
  return error instanceof Error && error.name === 'InputError';
}

function isUnsupported(error: unknown): boolean {
  return error instanceof Error && error.name === 'UnsupportedQuery';
}

/** A query the capture may not offer (no time axis, no leaks): UnsupportedQuery is an answer. */
function ask(model: CaptureModel, method: Parameters<typeof runQuery>[1], args: unknown): void {
  try {
    runQuery(model, method, args, { captureId: 'fuzz' });
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  }
}

function fullQueries(model: CaptureModel): void {
  ask(model, 'summary', {});
  for (const kind of ['peak', 'leaks'] as const) {
    ask(model, 'flamegraph', { snapshot: { kind } });
    ask(model, 'flamegraph', { snapshot: { kind }, inverted: true });
    ask(model, 'table', { snapshot: { kind }, groupBy: 'line', limit: 50 });
    ask(model, 'table', { snapshot: { kind }, groupBy: 'function', limit: 50 });
    ask(model, 'allocators', { snapshot: { kind } });
    ask(model, 'groups', { snapshot: { kind }, groupBy: 'traceback' });
  }
  ask(model, 'timeline', { maxPoints: 200 });
  ask(model, 'statsJson', {});
  for (const leaks of [false, true]) ask(model, 'exportTable', { kind: 'memray-csv', leaks });
  const info = model.info();
  if (info.capabilities.ranges && info.durationMs > 0) {
    const mid = info.durationMs / 2;
    ask(model, 'summary', { range: { fromMs: 0, toMs: mid } });
    ask(model, 'flamegraph', { snapshot: { kind: 'range', fromMs: 0, toMs: mid, measure: 'peak' } });
  }
}

export async function runTarget(path: string, mode: Mode): Promise<Outcome> {
  try {
    const model = await loadCapture(path, mode === 'totals' ? { detail: 'totals' } : {});
    if (mode === 'totals') ask(model, 'statsJson', {});
    else fullQueries(model);
    return { kind: 'ok', truncated: model.info().truncated };
  } catch (error) {
    if (isOurs(error)) {
      if (error.file === undefined || error.offset === undefined)
        return { kind: 'refused-no-offset', message: error.message };
      return {
        kind: 'refused',
        message: error.message,
        offset: error.offset,
        unsafeText: UNSAFE.test(error.message),
      };
    }
    const e = error instanceof Error ? error : new Error(String(error));
    return { kind: 'crash', message: `${e.name}: ${e.message}`, stack: e.stack ?? '' };
  }
}
