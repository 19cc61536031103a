/**
 * How a site (a function at a line, a table or diff row, a finding's subject) is named in
 * sentences and cells: the findings, the `check` verdict, the CLI's lists and the report's tables.
 */
import type { SourceLocation } from '../api';
import { locationText } from '../source-location';

export { locationText };

export interface SiteLike {
  function: string;
  file: string;
  line: number;
  module?: string;
  source?: SourceLocation;
}

/**
 * "make_buffer at app/work.py:12"; the location alone when no function name was recorded
 * (tracemalloc), the module when there is no file; "(unknown)" when there is nothing at all.
 */
export function siteLabel(site: SiteLike): string {
  const where = site.file || site.source ? locationText(site) : site.module || '';
  if (!site.function) return where || '(unknown)';
  return where ? `${site.function} at ${where}` : site.function;
}
