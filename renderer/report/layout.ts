/**
 * The HTML report's Memory layout section (issue 14): where the RSS went at the peak and at the
 * end — the RSS split, pymalloc's totals and a compact picture of its arenas and pools, the
 * malloc heap, allocator-owned mappings, the findings and the rules behind every estimate.
 * Text only through textContent (names from the capture are inert); the words and geometry are
 * shared/layout-present.ts's, as in the app's view.
 */
import type { LayoutBands, MemoryLayout, PymallocLayout } from '../../shared/layout';
import type { ReportLayout } from '../../shared/report';
import {
  arenaPools,
  hexAddress,
  hierarchyLegend,
  isSparseArena,
  limitText,
  mixColor,
  momentHeading,
  occupancyShade,
  pinText,
  poolOccupancy,
  poolSlots,
  rssSplit,
} from '../../shared/layout-present';
import {
  formatBytes,
  formatCountOf,
  formatDuration,
  formatExactBytes,
  type UnitSystem,
} from '../../shared/units';

type Child = Node | string | false | undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== false && c !== undefined) node.append(c);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string>): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const cssVar = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** Report colours as hex (the page's CSS variables), for blending. */
function colours() {
  return {
    empty: cssVar('--line', '#d9dde5'),
    full: cssVar('--acc', '#2f6fde'),
    card: cssVar('--card', '#f5f7fa'),
    warn: cssVar('--warn', '#b26a00'),
    held: '#d9a21b',
    rest: cssVar('--mut', '#5b6478'),
  };
}

const HOVER_CSS = `
#layout .lcards .card .v{font-size:17px}#layout .sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
#layout .split{display:flex;height:14px;border-radius:3px;overflow:hidden;border:1px solid var(--line);margin:6px 0}
#layout .split span{display:block;height:100%}#layout canvas.arenas{display:block;max-width:100%;margin:6px 0 2px}
#layout .moment{margin-top:18px}#layout h3{font-size:15px;margin:14px 0 6px}#layout dl.levels{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}
#layout dl.levels dt{font-weight:600}#layout dl.levels dd{margin:0;color:var(--mut)}#layout .limit{border-left:3px solid var(--info);padding:3px 8px;margin:4px 0;background:var(--card)}
#layout details{margin-top:12px}#layout details li{color:var(--mut);font-size:13px}
`;

function cards(
  items: { label: string; bytes: number; color?: string; id: string }[],
  units: UnitSystem,
): HTMLElement {
  return el(
    'div',
    { class: 'cards lcards' },
    ...items.map((c) =>
      el(
        'div',
        {
          class: 'card',
          'data-testid': c.id,
          'data-bytes': String(c.bytes),
          title: formatExactBytes(c.bytes),
        },
        el('div', { class: 'k' }, c.label),
        el(
          'div',
          { class: 'v' },
          c.color ? el('span', { class: 'sw', style: `background:${c.color}` }) : false,
          formatBytes(c.bytes, units),
        ),
      ),
    ),
  );
}

/**
 * pymalloc's arenas, compactly: each arena a strip of its pool slots (lowest address first,
 * left to right, then down), a pool's cell shaded by its occupancy, free slots left blank, a
 * tint on sparse arenas. Hover names the pool.
 */
function arenaPicture(p: PymallocLayout, tip: HTMLElement, units: UnitSystem): HTMLElement | null {
  const g = p.geometry;
  if (!g || p.arenaList.length === 0) return null;
  const c = colours();
  const slots = poolSlots(g);
  // Five arena strips side by side fill the report's width (about 3.6 px per pool slot).
  const width = 1200;
  const gapX = 18;
  const gapY = 6;
  const perRow = 5;
  const cellW = (width - (perRow - 1) * gapX) / (perRow * slots);
  const cellH = 10;
  const stripW = slots * cellW;
  const rows = Math.ceil(p.arenaList.length / perRow);
  const height = rows * (cellH + gapY) - gapY;
  const dpr = Math.max(1, Math.min(2, globalThis.devicePixelRatio || 1));
  const canvas = el('canvas', {
    class: 'arenas',
    width: String(width * dpr),
    height: String(height * dpr),
    style: `width:${width}px;height:${height}px`,
    'data-arenas': String(p.arenaList.length),
    'data-pools': String(p.arenaList.reduce((s, a) => s + a.pools, 0)),
    role: 'img',
    'aria-label': `${p.arenaList.length} arenas as strips of ${slots} pool slots, shaded by occupancy`,
  });
  const ctx = canvas.getContext('2d');
  const origin = (i: number) => ({
    x: (i % perRow) * (stripW + gapX),
    y: Math.floor(i / perRow) * (cellH + gapY),
  });
  if (ctx) {
    ctx.scale(dpr, dpr);
    p.arenaList.forEach((a, i) => {
      const o = origin(i);
      // A sparse arena's free slots are tinted: a few blocks keep all of it from the OS.
      const sparse = isSparseArena(a, p);
      ctx.fillStyle = sparse ? mixColor(c.card, c.warn, 0.22) : c.card;
      ctx.fillRect(o.x, o.y, stripW, cellH);
      ctx.strokeStyle = sparse ? c.warn : c.empty;
      ctx.strokeRect(o.x + 0.5, o.y + 0.5, stripW - 1, cellH - 1);
      for (const pool of arenaPools(p, i)) {
        ctx.fillStyle = mixColor(c.empty, c.full, occupancyShade(poolOccupancy(pool)));
        ctx.fillRect(o.x + pool.slot * cellW, o.y, Math.max(1, cellW - 0.6), cellH);
      }
    });
  }
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) * width) / Math.max(1, r.width);
    const y = ((e.clientY - r.top) * height) / Math.max(1, r.height);
    const col = Math.floor(x / (stripW + gapX));
    const row = Math.floor(y / (cellH + gapY));
    const i = row * perRow + col;
    const slot = Math.floor((x - col * (stripW + gapX)) / cellW);
    const a = p.arenaList[i];
    if (!a || col >= perRow || slot < 0 || slot >= slots) {
      tip.style.display = 'none';
      return;
    }
    const pool = arenaPools(p, i).find((q) => q.slot === slot);
    tip.textContent = pool
      ? `Arena ${i}, pool ${slot} (${hexAddress(pool.address)}): ${pool.blockBytes} B blocks, ${pool.blocks} of ${pool.capacity} in use; live ${formatBytes(pool.liveBytes, units)}`
      : `Arena ${i} (${hexAddress(a.address)}), slot ${slot}: a free pool. The arena: ${a.pools} pools in use, live ${formatBytes(a.liveBytes, units)}`;
    tip.style.display = 'block';
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  return canvas;
}

function momentView(
  l: MemoryLayout,
  id: string,
  title: string,
  tip: HTMLElement,
  units: UnitSystem,
): HTMLElement {
  const c = colours();
  const b = (n: number) => formatBytes(n, units);
  const s = el('div', { class: 'moment', id, 'data-moment': l.moment.kind });
  s.append(el('h3', {}, `${title}: ${momentHeading(l.moment.label)}`));
  const split = rssSplit(l);
  const total = Math.max(1, split.rssBytes ?? 0, split.heapBytes + split.heldBytes);
  const parts = [
    { label: 'Live tracked heap', bytes: split.heapBytes, color: c.full, id: `${id}-heap` },
    { label: 'Held by allocators (estimate)', bytes: split.heldBytes, color: c.held, id: `${id}-held` },
    ...(split.restBytes !== undefined
      ? [{ label: 'Rest of RSS', bytes: split.restBytes, color: c.rest, id: `${id}-rest` }]
      : []),
  ];
  s.append(
    cards(
      [
        ...(split.rssBytes !== undefined ? [{ label: 'RSS', bytes: split.rssBytes, id: `${id}-rss` }] : []),
        ...parts,
      ],
      units,
    ),
  );
  s.append(
    el(
      'div',
      { class: 'split' },
      ...parts.map((p) =>
        el('span', {
          style: `width:${(100 * p.bytes) / total}%;background:${p.color}`,
          title: `${p.label}: ${b(p.bytes)}`,
        }),
      ),
    ),
  );

  const p = l.pymalloc;
  if (p.modelled) {
    s.append(
      el(
        'p',
        { 'data-testid': `${id}-pymalloc`, 'data-arenas': String(p.arenas), 'data-pools': String(p.pools) },
        `pymalloc: ${p.arenas.toLocaleString('en-US')} arenas (${b(p.arenaBytes)}), ${p.pools.toLocaleString('en-US')} pools in use, ${p.liveBlocks.toLocaleString('en-US')} live small blocks (${b(p.liveBytes)}); held beyond them ${b(p.heldBytes)} (estimate): ${b(p.inPoolFreeBytes)} free inside pools in use, ${b(p.freePoolBytes)} in free pools; ${p.sparseArenas.toLocaleString('en-US')} sparse arenas.`,
      ),
    );
    const pic = arenaPicture(p, tip, units);
    if (pic) {
      s.append(pic);
      s.append(
        el(
          'div',
          { class: 'mut' },
          `Each strip is one arena, its ${poolSlots(p.geometry!)} cells its pool slots: darker is fuller, blank is a free pool; an orange-tinted strip is a sparse arena (at most ${Math.round(p.sparseShare * 100)}% used).${p.arenasOmitted > 0 ? ` ${p.arenasOmitted.toLocaleString('en-US')} more arenas are counted above but not drawn.` : ''}`,
        ),
      );
    }
    if (p.pinning.length > 0) {
      const top = p.pinning.slice(0, 5);
      s.append(
        el('p', {}, 'Code whose live blocks keep the sparse arenas from the OS:'),
        el(
          'ul',
          {},
          ...top.map((x) =>
            el(
              'li',
              {},
              `${x.function || '(no function)'} at ${x.file.split('/').pop()}:${x.line}: ${formatCountOf(x.blocks, 'block')} in ${formatCountOf(x.arenas, 'arena')} keep${x.blocks === 1 ? 's' : ''} ${b(x.keptBytes)}`,
            ),
          ),
        ),
      );
    }
  }

  const h = l.mallocHeap;
  if (h.modelled) {
    const parts: string[] = [];
    if (h.brk) {
      const pin = pinText(h.brk, units);
      parts.push(
        `the brk heap spans ${b(h.brk.topAddress - h.brk.fromAddress)} (${hexAddress(h.brk.fromAddress)} – ${hexAddress(h.brk.topAddress)}) for ${b(h.brk.liveBytes)} in ${h.brk.liveCount.toLocaleString('en-US')} live blocks; ${b(h.brk.freeBelowTopBytes)} below its top is free ${h.heldEstimated ? 'but held (estimate)' : '(an upper bound: memray saw no libc malloc call, so untracked allocations may fill it)'}${pin ? `; its top is pinned by a ${pin}` : ''}`,
      );
    }
    if (h.threadHeaps.length)
      parts.push(
        `${h.threadHeaps.length} thread-arena heaps have ${b(h.threadHeldBytes)} free beyond their live blocks${h.heldEstimated ? '' : ' (an upper bound)'}`,
      );
    parts.push(
      `${h.ownMmap.count.toLocaleString('en-US')} allocations (${b(h.ownMmap.bytes)}) have a mapping of their own`,
    );
    s.append(el('p', { 'data-testid': `${id}-malloc` }, `Malloc heap: ${parts.join('; ')}.`));
  }
  if (l.mappings.byFamily.length)
    s.append(
      el(
        'p',
        {},
        `Live mappings by who made them: ${l.mappings.byFamily
          .map(
            (m) =>
              `${m.family}${m.ranges !== undefined ? ` ${m.ranges.toLocaleString('en-US')} ranges,` : ''} ${b(m.reservedBytes)} reserved${m.usedBytes !== undefined ? ` (${b(m.usedBytes)} used)` : ''}`,
          )
          .join('; ')}.`,
      ),
    );
  if (l.findings.length)
    s.append(
      el(
        'ul',
        { class: 'findings' },
        ...l.findings.map((f) => el('li', { class: f.severity, 'data-code': f.code }, f.text)),
      ),
    );
  // A report cannot change its moment: "choose the peak or the end" (the sites' limit) means nothing here.
  for (const x of l.limits.filter((y) => y.part !== 'sites')) {
    const t = limitText(x);
    s.append(
      el(
        'div',
        { class: 'limit', 'data-part': x.part },
        el('b', {}, `${t.part}: `),
        t.reason,
        t.howToRecord ? ` To record a capture that shows it: ${t.howToRecord}` : '',
      ),
    );
  }
  return s;
}

/** RSS split into bands over time: live heap, held (estimate), rest, stacked. */
function bandsView(bands: LayoutBands, units: UnitSystem): HTMLElement | null {
  if (bands.timeMs.length < 2) return null;
  const c = colours();
  const W = 1200;
  const H = 140;
  const padL = 70;
  const padB = 20;
  const maxX = Math.max(1, ...bands.timeMs);
  const tops = bands.timeMs.map(
    (_, i) => bands.heapBytes[i] + bands.heldBytes[i] + (bands.restBytes[i] ?? 0),
  );
  const maxY = Math.max(1, ...tops, ...bands.rssBytes.map((v) => v ?? 0));
  const sx = (ms: number) => padL + ((W - padL - 10) * ms) / maxX;
  const sy = (v: number) => H - padB - ((H - padB - 8) * v) / maxY;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: '100%',
    role: 'img',
    'aria-label': 'RSS bands over time',
    id: 'layout-bands',
  });
  const layers: { values: number[]; color: string; name: string }[] = [];
  let below = bands.timeMs.map(() => 0);
  const series = [
    { values: bands.heapBytes, color: c.full, name: 'live tracked heap' },
    { values: bands.heldBytes, color: c.held, name: 'held by allocators (estimate)' },
    ...(bands.restBytes.some((v) => v != null)
      ? [{ values: bands.restBytes.map((v) => v ?? 0), color: c.rest, name: 'rest of RSS' }]
      : []),
  ];
  for (const s of series) {
    const top = below.map((v, i) => v + s.values[i]);
    const up = bands.timeMs.map((t, i) => `${sx(t).toFixed(1)},${sy(top[i]).toFixed(1)}`);
    const down = bands.timeMs.map((t, i) => `${sx(t).toFixed(1)},${sy(below[i]).toFixed(1)}`).reverse();
    root.append(
      svg('polygon', { points: [...up, ...down].join(' '), fill: s.color, 'fill-opacity': '0.55' }),
    );
    layers.push(s);
    below = top;
  }
  const label = (x: number, y: number, text: string, anchor = 'start') => {
    const t = svg('text', { x: String(x), y: String(y), 'text-anchor': anchor });
    t.textContent = text;
    root.append(t);
  };
  label(padL - 6, sy(maxY) + 4, formatBytes(maxY, units), 'end');
  label(padL - 6, sy(0), '0', 'end');
  label(W - 10, H - 4, formatDuration(maxX), 'end');
  const box = el('div');
  box.append(root);
  box.append(
    el(
      'div',
      { class: 'mut' },
      ...layers.map((l) =>
        el('span', {}, el('span', { class: 'sw', style: `background:${l.color}` }), `${l.name}   `),
      ),
      `— at ${bands.timeMs.length} layout checkpoints. ${bands.rule}`,
    ),
  );
  return box;
}

export function layoutSection(layout: ReportLayout, units: UnitSystem): HTMLElement {
  const s = el('section', { id: 'layout' });
  s.append(el('style', {}, HOVER_CSS));
  s.append(el('h2', {}, 'Memory layout: where the RSS went'));
  s.append(
    el(
      'p',
      { class: 'mut' },
      'Everything past the live bytes is estimated from the allocations’ addresses, each by the rule listed under “How this was estimated”.',
    ),
  );
  const g = layout.end?.pymalloc.geometry ?? layout.peak?.pymalloc.geometry;
  if (g)
    s.append(
      el(
        'dl',
        { class: 'levels' },
        ...hierarchyLegend(g).flatMap((x) => [el('dt', {}, x.level), el('dd', {}, x.text)]),
      ),
    );
  const tip = el('div', { class: 'tip' });
  s.append(tip);
  if (layout.bands) {
    const v = bandsView(layout.bands, units);
    if (v) s.append(el('h3', {}, 'RSS over time, in bands'), v);
  }
  if (layout.peak) s.append(momentView(layout.peak, 'layout-peak', 'The layout', tip, units));
  if (layout.end) s.append(momentView(layout.end, 'layout-end', 'The layout', tip, units));
  const source = layout.end ?? layout.peak;
  if (source) {
    const rules = [...source.pymalloc.rules, ...source.mallocHeap.rules, ...source.mappings.rules];
    if (layout.bands?.rule) rules.push(layout.bands.rule);
    s.append(
      el(
        'details',
        {},
        el('summary', {}, 'How this was estimated'),
        el('ul', {}, ...rules.map((r) => el('li', {}, r))),
      ),
    );
  }
  return s;
}
