/**
 * The flamegraph's colour rules, for the app's chart and the HTML report alike: a colour per
 * file for Python frames, blue-greys for native ones, greys for the import system and synthetic
 * nodes, magenta for search matches, and red/blue growth for a diff.
 */
import type { DiffFlameTree, FlameTree, FrameInfo } from '../../shared/api';

/** FNV-1a, so a file keeps its colour across sessions and captures. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const MERGED_COLOR = 'rgba(150,150,150,0.55)';
export const IMPORT_COLOR = '#b4b4b4';
export const SYNTHETIC_COLOR = '#d6d3cc';
export const MATCH_COLOR = '#e040fb';
export const UNMATCHED_COLOR = '#dcdcdc';

function hslHex(h: number, sPct: number, lPct: number): string {
  const s = sPct / 100;
  const l = lPct / 100;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/**
 * Python frames: a hue per module/file outside the blue band, which native frames own, so the
 * two never look alike; import-system frames are grey because they are rarely the culprit.
 */
export function frameColor(frame: FrameInfo | undefined): string {
  if (!frame || frame.kind === 'synthetic') return SYNTHETIC_COLOR;
  if (frame.importSystem) return IMPORT_COLOR;
  const h = hashString(frame.module || frame.file || frame.name);
  if (frame.kind === 'native') {
    const hue = 195 + (h % 45);
    const light = 52 + ((h >>> 9) % 14);
    return hslHex(hue, 32, light);
  }
  // Python hues skip 180°–290° (cyan to violet) so they never pass for native blue-greys.
  let hue = h % 250;
  if (hue >= 180) hue += 110;
  const light = 62 + ((h >>> 11) % 10);
  return hslHex(hue, 62, light);
}

// Hex strings, computed once per frame table: canvas parses a fill string on every assignment
// and hashing a path per rectangle per render adds up at a few thousand rectangles.
const colorCache = new WeakMap<readonly FrameInfo[], string[]>();
export function frameColors(frames: readonly FrameInfo[]): string[] {
  let colors = colorCache.get(frames);
  if (!colors) {
    colors = frames.map(frameColor);
    colorCache.set(frames, colors);
  }
  return colors;
}

/** A diff node with bytes in the base and none in the target. */
export function isGone(base: number, target: number): boolean {
  return target <= 0 && base > 0;
}

export const GONE_COLOR = '#c9c9c9';
export const UNCHANGED_COLOR = '#eee9df';

/**
 * Red for growth, blue for shrink; saturation follows |Δ| relative to the larger side so a
 * doubled frame is strongly red whatever its size. New frames are full red.
 */
export function diffColor(base: number, target: number): string {
  if (isGone(base, target)) return GONE_COLOR;
  const delta = target - base;
  const ref = Math.max(base, target);
  // Unchanged is a warm off-white so it never reads as the grey of removed frames.
  if (ref <= 0 || delta === 0) return UNCHANGED_COLOR;
  const strength = Math.min(1, Math.abs(delta) / ref);
  const sat = Math.round(25 + 65 * strength);
  const light = Math.round(88 - 36 * strength);
  return delta > 0 ? `hsl(2, ${sat}%, ${light}%)` : `hsl(214, ${sat}%, ${light}%)`;
}

/** A dashed outline drawn around a rectangle (a diff's removed frames). */
export interface Outline {
  stroke: string;
  lineDash: number[];
}

/** How the real (unmerged) nodes of one tree are painted when no search is active. */
export interface FlamePaint {
  fill(node: number): string;
  outline?(node: number): Outline | null;
}

/** A plain tree: each frame's colour, synthetic grey for the root and thread nodes. */
export function framePaint(tree: Pick<FlameTree, 'frames' | 'frame'>): FlamePaint {
  const colors = frameColors(tree.frames);
  return { fill: (node) => (tree.frame[node] >= 0 ? colors[tree.frame[node]] : SYNTHETIC_COLOR) };
}

export const GONE_OUTLINE: Outline = { stroke: '#777', lineDash: [2, 2] };

/** A diff tree: growth colours by node, and a dashed outline on frames gone from the target. */
export function diffPaint(tree: Pick<DiffFlameTree, 'baseBytes' | 'targetBytes'>): FlamePaint {
  return {
    fill: (node) => diffColor(tree.baseBytes[node], tree.targetBytes[node]),
    outline: (node) => (isGone(tree.baseBytes[node], tree.targetBytes[node]) ? GONE_OUTLINE : null),
  };
}
