/**
 * CSV as Python's `csv.writer` writes it with its defaults (the excel dialect: QUOTE_MINIMAL,
 * `"` doubled inside a quoted field, CRLF after every row). memray's `transform csv` writes
 * through it, and both memray-CSV exports (the memray capture's and the memray-CSV model's)
 * write through this one function. papaparse's `unparse` follows another rule: it also quotes
 * a field that starts or ends with a space, which Python leaves bare.
 */

/** One field: quoted only when it holds the delimiter, the quote character or a line break. */
export function pythonCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The header and the rows, each row ended by CRLF (an empty table is its header line). */
export function pythonCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  let text = `${header.map(pythonCsvField).join(',')}\r\n`;
  for (const row of rows) text += `${row.map((v) => pythonCsvField(String(v))).join(',')}\r\n`;
  return text;
}
