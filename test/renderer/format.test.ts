import { describe, expect, it } from 'vitest';
import { formatRate, progressStats, baseName } from '../../renderer/src/lib/format';
import { formatMs } from '../../renderer/charts/format';
import { shortcutFor } from '../../renderer/src/composables/shortcuts';
import { errorMessage } from '../../renderer/src/lib/errors';
import { HeapscopeError } from '@shared/api-error';
import type { Progress } from '@shared/api';

describe('progress numbers', () => {
  const progress = (patch: Partial<Progress>): Progress => ({
    captureId: 'c',
    phase: 'reading',
    bytesDone: 0,
    bytesTotal: 100,
    records: 0,
    elapsedMs: 0,
    ...patch,
  });

  it('extrapolates the remaining time from bytes read', () => {
    const s = progressStats(progress({ bytesDone: 25, records: 5000, elapsedMs: 2000 }));
    expect(s.fraction).toBe(0.25);
    expect(s.recordsPerSecond).toBe(2500);
    expect(s.etaMs).toBe(6000);
  });

  it('does not guess before there is anything to extrapolate from', () => {
    expect(progressStats(progress({ phase: 'header' })).etaMs).toBeNull();
    expect(progressStats(progress({ bytesTotal: 0, elapsedMs: 500 })).fraction).toBe(0);
    expect(
      progressStats(progress({ phase: 'indexing', bytesDone: 100, records: 9, elapsedMs: 500 })).etaMs,
    ).toBe(0);
  });

  it('formats rates, times and names compactly', () => {
    expect(formatRate(2_500_000, 'records')).toBe('2.5 M records/s');
    expect(formatRate(1500, 'records')).toBe('1.5 k records/s');
    expect(formatMs(250)).toBe('250 ms');
    expect(formatMs(2500)).toBe('2.5 s');
    expect(baseName('/srv/app/basic.py')).toBe('basic.py');
    expect(baseName('C:\\\\x\\\\y.py')).toBe('y.py');
  });

  it('turns transport errors into a sentence', () => {
    expect(errorMessage(new HeapscopeError({ code: 'not-found', message: 'no such file' }))).toBe(
      'no such file',
    );
    expect(errorMessage({ code: 'bad-input', message: 'bad header', file: 'x.bin' })).toBe(
      'bad header (x.bin)',
    );
    expect(errorMessage('boom')).toBe('boom');
  });
});

describe('shortcuts', () => {
  const key = (k: string, inTextField = false) => shortcutFor({ key: k, inTextField });

  it('maps digits to tabs, and letters to their actions outside text fields', () => {
    expect(key('1')).toEqual({ type: 'tab', index: 0 });
    expect(key('7')).toEqual({ type: 'tab', index: 6 });
    expect(key('8')).toBeNull();
    expect(key('/')).toEqual({ type: 'search' });
    expect(key('t')).toEqual({ type: 'theme' });
    expect(key('?')).toEqual({ type: 'help' });
    expect(key('l')).toEqual({ type: 'snapshot', kind: 'leaks' });
  });

  it('leaves typing alone, except Esc, and ignores modified keys', () => {
    expect(key('t', true)).toBeNull();
    expect(key('1', true)).toBeNull();
    expect(key('Escape', true)).toEqual({ type: 'escape' });
    expect(shortcutFor({ key: '1', ctrlKey: true, inTextField: false })).toBeNull();
  });
});
