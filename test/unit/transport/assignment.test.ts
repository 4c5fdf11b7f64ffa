import { describe, expect, it } from 'vitest';
import { diffAssignment, rangeAssign, roundRobinAssign, toTopicPartitions, type Assignment } from '../../../src/transport/assignment.ts';

const plain = (a: Map<string, Assignment>) =>
  Object.fromEntries([...a].map(([id, assignment]) => [id, toTopicPartitions(assignment)]));

describe('assignors', () => {
  it('range: contiguous ranges per topic, the first members one extra', () => {
    const members = [{ id: 'b', topics: ['t', 'u'] }, { id: 'a', topics: ['t', 'u'] }];
    expect(plain(rangeAssign(members, new Map([['t', 5], ['u', 2]])))).toEqual({
      b: [{ topic: 't', partitions: [3, 4] }, { topic: 'u', partitions: [1] }],
      a: [{ topic: 't', partitions: [0, 1, 2] }, { topic: 'u', partitions: [0] }],
    });
  });

  it('round-robin: partitions of all topics dealt in turn, skipping members not subscribed', () => {
    const members = [{ id: 'a', topics: ['t'] }, { id: 'b', topics: ['t', 'u'] }];
    expect(plain(roundRobinAssign(members, new Map([['t', 3], ['u', 2]])))).toEqual({
      a: [{ topic: 't', partitions: [0, 2] }],
      b: [{ topic: 't', partitions: [1] }, { topic: 'u', partitions: [0, 1] }],
    });
  });

  it('gives every partition to exactly one member', () => {
    for (const assign of [rangeAssign, roundRobinAssign]) {
      for (let members = 1; members <= 5; members++) {
        const result = assign(
          Array.from({ length: members }, (_, i) => ({ id: `m${i}`, topics: ['t'] })),
          new Map([['t', 7]]),
        );
        const all = [...result.values()].flatMap((a) => [...(a.get('t') ?? [])]).sort((x, y) => x - y);
        expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
      }
    }
  });

  it('diffs an assignment into revoked, assigned and kept', () => {
    const before: Assignment = new Map([['t', new Set([0, 1, 2])]]);
    const after: Assignment = new Map([['t', new Set([2, 3])], ['u', new Set([0])]]);
    expect(diffAssignment(before, after)).toEqual({
      revoked: [{ topic: 't', partitions: [0, 1] }],
      assigned: [{ topic: 't', partitions: [3] }, { topic: 'u', partitions: [0] }],
      kept: [{ topic: 't', partitions: [2] }],
    });
  });
});
