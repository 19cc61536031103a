const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, from the lowest (▁) to the highest (█) of the row. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map((v) => SPARKS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (SPARKS.length - 1)) : 0])
    .join('');
}
