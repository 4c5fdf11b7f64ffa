/** The embedded Transport: the same interface over an in-process broker. */
import type {
  ConsumedRecord,
  Consumer,
  ConsumerOptions,
  PartitionLogStart,
  PartitionOffset,
  PartitionRead,
  PartitionReadEnd,
  Producer,
  TopicDescription,
  TopicSpec,
  TransactionalProducer,
  Transport,
} from '../types.ts';
import { planReads } from '../partition-reads.ts';
import type { EmbeddedBroker } from './broker.ts';
import { EmbeddedConsumer } from './consumer.ts';
import { EmbeddedProducer } from './producer.ts';
import { createEmbeddedTransactionalProducer } from './transactional.ts';

/** Records handed over per call while reading partitions. */
const READ_CHUNK = 1_000;

class EmbeddedTransport implements Transport {
  readonly kind = 'embedded';
  readonly client = 'embedded';
  readonly #broker: EmbeddedBroker;
  readonly #open = new Set<Producer | Consumer | TransactionalProducer>();

  constructor(broker: EmbeddedBroker) {
    this.#broker = broker;
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) this.#broker.createTopic(spec);
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    return names.flatMap((name) => this.#broker.describe(name) ?? []);
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    return this.#broker.endOffsets(topic);
  }

  async deleteRecordsBefore(topic: string, starts: readonly PartitionLogStart[]): Promise<void> {
    for (const { partition, offset } of starts) this.#broker.deleteBefore(topic, partition, Number(offset));
  }

  /** A read is a slice of the log, transaction markers left out. */
  async readPartitions(topic: string, reads: readonly PartitionRead[], onRecords: (records: readonly ConsumedRecord[]) => Promise<void>): Promise<PartitionReadEnd[]> {
    const logs = this.#broker.topic(topic).logs;
    const { done, pending } = planReads(topic, reads, this.#broker.ranges(topic));
    for (const [partition, [start, end]] of pending) {
      const log = logs[partition]!;
      for (let at = Number(start); at < Number(end); at += READ_CHUNK) {
        // Transaction markers hold their offsets but are no records.
        const records = log.slice(at, Math.min(Number(end), at + READ_CHUNK)).filter((r): r is ConsumedRecord => r !== null);
        if (records.length > 0) await onRecords(records);
      }
      done.push({ partition, end: end.toString(), outOfRange: false });
    }
    return reads.map(({ partition }) => done.find((d) => d.partition === partition)!);
  }

  async producer(): Promise<Producer> {
    const producer = new EmbeddedProducer(this.#broker);
    this.#open.add(producer);
    return producer;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = createEmbeddedTransactionalProducer(this.#broker, transactionalId);
    this.#open.add(producer);
    return producer;
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    const consumer = new EmbeddedConsumer(this.#broker, options);
    this.#open.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(open.map((c) => ('close' in c ? c.close() : c.disconnect())));
  }
}

export function createEmbeddedTransport(broker: EmbeddedBroker): Transport {
  return new EmbeddedTransport(broker);
}
