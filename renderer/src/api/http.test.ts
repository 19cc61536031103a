// The browser-mode transport with a fake fetch and EventSource: what goes on the wire, and how
// errors and events come back.
import { describe, expect, it } from 'vitest';
import type { CaptureInfo, Progress } from '../../../shared/api';
import { HeapscopeError } from '../../../shared/api-error';
import { createHttpClient } from './http';

interface Sent {
  url: string;
  method: string;
  contentType: string | null;
  body: unknown;
}

function fakeFetch(reply: (sent: Sent) => { status: number; body: string }, tokens: (string | null)[] = []) {
  const sent: Sent[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    tokens.push(new Headers(init.headers).get('x-heapscope-token'));
    const s: Sent = {
      url,
      method: init.method ?? 'GET',
      contentType: new Headers(init.headers).get('content-type'),
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    };
    sent.push(s);
    const r = reply(s);
    return new Response(r.body, { status: r.status });
  }) as unknown as typeof fetch;
  return { sent, impl };
}

class FakeEventSource {
  static last: FakeEventSource | undefined;
  readonly listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, listener: (e: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, data: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l({ data: JSON.stringify(data) } as MessageEvent<string>);
  }
}

describe('createHttpClient', () => {
  it('POSTs the argument list as JSON to /api/<method>', async () => {
    const info = { id: 'c1' } as CaptureInfo;
    const { sent, impl } = fakeFetch(() => ({ status: 200, body: JSON.stringify(info) }));
    const client = createHttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: impl });
    expect(client.transport).toBe('http');
    expect(client.shell).toBeUndefined();
    await expect(client.open({ path: '/data/a.bin' })).resolves.toEqual(info);
    await client.cancel('c1');
    await client.list();
    expect(sent).toEqual([
      {
        url: 'http://127.0.0.1:9/api/open',
        method: 'POST',
        contentType: 'application/json',
        body: [{ path: '/data/a.bin' }],
      },
      { url: 'http://127.0.0.1:9/api/cancel', method: 'POST', contentType: 'application/json', body: ['c1'] },
      { url: 'http://127.0.0.1:9/api/list', method: 'POST', contentType: 'application/json', body: [] },
    ]);
  });

  it('turns an error reply into a HeapscopeError with code, file and offset', async () => {
    const { impl } = fakeFetch(() => ({
      status: 400,
      body: JSON.stringify({ code: 'bad-input', message: 'not a capture', file: 'x.bin', offset: 0 }),
    }));
    const client = createHttpClient({ baseUrl: '', fetch: impl });
    const error = await client.open({ path: 'x.bin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeapscopeError);
    expect(error).toMatchObject({ code: 'bad-input', message: 'not a capture', file: 'x.bin', offset: 0 });
  });

  it('reports a reply that is not JSON, and an unreachable server, as internal errors', async () => {
    const html = createHttpClient({
      baseUrl: '',
      fetch: fakeFetch(() => ({ status: 502, body: '<html>' })).impl,
    });
    await expect(html.list()).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('502'),
    });
    const down = createHttpClient({
      baseUrl: '',
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
    });
    await expect(down.list()).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('cannot be reached'),
    });
  });

  it('subscribes to progress, header and preview events over one EventSource', () => {
    const client = createHttpClient({
      baseUrl: 'http://h',
      fetch: fakeFetch(() => ({ status: 200, body: 'null' })).impl,
      EventSource: FakeEventSource as unknown as typeof EventSource,
    });
    const progress: Progress[] = [];
    const headers: CaptureInfo[] = [];
    const off = client.onProgress((p) => progress.push(p));
    client.onHeader!((h) => headers.push(h));
    const previews: unknown[] = [];
    client.onPreview!((v) => previews.push(v));
    const source = FakeEventSource.last!;
    expect(source.url).toBe('http://h/api/events?token=');
    const p: Progress = {
      captureId: 'c1',
      phase: 'reading',
      bytesDone: 1,
      bytesTotal: 2,
      records: 3,
      elapsedMs: 4,
    };
    source.emit('progress', p);
    source.emit('header', { id: 'c1' });
    source.emit('preview', { captureId: 'c1', records: 3, timeline: null });
    off();
    source.emit('progress', p);
    expect(progress).toEqual([p]);
    expect(headers).toEqual([{ id: 'c1' }]);
    expect(previews).toEqual([{ captureId: 'c1', records: 3, timeline: null }]);
    // One stream for all subscribers.
    client.onProgress(() => undefined);
    expect(FakeEventSource.last).toBe(source);
  });

  it('sends the token with every call, in the header, and in the query of the event stream', async () => {
    const tokens: (string | null)[] = [];
    const { impl } = fakeFetch(() => ({ status: 200, body: '[]' }), tokens);
    const client = createHttpClient({
      baseUrl: 'http://h',
      token: 'a+b/c=',
      fetch: impl,
      EventSource: FakeEventSource as unknown as typeof EventSource,
    });
    await client.list();
    await client.summary({ captureId: 'c1' });
    expect(tokens).toEqual(['a+b/c=', 'a+b/c=']);
    client.onProgress(() => undefined);
    const url = new URL(FakeEventSource.last!.url);
    expect(url.pathname).toBe('/api/events');
    expect(url.searchParams.get('token')).toBe('a+b/c=');
  });

  it('asks the server which files it was started with, in order', async () => {
    const tokens: (string | null)[] = [];
    const { sent, impl } = fakeFetch(() => ({ status: 200, body: '{"files":["/b.bin","/a.bin"]}' }), tokens);
    const client = createHttpClient({ baseUrl: 'http://h', token: 't', fetch: impl });
    await expect(client.startupFiles()).resolves.toEqual(['/b.bin', '/a.bin']);
    expect(sent).toEqual([
      { url: 'http://h/api/startup', method: 'GET', contentType: null, body: undefined },
    ]);
    expect(tokens).toEqual(['t']);
  });

  it('passes a refusal for a missing or wrong token on as the server worded it', async () => {
    const { impl } = fakeFetch(() => ({
      status: 403,
      body: JSON.stringify({ code: 'bad-input', message: 'wrong access token: open the URL …' }),
    }));
    const client = createHttpClient({ baseUrl: '', token: 'nope', fetch: impl });
    await expect(client.list()).rejects.toMatchObject({
      message: expect.stringMatching(/wrong access token/),
    });
  });
});
