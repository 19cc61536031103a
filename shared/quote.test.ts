import { describe, expect, it } from 'vitest';
import { escapeControls, quoteInput } from './quote';

describe('quoteInput', () => {
  it('escapes a terminal-title sequence, bytes that are not UTF-8, quotes and backslashes', () => {
    const bytes = new Uint8Array([
      0x1b, 0x5d, 0x30, 0x3b, 0x70, 0x07, 0xff, 0xc3, 0xa9, 0x22, 0x5c, 0xc0, 0xaf,
    ]);
    expect(quoteInput(bytes)).toBe('"\\x1b]0;p\\x07\\xff\u00e9\\"\\\\\\xc0\\xaf"');
  });

  it('escapes C1, DEL, CR, separators, bidi overrides and lone surrogates', () => {
    expect(quoteInput('a\u0085b\u007fc\rd\u2028e\u2029f\u202eg\ud800h')).toBe(
      '"a\\x85b\\x7fc\\x0dd\\u{2028}e\\u{2029}f\\u{202e}g\\u{d800}h"',
    );
  });

  it('cuts long content without splitting an escape', () => {
    const q = quoteInput('x'.repeat(58) + '\x1b' + 'y'.repeat(10));
    expect(q).toBe(`"${'x'.repeat(58)}…"`);
    expect(quoteInput('z'.repeat(100)).length).toBe(60 + 3);
    expect(quoteInput('short')).toBe('"short"');
  });
});

describe('escapeControls', () => {
  it('leaves plain text and backslashes alone, escapes control characters', () => {
    expect(escapeControls('C:\\dir\\x1b file')).toBe('C:\\dir\\x1b file');
    expect(escapeControls('a\x1b[31mb\r\n')).toBe('a\\x1b[31mb\\x0d\\x0a');
    expect(escapeControls(escapeControls('\x07'))).toBe('\\x07');
  });
});
