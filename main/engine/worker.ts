/**
 * One capture per worker thread: the worker reads and indexes the file, keeps the model, and
 * answers queries with display-size results (capture-session.ts). The main thread never parses.
 */
import { parentPort } from 'node:worker_threads';
import { createCaptureSession } from './capture-session';
import type { ToWorker } from './protocol';
import { releaseLoadMemory } from './release-memory';

const port = parentPort;
if (!port) throw new Error('main/engine/worker.ts must run as a worker thread');

const handle = createCaptureSession((message) => {
  port.postMessage(message);
  // a load ended: its garbage goes back at once (release-memory.ts), after the answer is on its way
  if (message.type === 'ready') setImmediate(releaseLoadMemory);
});
port.on('message', (msg: ToWorker) => handle(msg));
