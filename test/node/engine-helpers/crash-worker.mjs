// A capture worker that dies on its first message: the engine must turn that into an error.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', () => {
  throw new Error('worker crashed on purpose');
});
