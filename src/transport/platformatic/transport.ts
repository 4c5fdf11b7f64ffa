/** The Kafka Transport on @platformatic/kafka: one admin client for topics and offset reads, and the producers and consumers it hands out. */
import { ConfigResourceTypes, FindCoordinatorKeyTypes, type Admin } from '@platformatic/kafka';
import { ErrorCodes, type Logger } from '../../core/index.ts';
import { topicConfigEntries } from '../kafka/transport.ts';
import { retryTransient } from '../kafka/retry-transient.ts';
import type {
  ConsumedRecord,
  Consumer,
  ConsumerOptions,
  PartitionLogStart,
  PartitionOffset,
  PartitionRead,
  PartitionReadEnd,
  Producer,
  ProducerOptions,
  ReadPartitionsOptions,
  TopicDescription,
  TopicSpec,
  TransactionalProducer,
  Transport,
} from '../types.ts';
import { createPlatformaticAdmin } from './admin.ts';
import type { PlatformaticClientOptions } from './client.ts';
import { createPlatformaticConsumer } from './consumer.ts';
import { hasProtocolError, platformaticCall } from './errors.ts';
import { readPlatformaticPartitions } from './partition-reader.ts';
import { createPlatformaticProducer } from './producer.ts';
import { existingTopics, topicRanges } from './reads.ts';
import { createPlatformaticTransactionalProducer } from './transactional.ts';

/** The topic configs sluice manages; `describeTopics` reports these. */
const MANAGED_CONFIGS = ['cleanup.policy', 'retention.ms'];
const LEADERS_WAIT_MS = 30_000;

class LeadersMissing extends Error {}

/** A new topic is usable once every partition has a leader; a broker may not know it at all for a moment. */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  await retryTransient(
    async () => {
      const { topics: found } = await admin.metadata({ topics, forceUpdate: true });
      const led = topics.every((t) => {
        const meta = found.get(t);
        return meta !== undefined && meta.partitionsCount > 0 && meta.partitions.every((p) => p.leader >= 0);
      });
      if (!led) throw new LeadersMissing(`topics ${topics.join(', ')} have partitions without a leader after ${LEADERS_WAIT_MS / 1000} s`);
    },
    (err) => err instanceof LeadersMissing || hasProtocolError(err, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE') || (err as { code?: string }).code === 'PLT_KFK_USER',
    LEADERS_WAIT_MS,
  );
}

class PlatformaticTransport implements Transport {
  readonly kind = 'kafka';
  readonly client = 'platformatic';
  readonly #client: PlatformaticClientOptions;
  readonly #logger: Logger;
  #admin: Admin | undefined;
  readonly #coordinators = new Map<string, Promise<number>>();
  readonly #open = new Set<() => Promise<void>>();

  constructor(options: PlatformaticClientOptions) {
    this.#client = options;
    this.#logger = options.logger;
  }

  #adminClient = (): Admin => (this.#admin ??= createPlatformaticAdmin(this.#client));

  #groupCoordinator = (groupId: string): Promise<number> => {
    let found = this.#coordinators.get(groupId);
    if (found === undefined) {
      found = this.#adminClient()
        .findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [groupId] })
        .then(([c]) => c!.nodeId);
      this.#coordinators.set(groupId, found);
      found.catch(() => this.#coordinators.delete(groupId));
    }
    return found;
  };

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const admin = this.#adminClient();
    await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { topic: specs.map((s) => s.name).join(',') }, async () => {
      const existing = await existingTopics(admin);
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      // One request per topic: the client's createTopics gives every topic of a call the same settings.
      await Promise.all(
        missing.map((spec) =>
          admin
            .createTopics({ topics: [spec.name], partitions: spec.partitions, replicas: spec.replicationFactor ?? 1, configs: topicConfigEntries(spec) })
            .catch((err: unknown) => {
              // Another process created it meanwhile: fine, as for a topic that existed.
              if (!hasProtocolError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
            }),
        ),
      );
      await waitForLeaders(admin, missing.map((s) => s.name));
    });
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    const admin = this.#adminClient();
    return platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, {}, async () => {
      const existing = await existingTopics(admin);
      const found = names.filter((n) => existing.has(n));
      if (found.length === 0) return [];
      const [metadata, configs] = await Promise.all([
        admin.metadata({ topics: found }),
        admin.describeConfigs({
          includeSynonyms: false,
          resources: found.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName, configurationKeys: MANAGED_CONFIGS })),
        }),
      ]);
      return found.map((name) => {
        const meta = metadata.topics.get(name)!;
        const entries = configs.find((c) => c.resourceName === name)?.configs ?? [];
        return {
          name,
          partitions: meta.partitionsCount,
          replicationFactor: meta.partitions[0]?.replicas.length ?? 0,
          config: Object.fromEntries(entries.filter((e) => e.value !== null).map((e) => [e.name, e.value!])),
        };
      });
    });
  }

  async deleteRecordsBefore(topic: string, starts: readonly PartitionLogStart[]): Promise<void> {
    if (starts.length === 0) return;
    await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { topic }, () =>
      this.#adminClient().deleteRecords({ topics: [{ name: topic, partitions: starts.map(({ partition, offset }) => ({ partition, offset: BigInt(offset) })) }] }),
    );
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const ranges = await platformaticCall(ErrorCodes.CONSUME, { topic }, () => topicRanges(this.#adminClient(), [topic]));
    return (ranges.get(topic) ?? []).map(({ partition, high }) => ({ partition, offset: high }));
  }

  async readPartitions(
    topic: string,
    reads: readonly PartitionRead[],
    onRecords: (records: readonly ConsumedRecord[]) => Promise<void>,
    options?: ReadPartitionsOptions,
  ): Promise<PartitionReadEnd[]> {
    return readPlatformaticPartitions(this.#client, this.#adminClient(), this.#logger, topic, reads, onRecords, options);
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const producer = await createPlatformaticProducer(this.#client, options);
    this.#open.add(() => producer.close());
    return producer;
  }

  async transactionalProducer(transactionalId: string, options: ProducerOptions = {}): Promise<TransactionalProducer> {
    const producer = await createPlatformaticTransactionalProducer(this.#client, transactionalId, options, this.#groupCoordinator, this.#logger);
    this.#open.add(() => producer.close());
    return producer;
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    const consumer = await createPlatformaticConsumer(this.#client, this.#adminClient, options, this.#logger);
    this.#open.add(() => consumer.disconnect());
    return consumer;
  }

  async close(): Promise<void> {
    const closing = [...this.#open].map((close) => close());
    this.#open.clear();
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin !== undefined) closing.push(admin.close());
    const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }
}

export function createPlatformaticTransport(options: PlatformaticClientOptions): Transport {
  return new PlatformaticTransport(options);
}
