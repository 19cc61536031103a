import { describe, expect, it } from 'vitest';
import { describeSnapshot, TRACED_AT_SNAPSHOT } from './snapshot-label';

describe('describeSnapshot', () => {
  it('names a tracemalloc dump what it is: traced at snapshot, never a peak or leaks', () => {
    for (const kind of ['peak', 'leaks', 'all'] as const)
      expect(describeSnapshot({ kind }, 'tracemalloc')).toBe(TRACED_AT_SNAPSHOT);
    expect(TRACED_AT_SNAPSHOT).toBe('traced at snapshot');
  });

  it('keeps memray’s names (a capture with a history has a peak and leaks)', () => {
    expect(describeSnapshot({ kind: 'peak' }, 'memray')).toBe('peak');
    expect(describeSnapshot({ kind: 'leaks' }, 'memray')).toBe('leaks (alive at the end)');
    expect(describeSnapshot({ kind: 'peak' })).toBe('peak');
  });
});
