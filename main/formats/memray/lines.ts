/**
 * Line numbers from (code object line table, instruction offset), with memray's own rules
 * (docs/formats/memray-format.md §7.3): an empty table or a negative offset gives 0, "not found"
 * gives 0, and a
 * NONE entry in 3.11+ tables keeps the previous line.
 */
export function decodeLine(table: Uint8Array, offset: number, firstLine: number, pythonHex: number): number {
  if (table.length === 0 || offset < 0) return 0;
  if (pythonHex < 0x030a0000) return lnotab39(table, offset, firstLine);
  if (pythonHex < 0x030b0000) return linetable310(table, offset, firstLine);
  return locations311(table, offset, firstLine);
}

function lnotab39(t: Uint8Array, offset: number, firstLine: number): number {
  let line = firstLine;
  let bc = 0;
  for (let i = 0; i + 1 < t.length; i += 2) {
    // memray adds the byte through a signed `char` on x86-64; mimic it for parity.
    bc += t[i] >= 128 ? t[i] - 256 : t[i];
    if (bc > offset) break;
    line += t[i + 1] >= 128 ? t[i + 1] - 256 : t[i + 1];
  }
  return line;
}

function linetable310(t: Uint8Array, offset: number, firstLine: number): number {
  let line = firstLine;
  let pos = 0;
  const target = offset * 2;
  for (let i = 0; i + 1 < t.length; i += 2) {
    pos += t[i];
    const d = t[i + 1] >= 128 ? t[i + 1] - 256 : t[i + 1];
    if (d !== -128) line += d;
    if (pos > target) break;
  }
  return line;
}

function locations311(t: Uint8Array, offset: number, firstLine: number): number {
  const addrq = Math.floor(offset / 2);
  let line = firstLine;
  let addr = 0;
  let p = 0;
  const n = t.length;
  const uv = (): number => {
    let b = t[p++] ?? 0;
    let v = b & 63;
    let s = 0;
    while (b & 64 && p < n) {
      b = t[p++];
      s += 6;
      v += (b & 63) * 2 ** s;
    }
    return v;
  };
  const sv = (): number => {
    const u = uv();
    return u & 1 ? -Math.floor(u / 2) : Math.floor(u / 2);
  };
  while (p < n && t[p] !== 0) {
    const first = t[p++];
    const code = (first >> 3) & 15;
    const length = (first & 7) + 1;
    if (code === 15) {
      // NONE: memray keeps the previous line.
    } else if (code === 14) {
      line += sv();
      uv();
      uv();
      uv();
    } else if (code === 13) {
      line += sv();
    } else if (code >= 10) {
      line += code - 10;
      p += 2;
    } else {
      p += 1;
    }
    if (addr <= addrq && addrq < addr + length) return line;
    addr += length;
  }
  return 0;
}
