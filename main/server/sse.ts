/**
 * Server-sent events with bounds on everything a client can make the server hold: the number of
 * streams, what each stream may have queued but not yet taken, and the events kept for replay to
 * a tab that connects later. A tab that stops reading is dropped (its EventSource reconnects and
 * gets the retained events again), so idle or slow clients cannot grow the server's memory.
 */

/** What the hub needs from a response stream (http.ServerResponse has all three). */
export interface SseSink {
  write(chunk: string): boolean;
  /** Bytes queued and not yet taken by the peer (response buffer + socket buffer). */
  readonly writableLength: number;
  destroy(): void;
}

export interface SseLimits {
  /** Open event streams at most; more are refused. */
  maxClients: number;
  /** A stream with more than this queued is dropped. */
  maxQueuedBytes: number;
  /** Retained events at most (the latest per key). */
  maxRetained: number;
  /** Retained events' total size at most; kept below maxQueuedBytes so a replay always fits. */
  maxRetainedBytes: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = {
  maxClients: 16,
  maxQueuedBytes: 1024 * 1024,
  maxRetained: 128,
  maxRetainedBytes: 512 * 1024,
};

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseHub {
  private readonly sinks = new Set<SseSink>();
  /** Latest frame per key, oldest first (a Map keeps insertion order; updates move to the end). */
  private readonly retained = new Map<string, string>();
  private retainedBytes = 0;
  readonly limits: SseLimits;

  constructor(limits: Partial<SseLimits> = {}) {
    this.limits = { ...DEFAULT_SSE_LIMITS, ...limits };
    if (this.limits.maxRetainedBytes >= this.limits.maxQueuedBytes)
      throw new Error('maxRetainedBytes must stay below maxQueuedBytes, or a replay would drop its client');
  }

  get clientCount(): number {
    return this.sinks.size;
  }

  get retainedCount(): number {
    return this.retained.size;
  }

  get retainedSize(): number {
    return this.retainedBytes;
  }

  /** Keeps `frame` as the latest event for `key`, evicting the oldest events beyond the bounds. */
  retain(key: string, frame: string): void {
    this.forget(key);
    this.retained.set(key, frame);
    this.retainedBytes += Buffer.byteLength(frame);
    for (const [oldKey] of this.retained) {
      if (this.retained.size <= this.limits.maxRetained && this.retainedBytes <= this.limits.maxRetainedBytes)
        break;
      this.forget(oldKey);
    }
  }

  forget(key: string): void {
    const old = this.retained.get(key);
    if (old === undefined) return;
    this.retained.delete(key);
    this.retainedBytes -= Buffer.byteLength(old);
  }

  /**
   * Adds a stream and replays the retained events to it. Returns false (and adds nothing) when
   * the hub is full.
   */
  add(sink: SseSink, preamble = ''): boolean {
    if (this.sinks.size >= this.limits.maxClients) return false;
    this.sinks.add(sink);
    this.send(sink, preamble + [...this.retained.values()].join(''));
    return true;
  }

  remove(sink: SseSink): void {
    this.sinks.delete(sink);
  }

  broadcast(frame: string): void {
    for (const sink of this.sinks) this.send(sink, frame);
  }

  /** Writes to one stream; a stream that has fallen too far behind is dropped instead. */
  send(sink: SseSink, frame: string): void {
    if (!this.sinks.has(sink) || frame === '') return;
    if (sink.writableLength + Buffer.byteLength(frame) > this.limits.maxQueuedBytes) {
      this.drop(sink);
      return;
    }
    sink.write(frame);
  }

  /** Ends every stream (server shutdown). */
  closeAll(end: (sink: SseSink) => void): void {
    for (const sink of this.sinks) end(sink);
    this.sinks.clear();
  }

  private drop(sink: SseSink): void {
    this.sinks.delete(sink);
    sink.destroy();
  }
}
