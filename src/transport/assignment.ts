/**
 * Partition assignment among a group's members, as Kafka's `range` and
 * `roundrobin` assignors compute it, and the arithmetic of rebalances. Pure:
 * the embedded group coordinator and the kafkajs assigner both use it.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import type { TopicPartitions } from './types.ts';

/** topic → partitions */
export type Assignment = Map<string, Set<number>>;

export interface GroupMember {
  id: string;
  topics: readonly string[];
}

export type Assignor = (members: readonly GroupMember[], partitionsPerTopic: ReadonlyMap<string, number>) => Map<string, Assignment>;

function emptyAssignments(members: readonly GroupMember[]): Map<string, Assignment> {
  return new Map(members.map((m) => [m.id, new Map()]));
}

function give(assignments: Map<string, Assignment>, member: string, topic: string, partition: number): void {
  addPartition(assignments.get(member)!, topic, partition);
}

export function addPartition(assignment: Assignment, topic: string, partition: number): void {
  let set = assignment.get(topic);
  if (set === undefined) assignment.set(topic, (set = new Set()));
  set.add(partition);
}

/** Per topic, members (sorted by id) get contiguous ranges; the first ones one extra. */
export const rangeAssign: Assignor = (members, partitionsPerTopic) => {
  const assignments = emptyAssignments(members);
  for (const [topic, count] of partitionsPerTopic) {
    const subscribed = members.filter((m) => m.topics.includes(topic)).map((m) => m.id).sort();
    if (subscribed.length === 0) continue;
    const each = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    subscribed.forEach((member, i) => {
      const start = each * i + Math.min(i, extra);
      const length = each + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) give(assignments, member, topic, p);
    });
  }
  return assignments;
};

/** All partitions of all topics (sorted), dealt in turn to the members subscribed to each. */
export const roundRobinAssign: Assignor = (members, partitionsPerTopic) => {
  const assignments = emptyAssignments(members);
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let turn = 0;
  for (const topic of [...partitionsPerTopic.keys()].sort()) {
    const count = partitionsPerTopic.get(topic)!;
    for (let p = 0; p < count; p++) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const member = sorted[turn++ % sorted.length]!;
        if (member.topics.includes(topic)) {
          give(assignments, member.id, topic, p);
          break;
        }
      }
    }
  }
  return assignments;
};

/** Whether `assignment` holds the partition. */
export function holds(assignment: Assignment, topic: string, partition: number): boolean {
  return assignment.get(topic)?.has(partition) ?? false;
}

/** What every consumer shares: the partitions its member owns now. */
export abstract class PartitionOwner {
  protected owned: Assignment = new Map();

  owns(topic: string, partition: number): boolean {
    return holds(this.owned, topic, partition);
  }

  assignment(): TopicPartitions[] {
    return toTopicPartitions(this.owned);
  }
}

/** Seeking a partition another member owns would fight that member. */
export function notOwned(topic: string, partition: number, offset: string): SluiceError {
  return new SluiceError(ErrorCodes.CONSUME, 'cannot seek a partition this consumer does not own', {
    context: { topic, partition, offset },
  });
}

/** A map key for one topic-partition, for maps touched per batch or per call; per-record paths key by topic, then partition number. */
export function partitionKey(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

export function toTopicPartitions(assignment: Assignment): TopicPartitions[] {
  return [...assignment]
    .filter(([, partitions]) => partitions.size > 0)
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
}

function minus(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [topic, partitions] of a) {
    const other = b.get(topic);
    out.set(topic, new Set([...partitions].filter((p) => !(other?.has(p) ?? false))));
  }
  return out;
}

/** What a member loses, gains and keeps when its assignment goes from `before` to `after`. */
export function diffAssignment(
  before: Assignment,
  after: Assignment,
): { revoked: TopicPartitions[]; assigned: TopicPartitions[]; kept: TopicPartitions[] } {
  return {
    revoked: toTopicPartitions(minus(before, after)),
    assigned: toTopicPartitions(minus(after, before)),
    kept: toTopicPartitions(minus(before, minus(before, after))),
  };
}
