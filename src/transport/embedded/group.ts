/**
 * An embedded consumer group: members, committed offsets and rebalances.
 * Rebalances run one at a time. Every member first gives up what it loses
 * (its revoke callback is awaited, and it may still commit then); only then
 * does any member receive what it gains, so no partition has two owners.
 */
import { diffAssignment, partitionKey, rangeAssign, roundRobinAssign, toTopicPartitions, type Assignment, type GroupMember } from '../assignment.ts';
import type { PartitionOffset, TopicPartitions } from '../types.ts';
import type { EmbeddedBroker } from './broker.ts';

export interface MemberHandle extends GroupMember {
  assignor: 'range' | 'roundrobin';
  revoke(partitions: TopicPartitions[]): Promise<void>;
  assign(partitions: TopicPartitions[]): Promise<void>;
}

export class EmbeddedGroup {
  readonly id: string;
  readonly #broker: EmbeddedBroker;
  readonly #members = new Map<string, MemberHandle>();
  #assignments = new Map<string, Assignment>();
  /** "partition\0topic" → next offset to read */
  readonly #committed = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();

  constructor(id: string, broker: EmbeddedBroker) {
    this.id = id;
    this.#broker = broker;
  }

  join(member: MemberHandle): Promise<void> {
    return this.#enqueue(() => {
      this.#members.set(member.id, member);
    });
  }

  leave(memberId: string): Promise<void> {
    return this.#enqueue(() => {
      this.#members.delete(memberId);
    });
  }

  commit(topic: string, partition: number, offset: string): void {
    this.#committed.set(partitionKey(topic, partition), offset);
  }

  committed(topic: string, partition: number): string | undefined {
    return this.#committed.get(partitionKey(topic, partition));
  }

  /** Every member and what it owns now, for monitoring. */
  members(): Array<{ id: string; assignment: TopicPartitions[] }> {
    return [...this.#members.keys()].sort().map((id) => ({ id, assignment: toTopicPartitions(this.#assignments.get(id) ?? new Map()) }));
  }

  committedOffsets(topic: string): PartitionOffset[] {
    return this.#broker.topic(topic).logs.map((_, partition) => ({
      partition,
      offset: this.committed(topic, partition) ?? null,
    }));
  }

  #enqueue(change: () => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const before = this.#assignments;
      const previousMembers = [...before.keys()];
      change();
      const members = [...this.#members.values()];
      const topics = new Set(members.flatMap((m) => m.topics));
      const partitionsPerTopic = new Map([...topics].map((t) => [t, this.#broker.topic(t).logs.length]));
      const assign = members[0]?.assignor === 'roundrobin' ? roundRobinAssign : rangeAssign;
      const after = assign(members, partitionsPerTopic);
      const plans = new Map<string, ReturnType<typeof diffAssignment>>();
      for (const id of new Set([...previousMembers, ...after.keys()])) {
        plans.set(id, diffAssignment(before.get(id) ?? new Map(), after.get(id) ?? new Map()));
      }
      // A member that left has already stopped; only present members are called back.
      const present = (id: string): MemberHandle | undefined => this.#members.get(id);
      await Promise.all(
        [...plans].map(([id, plan]) => (plan.revoked.length > 0 ? present(id)?.revoke(plan.revoked) : undefined)),
      );
      this.#assignments = after;
      await Promise.all(
        [...plans].map(([id, plan]) => (plan.assigned.length > 0 ? present(id)?.assign(plan.assigned) : undefined)),
      );
    });
    // One failing callback must not wedge later rebalances; the caller still sees it.
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
