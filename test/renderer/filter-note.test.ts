import { describe, expect, it } from 'vitest';
import { activeFilterLabels, processWideNote } from '../../shared/present/filters';

const threads = [
  { id: 1, label: '0x1' },
  { id: 2, label: '0x2 (loader)' },
];

describe('process-wide note', () => {
  it('says nothing with the default filters (hide internals on, all threads)', () => {
    const labels = activeFilterLabels(
      { mergeThreads: true, hideImportSystem: false, hideInternals: true },
      threads,
    );
    expect(labels).toEqual([]);
    expect(processWideNote(labels, 'these cards')).toBeNull();
  });

  it('names the thread and the frame filters that are set', () => {
    const labels = activeFilterLabels(
      { threads: [2], pythonOnly: true, hideImportSystem: true, hideInternals: true },
      threads,
    );
    expect(labels).toEqual(['thread 0x2 (loader)', 'Python only', 'Hide imports']);
    const note = processWideNote(labels, 'these cards');
    expect(note).toMatch(/^Process-wide: these cards cover every thread and frame\./);
    expect(note).toContain('(thread 0x2 (loader) · Python only · Hide imports)');
  });

  it('still names a thread id the capture does not list', () => {
    expect(activeFilterLabels({ threads: [7] }, threads)).toEqual(['thread 7']);
  });
});
