/** Text of `heapscope layout FILE`: where the RSS went at one moment, estimates labelled as such. */
import type { MemoryLayout, PymallocArena } from '../../../shared/layout';
import { siteLabel } from '../../../shared/present';
import {
  formatBytes,
  formatCount,
  formatCountOf,
  formatPercent,
  type UnitSystem,
} from '../../../shared/units';

/** Arenas and size classes listed in text; --json has them all. */
const LISTED = 12;

function hex(address: number): string {
  return `0x${address.toString(16)}`;
}

function count(n: number): string {
  return formatCount(n);
}

/** A row of an arena's pool slots: '#' full, '+' half or more, '.' less, ' ' free. */
function poolStrip(a: PymallocArena, slots: number): string {
  const cells = new Array<string>(slots).fill(' ');
  a.poolIndex.forEach((i, j) => {
    if (i < 0 || i >= slots) return;
    const used = a.poolBlocks[j] / Math.max(a.poolCapacity[j], 1);
    cells[i] = used >= 0.999 ? '#' : used >= 0.5 ? '+' : '.';
  });
  return cells.join('');
}

export function formatLayout(layout: MemoryLayout, file: string, units: UnitSystem, listed = LISTED): string {
  const b = (n: number) => formatBytes(n, units);
  const lines: string[] = [];
  lines.push(
    `Memory layout of ${file} at ${layout.moment.label} (estimates from addresses; --json for every rule)`,
  );
  if (layout.moment.requestedMs !== undefined && layout.moment.kind === 'at')
    lines.push(`  asked for ${layout.moment.requestedMs} ms: the nearest checkpoint at or before it answers`);
  const rest =
    layout.rssBytes !== undefined
      ? Math.max(0, layout.rssBytes - layout.heapBytes - layout.heldBytes)
      : undefined;
  lines.push(
    `  live tracked heap ${b(layout.heapBytes)}; held by allocators beyond live blocks ${b(layout.heldBytes)} (estimate)` +
      (layout.rssBytes !== undefined ? `; RSS ${b(layout.rssBytes)}, the rest ${b(rest!)}` : ''),
  );
  const p = layout.pymalloc;
  if (p.modelled && p.geometry) {
    const g = p.geometry;
    lines.push('', `pymalloc: ${g.source}`);
    lines.push(
      `  live small blocks  ${b(p.liveBytes)} in ${count(p.liveBlocks)} blocks (${b(p.blockBytes)} at their size classes)`,
    );
    lines.push(
      `  pools in use       ${count(p.pools)} × ${b(g.poolBytes)} = ${b(p.poolBytes)}; ${b(p.inPoolFreeBytes)} of it not in live blocks`,
    );
    lines.push(
      `  arenas (inferred)  ${count(p.arenas)} × ${b(g.arenaBytes)} = ${b(p.arenaBytes)}, ${formatPercent(p.liveBytes / Math.max(p.arenaBytes, 1), 0)} used; ` +
        `${count(p.sparseArenas)} at most ${formatPercent(p.sparseShare, 0)} used; held ${b(p.heldBytes)}`,
    );
    if (p.sizeClasses.length > 0) {
      const classes = [...p.sizeClasses].sort((x, y) => y.pools - x.pools).slice(0, listed);
      lines.push(
        `  size classes (most pools first): ${classes
          .map(
            (c) =>
              `${c.blockBytes} B ×${count(c.pools)} ${formatPercent(c.blocks / Math.max(c.capacity, 1), 0)} full`,
          )
          .join(', ')}`,
      );
    }
    if (p.arenaList.length > 0) {
      const slots = g.arenaBytes / g.poolBytes;
      lines.push(`  arenas, lowest address first (pool slots: # full, + ≥ half, . < half, blank free):`);
      for (const a of p.arenaList.slice(0, listed))
        lines.push(
          `    ${hex(a.address).padEnd(16)} |${poolStrip(a, slots)}| ${formatCountOf(a.pools, 'pool').padStart(8)} ${formatPercent(a.liveBytes / g.arenaBytes, 0).padStart(4)} used`,
        );
      const more = p.arenaList.length - Math.min(listed, p.arenaList.length) + p.arenasOmitted;
      if (more > 0) lines.push(`    … ${count(more)} more arenas`);
    }
    if (p.outside.blocks > 0)
      lines.push(
        `  outside pools      ${count(p.outside.blocks)} small PYMALLOC blocks (${b(p.outside.bytes)}) in ${count(p.outside.windows)} windows: raw-domain malloc blocks`,
      );
    if (p.pinning.length > 0) {
      lines.push(`  what keeps the sparse arenas (their share of the held bytes):`);
      for (const s of p.pinning.slice(0, listed))
        lines.push(
          `    ${b(s.keptBytes).padStart(9)}  ${formatCountOf(s.blocks, 'block')} (${b(s.bytes)}) in ${formatCountOf(s.arenas, 'arena')}  ${siteLabel(s)}`,
        );
    }
  }
  const m = layout.mallocHeap;
  if (m.modelled && m.liveCount > 0) {
    lines.push(
      '',
      `malloc heap (glibc; ${formatCountOf(m.liveCount, 'live allocation')}, ${b(m.liveBytes)})`,
    );
    if (m.brk) {
      lines.push(
        `  brk heap           ${hex(m.brk.fromAddress)}–${hex(m.brk.topAddress)} (${b(m.brk.topAddress - m.brk.fromAddress)}), ${b(m.brk.liveBytes)} live in ${formatCountOf(m.brk.liveCount, 'allocation')}; free below the top ${m.heldEstimated ? '' : 'at most '}${b(m.brk.freeBelowTopBytes)}${m.heldEstimated ? '' : ' (not counted as held: see Not shown)'}`,
      );
      if (m.brk.pin)
        lines.push(
          `  top pinned by      ${b(m.brk.pin.size)} ${m.brk.pin.allocator} at ${hex(m.brk.pin.address)} from ${siteLabel(m.brk.pin)}`,
        );
    }
    if (m.threadHeaps.length > 0)
      lines.push(
        `  thread arenas      ${formatCountOf(m.threadHeaps.length, 'heap')}, ${b(m.threadHeaps.reduce((s, h) => s + h.liveBytes, 0))} live, ${m.heldEstimated ? '' : 'at most '}${b(m.threadHeldBytes)} free in them`,
      );
    if (m.ownMmap.count > 0)
      lines.push(
        `  own mappings       ${formatCountOf(m.ownMmap.count, 'allocation')}, ${b(m.ownMmap.bytes)}`,
      );
  }
  const maps = layout.mappings.byFamily;
  if (maps.length > 0) {
    lines.push('', 'mappings (live mmap ranges)');
    for (const r of maps)
      lines.push(
        `  ${r.family.padEnd(17)}  ${b(r.reservedBytes)} reserved${r.ranges ? ` in ${count(r.ranges)} ranges` : ''}${r.usedBytes !== undefined ? `, ${b(r.usedBytes)} in live malloc blocks` : ''}`,
      );
  }
  if (layout.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const f of layout.findings) lines.push(`  [${f.severity}] ${f.text}`);
  }
  if (layout.limits.length > 0) {
    lines.push('', 'Not shown:');
    for (const l of layout.limits)
      lines.push(`  ${l.part}: ${l.reason}${l.howToRecord ? ` (record with \`${l.howToRecord}\`)` : ''}`);
  }
  const checkpoints = layout.moments.filter((x) => x.kind === 'at');
  lines.push(
    '',
    `Moments: peak, end${checkpoints.length > 0 ? ` and ${checkpoints.length} checkpoints from ${checkpoints[0].timeMs} to ${checkpoints[checkpoints.length - 1].timeMs} ms` : ''} (--at peak|end|MS)`,
  );
  return `${lines.join('\n')}\n`;
}
