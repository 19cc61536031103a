/**
 * The WebAssembly trace loop (trace-loop.ts) against the decoder's general switch, which folds
 * every trace and reads every frame and traceback on its own (the reference: `webAssembly =
 * false`): on every dump of the fixtures (test/fixtures and, when present, the shared ones),
 * read whole and in odd chunk sizes, and on thousands of damaged copies (bytes changed where the
 * traces are), the two must give the same snapshot, down to each node's sums and each node's
 * frames, or the same error at the same byte.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TracemallocPickleDecoder } from './pickle-decoder';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/tracemalloc/', import.meta.url));
/** The shared fixtures (the large pair among them), beside the repository when checked out. */
const SHARED = fileURLToPath(new URL('../../../../shared/fixtures/tracemalloc/', import.meta.url));

/** Every dump, as a path relative to ROOT (the shared ones as `shared:` + their path). */
function dumps(): string[] {
  const out: string[] = [];
  for (const [root, prefix] of [
    [ROOT, ''],
    [SHARED, 'shared:'],
  ]) {
    if (!existsSync(root)) continue;
    for (const dir of readdirSync(root)) {
      const full = join(root, dir);
      if (!statSync(full).isDirectory()) continue;
      for (const f of readdirSync(full)) if (/\.pickle(\.gz)?$/.test(f)) out.push(prefix + join(dir, f));
    }
  }
  return out.sort();
}

function bytesOf(rel: string): Uint8Array {
  const raw = readFileSync(rel.startsWith('shared:') ? join(SHARED, rel.slice(7)) : join(ROOT, rel));
  if (!rel.endsWith('.gz')) return raw;
  try {
    return gunzipSync(raw);
  } catch {
    return raw;
  }
}

/** Tracebacks the WebAssembly loop read in the last `outcome` (0 with the general switch). */
let tracebacksInLoop = 0;

/** Everything a decode produces, or its error, as comparable JSON. */
function outcome(bytes: Uint8Array, chunk: number, webAssembly: boolean): string {
  const decoder = new TracemallocPickleDecoder(bytes.length, 'x', undefined, webAssembly);
  try {
    for (let at = 0; at < bytes.length && !decoder.done; at += chunk)
      decoder.feed(bytes.subarray(at, Math.min(bytes.length, at + chunk)));
    const d = decoder.finish();
    tracebacksInLoop = decoder.tracebacksInLoop;
    // Each node's frame and parent, and each frame's place: the trie and the frame table whole.
    const trie: number[] = [];
    for (let node = 1; node < d.stacks.size; node++) trie.push(d.stacks.parent(node), d.stacks.frame(node));
    const frames: string[] = [];
    for (let id = 0; id < d.frames.size; id++) frames.push(`${d.frames.files[id]}:${d.frames.lines[id]}`);
    return JSON.stringify({
      trie,
      frames,
      traceCount: d.traceCount,
      totalSize: d.totalSize,
      tracebackLimit: d.tracebackLimit,
      traceTupleLen: d.traceTupleLen,
      truncatedTraces: d.truncatedTraces,
      maxTotalNframe: d.maxTotalNframe,
      nodes: d.stacks.size,
      domains: d.domains.map((a) => {
        const perNode: [number, number, number][] = [];
        for (let i = 0; i < a.length; i++)
          if (a.counts[i] > 0) perNode.push([a.nodes[i], a.bytes[i], a.counts[i]]);
        perNode.sort((x, y) => x[0] - y[0]);
        return {
          domain: a.domain,
          size: a.size,
          count: a.count,
          smallSize: a.smallSize,
          smallCount: a.smallCount,
          histCount: [...a.histCount],
          histSize: [...a.histSize],
          perNode,
        };
      }),
    });
  } catch (error) {
    const e = error as Error & { offset?: number; decoded?: { traceCount: number; totalSize: number } };
    return JSON.stringify({
      error: e.message,
      offset: e.offset,
      partial: e.decoded && [e.decoded.traceCount, e.decoded.totalSize],
    });
  }
}

/** A small seeded PRNG (mulberry32), so a failure names the case that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the WebAssembly trace loop equals the general switch', () => {
  for (const rel of dumps()) {
    it(`${rel}: whole and in 4096, 13 (and, when small, 7 and 1)-byte chunks`, () => {
      const bytes = bytesOf(rel);
      const tiny = bytes.length < 100_000 ? [7, 1] : [];
      // The large pair (15 MB each) is read whole and in 4096-byte chunks only.
      const odd = bytes.length < 4_000_000 ? [13, ...tiny] : [];
      for (const chunk of [bytes.length || 1, 4096, ...odd]) {
        const fast = outcome(bytes, chunk, true);
        const inLoop = tracebacksInLoop;
        expect(fast, `chunk ${chunk}`).toBe(outcome(bytes, chunk, false));
        // The loop reads tracebacks of four frames or more (MARK … TUPLE) of domain 0 with
        // protocol 4's MEMOIZE, whole in a chunk: in the inventory workloads and the large pair.
        if (chunk >= 4096 && /(inventory-(before|after)|large-(before|after))\.pickle/.test(rel))
          expect(inLoop, 'tracebacks read by the WebAssembly loop').toBeGreaterThan(0);
      }
    }, 120_000);
  }

  it('damaged copies: bytes changed in the traces give the same snapshot or the same error', () => {
    const sources = ['numpy/numpy-domainfilter.pickle', 'nframe/deep-nframe50-py39.pickle.gz'].map(bytesOf);
    // Values that are opcodes of a trace, or break one: MARK, BININT1/2/4, BINGET, LONG_BINGET,
    // TUPLE, MEMOIZE, LONG1 and a byte that is no opcode.
    // TUPLE2 and EMPTY_TUPLE are in a traceback's frames.
    const interesting = [0x28, 0x4b, 0x4d, 0x4a, 0x68, 0x6a, 0x74, 0x94, 0x86, 0x29, 0x8a, 0xff, 0x00, 0x80];
    let differentOutcomes = 0;
    for (let seed = 1; seed <= 250; seed++) {
      const rnd = random(seed);
      const source = sources[seed % sources.length];
      const bytes = new Uint8Array(source);
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        // Past the header, where the traces are.
        const at = 200 + Math.floor(rnd() * (bytes.length - 200));
        bytes[at] =
          rnd() < 0.5 ? interesting[Math.floor(rnd() * interesting.length)] : Math.floor(rnd() * 256);
      }
      const chunk = [bytes.length, 4096, 13][seed % 3];
      const fast = outcome(bytes, chunk, true);
      expect(fast, `seed ${seed}`).toBe(outcome(bytes, chunk, false));
      if (fast !== outcome(source, chunk, true)) differentOutcomes++;
    }
    // The damage must reach the decoder: most cases end differently from the intact dump.
    expect(differentOutcomes).toBeGreaterThan(125);
  }, 120_000);
});
