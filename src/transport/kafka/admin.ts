/**
 * The monitoring reads over the kafkajs admin client: DescribeGroups (state,
 * members, each member's assignment decoded from its MemberAssignment bytes),
 * OffsetFetch (committed offsets) and ListOffsets (low and high watermarks).
 * One admin connection serves every call; nothing here joins a group, so a
 * monitor never disturbs the groups it watches.
 */
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { fetchTopicOffsets } from './topic-offsets.ts';
import { ErrorCodes } from '../../core/index.ts';
import type { ClusterAdmin, GroupDescription, GroupState, PartitionOffset, PartitionRange, TopicPartitions } from '../types.ts';
import { connectKafka, createKafkaClient, type KafkaClientOptions } from './client.ts';
import { fetchCommittedOffsets } from './committed-offsets.ts';
import { kafkaCall } from './errors.ts';

const { AssignerProtocol } = kafkajs;

const STATES: readonly GroupState[] = ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'];

function groupState(state: string): GroupState {
  return (STATES as readonly string[]).includes(state) ? (state as GroupState) : 'Unknown';
}

/** A member's assignment as the group leader encoded it (empty while a rebalance is under way). */
function decodeAssignment(bytes: Buffer): TopicPartitions[] {
  if (bytes.length === 0) return [];
  const decoded = AssignerProtocol.MemberAssignment.decode(bytes);
  if (decoded === null) return [];
  return Object.entries(decoded.assignment)
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

class KafkaClusterAdmin implements ClusterAdmin {
  readonly kind = 'kafka';
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  constructor(options: KafkaClientOptions) {
    this.#kafka = createKafkaClient(options);
    this.#admin = this.#kafka.admin();
  }

  async #ready(): Promise<Admin> {
    this.#connected ??= connectKafka(this.#kafka, this.#admin);
    try {
      await this.#connected;
    } catch (err) {
      this.#connected = undefined;
      throw err;
    }
    return this.#admin;
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    if (groupIds.length === 0) return [];
    const admin = await this.#ready();
    const { groups } = await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { group: groupIds.join(',') }, () =>
      admin.describeGroups([...groupIds]),
    );
    return groups.map((g) => ({
      groupId: g.groupId,
      state: groupState(g.state),
      members: g.members
        .map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: decodeAssignment(m.memberAssignment) }))
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
    }));
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, PartitionOffset[]>> {
    const out = new Map<string, PartitionOffset[]>();
    if (topics.length === 0) return out;
    const admin = await this.#ready();
    // kafkajs retries a fetch for a missing topic for seconds before failing.
    const existing = await this.#existing();
    const found = topics.filter((t) => existing.has(t));
    if (found.length === 0) return out;
    const fetched = await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { group: groupId }, () => fetchCommittedOffsets(admin, groupId, found));
    for (const { topic, partitions } of fetched) {
      // Kafka answers -1 for a partition the group has never committed.
      out.set(
        topic,
        partitions.map((p) => ({ partition: p.partition, offset: p.offset === '-1' ? null : p.offset })).sort((a, b) => a.partition - b.partition),
      );
    }
    return out;
  }

  async topicOffsets(topics: readonly string[]): Promise<Map<string, PartitionRange[]>> {
    const out = new Map<string, PartitionRange[]>();
    if (topics.length === 0) return out;
    const admin = await this.#ready();
    const existing = await this.#existing();
    await Promise.all(
      topics
        .filter((t) => existing.has(t))
        .map(async (topic) => {
          const offsets = await fetchTopicOffsets(admin, topic, ErrorCodes.BROKER_UNAVAILABLE);
          out.set(topic, offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition));
        }),
    );
    return out;
  }

  async #existing(): Promise<Set<string>> {
    const admin = await this.#ready();
    return new Set(await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => admin.listTopics()));
  }

  async deleteTopics(names: readonly string[]): Promise<string[]> {
    const existing = await this.#existing();
    const found = names.filter((n) => existing.has(n));
    if (found.length > 0) await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { topic: found.join(',') }, () => this.#admin.deleteTopics({ topics: found }));
    return found;
  }

  async close(): Promise<void> {
    if (this.#connected === undefined) return;
    this.#connected = undefined;
    await this.#admin.disconnect();
  }
}

export function createKafkaClusterAdmin(options: KafkaClientOptions): ClusterAdmin {
  return new KafkaClusterAdmin(options);
}
