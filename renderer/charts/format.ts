// Chart labels use the same byte units (shared/units) as the rest of the app and the CLI.
export { formatBytes, formatBytesTick, formatExactBytes, type UnitSystem } from '@shared/units';
// Tooltips are HTML: one escape for every chart, the report and the app (shared/html.ts).
export { escapeHtml } from '@shared/html';

export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 120_000) return `${+(ms / 1000).toFixed(2)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}
