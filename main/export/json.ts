/**
 * JSON text for the CLI's stats / diff objects. JSON has no Infinity or NaN (a diff's
 * sizeDiffRatio is Infinity for new sites); they are written as the strings "Infinity",
 * "-Infinity" and "NaN" instead of silently becoming null.
 */
export function toJsonText(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v))
        return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      return v;
    },
    indent,
  );
}
