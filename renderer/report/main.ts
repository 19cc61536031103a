/**
 * The exported HTML report's own page script (no Vue, no network). It reads the ReportData JSON
 * embedded by main/export/html-report.ts and draws everything with DOM text nodes, SVG and one
 * canvas per flame graph. Text is only ever set through textContent / createTextNode / fillText,
 * never parsed as HTML, so captured function names cannot inject markup.
 */
import type {
  DiffFlameTree,
  DiffRow,
  FlameTree,
  FrameInfo,
  SiteRow,
  StackFilter,
  Timeline,
} from '../../shared/api';
import { sparklinePoints } from '../../shared/sparkline';
import type { ReportData } from '../../shared/report';
import { pymallocRecorded } from '../../shared/histogram-legend';
import {
  DEFAULT_UNITS,
  formatBytes,
  formatDuration,
  formatExactBytes,
  formatPercent,
  type UnitSystem,
} from '../../shared/units';

type Attrs = Record<string, string>;

/**
 * The report's unit system, from its data (set once by render() before anything is drawn: the
 * page shows one report). Sizes go through `size`, exact byte counts sit in `title`s.
 */
let units: UnitSystem = DEFAULT_UNITS;

function size(bytes: number): string {
  return formatBytes(bytes, units);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | false)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) {
    if (c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Attrs = {}, text?: string): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const cssVar = (name: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

function frameLabel(f: FrameInfo | undefined): string {
  if (!f) return '<root>';
  if (f.kind === 'synthetic') return f.name;
  // tracemalloc frames carry no function name.
  if (!f.name) return f.line > 0 ? `${f.file}:${f.line}` : f.file;
  return f.line > 0 ? `${f.name} at ${f.file}:${f.line}` : f.file ? `${f.name} at ${f.file}` : f.name;
}

function siteLocation(s: { function: string; file: string; line: number; module?: string }): string {
  const where = s.line > 0 ? `${s.file}:${s.line}` : s.file || s.module || '';
  return s.function ? (where ? `${s.function} at ${where}` : s.function) : where;
}

function section(title: string, id: string): HTMLElement {
  const s = el('section', { id });
  s.append(el('h2', {}, title));
  return s;
}

function filterText(f: StackFilter): string {
  const parts: string[] = [];
  parts.push(f.hideImportSystem ? 'import-system frames hidden' : 'import-system frames shown');
  parts.push(f.hideInternals ? 'memray/tracemalloc/runpy internals hidden' : 'internals shown');
  if (f.pythonOnly) parts.push('Python frames only');
  parts.push(f.mergeThreads === false ? 'threads kept apart' : 'threads merged');
  if (f.threads) parts.push(`threads ${f.threads.join(', ')}`);
  if (f.allocators) parts.push(`allocators ${f.allocators.join(', ')}`);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------
// Flame graphs (icicle: root on top). Works for plain trees and diff trees.

interface FlameModel {
  n: number;
  parent: number[];
  label: (i: number) => string;
  frame: (i: number) => FrameInfo | undefined;
  /** Drawn width of a node. */
  width: number[];
  color: (i: number) => string;
  tooltip: (i: number) => string[];
}

function plainModel(tree: FlameTree): FlameModel {
  const total = tree.bytes[0] || 1;
  const frameAt = (i: number) => (tree.frame[i] >= 0 ? tree.frames[tree.frame[i]] : undefined);
  return {
    n: tree.parent.length,
    parent: tree.parent,
    frame: frameAt,
    label: (i) => frameLabel(frameAt(i)),
    width: tree.bytes,
    color: (i) => {
      const f = frameAt(i);
      if (!f) return '#8a8f98';
      if (f.kind === 'synthetic') return '#9aa3b5';
      // Stable warm colour per function name, natives cooler.
      let h = 0;
      for (let k = 0; k < f.name.length; k++) h = (h * 31 + f.name.charCodeAt(k)) | 0;
      const hue = f.kind === 'native' ? 190 + (Math.abs(h) % 40) : 10 + (Math.abs(h) % 45);
      return `hsl(${hue} 75% ${58 + (Math.abs(h >> 8) % 12)}%)`;
    },
    tooltip: (i) => [
      frameLabel(frameAt(i)),
      `${size(tree.bytes[i])} (${formatExactBytes(tree.bytes[i])}, ${formatPercent(tree.bytes[i] / total)} of this view)`,
      `${tree.count[i].toLocaleString('en-US')} allocations`,
    ],
  };
}

function diffModel(tree: DiffFlameTree): FlameModel {
  const frameAt = (i: number) => (tree.frame[i] >= 0 ? tree.frames[tree.frame[i]] : undefined);
  // Width is the new value; removed frames keep their old width so they stay visible.
  const width = tree.targetBytes.map((t, i) => (t > 0 ? t : tree.baseBytes[i]));
  const maxDelta = Math.max(1, ...tree.targetBytes.map((t, i) => Math.abs(t - tree.baseBytes[i])));
  return {
    n: tree.parent.length,
    parent: tree.parent,
    frame: frameAt,
    label: (i) => frameLabel(frameAt(i)),
    width,
    color: (i) => {
      const d = tree.targetBytes[i] - tree.baseBytes[i];
      if (tree.targetBytes[i] === 0 && tree.baseBytes[i] > 0) return 'hsl(210 15% 75%)';
      if (d === 0) return 'hsl(40 10% 70%)';
      const s = Math.round(35 + 60 * Math.min(1, Math.abs(d) / maxDelta));
      return d > 0 ? `hsl(0 ${s}% 62%)` : `hsl(215 ${s}% 62%)`;
    },
    tooltip: (i) => {
      const b = tree.baseBytes[i];
      const t = tree.targetBytes[i];
      const d = t - b;
      const state =
        t === 0 && b > 0 ? 'gone' : b === 0 && t > 0 ? 'new' : d > 0 ? 'grown' : d < 0 ? 'shrunk' : 'same';
      return [
        frameLabel(frameAt(i)),
        `${size(b)} → ${size(t)} (${d >= 0 ? '+' : ''}${size(d)}, ${state})`,
        `${tree.baseCount[i].toLocaleString('en-US')} → ${tree.targetCount[i].toLocaleString('en-US')} allocations`,
      ];
    },
  };
}

const ROW = 18;

function flameView(model: FlameModel, id: string): HTMLElement {
  const wrap = el('div', { class: 'flame', id });
  const bar = el('div', { class: 'bar' });
  const reset = el('button', { type: 'button' }, 'Reset zoom');
  const search = el('input', { type: 'search', placeholder: 'Search frames', 'aria-label': 'Search frames' });
  const found = el('span', { class: 'mut found' });
  bar.append(reset, search, found, el('span', { class: 'mut' }, ' Click a frame to zoom, Esc to reset.'));
  const crumbs = el('div', { class: 'crumbs' });
  const canvas = el('canvas');
  const tip = el('div', { class: 'tip' });
  wrap.append(bar, crumbs, canvas, tip);

  const { n, parent, width } = model;
  const depth = new Int32Array(n);
  const end = new Int32Array(n); // pre-order: subtree of i is [i, end[i])
  for (let i = 1; i < n; i++) depth[i] = depth[parent[i]] + 1;
  for (let i = n - 1; i >= 0; i--) {
    if (end[i] === 0) end[i] = i + 1;
    if (i > 0 && end[parent[i]] < end[i]) end[parent[i]] = end[i];
  }

  let focus = 0;
  /** Nodes whose label contains the search text (lower-cased); undefined when not searching. */
  let matches: Uint8Array | undefined;
  let rects: { x: number; w: number; d: number; i: number }[] = [];

  const draw = () => {
    const cssWidth = wrap.clientWidth || 1200;
    const dpr = window.devicePixelRatio || 1;
    // Layout first, so the canvas is only as tall as the deepest frame actually drawn.
    rects = [];
    const x = new Float64Array(n);
    const cursor = new Float64Array(n);
    /** px per byte of each laid-out node's children; 0 = not drawn. */
    const childScale = new Float64Array(n);
    const setScale = (i: number, w: number) => {
      // Children wider in total than their parent (diff trees) are squeezed into it.
      let sum = 0;
      for (let c = i + 1; c < end[i]; c = end[c]) sum += width[c];
      const own = width[i] || 1;
      childScale[i] = (w / own) * (sum > own ? own / sum : 1);
    };
    // Ancestors of the focus span the full width, as breadcrumbs on the canvas.
    for (let a = parent[focus]; a >= 0; a = parent[a]) rects.push({ x: 0, w: cssWidth, d: depth[a], i: a });
    rects.push({ x: 0, w: cssWidth, d: depth[focus], i: focus });
    setScale(focus, cssWidth);
    let deepest = depth[focus];
    for (let i = focus + 1; i < end[focus]; i++) {
      const p = parent[i];
      if (childScale[p] === 0) continue; // parent too narrow to draw
      const w = width[i] * childScale[p];
      x[i] = x[p] + cursor[p];
      cursor[p] += w;
      if (w < 0.5) continue;
      rects.push({ x: x[i], w, d: depth[i], i });
      if (depth[i] > deepest) deepest = depth[i];
      setScale(i, w);
    }
    const drawn = rects.length;

    const rows = deepest + 1;
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(rows * ROW * dpr);
    canvas.style.height = `${rows * ROW}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssWidth, rows * ROW);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const r of rects) {
      ctx.globalAlpha = matches && !matches[r.i] ? 0.3 : 1;
      ctx.fillStyle = matches && matches[r.i] ? '#e040fb' : model.color(r.i);
      ctx.fillRect(r.x, r.d * ROW, Math.max(r.w - 0.5, 0.5), ROW - 1);
      if (r.w > 30) {
        ctx.fillStyle = '#111';
        ctx.save();
        ctx.beginPath();
        ctx.rect(r.x, r.d * ROW, r.w - 2, ROW);
        ctx.clip();
        ctx.fillText(model.label(r.i), r.x + 3, r.d * ROW + ROW / 2);
        ctx.restore();
      }
    }
    ctx.globalAlpha = 1;
    canvas.dataset.nodes = String(drawn);
    crumbs.textContent = '';
    const path: number[] = [];
    for (let a = focus; a > 0; a = parent[a]) path.unshift(a);
    crumbs.append(document.createTextNode(['<root>', ...path.map((i) => model.label(i))].join('  ›  ')));
  };

  const hit = (ev: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const px = ev.clientX - r.left;
    const d = Math.floor((ev.clientY - r.top) / ROW);
    for (const rect of rects) if (rect.d === d && px >= rect.x && px < rect.x + rect.w) return rect.i;
    return -1;
  };
  canvas.addEventListener('click', (ev) => {
    const i = hit(ev);
    if (i >= 0) {
      focus = i;
      draw();
    }
  });
  canvas.addEventListener('mousemove', (ev) => {
    const i = hit(ev);
    if (i < 0) {
      tip.style.display = 'none';
      return;
    }
    tip.textContent = '';
    for (const line of model.tooltip(i)) tip.append(el('div', {}, line));
    tip.style.display = 'block';
    tip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - 540)}px`;
    tip.style.top = `${ev.clientY + 14}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  search.addEventListener('input', () => {
    const needle = search.value.trim().toLowerCase();
    if (!needle) {
      matches = undefined;
      found.textContent = '';
    } else {
      matches = new Uint8Array(n);
      // Share = matched nodes with no matched ancestor, so nested matches count once.
      let share = 0;
      const inMatch = new Uint8Array(n);
      for (let i = 1; i < n; i++) {
        const hit = model.label(i).toLowerCase().includes(needle);
        if (hit) matches[i] = 1;
        inMatch[i] = inMatch[parent[i]] || (hit ? 1 : 0);
        if (hit && !inMatch[parent[i]]) share += width[i];
      }
      found.textContent = ` ${formatPercent(width[0] > 0 ? share / width[0] : 0)} of this view matches.`;
    }
    draw();
  });
  reset.addEventListener('click', () => {
    focus = 0;
    draw();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && focus !== 0) {
      focus = 0;
      draw();
    }
  });
  window.addEventListener('resize', draw);
  requestAnimationFrame(draw);
  (wrap as HTMLElement & { redraw?: () => void }).redraw = draw;
  return wrap;
}

// ---------------------------------------------------------------------------------------------

function timelineView(t: Timeline): HTMLElement {
  const W = 1200;
  const H = 220;
  const padL = 70;
  const padB = 24;
  const maxY = Math.max(1, ...t.heapBytes, ...t.rssBytes.map((v) => v ?? 0), t.peak.bytes);
  const maxX = Math.max(1, t.durationMs, ...t.timeMs);
  const sx = (ms: number) => padL + ((W - padL - 10) * ms) / maxX;
  const sy = (b: number) => H - padB - ((H - padB - 10) * b) / maxY;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: '100%',
    role: 'img',
    'aria-label': 'Heap and RSS over time',
  });
  for (let k = 0; k <= 4; k++) {
    const b = (maxY * k) / 4;
    root.append(
      svg('line', {
        x1: String(padL),
        x2: String(W - 10),
        y1: String(sy(b)),
        y2: String(sy(b)),
        stroke: cssVar('--line'),
      }),
    );
    root.append(svg('text', { x: String(padL - 6), y: String(sy(b) + 4), 'text-anchor': 'end' }, size(b)));
  }
  root.append(svg('text', { x: String(padL), y: String(H - 6) }, '0'));
  root.append(
    svg('text', { x: String(W - 10), y: String(H - 6), 'text-anchor': 'end' }, formatDuration(maxX)),
  );
  // `gaps`: a null ends the stroke (a process not running) instead of being stepped over (RSS
  // is measured at memory records only, the heap's points between them carry none).
  const line = (
    values: (number | null)[],
    color: string,
    name: string,
    attrs: Record<string, string> = {},
    gaps = false,
  ) => {
    let d = '';
    let pen = 'M';
    values.forEach((v, i) => {
      if (v === null) {
        if (gaps) pen = 'M';
        return;
      }
      d += `${d ? pen : 'M'}${sx(t.timeMs[i]).toFixed(1)},${sy(v).toFixed(1)}`;
      pen = 'L';
    });
    if (d)
      root.append(
        svg('path', { d, fill: 'none', stroke: color, 'stroke-width': '1.5', 'data-series': name, ...attrs }),
      );
  };
  line(t.rssBytes, '#9c6ade', 'rss');
  const processColours = ['#9b4fc2', '#b58a14', '#6b7280', '#1e9a7a'];
  (t.processes ?? []).forEach((p, i) =>
    line(
      p.heapBytes,
      processColours[i % processColours.length],
      `process-${i}`,
      { 'data-label': p.label, 'stroke-dasharray': i === 0 ? '' : '5 3' },
      true,
    ),
  );
  // The heap line's highest and last points, for readers of the file and the tests.
  let top = 0;
  t.heapBytes.forEach((v, i) => {
    if (v >= t.heapBytes[top]) top = i;
  });
  const last = t.heapBytes.length - 1;
  line(t.heapBytes, cssVar('--acc'), 'heap', {
    'data-max': String(t.heapBytes[top] ?? 0),
    'data-max-ms': String(t.timeMs[top] ?? 0),
    'data-end': String(t.heapBytes[last] ?? 0),
    'data-end-ms': String(t.timeMs[last] ?? 0),
  });
  const px = sx(t.peak.timeMs);
  const py = sy(t.peak.bytes);
  root.append(
    svg('circle', { cx: String(px), cy: String(py), r: '4', fill: cssVar('--crit'), id: 'peak-marker' }),
  );
  root.append(
    svg(
      'text',
      { x: String(px + 6), y: String(Math.max(12, py - 6)) },
      `peak ${size(t.peak.bytes)} at ${formatDuration(t.peak.timeMs)}`,
    ),
  );
  if (t.truncatedAtMs !== undefined) {
    const tx = sx(t.truncatedAtMs);
    root.append(
      svg('line', {
        x1: String(tx),
        x2: String(tx),
        y1: '10',
        y2: String(H - padB),
        stroke: cssVar('--crit'),
        'stroke-dasharray': '4 3',
      }),
    );
    root.append(svg('text', { x: String(tx - 4), y: '20', 'text-anchor': 'end' }, 'capture cut here'));
  }
  const wrap = el('div');
  wrap.append(
    root as unknown as Node,
    el(
      'div',
      { class: 'mut' },
      t.processes && t.processes.length > 1
        ? `Blue: tracked heap summed over the ${t.processes.length} processes (thin lines: ${t.processes.map((p) => p.label).join(', ')}). Purple: RSS summed. Red dot: the peak, the highest sum at one moment${t.sumOfProcessPeaksBytes !== undefined ? ` (the processes' own peaks add up to ${size(t.sumOfProcessPeaksBytes)})` : ''}.`
        : 'Blue: tracked heap. Purple: resident set size (RSS). Red dot: the peak.',
    ),
  );
  return wrap;
}

function barTable(
  rows: { label: string; bytes: number; count: number }[],
  total: number,
  head: string,
  countOnly = false,
): HTMLElement {
  const table = el('table');
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, head),
        el('th', { class: 'n' }, countOnly ? '' : 'bytes'),
        el('th', { class: 'n' }, 'count'),
        el('th', {}, 'share'),
      ),
    ),
  );
  const body = el('tbody');
  for (const r of rows) {
    const share = total > 0 ? r.bytes / total : 0;
    const bar = el('div', { class: 'hbar' });
    bar.style.width = `${Math.max(0.2, share * 100).toFixed(2)}%`;
    body.append(
      el(
        'tr',
        {},
        el('td', {}, r.label),
        el(
          'td',
          countOnly ? { class: 'n' } : { class: 'n', title: formatExactBytes(r.bytes) },
          countOnly ? '' : size(r.bytes),
        ),
        el('td', { class: 'n' }, r.count.toLocaleString('en-US')),
        el('td', { style: 'width:40%' }, bar, el('span', { class: 'mut' }, formatPercent(share))),
      ),
    );
  }
  table.append(body);
  return table;
}

function sitesTable(rows: SiteRow[], id: string): HTMLElement {
  const table = el('table', { id });
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, 'site'),
        el('th', { class: 'n' }, 'own bytes'),
        el('th', { class: 'n' }, 'total bytes'),
        el('th', { class: 'n' }, 'share'),
        el('th', { class: 'n' }, 'allocations'),
      ),
    ),
  );
  const body = el('tbody');
  for (const r of rows) {
    body.append(
      el(
        'tr',
        { 'data-key': r.key },
        el('td', { class: 'loc' }, siteLocation(r)),
        el(
          'td',
          { class: 'n', 'data-bytes': String(r.ownBytes), title: formatExactBytes(r.ownBytes) },
          size(r.ownBytes),
        ),
        el(
          'td',
          { class: 'n', 'data-bytes': String(r.bytes), title: formatExactBytes(r.bytes) },
          size(r.bytes),
        ),
        el('td', { class: 'n' }, formatPercent(r.share)),
        el('td', { class: 'n' }, r.count.toLocaleString('en-US')),
      ),
    );
  }
  table.append(body);
  return table;
}

function diffTable(rows: DiffRow[]): HTMLElement {
  const table = el('table', { id: 'diff-table' });
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, 'status'),
        el('th', {}, 'site'),
        el('th', { class: 'n' }, 'size'),
        el('th', { class: 'n' }, 'Δ size'),
        el('th', { class: 'n' }, '%'),
        el('th', { class: 'n' }, 'count'),
        el('th', { class: 'n' }, 'Δ count'),
      ),
    ),
  );
  const body = el('tbody');
  for (const r of rows) {
    const ratio =
      r.sizeDiffRatio === null || !Number.isFinite(r.sizeDiffRatio)
        ? r.status === 'new'
          ? 'new'
          : ''
        : formatPercent(r.sizeDiffRatio);
    body.append(
      el(
        'tr',
        { 'data-key': r.key },
        el('td', { class: r.sizeDiff > 0 ? 'grown' : r.sizeDiff < 0 ? 'shrunk' : '' }, r.status),
        el('td', { class: 'loc' }, siteLocation(r)),
        el('td', { class: 'n', title: formatExactBytes(r.size) }, size(r.size)),
        el(
          'td',
          { class: 'n', 'data-bytes': String(r.sizeDiff), title: formatExactBytes(r.sizeDiff) },
          `${r.sizeDiff > 0 ? '+' : ''}${size(r.sizeDiff)}`,
        ),
        el('td', { class: 'n' }, ratio),
        el('td', { class: 'n' }, r.count.toLocaleString('en-US')),
        el('td', { class: 'n' }, `${r.countDiff > 0 ? '+' : ''}${r.countDiff.toLocaleString('en-US')}`),
      ),
    );
  }
  table.append(body);
  return table;
}

/** Leak suspects by growth: one row per site, with its live bytes as a sparkline. */
function growthView(g: NonNullable<ReportData['growth']>): HTMLElement {
  const s = section('Leak suspects by growth', 'growth');
  s.append(
    el(
      'p',
      { class: 'mut' },
      'Sites ranked by how steadily their live bytes grow over the capture (confidence = R² of the linear fit × share of intervals in which they grew), not by what is alive at the end.',
    ),
  );
  const table = el('table', { id: 'growth-table' });
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Site', 'Slope', 'Grew in', 'R²', 'Verdict', 'At end', 'Live bytes'].map((h) => el('th', {}, h)),
      ),
    ),
  );
  const body = el('tbody');
  for (const site of g.sites) {
    const line = svg('svg', { width: '120', height: '24', viewBox: '0 0 120 24', class: 'spark' });
    line.append(
      svg('polyline', {
        points: sparklinePoints(site.sparkline, 120, 22),
        fill: 'none',
        stroke: cssVar('--acc'),
        'stroke-width': '1.5',
        transform: 'translate(0 1)',
      }),
    );
    const td = el('td');
    td.append(line);
    body.append(
      el(
        'tr',
        { 'data-verdict': site.verdict },
        el('td', { class: 'loc' }, siteLocation(site)),
        el(
          'td',
          { class: 'n' },
          `${site.slopeBytesPerMin >= 0 ? '+' : '-'}${size(Math.abs(site.slopeBytesPerMin))}/min`,
        ),
        el('td', { class: 'n' }, `${Math.round(site.growthShare * 100)}%`),
        el('td', { class: 'n' }, site.rSquared.toFixed(2)),
        el('td', {}, site.verdict),
        el('td', { class: 'n', title: formatExactBytes(site.finalBytes) }, size(site.finalBytes)),
        td,
      ),
    );
  }
  table.append(body);
  s.append(table);
  return s;
}

/** The final window of a capture cut short: heap, RSS against the limit, and what grew. */
function lastSecondsView(last: ReportData['lastSeconds'] & object): HTMLElement {
  const s = section('Last seconds', 'last-seconds');
  const ms = (t: number) => `${(t / 1000).toFixed(2)} s`;
  s.append(
    el(
      'p',
      {},
      `${ms(last.fromMs)} – ${ms(last.toMs)}, ${last.windowNote}: the heap went from ${size(last.heapAtStartBytes)} to ${size(last.heapAtEndBytes)} (${last.heapBytesPerSecond >= 0 ? '+' : ''}${size(last.heapBytesPerSecond)}/s).`,
    ),
  );
  if (last.rssAtCutBytes !== undefined)
    s.append(
      el(
        'p',
        {},
        `RSS at the last memory record (${ms(last.rssAtCutMs ?? 0)}): ${size(last.rssAtCutBytes)}` +
          (last.limitBytes !== undefined
            ? ` of a ${size(last.limitBytes)} limit; headroom at peak: RSS ${last.rssHeadroomBytes !== undefined ? size(last.rssHeadroomBytes) : 'unknown'}, heap ${size(last.heapHeadroomBytes ?? 0)}.`
            : '.'),
      ),
    );
  const table = diffTable(last.sites.filter((r) => r.sizeDiff > 0));
  table.id = 'last-seconds-table';
  s.append(table);
  return s;
}

function card(label: string, value: string, id: string, attrs: Attrs = {}): HTMLElement {
  return el(
    'div',
    { class: 'card', id, ...attrs },
    el('div', { class: 'k' }, label),
    el('div', { class: 'v' }, value),
  );
}

function render(data: ReportData, app: HTMLElement): void {
  units = data.units ?? DEFAULT_UNITS;
  const { info, summary } = data;
  const facts = info.facts;
  app.textContent = '';
  app.append(el('h1', {}, `Heapscope report: ${data.title}`));
  app.append(
    el(
      'div',
      { class: 'mut' },
      `Generated ${data.generatedAt}${data.generator ? ` by ${data.generator}` : ''}${data.redacted ? ' · paths redacted' : ''}`,
    ),
  );

  const dl = el('dl', { class: 'facts', id: 'facts' });
  const fact = (k: string, v: string | undefined) => {
    if (v === undefined || v === '') return;
    dl.append(el('dt', {}, k), el('dd', {}, v));
  };
  fact('File', facts.fileName);
  fact(
    'Format',
    `${facts.format}${facts.headerVersion !== undefined ? ` (header v${facts.headerVersion})` : ''}`,
  );
  fact('Python', facts.pythonVersion);
  fact('Python allocator', facts.pythonAllocator);
  fact('Command line', facts.commandLine);
  fact('Duration', info.durationMs > 0 ? formatDuration(info.durationMs) : undefined);
  fact('Native traces', facts.nativeTraces === undefined ? undefined : facts.nativeTraces ? 'yes' : 'no');
  fact(
    'Python allocators traced',
    facts.tracePythonAllocators === undefined ? undefined : facts.tracePythonAllocators ? 'yes' : 'no',
  );
  fact('Records', info.records ? info.records.toLocaleString('en-US') : undefined);
  fact(
    'Truncated',
    info.truncated ? `yes${info.truncationReason ? `: ${info.truncationReason}` : ''}` : undefined,
  );
  fact('Snapshot', data.frozen.snapshot);
  fact('Filters', filterText(data.frozen.filter));
  fact(
    'Time range',
    data.frozen.range
      ? `${formatDuration(data.frozen.range.fromMs)} – ${formatDuration(data.frozen.range.toMs)}`
      : 'whole capture',
  );
  fact('Threads', data.frozen.threads?.join(', ') ?? 'all');
  fact('Baseline', data.frozen.baseline);
  app.append(dl);

  const caps = info.capabilities;
  const sum = section('Summary', 'summary');
  sum.append(
    el(
      'div',
      { class: 'cards' },
      card(caps.timeline ? 'Peak memory' : 'Traced memory', size(summary.peakBytes), 'summary-peak', {
        'data-bytes': String(summary.peakBytes),
        title: formatExactBytes(summary.peakBytes),
      }),
      // A snapshot-only capture (tracemalloc dump, memray CSV) has no time axis and no record of
      // what was allocated and freed, so those cards would show made-up zeros.
      // Fork children: the peak is the highest sum at one moment; the processes' own peaks come apart.
      summary.sumOfProcessPeaksBytes !== undefined &&
        card("Processes' own peaks, summed", size(summary.sumOfProcessPeaksBytes), 'summary-sum-of-peaks', {
          'data-bytes': String(summary.sumOfProcessPeaksBytes),
        }),
      caps.timeline &&
        card('Peak at', formatDuration(summary.peakTimeMs), 'summary-peak-time', {
          'data-ms': String(summary.peakTimeMs),
        }),
      caps.allAllocations &&
        card('Total allocated', size(summary.totalBytesAllocated), 'summary-allocated', {
          'data-bytes': String(summary.totalBytesAllocated),
          title: formatExactBytes(summary.totalBytesAllocated),
        }),
      caps.allAllocations &&
        card('Allocations', summary.totalAllocations.toLocaleString('en-US'), 'summary-allocations', {
          'data-count': String(summary.totalAllocations),
        }),
      caps.leaks &&
        caps.timeline &&
        card(
          'Leaked',
          `${size(summary.leakedBytes)} in ${summary.leakedCount.toLocaleString('en-US')}`,
          'summary-leaked',
          { 'data-bytes': String(summary.leakedBytes), title: formatExactBytes(summary.leakedBytes) },
        ),
    ),
  );
  if (summary.rssAtEndBytes !== undefined)
    sum.querySelector('.cards')!.append(
      card(
        // RSS and heap of the same memory record: one moment, stated.
        `RSS at ${summary.atEndTimeMs !== undefined ? formatDuration(summary.atEndTimeMs) : 'end'}${summary.heapAtEndBytes !== undefined ? ` (heap ${size(summary.heapAtEndBytes)})` : ''}`,
        size(summary.rssAtEndBytes),
        'summary-rss',
        {
          title: formatExactBytes(summary.rssAtEndBytes),
        },
      ),
    );
  if (info.warnings.length > 0)
    sum.append(el('ul', { class: 'mut' }, ...info.warnings.map((w) => el('li', {}, w))));
  if (data.symbols) sum.append(el('p', { class: 'mut', 'data-testid': 'symbols-note' }, data.symbols.text));
  app.append(sum);

  const findings = section('Findings', 'findings');
  const list = el('ul', { class: 'findings' });
  for (const f of summary.findings) list.append(el('li', { class: f.severity, 'data-code': f.code }, f.text));
  if (summary.findings.length === 0) list.append(el('li', {}, 'Nothing unusual was found.'));
  findings.append(list);
  app.append(findings);

  if (data.diff) {
    const d = data.diff;
    const s = section('Difference', 'diff');
    s.append(
      el(
        'div',
        { class: 'cards' },
        card(`Base: ${d.base.label}`, size(d.base.totalBytes), 'diff-base', {
          title: formatExactBytes(d.base.totalBytes),
        }),
        card(`Target: ${d.target.label}`, size(d.target.totalBytes), 'diff-target', {
          title: formatExactBytes(d.target.totalBytes),
        }),
        card(
          'Change',
          `${d.target.totalBytes >= d.base.totalBytes ? '+' : ''}${size(d.target.totalBytes - d.base.totalBytes)}`,
          'diff-change',
        ),
      ),
    );
    s.append(
      el(
        'p',
        { class: d.matching === 'heuristic-prefix' ? 'grown' : 'mut', id: 'diff-matching' },
        `Stacks matched: ${d.matching}.${d.matchingNote ? ` ${d.matchingNote}` : ''}`,
      ),
    );
    s.append(
      el(
        'p',
        { class: 'mut' },
        'Width is the target value; red grew, blue shrank, grey frames are gone (drawn at their old width).',
      ),
    );
    s.append(flameView(diffModel(d.flame), 'diff-flame'));
    if (d.rows.length < d.groupCount) {
      s.append(
        el(
          'p',
          { class: 'mut', id: 'diff-rows-note' },
          `The ${d.rows.length.toLocaleString('en-US')} largest of ${d.groupCount.toLocaleString('en-US')} changes; the CSV export lists them all.`,
        ),
      );
    }
    s.append(diffTable(d.rows));
    app.append(s);
  }

  if (data.flames.length > 0) {
    const s = section('Flame graph', 'flame');
    const tabs = el('div', { class: 'tabs', role: 'tablist' });
    const holder = el('div');
    const buttons: HTMLButtonElement[] = [];
    const show = (k: number) => {
      holder.textContent = '';
      holder.append(flameView(plainModel(data.flames[k].tree), `flame-${data.flames[k].id}`));
      buttons.forEach((b, j) => b.setAttribute('aria-pressed', String(j === k)));
    };
    data.flames.forEach((f, k) => {
      const b = el('button', { type: 'button', 'data-flame': f.id }, f.title);
      b.addEventListener('click', () => show(k));
      buttons.push(b);
      tabs.append(b);
    });
    const merged = data.flames.reduce((m, f) => m + f.tree.mergedNodes, 0);
    s.append(tabs);
    if (merged > 0)
      s.append(
        el(
          'div',
          { class: 'mut' },
          `${merged.toLocaleString('en-US')} small frames were merged into their callers to keep this file small.`,
        ),
      );
    s.append(holder);
    app.append(s);
    show(0);
  }

  if (data.timeline) {
    const s = section('Timeline', 'timeline');
    s.append(timelineView(data.timeline));
    app.append(s);
  }

  if (data.lastSeconds) app.append(lastSecondsView(data.lastSeconds));
  if (data.growth) app.append(growthView(data.growth));

  if (data.allocators) {
    const a = data.allocators;
    const s = section('Allocators', 'allocators');
    if (a.pythonAllocator) s.append(el('p', {}, `Python allocator: ${a.pythonAllocator}`));
    const famTotal = a.byFamily.reduce((t, f) => t + f.bytes, 0);
    s.append(
      barTable(
        a.byFamily.map((f) => ({ label: f.family, bytes: f.bytes, count: f.count })),
        famTotal,
        'family',
      ),
    );
    const allocTotal = a.byAllocator.reduce((t, f) => t + f.bytes, 0);
    s.append(
      el('h3', {}, 'By allocator function'),
      barTable(
        a.byAllocator.map((f) => ({ label: `${f.name} (${f.family})`, bytes: f.bytes, count: f.count })),
        allocTotal,
        'allocator',
      ),
    );
    if (a.histogram.length > 0) {
      const countTotal = a.histogram.reduce((t, h) => t + h.count, 0);
      s.append(
        el(
          'h3',
          {},
          pymallocRecorded(a, data.info.facts.tracePythonAllocators)
            ? `Allocation sizes (pymalloc serves requests up to ${size(a.pymallocThresholdBytes)})`
            : `Allocation sizes (pymalloc was not traced: small sizes here are malloc-family calls too)`,
        ),
        barTable(
          a.histogram.map((h) => ({
            label: `${size(h.minBytes)} – ${size(h.maxBytes)}`,
            bytes: h.count,
            count: h.count,
          })),
          countTotal,
          'size',
          true,
        ),
      );
    }
    if (a.attributionNote) s.append(el('p', { class: 'mut' }, a.attributionNote));
    app.append(s);
  }

  const sites = section('Top allocation sites', 'sites');
  sites.append(sitesTable(data.topSites, 'top-sites'));
  app.append(sites);
}

function main(): void {
  const holder = document.getElementById('hs-data');
  const app = document.getElementById('app');
  if (!holder || !app) return;
  const data = JSON.parse(holder.textContent || '{}') as ReportData;
  render(data, app);
  requestAnimationFrame(() => requestAnimationFrame(() => (document.documentElement.dataset.ready = '1')));
}

main();
