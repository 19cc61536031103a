import { describe, expect, it } from 'vitest';
import { renderHtmlReport, jsonForScript } from './html-report';
import { reportRuntime } from './report-runtime';
import { readFixture, snapshotFromMemrayCsv } from './testing/fixtures';
import { reportDataFrom } from './testing/report-data';

const ABSOLUTE = /(^|[\s"'(])\/(?:[A-Za-z0-9._-]+\/)+/m;
const WINDOWS_ABSOLUTE = /(^|[\s"'(])[A-Za-z]:\\(?:[A-Za-z0-9._-]+\\)+/m;

const HOSTILE = `</script><script>alert("x")</script><!-- '"&`;

function hostileCsv(): string {
  // The basic workload with one function renamed to a script-injection attempt; memray's CSV
  // quotes fields, so papaparse round-trips it like a real export would.
  const text = readFixture('basic.hwm.csv');
  return text
    .replace(/make_big_buffer/g, HOSTILE.replace(/"/g, '""'))
    .replace(/^(MALLOC,1,524\d+,[^\n]*)$/m, (line) => {
      const parts = line.split(',');
      return [...parts.slice(0, 5), `"${parts.slice(5).join(',')}"`].join(',');
    });
}

describe('renderHtmlReport', () => {
  const peak = snapshotFromMemrayCsv(readFixture('basic.hwm.csv'), 'peak');
  const leaks = snapshotFromMemrayCsv(readFixture('basic.leaks.csv'), 'leaks');
  const data = reportDataFrom(peak, leaks, { diffBase: leaks });

  it('is one self-contained document with no external URL', () => {
    const html = renderHtmlReport(data);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html.length).toBeLessThan(5 * 1024 * 1024);
    // Exactly two script elements: the data and the page script.
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('embeds the data losslessly and readable by JSON.parse', () => {
    const html = renderHtmlReport(data);
    const m = /<script type="application\/json" id="hs-data">([\s\S]*?)<\/script>/.exec(html)!;
    const parsed = JSON.parse(m[1]);
    expect(parsed.summary.peakBytes).toBe(data.summary.peakBytes);
    expect(parsed.flames[0].tree.bytes).toEqual(data.flames[0].tree.bytes);
    expect(parsed.topSites[0].key).toBe(data.topSites[0].key);
  });

  it('escapes function names that try to close the script element', () => {
    const evil = snapshotFromMemrayCsv(hostileCsv(), 'peak');
    expect(evil.frames.names).toContain(HOSTILE);
    const html = renderHtmlReport(reportDataFrom(evil, leaks));
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('alert("x")</script>');
    const m = /<script type="application\/json" id="hs-data">([\s\S]*?)<\/script>/.exec(html)!;
    expect(JSON.stringify(JSON.parse(m[1]))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
    expect(jsonForScript({ a: '</script>' })).toBe('{"a":"\\u003c/script\\u003e"}');
  });

  it('the page script never assigns markup', () => {
    const runtime = reportRuntime();
    expect(runtime).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(runtime).not.toMatch(/<\/script/i);
  });

  it('without redact, the paths and command line are there', () => {
    const html = renderHtmlReport(data);
    expect(html).toMatch(ABSOLUTE);
    expect(html).toContain('-m memray run');
  });

  it('--redact leaves no absolute path and no command line', () => {
    const html = renderHtmlReport(data, { redact: true });
    expect(html).not.toMatch(ABSOLUTE);
    expect(html).not.toMatch(WINDOWS_ABSOLUTE);
    expect(html).not.toContain('/srv/');
    expect(html).not.toContain('/opt/');
    expect(html).not.toContain('memray run');
    const m = /<script type="application\/json" id="hs-data">([\s\S]*?)<\/script>/.exec(html)!;
    const parsed = JSON.parse(m[1]);
    expect(parsed.redacted).toBe(true);
    // Files became module-relative through the v13 sys.path roots.
    const files: string[] = parsed.flames[0].tree.frames.map((f: { file: string }) => f.file);
    expect(files).toContain('basic.py');
    expect(files).toContain('collections/__init__.py');
    expect(parsed.topSites.some((s: { file: string }) => s.file === 'basic.py')).toBe(true);
    expect(parsed.info.facts.path).toBe('basic.bin');
  });
});
