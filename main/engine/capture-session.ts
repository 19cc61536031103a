/**
 * What one capture's engine side does with each message: open the file, hold the model, answer
 * queries with display-size results, stop on cancel. Written against a `post` callback so the
 * same code runs in a worker thread (worker.ts) or in the calling thread (in-thread.ts).
 */
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type { CaptureInfo, Progress, ProgressPhase } from '../../shared/api';
import type { CaptureModel, LoadProgress } from '../model/capture-model';
import { loadCapture } from '../formats/index';
import { toApiError } from './errors';
import { prepareQuery, runQuery } from './handlers';
import { LoadPreviews } from './preview';
import { createSymbolizer, type NativeSymbolizer } from '../symbols/index';
import type { FromWorker, ToWorker } from './protocol';

const PROGRESS_INTERVAL_MS = 100;

/** Returns the handler of the messages sent to this capture; its answers go to `post`. */
export function createCaptureSession(post: (message: FromWorker) => void): (msg: ToWorker) => void {
  let model: CaptureModel | undefined;
  let captureId = '';
  /** The opened file, for errors that do not name it. */
  let capturePath = '';
  let abort: AbortController | undefined;
  /** Names native frames of this capture, searching where the open request said. */
  let symbolizer: NativeSymbolizer | undefined;

  async function open(msg: Extract<ToWorker, { type: 'open' }>): Promise<void> {
    const started = performance.now();
    abort = new AbortController();
    const signal = abort.signal;
    let last: LoadProgress = { bytesDone: 0, bytesTotal: 0, records: 0 };
    try {
      last.bytesTotal = (await stat(msg.path)).size;
    } catch {
      // loadCapture reports the missing file with its own message.
    }
    let lastSent = 0;
    const progressEvent = (phase: ProgressPhase, message?: string): Progress => {
      const p: Progress = {
        captureId: msg.captureId,
        phase,
        bytesDone: last.bytesDone,
        bytesTotal: last.bytesTotal,
        records: last.records,
        elapsedMs: Math.round(performance.now() - started),
        path: msg.path,
      };
      if (message !== undefined) p.message = message;
      return p;
    };
    const progress = (phase: ProgressPhase, message?: string): void => {
      post({ type: 'progress', progress: progressEvent(phase, message) });
    };
    progress('header');
    const previews =
      msg.previewIntervalMs === undefined
        ? undefined
        : new LoadPreviews(msg.captureId, msg.previewIntervalMs);
    const opened = createSymbolizer(msg.symbols);
    try {
      const loaded = await loadCapture(msg.path, {
        signal,
        symbolizer: opened,
        ...(msg.chunkSize !== undefined && { chunkSize: msg.chunkSize }),
        withForkChildren: msg.withForkChildren ?? false,
        ...(msg.detail !== undefined && { detail: msg.detail }),
        ...(msg.series !== undefined && { series: msg.series }),
        onHeader: (header: CaptureInfo) => {
          const info = { ...header, id: msg.captureId };
          previews?.header(info);
          post({ type: 'header', info });
        },
        onProgress: (p) => {
          last = p;
          // A cancelled open shows nothing more: its tab is going away.
          const preview = signal.aborted ? undefined : previews?.next(p);
          if (preview) post({ type: 'preview', preview });
          const now = performance.now();
          if (now - lastSent >= PROGRESS_INTERVAL_MS) {
            lastSent = now;
            progress('reading');
          }
        },
      });
      // A loader that ignores the signal must not turn a cancelled open into a ready capture.
      if (signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      model = loaded;
      symbolizer = opened;
      captureId = msg.captureId;
      capturePath = msg.path;
      if (last.bytesTotal > 0) last = { ...last, bytesDone: last.bytesTotal };
      const info = { ...model.info(), id: msg.captureId };
      if (!info.records && last.records) info.records = last.records;
      // 'done' travels with 'ready': a listener that hears 'done' and asks for the list must find
      // the capture in it (as two messages, a client's list request could land between them).
      post({ type: 'ready', id: msg.id, info, progress: progressEvent('done') });
    } catch (error) {
      const apiError = toApiError(
        signal.aborted ? Object.assign(new Error('cancelled'), { name: 'AbortError' }) : error,
        { file: msg.path, offset: last.bytesDone, during: 'reading' },
      );
      if (apiError.code === 'bad-input' && !apiError.file) apiError.file = basename(msg.path);
      progress(apiError.code === 'cancelled' ? 'cancelled' : 'error', apiError.message);
      post({ type: 'error', id: msg.id, error: apiError });
    } finally {
      abort = undefined;
    }
  }

  async function query(msg: Extract<ToWorker, { type: 'query' }>): Promise<void> {
    try {
      if (!model) throw new Error('the capture is not open yet');
      await prepareQuery(msg.method);
      post({
        type: 'result',
        id: msg.id,
        value: runQuery(model, msg.method, msg.args, { captureId, symbolizer }),
      });
    } catch (error) {
      post({ type: 'error', id: msg.id, error: toApiError(error, { file: capturePath, during: 'query' }) });
    }
  }

  return (msg: ToWorker) => {
    switch (msg.type) {
      case 'open':
        void open(msg);
        break;
      case 'query':
        void query(msg);
        break;
      case 'cancel':
        abort?.abort();
        break;
    }
  };
}
