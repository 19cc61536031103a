/**
 * A capture's session in the calling thread, behind the same port a worker thread offers
 * (`CapturePort`): the CLI's one-shot commands use it, since no UI thread needs to stay free
 * and a worker costs its start-up. Measured on the large tracemalloc dump (15 MB, 1.08 M
 * traces): a worker's start, its own copy of the engine bundle and the messages cost about
 * 0.08 s CPU per capture, a quarter of `heapscope stats --json`.
 *
 * Messages are structured-cloned both ways, as a worker's are, so the engine and the model
 * never share an object; and they are delivered after the current task, as a worker's are.
 */
import type { CapturePort } from './engine';
import type { FromWorker, ToWorker } from './protocol';

type Event = 'message' | 'error' | 'messageerror' | 'exit';

export class InThreadCapture implements CapturePort {
  private readonly listeners = new Map<Event, ((value: never) => void)[]>();
  private readonly session: Promise<(msg: ToWorker) => void>;
  private stopped = false;

  constructor() {
    // Loaded on first use: a transport that never opens in-thread never loads the readers here.
    this.session = import('./capture-session').then(({ createCaptureSession }) =>
      createCaptureSession((message) => this.deliver(message)),
    );
    this.session.catch((error: Error) => this.emit('error', error));
  }

  on(event: 'message', listener: (message: FromWorker) => void): void;
  on(event: 'error' | 'messageerror', listener: (error: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  on(event: Event, listener: (value: never) => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
  }

  postMessage(message: ToWorker): void {
    const copy = structuredClone(message);
    void this.session.then(
      (handle) => {
        if (!this.stopped) handle(copy);
      },
      () => undefined,
    );
  }

  /** Stops the session: a load still running sees its cancel at its next chunk. */
  async terminate(): Promise<number> {
    if (this.stopped) return 1;
    this.stopped = true;
    void this.session.then(
      (handle) => handle({ type: 'cancel' }),
      () => undefined,
    );
    this.emit('exit', 1);
    return 1;
  }

  private deliver(message: FromWorker): void {
    if (this.stopped) return;
    const copy = structuredClone(message);
    // Never inside the session's own call: an engine-side failure must not look like the model's.
    queueMicrotask(() => {
      if (!this.stopped) this.emit('message', copy);
    });
  }

  private emit(event: Event, value: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (v: unknown) => void)(value);
  }
}
