/**
 * file:line of addresses from DWARF line tables, by a system tool found on this machine rather
 * than a DWARF reader of our own: llvm-symbolizer, GNU addr2line (binutils) or elfutils'
 * eu-addr2line. One child process per object and batch, every address on stdin, one output line
 * per address; a tool that is missing, fails or times out means "no lines", never an error.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface LineTool {
  name: 'llvm-symbolizer' | 'addr2line' | 'eu-addr2line';
  path: string;
}

export interface SourceLine {
  file: string;
  line: number;
}

/** Preferred first: llvm-symbolizer reads compressed and split DWARF the others may not. */
const TOOL_NAMES: LineTool['name'][] = ['llvm-symbolizer', 'addr2line', 'eu-addr2line'];
/** A batch that takes longer than this is abandoned (its object shows names without lines). */
const TOOL_TIMEOUT_MS = 20_000;

function onPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

let found: LineTool | null | undefined;

/** The first line tool on PATH (looked up once per process), or null when there is none. */
export function findLineTool(pathVar = process.env.PATH ?? ''): LineTool | null {
  if (found !== undefined && pathVar === process.env.PATH) return found;
  let tool: LineTool | null = null;
  for (const name of TOOL_NAMES) {
    const path = onPath(name, pathVar);
    if (path) {
      tool = { name, path };
      break;
    }
  }
  if (pathVar === process.env.PATH) found = tool;
  return tool;
}

function toolArgs(tool: LineTool, file: string): string[] {
  switch (tool.name) {
    case 'llvm-symbolizer':
      return [`--obj=${file}`, '--output-style=GNU', '--functions=none', '--no-inlines'];
    case 'addr2line':
    case 'eu-addr2line':
      return ['-e', file];
  }
}

/** `file:line`, `file:line:column` or `file:line (discriminator n)`; `??:0` is unknown. */
const LINE_OUTPUT = /^(.+?):(\d+)(?::\d+)?(?: \(discriminator \d+\))?$/;

export function parseLineOutput(text: string): SourceLine | undefined {
  const m = LINE_OUTPUT.exec(text.trim());
  if (!m || m[1] === '??' || m[1].startsWith('??')) return undefined;
  const line = Number(m[2]);
  return line > 0 ? { file: m[1], line } : undefined;
}

/**
 * The source line of each address (image-relative, p_vaddr space) in `file`, in order; an entry
 * is undefined where the tool knows none. One process for the whole batch.
 */
export function lookupLines(
  tool: LineTool,
  file: string,
  addresses: readonly number[],
): (SourceLine | undefined)[] {
  if (addresses.length === 0) return [];
  try {
    const out = execFileSync(tool.path, toolArgs(tool, file), {
      input: addresses.map((a) => `0x${a.toString(16)}`).join('\n') + '\n',
      encoding: 'utf8',
      timeout: TOOL_TIMEOUT_MS,
      maxBuffer: 64 << 20,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const lines = out.split('\n');
    return addresses.map((_, i) => (i < lines.length ? parseLineOutput(lines[i]) : undefined));
  } catch {
    return addresses.map(() => undefined);
  }
}
