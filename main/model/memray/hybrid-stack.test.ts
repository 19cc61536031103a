import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';

const FIXTURES = new URL('../../../test/fixtures/memray/', import.meta.url);
const EVAL_LOOP = /^(_PyEval_EvalFrameDefault|_PyEval_EvalFrame|PyEval_EvalFrameEx|_TAIL_CALL_)/;

describe('hybrid Python + native stacks', () => {
  for (const version of ['v12-memray1.19.3-py311', 'v13-memray1.20.0-py313']) {
    it(`${version}/allocators.bin: native frames follow the Python frames, without the eval loop again`, async () => {
      const path = fileURLToPath(new URL(`${version}/allocators.bin`, FIXTURES));
      const model = await loadMemrayModel(path, {});
      const snapshot = model.snapshot({ kind: 'peak' });
      const { frames, stacks, rows } = snapshot;
      let withNative = 0;
      for (let r = 0; r < rows.length; r++) {
        const kinds = stacks.path(rows.stack[r]).map((f) => frames.kind(f));
        const names = stacks.path(rows.stack[r]).map((f) => frames.names[f]);
        const firstNative = kinds.indexOf('native');
        if (firstNative < 0) continue;
        withNative++;
        // Python frames are outermost, native frames innermost: never interleaved.
        expect(kinds.slice(firstNative).every((k) => k === 'native')).toBe(true);
        // Below a Python frame the interpreter's eval loop is already represented by that frame.
        if (firstNative > 0) expect(names.slice(firstNative).some((n) => EVAL_LOOP.test(n))).toBe(false);
      }
      expect(withNative).toBeGreaterThan(0);
    });
  }
});
