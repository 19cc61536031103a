import type { CaptureFacts, FrameInfo } from '../../shared/api';

export type MatchingMethod = 'exact' | 'module-relative' | 'heuristic-prefix';

export type PathFacts = Partial<Pick<CaptureFacts, 'sysPath' | 'sitePackages' | 'libdest' | 'nativeTraces'>>;

/** Maps a capture's file names to a machine-independent form. */
export interface PathIdentity {
  method: MatchingMethod;
  /** Never absolute for absolute input (except in 'exact' mode, which returns the input). */
  relative(file: string): string;
}

export function isAbsolutePath(file: string): boolean {
  return file.startsWith('/') || file.startsWith('\\\\') || /^[A-Za-z]:[\\/]/.test(file);
}

const slash = (p: string) => p.replace(/\\/g, '/');
const asDir = (p: string) => (p.endsWith('/') ? p : `${p}/`);
const basename = (p: string) => slash(p).split('/').pop() || p;

const THIRD_PARTY = /\/(?:site|dist)-packages\//;
const STDLIB = /\/lib\/python\d+(?:\.\d+)?t?\//;
const PYTHON_SOURCE = /\.pyw?$/;

/** Longest root that is a directory prefix of `file`, stripped; undefined when none matches. */
export function stripLongestRoot(file: string, roots: readonly string[]): string | undefined {
  const f = slash(file);
  let best: string | undefined;
  for (const raw of roots) {
    if (!raw) continue;
    const root = asDir(slash(raw));
    if (f.startsWith(root) && (best === undefined || root.length > best.length)) best = root;
  }
  return best === undefined ? undefined : f.slice(best.length);
}

/** Third-party and stdlib files are placed by the interpreter, whatever the machine. */
function wellKnownRelative(file: string): string | undefined {
  const f = slash(file);
  const tp = THIRD_PARTY.exec(f);
  if (tp) return f.slice(tp.index + tp[0].length);
  const std = STDLIB.exec(f);
  if (std) return f.slice(std.index + std[0].length);
  return undefined;
}

/** The first two directories of a path ("/home/alice/", "C:/Users/"): one project tree. */
function treeOf(file: string): string {
  return slash(file).split('/').slice(0, 3).join('/');
}

/**
 * Longest common directory (with trailing slash) of the capture's own absolute Python files,
 * one per top-level tree (files under /opt/app and /srv/tools each lose their own prefix, so
 * one stray script elsewhere does not shrink every prefix to "/"). Longest first.
 */
export function ownPrefixes(files: Iterable<string>): string[] {
  const byTree = new Map<string, string[]>();
  for (const file of files) {
    if (!isAbsolutePath(file) || !PYTHON_SOURCE.test(file) || wellKnownRelative(file) !== undefined) continue;
    const dirs = slash(file).split('/').slice(0, -1);
    const tree = treeOf(file);
    const prefix = byTree.get(tree);
    if (!prefix) {
      byTree.set(tree, dirs);
      continue;
    }
    let i = 0;
    while (i < prefix.length && i < dirs.length && prefix[i] === dirs[i]) i++;
    prefix.length = i;
  }
  return [...byTree.values()]
    .filter((p) => p.length > 1 || (p.length === 1 && p[0] !== ''))
    .map((p) => asDir(p.join('/')))
    .sort((x, y) => y.length - x.length);
}

/** The common own prefix when the capture's own files live in one tree (see ownPrefixes). */
export function commonOwnPrefix(files: Iterable<string>): string | undefined {
  const all = ownPrefixes(files);
  return all.length === 1 ? all[0] : undefined;
}

function hasRoots(facts: PathFacts | undefined): boolean {
  return (
    !!facts && (!!facts.libdest || (facts.sitePackages?.length ?? 0) > 0 || (facts.sysPath?.length ?? 0) > 0)
  );
}

/** Whatever still looks absolute becomes a bare file name. */
function finish(rel: string): string {
  return isAbsolutePath(rel) ? basename(rel) : rel;
}

/**
 * Path identity of one capture. With the v13 header's roots, files are made relative to the
 * deepest of site-packages / libdest / sys.path ('module-relative'). Without them:
 * site-packages- and stdlib-relative for those files, and the capture's own files lose the
 * longest common directory of their tree ('heuristic-prefix', see ownPrefixes). Non-Python absolute files (native libraries,
 * C sources) keep only their base name.
 */
export function pathIdentity(facts: PathFacts | undefined, files: Iterable<string>): PathIdentity {
  if (hasRoots(facts)) {
    const roots = [
      ...(facts!.sitePackages ?? []),
      ...(facts!.libdest ? [facts!.libdest] : []),
      ...(facts!.sysPath ?? []),
    ].filter((r) => r && isAbsolutePath(r));
    const fileList = [...files];
    const fallback = ownPrefixes(fileList.filter((f) => stripLongestRoot(f, roots) === undefined));
    return {
      method: 'module-relative',
      relative(file) {
        if (!isAbsolutePath(file)) return file;
        const rel = stripLongestRoot(file, roots) ?? wellKnownRelative(file) ?? relativeTo(file, fallback);
        return finish(rel);
      },
    };
  }
  const prefix = ownPrefixes(files);
  return {
    method: 'heuristic-prefix',
    relative(file) {
      if (!isAbsolutePath(file)) return file;
      return finish(wellKnownRelative(file) ?? relativeTo(file, prefix));
    },
  };
}

function relativeTo(file: string, prefixes: readonly string[]): string {
  const f = slash(file);
  if (!PYTHON_SOURCE.test(f)) return basename(f);
  const prefix = prefixes.find((p) => f.startsWith(p));
  return prefix ? f.slice(prefix.length) : basename(f);
}

/** Identity that compares absolute paths as they are. */
export const EXACT_IDENTITY: PathIdentity = { method: 'exact', relative: (f) => f };

/** Dotted module name of a relative file: `pkg/sub/__init__.py` → `pkg.sub`. */
export function moduleName(relativeFile: string): string {
  if (!PYTHON_SOURCE.test(relativeFile) || relativeFile.startsWith('<')) return relativeFile;
  const parts = relativeFile.replace(PYTHON_SOURCE, '').split('/').filter(Boolean);
  if (parts.length > 1 && parts[parts.length - 1] === '__init__') parts.pop();
  return parts.join('.');
}

/** `file → dotted module` for FrameInfo.module and the table's module grouping. */
export function moduleResolver(
  facts: PathFacts | undefined,
  files: Iterable<string>,
): (file: string) => string {
  const identity = pathIdentity(facts, files);
  const cache = new Map<string, string>();
  return (file) => {
    let m = cache.get(file);
    if (m === undefined) {
      m = moduleName(identity.relative(file));
      cache.set(file, m);
    }
    return m;
  };
}

export interface CaptureMatching {
  matching: MatchingMethod;
  note?: string;
  base: PathIdentity;
  target: PathIdentity;
  /** Stacks are compared on their Python frames only (see `pythonFramesOnly`). */
  pythonOnly?: boolean;
}

/**
 * A `memray run --native` capture against one without native traces: the native side's stacks
 * interleave C frames the other side never recorded, so no stack (and no innermost frame) would
 * match. Both are compared on their Python frames, memray's own location rule.
 */
export function pythonFramesOnly(base?: PathFacts, target?: PathFacts): boolean {
  return !!base?.nativeTraces !== !!target?.nativeTraces;
}

export const PYTHON_FRAMES_NOTE =
  'One capture was recorded with native traces (--native) and the other without, so stacks were ' +
  'matched on their Python frames only; native frames are left out of this comparison.';

function withPythonFrames(matching: CaptureMatching, base?: PathFacts, target?: PathFacts): CaptureMatching {
  if (!pythonFramesOnly(base, target)) return matching;
  const note = matching.note ? `${PYTHON_FRAMES_NOTE} ${matching.note}` : PYTHON_FRAMES_NOTE;
  return { ...matching, pythonOnly: true, note };
}

/**
 * How stacks of two captures are matched. Both v13 → module-relative. Otherwise, when the two
 * captures ran from the same directory (same common prefix of their own files, or no own files),
 * paths are compared as they are; else each side loses its own prefix (heuristic, said in the
 * note so the view can warn). A native capture against a plain one is compared on Python frames
 * (`pythonOnly`, also said in the note).
 */
export function matchCaptures(
  base: { facts?: PathFacts; files: Iterable<string> },
  target: { facts?: PathFacts; files: Iterable<string> },
): CaptureMatching {
  return withPythonFrames(matchPaths(base, target), base.facts, target.facts);
}

function matchPaths(
  base: { facts?: PathFacts; files: Iterable<string> },
  target: { facts?: PathFacts; files: Iterable<string> },
): CaptureMatching {
  const baseFiles = [...base.files];
  const targetFiles = [...target.files];
  if (hasRoots(base.facts) && hasRoots(target.facts)) {
    return {
      matching: 'module-relative',
      base: pathIdentity(base.facts, baseFiles),
      target: pathIdentity(target.facts, targetFiles),
    };
  }
  const bp = ownPrefixes(baseFiles).join('\0');
  const tp = ownPrefixes(targetFiles).join('\0');
  const sameEnv = bp === tp && sameWellKnownRoots(baseFiles, targetFiles);
  if (sameEnv) return { matching: 'exact', base: EXACT_IDENTITY, target: EXACT_IDENTITY };
  return {
    matching: 'heuristic-prefix',
    note:
      'The two captures ran from different directories and their headers do not record sys.path, so ' +
      'stacks were matched after removing each capture\u2019s common source directory and the ' +
      'site-packages / standard-library prefixes. Files that moved within the project may not match.',
    base: pathIdentity(undefined, baseFiles),
    target: pathIdentity(undefined, targetFiles),
  };
}

function wellKnownRoot(file: string): string | undefined {
  const f = slash(file);
  const m = THIRD_PARTY.exec(f) ?? STDLIB.exec(f);
  return m ? f.slice(0, m.index + m[0].length) : undefined;
}

function sameWellKnownRoots(a: string[], b: string[]): boolean {
  const roots = (files: string[]) => new Set(files.map(wellKnownRoot).filter((r): r is string => !!r));
  const ra = roots(a);
  const rb = roots(b);
  for (const r of ra) if (!rb.has(r) && rb.size > 0) return false;
  for (const r of rb) if (!ra.has(r) && ra.size > 0) return false;
  return true;
}

/** Identity of a frame across captures (kind, name, machine-independent file, line). */
export function frameIdentityKey(frame: FrameInfo, identity: PathIdentity): string {
  if (frame.kind === 'synthetic') return `synthetic\0${frame.name}`;
  return `${frame.kind}\0${frame.name}\0${identity.relative(frame.file)}\0${frame.line}`;
}
