import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { pythonCsv, pythonCsvField } from './python-csv';

// The expected text is what CPython 3.11's csv.writer (default dialect) wrote for these rows:
//   w = csv.writer(out); w.writerow(['h1', 'h 2']); w.writerow(FIELDS); w.writerow([1, 3, 'z'])
const FIELDS = [
  ' leading',
  'trailing ',
  'a,b',
  'q"x',
  'line\nbreak',
  'cr\rx',
  '',
  'tab\tx',
  '=f',
  'plain',
  ';|',
  '"',
  'x;y;1|z;w;2',
];
const PYTHON_WROTE =
  'h1,h 2\r\n leading,trailing ,"a,b","q""x","line\nbreak","cr\rx",,tab\tx,=f,plain,;|,"""",x;y;1|z;w;2\r\n1,3,z\r\n';

describe("pythonCsv: memray's transform csv writer (Python's csv module)", () => {
  it('quotes, doubles and ends rows as csv.writer does', () => {
    expect(pythonCsv(['h1', 'h 2'], [FIELDS, [1, 3, 'z']])).toBe(PYTHON_WROTE);
  });

  it('an empty table is its header and one CRLF', () => {
    expect(pythonCsv(['a', 'b'], [])).toBe('a,b\r\n');
  });

  it('leaves a leading or trailing space bare, where papaparse would quote it', () => {
    expect(pythonCsvField(' leading')).toBe(' leading');
    expect(Papa.unparse([[' leading']])).toBe('" leading"');
  });

  it('reads back with papaparse to the same fields', () => {
    const parsed = Papa.parse<string[]>(pythonCsv(['h'], [FIELDS]), { delimiter: ',', newline: '\r\n' }).data;
    expect(parsed[1]).toEqual(FIELDS);
  });
});
