/** The checker itself: every verdict a scenario relies on, on hand-made lists. */
import { describe, expect, it } from 'vitest';
import { check, type ReadRecord, type SentRecord } from './checker.ts';

const sent: SentRecord[] = [
  { id: 1, key: 'a', seq: 1 },
  { id: 2, key: 'b', seq: 1 },
  { id: 3, key: 'a', seq: 2 },
  { id: 4, key: 'a', seq: 3 },
];

function readOf(ids: number[], partition = 0): ReadRecord[] {
  return ids.map((id, i) => ({ ...sent.find((s) => s.id === id)!, partition, offset: String(i) }));
}

describe('check', () => {
  it('passes an exact copy', () => {
    const r = check(sent, readOf([1, 2, 3, 4]));
    expect(r).toMatchObject({ sent: 4, read: 4, present: 4, lost: 0, duplicates: 0, orderViolations: [], unacknowledged: 0 });
  });

  it('names lost ids', () => {
    const r = check(sent, readOf([1, 4]));
    expect(r).toMatchObject({ lost: 2, lostIds: [2, 3], present: 2 });
  });

  it('counts duplicates, and an at-least-once replay is not a reorder', () => {
    const r = check(sent, readOf([1, 2, 3, 1, 3, 4, 3]));
    expect(r).toMatchObject({ lost: 0, duplicates: 3, duplicatedIds: 2, maxCopies: 3, orderViolations: [] });
  });

  it('reports a key whose sequence goes backwards within a partition', () => {
    const r = check(sent, readOf([1, 4, 3, 2]));
    expect(r.orderViolations).toEqual([{ key: 'a', partition: 0, offset: '2', after: 3, seq: 2 }]);
  });

  it('does not compare order across partitions, but says the key was split', () => {
    const read = [...readOf([4], 1), ...readOf([1, 2, 3], 0)];
    const r = check(sent, read);
    expect(r.orderViolations).toEqual([]);
    expect(r.keysSplit).toBe(1);
  });

  it('tells records read but never acknowledged apart from the sent ones', () => {
    const r = check(sent.slice(0, 2), readOf([1, 2, 3]));
    expect(r).toMatchObject({ sent: 2, lost: 0, unacknowledged: 1 });
  });
});
