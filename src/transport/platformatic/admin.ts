/**
 * The monitoring reads over the @platformatic/kafka admin client, as
 * kafka/admin.ts gives them over kafkajs: DescribeGroups (state, members and
 * their assignments, which the client decodes), OffsetFetch and ListOffsets.
 * Nothing here joins a group, so a monitor never disturbs the groups it watches.
 */
import { Admin } from '@platformatic/kafka';
import { ErrorCodes } from '../../core/index.ts';
import type { ClusterAdmin, GroupDescription, GroupState, PartitionOffset, PartitionRange, TopicPartitions } from '../types.ts';
import { guardSeedBrokers } from './broker-guard.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { platformaticCall } from './errors.ts';
import { committedOffsets, existingTopics, topicRanges } from './reads.ts';

/** The client upper-cases the broker's state (`PreparingRebalance` → `PREPARINGREBALANCE`). */
const STATES = new Map<string, GroupState>(
  (['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'] as const).map((s) => [s.toUpperCase(), s]),
);

export function groupState(state: string): GroupState {
  return STATES.get(state.replace(/_/g, '').toUpperCase()) ?? 'Unknown';
}

function sortedAssignment(assignments: Map<string, { topic: string; partitions: number[] }> | undefined): TopicPartitions[] {
  return [...(assignments?.values() ?? [])]
    .map(({ topic, partitions }) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

export function createPlatformaticAdmin(options: PlatformaticClientOptions): Admin {
  const admin = new Admin(clientOptions(options));
  logClientEvents(admin, options.logger, { client: 'admin' });
  guardSeedBrokers(admin, options.brokers);
  return admin;
}

class PlatformaticClusterAdmin implements ClusterAdmin {
  readonly kind = 'kafka';
  readonly #admin: Admin;

  constructor(options: PlatformaticClientOptions) {
    this.#admin = createPlatformaticAdmin(options);
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    if (groupIds.length === 0) return [];
    const groups = await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { group: groupIds.join(',') }, () =>
      this.#admin.describeGroups({ groups: [...groupIds] }),
    );
    return groupIds.map((groupId) => {
      const g = groups.get(groupId);
      return {
        groupId,
        state: g === undefined ? 'Dead' : groupState(g.state),
        members: [...(g?.members.values() ?? [])]
          .map((m) => ({ memberId: m.id, clientId: m.clientId, host: m.clientHost, assignment: sortedAssignment(m.assignments) }))
          .sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
      };
    });
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, PartitionOffset[]>> {
    if (topics.length === 0) return new Map();
    return platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { group: groupId }, async () => {
      const existing = await existingTopics(this.#admin);
      const found = topics.filter((t) => existing.has(t));
      return found.length === 0 ? new Map() : committedOffsets(this.#admin, groupId, found);
    });
  }

  async topicOffsets(topics: readonly string[]): Promise<Map<string, PartitionRange[]>> {
    if (topics.length === 0) return new Map();
    return platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { topic: topics.join(',') }, async () => {
      const existing = await existingTopics(this.#admin);
      return topicRanges(this.#admin, topics.filter((t) => existing.has(t)));
    });
  }

  async deleteTopics(names: readonly string[]): Promise<string[]> {
    return platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { topic: names.join(',') }, async () => {
      const existing = await existingTopics(this.#admin);
      const found = names.filter((n) => existing.has(n));
      if (found.length > 0) await this.#admin.deleteTopics({ topics: found });
      return found;
    });
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}

export function createPlatformaticClusterAdmin(options: PlatformaticClientOptions): ClusterAdmin {
  return new PlatformaticClusterAdmin(options);
}
