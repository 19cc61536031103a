// A capture worker whose "loader" never yields and ignores cancel, like a long synchronous parse.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (msg) => {
  if (msg.type !== 'open') return;
  parentPort.postMessage({
    type: 'progress',
    progress: {
      captureId: msg.captureId,
      phase: 'reading',
      bytesDone: 0,
      bytesTotal: 1,
      records: 0,
      elapsedMs: 0,
    },
  });
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    // busy: the cancel message cannot be seen
  }
});
