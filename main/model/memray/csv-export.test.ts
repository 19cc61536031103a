import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';

const DIR = new URL('../../../test/fixtures/memray/v12-memray1.19.3-py311/', import.meta.url);

describe('memray-csv export of an empty table', () => {
  it("is byte for byte memray's: the header and one CRLF", async () => {
    // The fork child exits through os._exit() with nothing alive: its leaks table is empty.
    const model = await loadMemrayModel(fileURLToPath(new URL('fork.bin.15708', DIR)), {});
    const oracle = gunzipSync(readFileSync(new URL('fork.bin.15708.leaks.csv.gz', DIR))).toString('utf8');
    expect(model.exportTable('memray-csv', { leaks: true })).toBe(oracle);
  });
});
