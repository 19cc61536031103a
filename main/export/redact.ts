import type { FrameInfo } from '../../shared/api';
import type { ReportData } from '../../shared/report';
import { isAbsolutePath, pathIdentity, type PathIdentity } from '../query/path-identity';

// An absolute POSIX or Windows path (at least one directory) inside free text; stops at
// characters that end a path in messages (space, quotes, brackets, ':' before a line number).
const ABSOLUTE_IN_TEXT =
  /(?:\b[A-Za-z]:[\\/]|\\\\|\/)(?:[^\s"'`<>|:;,()[\]{}\\/]+[\\/])+[^\s"'`<>|:;,()[\]{}\\/]*/g;

/** Replaces every absolute path inside `text` by its relative form. */
export function scrubText(text: string, identity: PathIdentity): string {
  return text.replace(ABSOLUTE_IN_TEXT, (m, offset: number, whole: string) => {
    // A '/' inside a word (e.g. "and/or", "MB/s") is not a path.
    if (m.startsWith('/') && offset > 0 && /[A-Za-z0-9._-]/.test(whole[offset - 1])) return m;
    const rel = identity.relative(m);
    return isAbsolutePath(rel) ? rel.replace(/^.*[\\/]/, '') : rel;
  });
}

function collectFiles(data: ReportData): string[] {
  const files = new Set<string>();
  const addFrames = (frames: readonly FrameInfo[]) => frames.forEach((f) => files.add(f.file));
  data.flames.forEach((f) => addFrames(f.tree.frames));
  data.topSites.forEach((s) => {
    files.add(s.file);
    s.frames?.forEach((f) => files.add(f.file));
  });
  data.summary.topSites?.forEach((s) => files.add(s.file));
  if (data.diff) {
    addFrames(data.diff.flame.frames);
    data.diff.rows.forEach((r) => {
      files.add(r.file);
      r.frames?.forEach((f) => files.add(f.file));
    });
  }
  return [...files];
}

const FILE_KEYS = new Set(['file', 'path']);

/**
 * The report data for sharing outside the team: every file becomes module-relative (v13
 * sys.path roots, else the common-prefix heuristic), the command line and header path lists
 * are dropped, and every other string is scrubbed of absolute paths. SiteRow keys embed file
 * names too, so they are rewritten as well.
 */
export function redactReportData(data: ReportData): ReportData {
  const identity = pathIdentity(data.info.facts, collectFiles(data));
  const copy = structuredClone(data);
  const facts = copy.info.facts;
  delete facts.commandLine;
  delete facts.sysPath;
  delete facts.sitePackages;
  delete facts.libdest;
  facts.path = facts.fileName;
  if (copy.info.forkChildren)
    copy.info.forkChildren = copy.info.forkChildren.map((c) => c.replace(/^.*[\\/]/, ''));

  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') {
      if (key && FILE_KEYS.has(key) && isAbsolutePath(value))
        return scrubText(identity.relative(value), identity);
      return scrubText(value, identity);
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = walk(value[i]);
      return value;
    }
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) obj[k] = walk(obj[k], k);
      return obj;
    }
    return value;
  };
  walk(copy);
  copy.redacted = true;
  return copy;
}
