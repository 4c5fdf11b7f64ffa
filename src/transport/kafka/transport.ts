/** The Kafka Transport: admin for topics, and the producers and consumers it hands out. */
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { fetchTopicOffsets } from './topic-offsets.ts';
import { ErrorCodes, type Logger } from '../../core/index.ts';
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
import { connectKafka, createKafkaClient, type KafkaClientOptions } from './client.ts';
import { createKafkaConsumer } from './consumer.ts';
import { kafkaCall } from './errors.ts';
import { readKafkaPartitions } from './partition-reader.ts';
import { createKafkaProducer } from './producer.ts';
import { waitForLeaders } from './topic-leaders.ts';
import { createKafkaTransactionalProducer } from './transactional.ts';

const { ConfigResourceTypes } = kafkajs;

/** The topic configs sluice manages; `describeTopics` reports these. */
const MANAGED_CONFIGS = ['cleanup.policy', 'retention.ms'];

export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  const entries: Record<string, string> = { ...spec.config };
  if (spec.cleanupPolicy !== undefined) entries['cleanup.policy'] = spec.cleanupPolicy;
  if (spec.retentionMs !== undefined) entries['retention.ms'] = String(spec.retentionMs);
  return Object.entries(entries).map(([name, value]) => ({ name, value }));
}

class KafkaTransport implements Transport {
  readonly kind = 'kafka';
  readonly client = 'kafkajs';
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #clientId: string;
  #admin: Promise<Admin> | undefined;
  readonly #open = new Set<{ close(): Promise<void> }>();

  constructor(options: KafkaClientOptions) {
    this.#kafka = createKafkaClient(options);
    this.#logger = options.logger;
    this.#clientId = options.clientId;
  }

  #connectedAdmin = (): Promise<Admin> => {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await connectKafka(this.#kafka, admin);
      return admin;
    })();
    // A failed connect is not cached: the next call tries again.
    this.#admin.catch(() => (this.#admin = undefined));
    return this.#admin;
  };

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const admin = await this.#connectedAdmin();
    const existing = new Set(await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => admin.listTopics()));
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { topic: missing.map((s) => s.name).join(',') }, async () => {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((spec) => ({
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor ?? 1,
          configEntries: topicConfigEntries(spec),
        })),
      });
      await waitForLeaders(admin, missing.map((s) => s.name));
    });
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    const admin = await this.#connectedAdmin();
    const existing = new Set(await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => admin.listTopics()));
    const found = names.filter((n) => existing.has(n));
    if (found.length === 0) return [];
    const { topics } = await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => admin.fetchTopicMetadata({ topics: found }));
    const { resources } = await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: found.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: MANAGED_CONFIGS })),
      }),
    );
    return topics.map(({ name, partitions }) => {
      const entries = resources.find((r) => r.resourceName === name)?.configEntries ?? [];
      return {
        name,
        partitions: partitions.length,
        replicationFactor: partitions[0]?.replicas.length ?? 0,
        config: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
      };
    });
  }

  async deleteRecordsBefore(topic: string, starts: readonly PartitionLogStart[]): Promise<void> {
    if (starts.length === 0) return;
    const admin = await this.#connectedAdmin();
    await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { topic }, () =>
      admin.deleteTopicRecords({ topic, partitions: starts.map(({ partition, offset }) => ({ partition, offset })) }),
    );
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const admin = await this.#connectedAdmin();
    const offsets = await fetchTopicOffsets(admin, topic);
    return offsets.map(({ partition, high }) => ({ partition, offset: high })).sort((a, b) => a.partition - b.partition);
  }

  async readPartitions(
    topic: string,
    reads: readonly PartitionRead[],
    onRecords: (records: readonly ConsumedRecord[]) => Promise<void>,
    options?: ReadPartitionsOptions,
  ): Promise<PartitionReadEnd[]> {
    return readKafkaPartitions(this.#kafka, await this.#connectedAdmin(), this.#clientId, topic, reads, onRecords, options);
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const producer = await createKafkaProducer(this.#kafka, options);
    return this.#track(producer, () => producer.close());
  }

  async transactionalProducer(transactionalId: string, options: ProducerOptions = {}): Promise<TransactionalProducer> {
    const producer = await createKafkaTransactionalProducer(this.#kafka, transactionalId, options, this.#logger);
    return this.#track(producer, () => producer.close());
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    const consumer = await createKafkaConsumer(this.#kafka, this.#connectedAdmin, options, this.#logger);
    return this.#track(consumer, () => consumer.disconnect());
  }

  async close(): Promise<void> {
    const closing = [...this.#open].map((c) => c.close());
    this.#open.clear();
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin !== undefined) closing.push(admin.then((a) => a.disconnect()));
    const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  /** Remembers how to close what it hands out; closing it yourself first is fine. */
  #track<T>(value: T, close: () => Promise<void>): T {
    const entry = { close };
    this.#open.add(entry);
    return value;
  }
}

export function createKafkaTransport(options: KafkaClientOptions): Transport {
  return new KafkaTransport(options);
}
