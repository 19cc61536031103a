/**
 * Native symbolization for a capture read on another machine than the one that recorded it.
 *
 * Per mapped object, on the first frame that falls in it (never while a file opens: the model
 * labels frames when a query first builds stacks): find the copy whose segments match, its
 * debug file by build-id or debuglink (locate.ts), and read the function symbols of the richer
 * of the two. Names are then a binary search. Lines are lazier still: only for the frames a
 * query returns (`sources`, applied to results by main/engine/native-sources.ts), one
 * line-tool process per object and batch, cached per address.
 * Whatever is not found stays `libfoo.so+0x1a2b`, and `note()` says why.
 */
import type { SourceLocation, SymbolObject, SymbolSearch, SymbolsNote } from '../../shared/api';
import { functionIndexAt, type ElfSymbolTable } from '../formats/elf/elf-file';
import { offsetLabel, type NativeObject, type Symbolizer } from '../model/symbolizer';
import { demangle } from './demangle';
import { findLineTool, lookupLines, type LineTool } from './lines';
import { locate, type Located } from './locate';

export interface NativeSymbolizerOptions {
  /** The tool for file:line; default the first one on PATH, null for names only. */
  lineTool?: LineTool | null;
  /** Also search /usr/lib/debug (default true; tests turn it off to stay hermetic). */
  systemDebugDir?: boolean;
}

interface ObjectEntry {
  object: NativeObject;
  located: Located;
  table: ElfSymbolTable | null;
  /** Demangled names by symbol index, filled as frames ask. */
  names: Map<number, string>;
  /** The file whose DWARF line tables answer for this object, if any. */
  lineFile?: string;
  lines: Map<number, SourceLocation | null>;
  /** Frames labelled in this object (the note lists only objects that shown frames touch). */
  frames: number;
}

/** A frame label handed out, and the address whose source line describes it. */
interface LabelAddress {
  entry: ObjectEntry;
  address: number;
}

export class NativeSymbolizer implements Symbolizer {
  private readonly objects = new Map<string, ObjectEntry>();
  private readonly labels = new Map<string, LabelAddress>();
  readonly lineTool: LineTool | null;
  private readonly systemDebugDir: boolean;

  constructor(
    readonly search: SymbolSearch = {},
    options: NativeSymbolizerOptions = {},
  ) {
    this.lineTool = options.lineTool !== undefined ? options.lineTool : findLineTool();
    this.systemDebugDir = options.systemDebugDir ?? true;
  }

  nativeName(object: NativeObject, offset: number): string {
    const entry = this.entry(object);
    entry.frames++;
    // A return address points just past its call: the call itself is at offset - 1 (memray
    // symbolizes the same way).
    const at = offset - 1;
    const index = entry.table ? functionIndexAt(entry.table, at) : -1;
    if (index < 0) {
      const label = offsetLabel(object.path, offset);
      this.remember(object.path, label, entry, at);
      return label;
    }
    let name = entry.names.get(index);
    if (name === undefined) {
      name = demangle(entry.table!.name[index]);
      entry.names.set(index, name);
    }
    // A named frame stands for every call site in the function: its source is the function's.
    this.remember(object.path, name, entry, entry.table!.start[index]);
    return name;
  }

  /**
   * Source locations of frames (as the model labelled them: name and object path), undefined
   * for frames that are not native labels of this symbolizer or have no line information.
   */
  sources(frames: readonly { name: string; file: string }[]): (SourceLocation | undefined)[] {
    const wanted = frames.map((f) => this.labels.get(labelKey(f.file, f.name)));
    const pending = new Map<ObjectEntry, Set<number>>();
    for (const w of wanted) {
      if (!w || !w.entry.lineFile || w.entry.lines.has(w.address)) continue;
      let set = pending.get(w.entry);
      if (!set) pending.set(w.entry, (set = new Set()));
      set.add(w.address);
    }
    for (const [entry, set] of pending) {
      const addresses = [...set];
      const found = lookupLines(this.lineTool!, entry.lineFile!, addresses);
      addresses.forEach((a, i) => entry.lines.set(a, found[i] ?? null));
    }
    return wanted.map((w) => (w ? (w.entry.lines.get(w.address) ?? undefined) : undefined));
  }

  /** What became of every object that labelled frames fell in. */
  note(): SymbolsNote {
    const objects: SymbolObject[] = [];
    for (const e of this.objects.values()) {
      if (e.frames === 0) continue;
      objects.push(describeObject(e));
    }
    objects.sort((a, b) => a.path.localeCompare(b.path));
    return {
      objects,
      ...(this.lineTool && { lineTool: this.lineTool.name }),
      text: noteText(objects, this.lineTool),
    };
  }

  private remember(path: string, label: string, entry: ObjectEntry, address: number): void {
    const key = labelKey(path, label);
    if (!this.labels.has(key)) this.labels.set(key, { entry, address });
  }

  private entry(object: NativeObject): ObjectEntry {
    const key = `${object.path}\0${object.segments.map((s) => s.join(':')).join(',')}`;
    let e = this.objects.get(key);
    if (!e) {
      e = this.load(object);
      this.objects.set(key, e);
    }
    return e;
  }

  private load(object: NativeObject): ObjectEntry {
    const located = locate(object, this.search, this.systemDebugDir);
    const own = located.object?.facts;
    const debug = located.debug?.facts;
    // A debug file's .symtab holds the static functions a stripped object's .dynsym lacks.
    const table =
      debug && debug.symbolSource === 'symtab'
        ? debug.symbols
        : own && own.symbols.name.length > 0
          ? own.symbols
          : debug && debug.symbols.name.length > 0
            ? debug.symbols
            : null;
    const lineFile = !this.lineTool
      ? undefined
      : debug?.hasLineTables
        ? located.debug!.path
        : own?.hasLineTables
          ? located.object!.path
          : undefined;
    return {
      object,
      located,
      table,
      names: new Map(),
      ...(lineFile !== undefined && { lineFile }),
      lines: new Map(),
      frames: 0,
    };
  }
}

function labelKey(path: string, label: string): string {
  return `${path}\0${label}`;
}

function describeObject(e: ObjectEntry): SymbolObject {
  const { located, object } = e;
  const status: SymbolObject['status'] = located.object
    ? e.table && e.table.name.length > 0
      ? 'resolved'
      : 'no-symbols'
    : located.refused.length > 0
      ? 'refused'
      : 'not-found';
  const out: SymbolObject = { path: object.path, status, lines: e.lineFile !== undefined };
  if (located.object && located.object.path !== object.path) out.copy = located.object.path;
  if (located.object?.facts.buildId) out.buildId = located.object.facts.buildId;
  if (located.debug) out.debugFile = located.debug.path;
  if (located.refused.length > 0) out.refused = located.refused;
  return out;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || path;
}

/** "a, b, c and 4 more". */
function someOf(names: string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function noteText(objects: SymbolObject[], tool: LineTool | null): string {
  if (objects.length === 0) return 'No native frames were symbolized.';
  const by = (s: SymbolObject['status']) => objects.filter((o) => o.status === s);
  const resolved = by('resolved');
  const withLines = objects.filter((o) => o.lines).map((o) => baseName(o.path));
  const parts = [`Native symbols: ${resolved.length} of ${objects.length} objects named`];
  parts[0] += tool
    ? withLines.length > 0
      ? `, source lines for ${someOf(withLines)} (${tool.name})`
      : `, no source lines (no debug info found; ${tool.name} available)`
    : ' (no llvm-symbolizer, addr2line or eu-addr2line here: names only, no source lines)';
  const notFound = by('not-found').map((o) => baseName(o.path));
  if (notFound.length > 0) parts.push(`not found: ${someOf(notFound)}`);
  const refused = by('refused').map((o) => `${baseName(o.path)} (${o.refused![0].why})`);
  if (refused.length > 0) parts.push(`refused as a different build: ${someOf(refused, 3)}`);
  const badDebug = objects
    .filter((o) => o.status !== 'refused' && o.refused?.length)
    .map((o) => `${baseName(o.refused![0].path)} for ${baseName(o.path)} (${o.refused![0].why})`);
  if (badDebug.length > 0) parts.push(`debug files refused: ${someOf(badDebug, 3)}`);
  const bare = by('no-symbols').map((o) => baseName(o.path));
  if (bare.length > 0) parts.push(`stripped, no debug file: ${someOf(bare)}`);
  return `${parts.join('; ')}. Add --sysroot DIR or --debug-dir DIR (Settings › Symbols in the app) to find more.`;
}
