import { describe, expect, it } from 'vitest';
import { SnapshotBuilder, snapshotTotals } from './snapshot';

describe('SnapshotBuilder', () => {
  it('sums rows with the same (stack, thread, allocator) and keeps others apart', () => {
    const builder = new SnapshotBuilder();
    builder.add(5, 1, 2, 100, 1);
    builder.add(5, 1, 2, 50, 2);
    builder.add(5, 2, 2, 7, 1);
    builder.add(5, 1, 3, 9, 1);
    const rows = builder.build();
    expect(rows.length).toBe(3);
    expect(Array.from(rows.bytes)).toEqual([150, 7, 9]);
    expect(Array.from(rows.count)).toEqual([3, 1, 1]);
    expect(snapshotTotals(rows)).toEqual({ bytes: 166, count: 5 });
  });

  it('keeps every key through growth and rehashing', () => {
    const builder = new SnapshotBuilder();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) builder.add(i, i % 7, i % 3, i, 1);
    }
    const rows = builder.build();
    expect(rows.length).toBe(20_000);
    for (let r = 0; r < rows.length; r += 1999) {
      expect(rows.bytes[r]).toBe(2 * rows.stack[r]);
      expect(rows.count[r]).toBe(2);
    }
  });
});
