/**
 * One capture per worker thread: the worker reads and indexes the file, keeps the model, and
 * answers queries with display-size results. The main thread never parses.
 */
import { parentPort } from 'node:worker_threads';
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type { CaptureInfo, Progress, ProgressPhase } from '../../shared/api';
import type { CaptureModel, LoadProgress } from '../model/capture-model';
import { loadCapture } from '../formats/index';
import { toApiError } from './errors';
import { runQuery } from './handlers';
import { createSymbolizer, type NativeSymbolizer } from '../symbols/index';
import type { FromWorker, ToWorker } from './protocol';

const PROGRESS_INTERVAL_MS = 100;

const port = parentPort;
if (!port) throw new Error('main/engine/worker.ts must run as a worker thread');

let model: CaptureModel | undefined;
let captureId = '';
/** The opened file, for errors that do not name it. */
let capturePath = '';
let abort: AbortController | undefined;
/** Names native frames of this capture, searching where the open request said. */
let symbolizer: NativeSymbolizer | undefined;

function post(message: FromWorker): void {
  port!.postMessage(message);
}

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
  const opened = createSymbolizer(msg.symbols);
  try {
    const loaded = await loadCapture(msg.path, {
      signal,
      symbolizer: opened,
      ...(msg.chunkSize !== undefined && { chunkSize: msg.chunkSize }),
      withForkChildren: msg.withForkChildren ?? false,
      ...(msg.detail !== undefined && { detail: msg.detail }),
      ...(msg.series !== undefined && { series: msg.series }),
      onHeader: (info: CaptureInfo) => post({ type: 'header', info: { ...info, id: msg.captureId } }),
      onProgress: (p) => {
        last = p;
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

function query(msg: Extract<ToWorker, { type: 'query' }>): void {
  try {
    if (!model) throw new Error('the capture is not open yet');
    post({
      type: 'result',
      id: msg.id,
      value: runQuery(model, msg.method, msg.args, { captureId, symbolizer }),
    });
  } catch (error) {
    post({ type: 'error', id: msg.id, error: toApiError(error, { file: capturePath, during: 'query' }) });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'open':
      void open(msg);
      break;
    case 'query':
      query(msg);
      break;
    case 'cancel':
      abort?.abort();
      break;
  }
});
