// Test support only (not imported by production code): builds Snapshots from memray's
// `transform csv` oracles and from hand-written stacks, and reads `memray summary` tables.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import type { FrameKind, ThreadInfo } from '../../../shared/api';
import { FrameTable } from '../../model/frame-table';
import { SnapshotBuilder, type Snapshot } from '../../model/snapshot';
import { StackTrie } from '../../model/stack-trie';

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/query/${name}`, import.meta.url));
}

export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** A memray `transform csv` file as a Snapshot (stack_trace is innermost first). */
export function snapshotFromMemrayCsv(text: string, label = 'csv'): Snapshot {
  const parsed = Papa.parse<Record<string, string>>(text.trim(), { header: true, skipEmptyLines: true });
  const frames = new FrameTable();
  const stacks = new StackTrie();
  const builder = new SnapshotBuilder();
  const allocators: string[] = [];
  const threads = new Map<number, ThreadInfo>();
  for (const row of parsed.data) {
    const tid = Number(row.tid);
    if (!threads.has(tid)) threads.set(tid, { id: tid, label: row.thread_name });
    let a = allocators.indexOf(row.allocator);
    if (a < 0) a = allocators.push(row.allocator) - 1;
    const trace = row.stack_trace ?? '';
    const path: number[] = [];
    if (trace) {
      for (const part of trace.split('|')) {
        const lastSemi = part.lastIndexOf(';');
        const midSemi = part.lastIndexOf(';', lastSemi - 1);
        const fn = part.slice(0, midSemi);
        const file = part.slice(midSemi + 1, lastSemi);
        const line = Number(part.slice(lastSemi + 1));
        path.push(
          frames.intern(fn, file, line, file.endsWith('.py') || file.startsWith('<') ? 'python' : 'native'),
        );
      }
      path.reverse();
    }
    builder.add(stacks.intern(path), tid, a, Number(row.size), Number(row.num_allocations));
  }
  return { frames, stacks, threads: [...threads.values()], allocators, rows: builder.build(), label };
}

export type FrameSpec = [name: string, file: string, line: number, kind?: FrameKind];

/** A Snapshot from hand-written rows: stacks outermost first. */
export function syntheticSnapshot(
  rows: { stack: FrameSpec[]; bytes: number; count?: number; thread?: number; allocator?: string }[],
  threads: ThreadInfo[] = [{ id: 0, label: '0x0' }],
): Snapshot {
  const frames = new FrameTable();
  const stacks = new StackTrie();
  const builder = new SnapshotBuilder();
  const allocators: string[] = [];
  for (const r of rows) {
    const path = r.stack.map(([n, f, l, k]) => frames.intern(n, f, l, k ?? 'python'));
    const name = r.allocator ?? 'MALLOC';
    let a = allocators.indexOf(name);
    if (a < 0) a = allocators.push(name) - 1;
    builder.add(stacks.intern(path), r.thread ?? 0, a, r.bytes, r.count ?? 1);
  }
  return { frames, stacks, threads, allocators, rows: builder.build(), label: 'synthetic' };
}

export interface SummaryRow {
  function: string;
  file: string;
  totalBytes: number;
  ownBytes: number;
  count: number;
}

const UNIT: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** Rows of memray's `summary` table; sizes are rounded to 3 decimals of their (decimal) unit. */
export function parseMemraySummary(text: string): {
  rows: SummaryRow[];
  tolerance: (bytes: number) => number;
} {
  const rows: SummaryRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('│')) continue;
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    const at = cells[0].lastIndexOf(' at ');
    rows.push({
      function: cells[0].slice(0, at),
      file: cells[0].slice(at + 4),
      totalBytes: size(cells[1]),
      ownBytes: size(cells[3]),
      count: Number(cells[5]),
    });
  }
  return {
    rows,
    tolerance: (bytes) => {
      const unit = bytes >= 1e9 ? 1e9 : bytes >= 1e6 ? 1e6 : bytes >= 1e3 ? 1e3 : 1;
      return unit * 0.0005 + 1e-9;
    },
  };
}

function size(text: string): number {
  const m = /^([\d.]+)\s*([kMGT]?B)$/.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Number(m[1]) * UNIT[m[2]];
}
