/**
 * UTF-8 as Python writes it with `surrogatepass`: lone surrogates (from `os.fsdecode` of
 * non-UTF-8 file names) are encoded as ED A0..BF xx. TextDecoder would turn them into U+FFFD,
 * which would merge distinct file names and break round-trips, so this decodes by hand.
 *
 * Returns undefined on malformed input (Python raises UnicodeDecodeError there too); the caller
 * knows the byte offset and reports it.
 */
export function decodeWtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');

  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      units.push(b0);
      i += 1;
      continue;
    }
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (i + 1 >= end || !isCont(bytes[i + 1])) return undefined;
      units.push(((b0 & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
      continue;
    }
    if (b0 >= 0xe0 && b0 <= 0xef) {
      if (i + 2 >= end) return undefined;
      const b1 = bytes[i + 1];
      const b2 = bytes[i + 2];
      // E0 needs A0..BF (no overlongs); ED's A0..BF range is the surrogates, allowed by surrogatepass.
      if (b0 === 0xe0 ? b1 < 0xa0 || b1 > 0xbf : !isCont(b1)) return undefined;
      if (!isCont(b2)) return undefined;
      units.push(((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
      i += 3;
      continue;
    }
    if (b0 >= 0xf0 && b0 <= 0xf4) {
      if (i + 3 >= end) return undefined;
      const b1 = bytes[i + 1];
      if (b0 === 0xf0 ? b1 < 0x90 || b1 > 0xbf : b0 === 0xf4 ? b1 < 0x80 || b1 > 0x8f : !isCont(b1))
        return undefined;
      if (!isCont(bytes[i + 2]) || !isCont(bytes[i + 3])) return undefined;
      const cp =
        ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
      const v = cp - 0x10000;
      units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
      i += 4;
      continue;
    }
    return undefined;
  }
  let out = '';
  for (let k = 0; k < units.length; k += 8192) out += String.fromCharCode(...units.slice(k, k + 8192));
  return out;
}

function isCont(b: number): boolean {
  return (b & 0xc0) === 0x80;
}
