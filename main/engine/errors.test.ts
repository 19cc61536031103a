import { describe, expect, it } from 'vitest';
import { InputError } from '../model/capture-model';
import { toApiError } from './errors';

describe('toApiError (issue 11)', () => {
  it('an unexpected exception while reading becomes a generic line with file and position', () => {
    const e = toApiError(new TypeError("Cannot read properties of undefined (reading 'toString')"), {
      file: '/data/run/capture.bin',
      offset: 4096,
      during: 'reading',
    });
    expect(e).toEqual({
      code: 'internal',
      message:
        'could not read capture.bin at byte 4096: internal error while reading the capture (please report)',
      file: '/data/run/capture.bin',
      offset: 4096,
    });
    const q = toApiError(new RangeError('Invalid typed array length: 18446744073709552000'), {
      file: '/data/run/capture.bin',
      during: 'query',
    });
    expect(q.message).not.toMatch(/typed array/);
    expect(q.message).toMatch(/capture\.bin: internal error/);
  });

  it('escapes control characters in every message, keeping file and offset', () => {
    const e = toApiError(new InputError('unexpected global "a\x1b]0;x\x07"', '/f.pickle', 3));
    expect(e.message).toBe('unexpected global "a\\x1b]0;x\\x07" (at byte 3)');
    expect([e.code, e.file, e.offset]).toEqual(['bad-input', '/f.pickle', 3]);
  });
});
