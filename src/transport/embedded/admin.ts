/**
 * The monitoring reads over the in-process broker: the same shapes the Kafka
 * admin gives, read straight from the groups and logs.
 */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { ClusterAdmin, GroupDescription, PartitionOffset, PartitionRange } from '../types.ts';
import type { EmbeddedBroker } from './broker.ts';

class EmbeddedClusterAdmin implements ClusterAdmin {
  readonly kind = 'embedded';
  readonly #broker: EmbeddedBroker;

  constructor(broker: EmbeddedBroker) {
    this.#broker = broker;
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return groupIds.map((groupId) => {
      const members = this.#broker.group(groupId).members();
      return {
        groupId,
        state: members.length === 0 ? 'Empty' : 'Stable',
        members: members.map((m) => ({ memberId: m.id, clientId: 'sluice', host: 'embedded', assignment: m.assignment })),
      };
    });
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, PartitionOffset[]>> {
    const group = this.#broker.group(groupId);
    return new Map(topics.filter((t) => this.#broker.describe(t) !== undefined).map((t) => [t, group.committedOffsets(t)]));
  }

  async topicOffsets(topics: readonly string[]): Promise<Map<string, PartitionRange[]>> {
    const out = new Map<string, PartitionRange[]>();
    for (const topic of topics) {
      if (this.#broker.describe(topic) === undefined) continue;
      out.set(topic, this.#broker.ranges(topic));
    }
    return out;
  }

  async deleteTopics(): Promise<string[]> {
    throw new SluiceError(ErrorCodes.CLI_USAGE, 'embedded topics live only as long as their process; there is nothing to delete without brokers');
  }

  async close(): Promise<void> {}
}

export function createEmbeddedClusterAdmin(broker: EmbeddedBroker): ClusterAdmin {
  return new EmbeddedClusterAdmin(broker);
}
