import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Papa from 'papaparse';

/**
 * Test helpers: the memray fixture captures and the oracle files memray itself produced beside
 * them (`*.stats.json`, `*.hwm.csv`, `*.leaks.csv`, `*.parse.txt`, optionally gzipped).
 */
export interface FixtureCapture {
  folder: string;
  name: string;
  path: string;
  sizeBytes: number;
  oracle: (suffix: 'stats.json' | 'hwm.csv' | 'leaks.csv' | 'parse.txt') => string | undefined;
}

export function listCaptures(root: string): FixtureCapture[] {
  if (!existsSync(root)) return [];
  const out: FixtureCapture[] = [];
  for (const folder of readdirSync(root).sort()) {
    const dir = join(root, folder);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.bin(\.\d+)?$/.test(name)) continue;
      const path = join(dir, name);
      out.push({
        folder,
        name,
        path,
        sizeBytes: statSync(path).size,
        oracle: (suffix) => readOracle(join(dir, `${name.replace(/\.bin$/, '')}.${suffix}`)),
      });
    }
  }
  return out;
}

function readOracle(path: string): string | undefined {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  if (existsSync(`${path}.gz`)) return gunzipSync(readFileSync(`${path}.gz`)).toString('utf8');
  return undefined;
}

export interface CsvRow {
  allocator: string;
  num_allocations: string;
  size: string;
  tid: string;
  thread_name: string;
  stack_trace: string;
}

export function parseCsv(text: string): CsvRow[] {
  const r = Papa.parse<CsvRow>(text, { header: true, skipEmptyLines: true });
  return r.data;
}

/** Record counts by type from a `memray parse` dump (first word of each line). */
export function parseDumpCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    const type = sp < 0 ? line : line.slice(0, sp);
    if (type === 'HEADER') continue;
    out[type] = (out[type] ?? 0) + 1;
  }
  return out;
}

/** A frame of memray's CSV stack string is Python when its file looks like Python source. */
export function isPythonFrame(frame: string): boolean {
  const parts = frame.split(';');
  const file = parts[parts.length - 2] ?? '';
  // memray's native frames carry a C/C++ source path from debug info, or `<unknown>`.
  return file !== '<unknown>' && !/\.(c|h|cc|cpp|cxx|hh|hpp|inc|S|s|rs)$/.test(file);
}
