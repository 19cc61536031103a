/**
 * Quoting file content in messages. A capture is hostile input: a name inside it may hold
 * escape sequences (ESC ] 0 ; … BEL sets a terminal's title), carriage returns that overwrite
 * the line, bidi overrides that reorder it, or bytes that are not UTF-8. Every message that
 * shows file content goes through `quoteInput`; every message shown to a person (CLI, app,
 * browser mode, reports) goes through `escapeControls` as a last guard.
 */

/** Characters shown escaped: they move the cursor, end a line, or reorder the text around them. */
function isUnsafe(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c ||
    cp === 0xfeff ||
    (cp >= 0xd800 && cp <= 0xdfff)
  );
}

function escapeCodePoint(cp: number): string {
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/** The code points of `text`, lone surrogates kept as themselves (String iteration does). */
function* codePoints(text: string): Generator<number> {
  for (const ch of text) yield ch.codePointAt(0)!;
}

/** One UTF-8 sequence at bytes[i]: its code point and length, or undefined when invalid. */
function utf8At(bytes: Uint8Array, i: number): { cp: number; len: number } | undefined {
  const b = bytes[i];
  if (b < 0x80) return { cp: b, len: 1 };
  const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > bytes.length) return undefined;
  let cp = b & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const c = bytes[i + k];
    if ((c & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  // overlong forms, surrogates and values past U+10FFFF are not UTF-8
  if ((len === 3 && cp < 0x800) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff))) return undefined;
  if (cp >= 0xd800 && cp <= 0xdfff) return undefined;
  return { cp, len };
}

/** Pieces of the input: a code point, or (for bytes that are not UTF-8) a raw byte. */
function* pieces(value: string | Uint8Array): Generator<{ cp: number; raw: boolean }> {
  if (typeof value === 'string') {
    for (const cp of codePoints(value)) yield { cp, raw: false };
    return;
  }
  for (let i = 0; i < value.length;) {
    const u = utf8At(value, i);
    if (u) {
      yield { cp: u.cp, raw: false };
      i += u.len;
    } else {
      yield { cp: value[i], raw: true };
      i++;
    }
  }
}

/**
 * Escapes control characters (C0, DEL, C1), line and paragraph separators, bidi controls and
 * lone surrogates as `\xNN` / `\u{…}`. Backslashes are left alone, so text escaped once
 * (or a Windows path) reads the same after a second pass.
 */
export function escapeControls(text: string): string {
  let safe = true;
  for (const cp of codePoints(text)) {
    if (isUnsafe(cp)) {
      safe = false;
      break;
    }
  }
  if (safe) return text;
  let out = '';
  for (const cp of codePoints(text)) out += isUnsafe(cp) ? escapeCodePoint(cp) : String.fromCodePoint(cp);
  return out;
}

/** How many characters of quoted file content a message shows. */
export const QUOTE_MAX = 60;

/**
 * File content for a message: in double quotes, escaped (everything `escapeControls` escapes,
 * plus `\` and `"`; bytes that are not UTF-8 as `\xNN`) and cut to `max` characters with "…".
 */
export function quoteInput(value: string | Uint8Array, max = QUOTE_MAX): string {
  let out = '';
  let shown = 0;
  for (const { cp, raw } of pieces(value)) {
    const piece =
      raw || isUnsafe(cp)
        ? escapeCodePoint(cp)
        : cp === 0x5c
          ? '\\\\'
          : cp === 0x22
            ? '\\"'
            : String.fromCodePoint(cp);
    if (shown + piece.length > max) return `"${out}…"`;
    out += piece;
    shown += piece.length;
  }
  return `"${out}"`;
}
