/**
 * A sparkline's SVG polyline points: `values` spread over [0, width], scaled so the smallest
 * is at the bottom (height) and the largest at the top (0); a flat series lies on the bottom.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const y = hi > lo ? height - ((v - lo) / (hi - lo)) * height : height;
      return `${(i * step).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}
