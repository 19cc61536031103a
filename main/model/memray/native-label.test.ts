/**
 * The model's native-label hook: what it hands the Symbolizer (the object as the capture
 * recorded it, the offset from its load address) and that it shows what comes back. Checked
 * against the capture's own SEGMENT records, walked here independently.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMemrayModel } from '../../formats/memray/index';
import { runQuery } from '../../engine/handlers';
import { NativeSymbolizer } from '../../symbols/index';
import type { FlameTree } from '../../../shared/api';
import type { NativeObject, Symbolizer } from '../symbolizer';

const NATIVE = fileURLToPath(
  new URL('../../../test/fixtures/memray/v12-memray1.19.3-py311/native.bin', import.meta.url),
);

/** Records every question and answers with a name that encodes it. */
class RecordingSymbolizer implements Symbolizer {
  readonly asked: { object: NativeObject; offset: number }[] = [];
  nativeName(object: NativeObject, offset: number): string {
    this.asked.push({ object, offset });
    return `fn@${object.path}+${offset}`;
  }
}

describe('native labels through the Symbolizer', () => {
  it('hands over the recorded object (every PT_LOAD segment of that mapping) and ip - load address', async () => {
    const s = new RecordingSymbolizer();
    const m = await loadMemrayModel(NATIVE, { symbolizer: s });
    expect(s.asked).toHaveLength(0); // nothing is symbolized while the file opens
    const snap = m.snapshot({ kind: 'all' });
    expect(s.asked.length).toBeGreaterThan(100);
    const keys = m.b.keys;
    // Brute force over the raw stacks: each (generation, ip) of every key, looked up by hand.
    const expected = new Map<string, { path: string; offset: number; segments: [number, number][] }>();
    for (let k = 0; k < keys.count; k++) {
      if (keys.native[k] <= 0) continue;
      const segs = m.b.maps.generations[keys.generation[k]] ?? [];
      for (const ip of m.nativeIps(keys.native[k])) {
        const seg = segs.find((x) => ip >= x.start && ip < x.end);
        if (!seg) continue;
        const mapping = segs
          .filter((x) => x.file === seg.file && x.loadAddr === seg.loadAddr)
          .map((x) => [x.start - x.loadAddr, x.end - x.start] as [number, number]);
        expected.set(`${seg.file}+${ip - seg.loadAddr}`, {
          path: seg.file,
          offset: ip - seg.loadAddr,
          segments: mapping,
        });
      }
    }
    for (const { object, offset } of s.asked) {
      const e = expected.get(`${object.path}+${offset}`);
      expect(e).toBeDefined();
      expect(object.segments).toEqual(e!.segments);
    }
    // every labelled native frame shows the symbolizer's answer
    let shown = 0;
    for (let i = 0; i < snap.frames.size; i++) {
      if (snap.frames.kind(i) !== 'native') continue;
      const info = snap.frames.info(i);
      if (info.file === '<unknown>') continue;
      expect(info.name.startsWith(`fn@${info.file}+`)).toBe(true);
      shown++;
    }
    expect(shown).toBeGreaterThan(100);
  });

  it('labels frames as a symbol or library+offset, never an error, with the default symbolizer', async () => {
    const m = await loadMemrayModel(NATIVE, {});
    const snap = m.snapshot({ kind: 'all' });
    let native = 0;
    for (let i = 0; i < snap.rows.length; i++) {
      for (const f of snap.stacks.path(snap.rows.stack[i])) {
        if (snap.frames.kind(f) !== 'native') continue;
        native++;
        const info = snap.frames.info(f);
        const base = info.file.slice(info.file.lastIndexOf('/') + 1);
        if (/\+0x[0-9a-f]+$/.test(info.name)) expect(info.name.startsWith(`${base}+0x`)).toBe(true);
        else expect(info.name.length).toBeGreaterThan(0);
      }
    }
    expect(native).toBeGreaterThan(1000);
  });

  it('a flamegraph query adds source lines exactly to the native frames of objects that have them', async () => {
    const symbolizer = new NativeSymbolizer({});
    const m = await loadMemrayModel(NATIVE, { symbolizer });
    const tree = runQuery(
      m,
      'flamegraph',
      { snapshot: { kind: 'peak' } },
      { captureId: 'c1', symbolizer },
    ) as FlameTree;
    const note = symbolizer.note();
    const withLines = new Set(note.objects.filter((o) => o.lines).map((o) => o.path));
    for (const f of tree.frames) {
      if (f.kind !== 'native') expect(f.source).toBeUndefined();
      else if (f.source) {
        expect(withLines.has(f.file)).toBe(true);
        expect(f.source.line).toBeGreaterThan(0);
      }
    }
    // every object a shown frame falls in is accounted for in the note
    const shownFiles = new Set(
      tree.frames.filter((f) => f.kind === 'native' && f.file !== '<unknown>').map((f) => f.file),
    );
    for (const file of shownFiles) expect(note.objects.some((o) => o.path === file)).toBe(true);
    expect(note.text.length).toBeGreaterThan(0);
  });
});
