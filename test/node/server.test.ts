// Browser mode over real HTTP: API, SSE progress, static files, and the guards around them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureInfo, Progress, Summary } from '../../shared/api';
import { Engine } from '../../main/engine/engine';
import {
  argsFromBody,
  hostAllowed,
  resolveStaticPath,
  SERVER_CSP,
  startServer,
  type RunningServer,
} from '../../main/server/index';
import { writeBigMemrayCsv } from './engine-helpers/big-capture';
import { REPO, requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const SCALENE = requireFixture('scalene/leak.json');
const MEMRAY = requireFixture('memray/v12-memray1.19.3-py311/basic.bin');
const RENDERER = join(REPO, 'out', 'renderer');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  server: RunningServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function api(server: RunningServer, method: string, args: unknown[]): Promise<Reply> {
  return http(server, 'POST', `/api/${method}`, JSON.stringify(args), { 'Content-Type': 'application/json' });
}

interface Stream {
  headers: CaptureInfo[];
  waitFor(done: (events: Progress[]) => boolean): Promise<Progress[]>;
  close(): void;
}

/** Connects to /api/events; resolves once the stream is open. */
function connect(server: RunningServer): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const got: Progress[] = [];
    const headers: CaptureInfo[] = [];
    let check = (): void => undefined;
    const req = request({ host: '127.0.0.1', port: server.port, path: '/api/events' }, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buffer = '';
      let opened = false;
      res.on('data', (d: Buffer) => {
        buffer += d.toString();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(frame);
          if (/^event: progress$/m.test(frame) && data) got.push(JSON.parse(data[1]) as Progress);
          if (/^event: header$/m.test(frame) && data) headers.push(JSON.parse(data[1]) as CaptureInfo);
        }
        if (!opened) {
          opened = true;
          resolve({
            headers,
            waitFor: (done) =>
              new Promise((ok) => {
                check = () => {
                  if (done(got)) ok(got);
                };
                check();
              }),
            close: () => req.destroy(),
          });
        }
        check();
      });
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
    req.end();
  });
}

let engine: Engine;
let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  requireBuilt();
  tmp = await mkdtemp(join(tmpdir(), 'heapscope-server-'));
  engine = new Engine({ workerUrl: WORKER_URL });
  server = await startServer({ engine, port: 0, files: [SCALENE], rendererDir: RENDERER });
});

afterAll(async () => {
  await server?.close();
  await engine?.closeAll();
  await rm(tmp, { recursive: true, force: true });
});

describe('heapscope serve', () => {
  it('listens on loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves the built renderer with a strict CSP', async () => {
    const r = await http(server, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toContain('<div id="app">');
    expect(r.headers['content-security-policy']).toBe(SERVER_CSP);
    expect(SERVER_CSP).toContain("default-src 'self'");
    expect(SERVER_CSP).toContain("script-src 'self'");
    expect(SERVER_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const asset = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(r.body);
    expect(asset).not.toBeNull();
    const js = await http(server, 'GET', `/${asset![1]}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });

  it('opens the FILE arguments at start and lists them', async () => {
    let list: CaptureInfo[] = [];
    for (let i = 0; i < 100 && list.length === 0; i++) {
      list = JSON.parse((await api(server, 'list', [])).body) as CaptureInfo[];
      if (list.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(list.map((c) => c.facts.fileName)).toContain('leak.json');
  });

  it('answers POST /api/open and /api/summary with JSON', async () => {
    const opened = await api(server, 'open', [{ path: MEMRAY }]);
    expect(opened.status).toBe(200);
    const info = JSON.parse(opened.body) as CaptureInfo;
    expect(info.facts.format).toBe('memray');
    const summary = await api(server, 'summary', [{ captureId: info.id }]);
    expect(summary.status).toBe(200);
    const s = JSON.parse(summary.body) as Summary;
    expect(s.info.id).toBe(info.id);
    expect(s.peakBytes).toBeGreaterThan(50 * 1024 * 1024);
    // A single argument may also be sent bare.
    const bare = await http(server, 'POST', '/api/summary', JSON.stringify({ captureId: info.id }), {
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(bare.body)).toEqual(s);
  });

  it('streams progress over SSE, replaying what happened before the tab connected', async () => {
    const opened = JSON.parse((await api(server, 'open', [{ path: MEMRAY }])).body) as CaptureInfo;
    const stream = await connect(server);
    const got = await stream.waitFor((p) => p.some((e) => e.captureId === opened.id && e.phase === 'done'));
    stream.close();
    const done = got.find((e) => e.captureId === opened.id && e.phase === 'done')!;
    expect(done.bytesTotal).toBeGreaterThan(0);
    expect(done.bytesDone).toBe(done.bytesTotal);
  });

  it('sends live progress for a new open to a connected stream', async () => {
    const stream = await connect(server);
    const opened = JSON.parse(
      (await api(server, 'open', [{ path: requireFixture('scalene/threads.json') }])).body,
    ) as CaptureInfo;
    const got = await stream.waitFor((p) => p.some((e) => e.captureId === opened.id && e.phase === 'done'));
    stream.close();
    const phases = got.filter((e) => e.captureId === opened.id).map((e) => e.phase);
    // Live events arrive in order: the header first, done last.
    expect(phases[0]).toBe('header');
    expect(phases.at(-1)).toBe('done');
  });

  it('sends the capture facts as a header event before the records are read', async () => {
    const stream = await connect(server);
    const opened = JSON.parse(
      (await api(server, 'open', [{ path: requireFixture('memray/v12-memray1.19.3-py311/threads.bin') }]))
        .body,
    ) as CaptureInfo;
    await stream.waitFor((p) => p.some((e) => e.captureId === opened.id && e.phase === 'done'));
    stream.close();
    const header = stream.headers.find((h) => h.id === opened.id);
    expect(header?.facts.format).toBe('memray');
    expect(header?.facts.headerVersion).toBe(12);
  });

  it('returns export content to the browser instead of writing files', async () => {
    const info = JSON.parse((await api(server, 'open', [{ path: MEMRAY }])).body) as CaptureInfo;
    const r = await api(server, 'export', [
      { captureId: info.id, format: 'memray-csv', outputPath: 'ignored.csv' },
    ]);
    expect(r.status).toBe(200);
    const result = JSON.parse(r.body) as { content: string; bytes: number; outputPath?: string };
    expect(result.outputPath).toBeUndefined();
    expect(result.content.split(/\r?\n/)[0]).toBe(
      'allocator,num_allocations,size,tid,thread_name,stack_trace',
    );
    expect(result.bytes).toBe(Buffer.byteLength(result.content));
  });

  it('a tab can cancel a big open while it loads: the open answers 409 cancelled', async () => {
    const large = join(tmp, 'large.hwm.csv');
    await writeBigMemrayCsv(large, 1_000_000);
    const stream = await connect(server);
    const opening = api(server, 'open', [{ path: large }]);
    const got = await stream.waitFor((p) => p.some((e) => e.phase === 'reading'));
    const captureId = got.find((e) => e.phase === 'reading')!.captureId;
    const cancelled = await api(server, 'cancel', [captureId]);
    expect(cancelled.status).toBe(200);
    const reply = await opening;
    expect(reply.status).toBe(409);
    expect((JSON.parse(reply.body) as { code: string }).code).toBe('cancelled');
    await stream.waitFor((p) => p.some((e) => e.captureId === captureId && e.phase === 'cancelled'));
    stream.close();
  });

  it('maps API errors to statuses: bad input 400, unknown capture 404, unknown method 404', async () => {
    const bad = await api(server, 'open', [{ path: join(REPO, 'package.json') }]);
    expect(bad.status).toBe(400);
    const err = JSON.parse(bad.body) as { code: string; message: string; offset?: number };
    expect(err.code).toBe('bad-input');
    expect(err.offset).toBe(0);
    const missing = await api(server, 'summary', [{ captureId: 'nope' }]);
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as { code: string }).code).toBe('not-found');
    const unknown = await api(server, 'rm', []);
    expect(unknown.status).toBe(404);
    const notJson = await http(server, 'POST', '/api/list', '{', { 'Content-Type': 'application/json' });
    expect(notJson.status).toBe(400);
  });

  it('refuses requests a foreign page could forge', async () => {
    // A form post cannot set a JSON content type without a preflight.
    const form = await http(server, 'POST', '/api/list', '[]', { 'Content-Type': 'text/plain' });
    expect(form.status).toBe(415);
    const cross = await http(server, 'POST', '/api/list', '[]', {
      'Content-Type': 'application/json',
      Origin: 'https://evil.example',
    });
    expect(cross.status).toBe(403);
    // DNS rebinding: our port under a foreign name.
    const rebound = await http(server, 'GET', '/', undefined, { Host: `evil.example:${server.port}` });
    expect(rebound.status).toBe(421);
    const get = await http(server, 'GET', '/api/list');
    expect(get.status).toBe(405);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/%00index.html',
      '/assets/../../../etc/passwd',
    ]) {
      const r = await http(server, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('"name": "heapscope"');
    }
    const none = await http(server, 'GET', '/no-such-file.js');
    expect(none.status).toBe(404);
  });
});

describe('server helpers', () => {
  it('resolveStaticPath stays inside the root', () => {
    const root = '/srv/r';
    expect(resolveStaticPath(root, '/')).toBe('/srv/r/index.html');
    expect(resolveStaticPath(root, '/assets/a.js')).toBe('/srv/r/assets/a.js');
    expect(resolveStaticPath(root, '/../x')).toBeUndefined();
    expect(resolveStaticPath(root, '/a/%2e%2e/%2e%2e/x')).toBeUndefined();
    expect(resolveStaticPath(root, '/%E0%A4%A')).toBeUndefined();
    expect(resolveStaticPath(root, '/a\\..\\x')).toBeUndefined();
  });

  it('hostAllowed accepts only loopback names for a loopback bind', () => {
    expect(hostAllowed('127.0.0.1:8400', '127.0.0.1', 8400)).toBe(true);
    expect(hostAllowed('localhost:8400', '127.0.0.1', 8400)).toBe(true);
    expect(hostAllowed('localhost:8401', '127.0.0.1', 8400)).toBe(false);
    expect(hostAllowed('attacker.test:8400', '127.0.0.1', 8400)).toBe(false);
    expect(hostAllowed(undefined, '127.0.0.1', 8400)).toBe(false);
    expect(hostAllowed('box.lan:8400', '0.0.0.0', 8400)).toBe(true);
  });

  it('argsFromBody never lets a browser name an export path', () => {
    expect(
      argsFromBody(
        'export',
        JSON.stringify([{ captureId: 'c1', format: 'csv', outputPath: '/etc/cron.d/x' }]),
      ),
    ).toEqual([{ captureId: 'c1', format: 'csv' }]);
    expect(argsFromBody('list', '')).toEqual([]);
    expect(argsFromBody('cancel', '"c1"')).toEqual(['c1']);
  });
});
