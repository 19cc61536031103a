import { describe, expect, it } from 'vitest';
import { JsonStreamParser, JsonSyntaxError, MAX_DEPTH } from './json-stream';

describe('JSON nesting is bounded (issue 11: 8 MB of "[" peaked at 946 MB before its refusal)', () => {
  it('refuses at the first bracket past the limit, with its offset, before reading on', () => {
    const parser = new JsonStreamParser();
    const before = process.memoryUsage().heapUsed;
    let error: unknown;
    try {
      for (let i = 0; i < 64; i++) parser.write(Buffer.alloc(128 * 1024, '['));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonSyntaxError);
    expect((error as JsonSyntaxError).offset).toBe(MAX_DEPTH);
    expect((error as Error).message).toMatch(/nested deeper than 256 levels/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 2 ** 20);
  });

  it('accepts nesting up to the limit', () => {
    const parser = new JsonStreamParser();
    parser.write(Buffer.from(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`));
    expect(parser.end()).toBeInstanceOf(Array);
  });
});
