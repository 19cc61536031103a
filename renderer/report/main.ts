/**
 * The exported HTML report's own page script (no Vue, no network). It reads the ReportData JSON
 * embedded by main/export/html-report.ts and draws everything with DOM text nodes, SVG and one
 * canvas per flame graph (./flame.ts, from the app's own flamegraph scene). Text is only ever set through textContent / createTextNode / fillText,
 * never parsed as HTML, so captured function names cannot inject markup.
 */
import type { DiffRow, SiteRow, Timeline } from '../../shared/api';
import {
  describeFilter,
  siteLabel,
  summaryCards,
  summaryWarnings,
  type SummaryCard,
} from '../../shared/present';
import { sparklinePoints } from '../../shared/sparkline';
import type { ReportData } from '../../shared/report';
import { pymallocRecorded } from '../../shared/histogram-legend';
import { diffFlameModel, flameView, plainFlameModel } from './flame';
import { layoutSection } from './layout';
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

function section(title: string, id: string): HTMLElement {
  const s = el('section', { id });
  s.append(el('h2', {}, title));
  return s;
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
        el('td', { class: 'loc' }, siteLabel(r)),
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
        el('td', { class: 'loc' }, siteLabel(r)),
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
        el('td', { class: 'loc' }, siteLabel(site)),
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

/** One Summary card; `#summary-peak[data-bytes]` and the notes' data-testid are stable hooks. */
function summaryCard(c: SummaryCard): HTMLElement {
  const attrs: Attrs = { class: 'card', id: `summary-${c.id}` };
  if (c.value !== null) attrs[c.unit === 'bytes' ? 'data-bytes' : 'data-count'] = String(c.value);
  if (c.value !== null && c.unit === 'bytes') attrs.title = formatExactBytes(c.value);
  return el(
    'div',
    attrs,
    el('div', { class: 'k' }, c.title),
    el('div', { class: 'v' }, c.text ?? ''),
    ...c.notes.map((n) =>
      el(
        'div',
        {
          class: 'n',
          ...(n.id && { 'data-testid': n.id }),
          ...(n.value !== undefined && { 'data-value': String(n.value) }),
        },
        n.text,
      ),
    ),
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
  fact('Filters', describeFilter(data.frozen.filter));
  fact(
    'Time range',
    data.frozen.range
      ? `${formatDuration(data.frozen.range.fromMs)} – ${formatDuration(data.frozen.range.toMs)}`
      : 'whole capture',
  );
  fact('Threads', data.frozen.threads?.join(', ') ?? 'all');
  fact('Baseline', data.frozen.baseline);
  app.append(dl);

  // The app's Summary cards (shared/present): a number the capture did not measure says why.
  const sum = section('Summary', 'summary');
  sum.append(
    el(
      'div',
      { class: 'cards' },
      ...summaryCards(info, summary, { inRange: !!data.frozen.range, units }).map(summaryCard),
    ),
  );
  const warnings = summaryWarnings(info, summary.findings);
  if (warnings.length > 0) sum.append(el('ul', { class: 'mut' }, ...warnings.map((w) => el('li', {}, w))));
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
        'Width is the target value; red grew, blue shrank, grey outlined slivers are frames gone from the target.',
      ),
    );
    s.append(flameView(diffFlameModel(d.flame, units), 'diff-flame', units));
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
      holder.append(
        flameView(plainFlameModel(data.flames[k].tree, units), `flame-${data.flames[k].id}`, units),
      );
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

  if (data.layout) app.append(layoutSection(data.layout, units));

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
