import { spawn } from 'node:child_process';
import { copyFileSync, linkSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, requireBuilt, requireFixture } from './engine-helpers/paths';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('the CLI with hostile input (issue 11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-hostile-cli-'));
  beforeAll(() => requireBuilt());

  it('never writes over an input: same path, another spelling, a symlink, a hardlink', async () => {
    const capture = join(dir, 'capture.csv');
    copyFileSync(requireFixture('memray-csv/v13-memray1.20.0-py313/basic.hwm.csv'), capture);
    const before = readFileSync(capture);
    linkSync(capture, join(dir, 'hard.csv'));
    symlinkSync(capture, join(dir, 'soft.csv'));
    const targets = [capture, join(dir, '.', 'capture.csv'), join(dir, 'hard.csv'), join(dir, 'soft.csv')];
    for (const out of targets) {
      for (const args of [
        ['export', capture, '--format', 'memray-csv', '-o', out],
        ['report', capture, '-o', out],
        ['check', capture, '--max-peak', '1GB', '--junit', out],
      ]) {
        const r = await run(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(/refusing to write .*: it is the input/);
        expect(readFileSync(capture).equals(before)).toBe(true);
      }
    }
    // a new file is fine
    const r = await run(['export', capture, '--format', 'memray-csv', '-o', join(dir, 'out.csv')]);
    expect(r.code).toBe(0);
  });

  it('a refusal quoting file content escapes it (no terminal escape reaches stderr)', async () => {
    // protocol-2 pickle: PROTO 2, GLOBAL "os\x1b]0;pwned\x07\n" "system\n"
    const pickle = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x63]),
      Buffer.from('os\x1b]0;pwned\x07\nsystem\n', 'latin1'),
      Buffer.from([0x2e]),
    ]);
    const file = join(dir, 'title.pickle');
    writeFileSync(file, pickle);
    const r = await run(['stats', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
    expect(r.stderr).toMatch(/at byte \d+/);
  });

  it('a memray CSV row with a bad column names the row, the column and its byte offset', async () => {
    const file = join(dir, 'bad.csv');
    const head = 'allocator,num_allocations,size,tid,thread_name,stack_trace\r\n';
    const good = 'MALLOC,1,64,1,0x1,f;a.py;1\r\n';
    writeFileSync(file, `${head}${good}MALLOC,many,64,1,0x1,f;a.py;1\r\n`);
    const r = await run(['stats', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `row 3, column num_allocations: expected a whole number of allocations (0 or more), found "many" (at byte ${head.length + good.length})`,
    );
  });
});
