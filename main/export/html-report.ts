import { escapeHtml } from '../../shared/html';
import type { ReportData } from '../../shared/report';
import { redactReportData } from './redact';
import { reportRuntime } from './report-runtime';

/** Diff rows kept in a report (largest changes first, as compare_to orders them). */
export const REPORT_MAX_DIFF_ROWS = 300;

export interface HtmlReportOptions {
  /** Module-relative paths only, no command line (for sharing outside the team). */
  redact?: boolean;
  /** The page script; defaults to the bundled report runtime. */
  runtime?: string;
}

/**
 * JSON that can sit inside <script type="application/json">: `<`, `>` and `&` become \u escapes
 * (so no `</script>` or `<!--` can appear), as do U+2028/2029. JSON.parse restores them.
 */
export function jsonForScript(value: unknown): string {
  // Non-finite numbers (a new site's sizeDiffRatio) become null, as JSON.stringify does.
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script body that cannot close its own element early. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1d2330;--mut:#5b6478;--line:#d9dde5;--card:#f5f7fa;--acc:#2f6fde;--crit:#c62828;--warn:#b26a00;--info:#2f6fde}
@media (prefers-color-scheme:dark){:root{--bg:#15181e;--fg:#e6e9ef;--mut:#9aa3b5;--line:#2b313c;--card:#1d2129;--acc:#6ea0ff;--crit:#ff6b6b;--warn:#f0b44c;--info:#6ea0ff}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:1280px;margin:0 auto;padding:16px 24px 48px}h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.mut{color:var(--mut)}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px}
.card .v{font-size:20px;font-weight:600}.card .k{color:var(--mut);font-size:12px}
.card .n{color:var(--mut);font-size:12px;max-width:280px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dl.facts dt{color:var(--mut)}dl.facts dd{margin:0;word-break:break-all}
ul.findings{list-style:none;padding:0;margin:0}ul.findings li{border-left:4px solid var(--info);background:var(--card);padding:6px 10px;margin:6px 0;border-radius:3px}
ul.findings li.critical{border-color:var(--crit)}ul.findings li.warning{border-color:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mut);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.loc{word-break:break-all}
.tabs button,.bar button{font:inherit;background:var(--card);color:var(--fg);border:1px solid var(--line);border-radius:4px;padding:3px 10px;margin-right:6px;cursor:pointer}
.tabs button[aria-pressed=true]{border-color:var(--acc);color:var(--acc)}
.bar input{font:inherit;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:4px;padding:3px 8px;margin-right:6px;width:220px}
.flame{position:relative;margin-top:8px}.flame canvas{display:block;width:100%;cursor:pointer}.crumbs{font-size:12px;color:var(--mut);margin:6px 0;min-height:1.4em;word-break:break-all}
.tip{position:fixed;pointer-events:none;background:var(--card);border:1px solid var(--line);border-radius:4px;padding:6px 8px;font-size:12px;max-width:520px;box-shadow:0 2px 8px rgba(0,0,0,.25);display:none;z-index:10;word-break:break-all}
.hbar{height:12px;background:var(--acc);border-radius:2px;min-width:1px}svg text{fill:var(--mut);font-size:11px}
.grown{color:var(--crit)}.shrunk{color:#2e7d32}
`;

/**
 * One self-contained HTML report: inline CSS and script, data embedded as JSON, no external
 * URL of any kind (works offline, opens by double-click). The page script renders every text
 * with textContent, so names such as `</script><script>` are inert.
 *
 * Stable hooks for tests: `#hs-data` (the JSON), `#summary-peak[data-bytes]`,
 * `#top-sites tbody tr[data-key]`, `#flame canvas[data-nodes]` (nodes drawn), `#diff-flame`,
 * `document.documentElement.dataset.ready === "1"` once everything is drawn.
 */
export function renderHtmlReport(data: ReportData, options: HtmlReportOptions = {}): string {
  let shown = options.redact ? redactReportData(data) : data;
  if (shown.diff && shown.diff.rows.length > REPORT_MAX_DIFF_ROWS) {
    shown = { ...shown, diff: { ...shown.diff, rows: shown.diff.rows.slice(0, REPORT_MAX_DIFF_ROWS) } };
  }
  const runtime = options.runtime ?? reportRuntime();
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // The report never loads anything: a CSP that only allows its own inline code.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(`Heapscope report: ${shown.title}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main id="app"><noscript>This report needs JavaScript to draw its charts.</noscript></main>',
    `<script type="application/json" id="hs-data">${jsonForScript(shown)}</script>`,
    `<script>${scriptSafe(runtime)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
