// Browser mode over real HTTP: API, SSE progress, static files, and the guards around them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureInfo, OpenRequest, Progress, Summary } from '../../shared/api';
import { Engine } from '../../main/engine/engine';
import {
  argsFromBody,
  classifyPaths,
  hostAllowed,
  hostProblem,
  originAllowed,
  resolveStaticPath,
  SERVER_CSP,
  startServer,
  tokenMatches,
  type RunningServer,
} from '../../main/server/index';
import { isAllowedPath, realPathOrNearest } from '../../main/server/allowlist';
import { SseHub, sseFrame, type SseSink } from '../../main/server/sse';
import { checkApiArgs } from '../../main/server/validate';
import { writeBigMemrayCsv } from './engine-helpers/big-capture';
import { CLI, REPO, requireBuilt, requireFixture, WORKER_URL } from './engine-helpers/paths';

const SCALENE = requireFixture('scalene/leak.json');
const MEMRAY = requireFixture('memray/v12-memray1.19.3-py311/basic.bin');
const FIXTURES = join(REPO, 'test', 'fixtures');
const RENDERER = join(REPO, 'out', 'renderer');
/** What a secret file holds; no reply may ever contain it. */
const SECRET = 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request as the page sends it: with the token header unless `headers` sets its own (or `null`). */
function http(
  server: RunningServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string | null> = {},
): Promise<Reply> {
  const all: Record<string, string> = { 'X-Heapscope-Token': server.token };
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) delete all[k];
    else all[k] = v;
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers: all }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function api(
  server: RunningServer,
  method: string,
  args: unknown[],
  headers: Record<string, string | null> = {},
): Promise<Reply> {
  return http(server, 'POST', `/api/${method}`, JSON.stringify(args), {
    'Content-Type': 'application/json',
    ...headers,
  });
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
    const path = `/api/events?token=${encodeURIComponent(server.token)}`;
    const req = request({ host: '127.0.0.1', port: server.port, path }, (res) => {
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
  await writeFile(join(tmp, 'notes.txt'), `${SECRET}\n`);
  await writeFile(join(tmp, 'key.bin'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x51, 0x7e, 0xc4, 0xe7]));
  // A folder named on the command line is allowed as a whole, and not opened.
  server = await startServer({
    engine,
    port: 0,
    files: [SCALENE, FIXTURES],
    dirs: [tmp],
    rendererDir: RENDERER,
  });
});

afterAll(async () => {
  await server?.close();
  await engine?.closeAll();
  await rm(tmp, { recursive: true, force: true });
});

describe('heapscope serve', () => {
  it('listens on loopback by default, with a fresh token in the URL it prints', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    // 32 random bytes, base64url.
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves the built renderer with a strict CSP', async () => {
    const r = await http(server, 'GET', `/?token=${server.token}`, undefined, { 'X-Heapscope-Token': null });
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
    // Scripts and styles hold no data: they load without the token.
    const js = await http(server, 'GET', `/${asset![1]}`, undefined, { 'X-Heapscope-Token': null });
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
    // The page learns the command line's files, in order, to order its tabs.
    const startup = await http(server, 'GET', '/api/startup');
    expect(JSON.parse(startup.body)).toEqual({ files: [SCALENE] });
  });

  it('reads only the symbol folders a page sends that lie under a folder named on serve', async () => {
    const seen: OpenRequest[] = [];
    const original = engine.open.bind(engine);
    engine.open = (req) => {
      seen.push(req);
      return original(req);
    };
    try {
      const opened = await api(server, 'open', [
        { path: MEMRAY, symbols: { sysroots: ['/'], debugDirs: ['/etc'] } },
      ]);
      expect(opened.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]).not.toHaveProperty('symbols');
      // Settings › Symbols works in browser mode for folders under one named on `serve`.
      const under = join(FIXTURES, 'memray');
      expect(
        (await api(server, 'open', [{ path: MEMRAY, symbols: { sysroots: ['/', under] } }])).status,
      ).toBe(200);
      expect(seen[1].symbols).toEqual({ sysroots: [under] });
      expect((await api(server, 'open', [{ path: MEMRAY, symbols: { debugDirs: [tmp] } }])).status).toBe(200);
      expect(seen[2].symbols).toEqual({ debugDirs: [tmp] });
    } finally {
      engine.open = original;
    }
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
    const bad = await api(server, 'open', [{ path: join(tmp, 'notes.txt') }]);
    expect(bad.status).toBe(400);
    const err = JSON.parse(bad.body) as { code: string; message: string; offset?: number };
    expect(err.code).toBe('bad-input');
    expect(err.offset).toBe(0);
    expect(err.message).toMatch(/notes\.txt: not a capture .*found text/);
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
    // The whole origin counts: another scheme or port on the same host is another site.
    for (const origin of [
      `https://127.0.0.1:${server.port}`,
      `http://127.0.0.1:${server.port + 1}`,
      `http://evil.example:${server.port}`,
      'null',
    ]) {
      const r = await api(server, 'list', [], { Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(JSON.parse(r.body).message).toMatch(/refused/);
    }
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      expect((await api(server, 'list', [], { Origin: origin })).status, origin).toBe(200);
    }
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

describe('the per-launch token', () => {
  it('the page, every API call and every event stream need it', async () => {
    const page = await http(server, 'GET', '/', undefined, { 'X-Heapscope-Token': null });
    expect(page.status).toBe(401);
    expect(page.body).toMatch(/needs its access token.*\?token=/);
    expect(page.body).not.toContain('<div id="app">');
    const index = await http(server, 'GET', '/index.html?token=guess', undefined, {
      'X-Heapscope-Token': null,
    });
    expect(index.status).toBe(403);
    expect(index.body).toMatch(/wrong access token/);

    const none = await api(server, 'list', [], { 'X-Heapscope-Token': null });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/token/),
    });
    const wrong = await api(server, 'list', [], { 'X-Heapscope-Token': `${server.token.slice(0, -1)}x` });
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.body).message).toMatch(/wrong access token/);
    // Nothing else is told to a caller without it, not even which methods exist.
    const unknown = await api(server, 'rm', [], { 'X-Heapscope-Token': null });
    expect(unknown.status).toBe(401);

    const events = await http(server, 'GET', '/api/events', undefined, { 'X-Heapscope-Token': null });
    expect(events.status).toBe(401);
    expect(events.headers['content-type']).toMatch(/json/);
    const startup = await http(server, 'GET', '/api/startup?token=x', undefined, {
      'X-Heapscope-Token': null,
    });
    expect(startup.status).toBe(403);
  });

  it('is accepted as the query parameter too (EventSource cannot send headers)', async () => {
    const r = await http(server, 'POST', `/api/list?token=${server.token}`, '[]', {
      'X-Heapscope-Token': null,
      'Content-Type': 'application/json',
    });
    expect(r.status).toBe(200);
  });

  it('differs on every start', async () => {
    const other = await startServer({ engine, port: 0, rendererDir: RENDERER });
    try {
      expect(other.token).not.toBe(server.token);
      expect((await api(other, 'list', [], { 'X-Heapscope-Token': server.token })).status).toBe(403);
    } finally {
      await other.close();
    }
  });

  it('tokenMatches compares whole tokens only', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});

describe('what the page may open', () => {
  function refusedWithoutEcho(r: Reply): void {
    expect(r.status).toBe(403);
    const err = JSON.parse(r.body) as { code: string; message: string };
    expect(err.message).toMatch(/refused: .* not a file named on `heapscope serve`/);
    expect(r.body).not.toContain('"name": "heapscope"');
    expect(r.body).not.toContain('root:');
    expect(r.body).not.toContain(SECRET);
  }

  it('refuses files outside what the command line named, without reading them', async () => {
    refusedWithoutEcho(await api(server, 'open', [{ path: join(REPO, 'package.json') }]));
    refusedWithoutEcho(await api(server, 'open', [{ path: '/etc/passwd' }]));
    refusedWithoutEcho(await api(server, 'open', [{ path: join(tmp, '..', '..', 'etc', 'passwd') }]));
    refusedWithoutEcho(await api(server, 'open', [{ path: 'package.json' }]));
    // A folder named is not a file to open, and a sibling folder with the same prefix is not inside it.
    refusedWithoutEcho(await api(server, 'open', [{ path: FIXTURES }]));
    refusedWithoutEcho(await api(server, 'open', [{ path: `${FIXTURES}-other/x.bin` }]));
  });

  it('a symlink inside an allowed folder cannot lead outside it', async () => {
    const link = join(tmp, 'innocent.bin');
    await symlink(join(REPO, 'package.json'), link);
    refusedWithoutEcho(await api(server, 'open', [{ path: link }]));
  });

  it('opens any file under a folder named, and says a missing one there is missing', async () => {
    const threads = await api(server, 'open', [{ path: requireFixture('scalene/threads.json') }]);
    expect(threads.status).toBe(200);
    const missing = await api(server, 'open', [{ path: join(tmp, 'sub', 'nope.bin') }]);
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).message).toMatch(/nope\.bin: no such file/);
  });

  it('never quotes a non-capture file it may open, text or binary', async () => {
    for (const name of ['notes.txt', 'key.bin']) {
      const r = await api(server, 'open', [{ path: join(tmp, name) }]);
      expect(r.status, name).toBe(400);
      expect(r.body).not.toContain('AWS_SECRET');
      expect(r.body).not.toContain('wJalrXUtnFEMI');
      expect(r.body).not.toMatch(/de ad be ef|dead ?beef/i);
      expect(JSON.parse(r.body).message).toMatch(/not a capture Heapscope can read/);
    }
  });

  it('with only files named, exactly those files', async () => {
    const only = await startServer({ engine, port: 0, files: [SCALENE], rendererDir: RENDERER });
    try {
      expect((await api(only, 'open', [{ path: SCALENE }])).status).toBe(200);
      refusedWithoutEcho(await api(only, 'open', [{ path: MEMRAY }]));
      refusedWithoutEcho(await api(only, 'open', [{ path: requireFixture('scalene/threads.json') }]));
    } finally {
      await only.close();
    }
  });

  it('isAllowedPath: the files themselves, or strictly under a folder', async () => {
    const roots = { files: new Set(['/data/a.bin']), dirs: ['/runs'] };
    expect(isAllowedPath('/data/a.bin', roots)).toBe(true);
    expect(isAllowedPath('/data/b.bin', roots)).toBe(false);
    expect(isAllowedPath('/runs/x/y.bin', roots)).toBe(true);
    expect(isAllowedPath('/runs', roots)).toBe(false);
    expect(isAllowedPath('/runs-old/y.bin', roots)).toBe(false);
    expect(isAllowedPath('/etc/passwd', roots)).toBe(false);
    // A missing path resolves through its nearest existing folder.
    await mkdir(join(tmp, 'real'), { recursive: true });
    await symlink(join(tmp, 'real'), join(tmp, 'alias'));
    expect(await realPathOrNearest(join(tmp, 'alias', 'none', 'x.bin'))).toBe(
      join(await realPathOrNearest(join(tmp, 'real')), 'none', 'x.bin'),
    );
  });
});

describe('malformed API arguments', () => {
  it('are answered 400 with what is wrong, never 500', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['summary', [null], /summary needs a request object/],
      ['summary', [{ captureId: 5 }], /captureId must be a non-empty string/],
      ['summary', ['c1'], /request object/],
      ['summary', [{ captureId: 'c1', range: { fromMs: 'a', toMs: 2 } }], /fromMs and toMs/],
      ['flamegraph', [{ captureId: 'c1', snapshot: { kind: 'x' } }], /kind must be one of/],
      ['flamegraph', [{ captureId: 'c1' }], /snapshot must be a snapshot object/],
      ['table', [{ captureId: 'c1', snapshot: { kind: 'peak' } }], /groupBy must be one of/],
      ['table', [{ captureId: 'c1', snapshot: { kind: 'peak' }, groupBy: 'line', limit: -1 }], /limit/],
      ['table', [{ captureId: 'c1', snapshot: { kind: 'at' }, groupBy: 'line' }], /timeMs/],
      [
        'table',
        [{ captureId: 'c1', snapshot: { kind: 'peak' }, groupBy: 'line', filter: { threads: 'x' } }],
        /threads/,
      ],
      ['diff', [{ base: { captureId: 'c1' }, groupBy: 'line' }], /diff: base\.snapshot/],
      ['export', [{ captureId: 'c1', format: 'exe' }], /format must be one of/],
      ['open', [{}], /path must be a non-empty string/],
      ['open', [{ path: MEMRAY, detail: 'most' }], /detail/],
      ['cancel', [3], /capture id/],
      ['lineSamples', [{ captureId: 'c1', file: 'a.py', line: 'x' }], /line must be a whole number/],
    ];
    for (const [method, args, message] of cases) {
      const r = await api(server, method, args);
      expect(r.status, `${method} ${JSON.stringify(args)}`).toBe(400);
      const err = JSON.parse(r.body) as { code: string; message: string };
      expect(err.code).toBe('bad-input');
      expect(err.message).toMatch(message);
    }
    const notJson = await http(server, 'POST', '/api/summary', '{"captureId": "c1"', {
      'Content-Type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).message).toBe('the body of /api/summary is not valid JSON');
    const huge = await http(server, 'POST', '/api/list', `[${'0,'.repeat(600_000)}0]`, {
      'Content-Type': 'application/json',
    });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).message).toMatch(/request body is larger than/);
  });

  it('checkApiArgs lets every well-formed request through', () => {
    const snapshot = { kind: 'range', fromMs: 0, toMs: 10, measure: 'peak' };
    expect(checkApiArgs('list', [])).toBeUndefined();
    expect(
      checkApiArgs('open', [{ path: 'a.bin', withForkChildren: true, detail: 'totals' }]),
    ).toBeUndefined();
    expect(checkApiArgs('close', ['c1'])).toBeUndefined();
    expect(
      checkApiArgs('table', [
        {
          captureId: 'c1',
          snapshot,
          groupBy: 'traceback',
          sortBy: 'ownBytes',
          descending: true,
          search: '',
          offset: 0,
          limit: 50,
          filter: { threads: [1, 2], mergeThreads: false, allocators: ['MALLOC'] },
        },
      ]),
    ).toBeUndefined();
    expect(
      checkApiArgs('diff', [
        {
          base: { captureId: 'c1', snapshot: { kind: 'peak' } },
          target: { captureId: 'c2', snapshot: { kind: 'at', timeMs: 5 } },
          groupBy: 'line',
          cumulative: true,
        },
      ]),
    ).toBeUndefined();
    expect(
      checkApiArgs('export', [
        {
          captureId: 'c1',
          format: 'html',
          baseline: { captureId: 'c2', snapshot: { kind: 'leaks' } },
          redact: true,
        },
      ]),
    ).toBeUndefined();
    expect(
      checkApiArgs('flamegraph', [{ captureId: 'c1', snapshot, sandwich: { name: 'f', file: 'a.py' } }]),
    ).toBeUndefined();
    expect(checkApiArgs('lineSamples', [{ captureId: 'c1', file: 'a.py', line: 9 }])).toBeUndefined();
  });
});

describe('starting the server', () => {
  it('refuses a --host that is not loopback', async () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::', 'example.com']) {
      await expect(startServer({ engine, port: 0, host, rendererDir: RENDERER }), host).rejects.toMatchObject(
        {
          code: 'bad-input',
          message: expect.stringMatching(/loopback only/),
        },
      );
    }
    expect(hostProblem('127.0.0.1')).toBeUndefined();
    expect(hostProblem('::1')).toBeUndefined();
    expect(hostProblem('localhost')).toBeUndefined();
  });

  it('fails before serving when a named file is missing', async () => {
    await expect(
      startServer({ engine, port: 0, files: [SCALENE, '/nope.bin'], rendererDir: RENDERER }),
    ).rejects.toMatchObject({ code: 'not-found', message: '/nope.bin: no such file or folder' });
    await expect(classifyPaths([SCALENE, FIXTURES])).resolves.toEqual({ files: [SCALENE], dirs: [FIXTURES] });
  });

  it('`heapscope serve /nope.bin` exits 2 with one line and serves nothing', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '/nope.bin', '--port', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('heapscope: /nope.bin: no such file or folder\n');
  });

  it('`heapscope serve --host 0.0.0.0` exits 2', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', SCALENE, '--host', '0.0.0.0', '--port', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/loopback only/);
  });
});

describe('event streams are bounded', () => {
  /** A stream whose reader never takes anything: everything written stays queued. */
  class StuckSink implements SseSink {
    writableLength = 0;
    destroyed = false;
    write(chunk: string): boolean {
      this.writableLength += Buffer.byteLength(chunk);
      return false;
    }
    destroy(): void {
      this.destroyed = true;
    }
  }
  /** A stream whose reader keeps up: nothing stays queued. */
  class DrainedSink extends StuckSink {
    received = 0;
    override write(chunk: string): boolean {
      this.received += Buffer.byteLength(chunk);
      return true;
    }
  }

  it('drops a stream that stops reading once its queue passes the bound, and keeps one that reads', () => {
    const hub = new SseHub({
      maxClients: 50,
      maxQueuedBytes: 10_000,
      maxRetained: 8,
      maxRetainedBytes: 4000,
    });
    const stuck = Array.from({ length: 40 }, () => new StuckSink());
    for (const sink of stuck) expect(hub.add(sink)).toBe(true);
    const reader = new DrainedSink();
    hub.add(reader);
    const frame = sseFrame('progress', {
      captureId: 'c1',
      phase: 'reading',
      bytesDone: 1,
      pad: 'x'.repeat(200),
    });
    for (let i = 0; i < 1000; i++) hub.broadcast(frame);
    for (const sink of stuck) {
      expect(sink.destroyed).toBe(true);
      // Never more than the bound was queued for it.
      expect(sink.writableLength).toBeLessThanOrEqual(10_000);
    }
    expect(reader.destroyed).toBe(false);
    expect(reader.received).toBe(1000 * Buffer.byteLength(frame));
    expect(hub.clientCount).toBe(1);
  });

  it('refuses streams beyond the limit', () => {
    const hub = new SseHub({ maxClients: 3 });
    const sinks = Array.from({ length: 3 }, () => new DrainedSink());
    for (const s of sinks) expect(hub.add(s)).toBe(true);
    expect(hub.add(new DrainedSink())).toBe(false);
    hub.remove(sinks[0]);
    expect(hub.add(new DrainedSink())).toBe(true);
  });

  it('keeps the latest event per capture for late tabs, within a count and a size', () => {
    const hub = new SseHub({
      maxClients: 4,
      maxQueuedBytes: 100_000,
      maxRetained: 16,
      maxRetainedBytes: 8000,
    });
    // A thousand failed opens, each with its own capture id.
    for (let i = 0; i < 1000; i++)
      hub.retain(
        `progress:c${i}`,
        sseFrame('progress', { captureId: `c${i}`, phase: 'error', message: 'no' }),
      );
    expect(hub.retainedCount).toBeLessThanOrEqual(16);
    expect(hub.retainedSize).toBeLessThanOrEqual(8000);
    // Updates replace, they do not add.
    for (let i = 0; i < 100; i++)
      hub.retain('progress:live', sseFrame('progress', { captureId: 'live', n: i }));
    const late = new DrainedSink();
    hub.add(late);
    expect(late.received).toBe(hub.retainedSize);
    hub.retain('big', 'x'.repeat(9000));
    expect(hub.retainedSize).toBeLessThanOrEqual(8000);
  });

  it('a server answers 503 to event streams beyond its limit', async () => {
    const small = await startServer({ engine, port: 0, rendererDir: RENDERER, sseLimits: { maxClients: 2 } });
    const streams: Stream[] = [];
    try {
      streams.push(await connect(small), await connect(small));
      const third = await http(small, 'GET', `/api/events?token=${small.token}`);
      expect(third.status).toBe(503);
      expect(JSON.parse(third.body).message).toMatch(/too many open event streams/);
    } finally {
      for (const s of streams) s.close();
      await small.close();
    }
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

  it('hostAllowed accepts only loopback names with our port', () => {
    expect(hostAllowed('127.0.0.1:8400', '127.0.0.1', 8400)).toBe(true);
    expect(hostAllowed('localhost:8400', '127.0.0.1', 8400)).toBe(true);
    expect(hostAllowed('[::1]:8400', '::1', 8400)).toBe(true);
    expect(hostAllowed('127.0.0.2:8400', '127.0.0.2', 8400)).toBe(true);
    expect(hostAllowed('localhost:8401', '127.0.0.1', 8400)).toBe(false);
    expect(hostAllowed('attacker.test:8400', '127.0.0.1', 8400)).toBe(false);
    expect(hostAllowed(undefined, '127.0.0.1', 8400)).toBe(false);
  });

  it('originAllowed compares scheme, host and port', () => {
    expect(originAllowed('http://127.0.0.1:8400', '127.0.0.1', 8400)).toBe(true);
    expect(originAllowed('http://localhost:8400', '127.0.0.1', 8400)).toBe(true);
    expect(originAllowed('https://127.0.0.1:8400', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('ws://127.0.0.1:8400', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('http://127.0.0.1:8401', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('http://127.0.0.1:8400/path', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('http://user@127.0.0.1:8400', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('null', '127.0.0.1', 8400)).toBe(false);
    expect(originAllowed('http://127.0.0.1', '127.0.0.1', 80)).toBe(true);
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
