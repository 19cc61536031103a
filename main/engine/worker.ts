/**
 * One capture per worker thread: the worker reads and indexes the file, keeps the model, and
 * answers queries with display-size results (capture-session.ts). The main thread never parses.
 */
import { parentPort } from 'node:worker_threads';
import { createCaptureSession } from './capture-session';
import type { ToWorker } from './protocol';

const port = parentPort;
if (!port) throw new Error('main/engine/worker.ts must run as a worker thread');

const handle = createCaptureSession((message) => port.postMessage(message));
port.on('message', (msg: ToWorker) => handle(msg));
