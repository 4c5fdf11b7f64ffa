/**
 * Producer on kafkajs: batches through `Batcher`, sends each batch with one
 * `sendBatch` (acks=-1, record-batch compression), idempotent by default.
 */
import kafkajs, { type CompressionTypes, type Kafka, type Message, type Producer as KafkaJsProducer, type TopicMessages } from 'kafkajs';
import { ErrorCodes } from '../../core/index.ts';
import { Batcher } from '../batcher.ts';
import type { OutgoingRecord, Producer, ProducerOptions } from '../types.ts';
import { compressionType, connectKafka } from './client.ts';
import { fromKafkaError, kafkaCall } from './errors.ts';

/**
 * One TopicMessages per topic, records in their given order. An
 * OutgoingRecord already has the shape of a kafkajs Message (kafkajs ignores
 * `topic` and takes a numeric timestamp as well as its documented string), so
 * records go as they are: no copy per record.
 */
export function byTopic(records: readonly OutgoingRecord[]): TopicMessages[] {
  const first = records[0];
  if (first !== undefined && records.every((r) => r.topic === first.topic)) {
    return [{ topic: first.topic, messages: records as unknown as Message[] }];
  }
  const topics = new Map<string, Message[]>();
  for (const record of records) {
    let messages = topics.get(record.topic);
    if (messages === undefined) topics.set(record.topic, (messages = []));
    messages.push(record as unknown as Message);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

class KafkaProducer implements Producer {
  readonly #producer: KafkaJsProducer;
  readonly #batcher: Batcher;
  readonly #compression: CompressionTypes;
  #acknowledged = 0;

  constructor(producer: KafkaJsProducer, options: Required<ProducerOptions>) {
    this.#producer = producer;
    this.#compression = compressionType(options.compression);
    this.#batcher = new Batcher((records) => this.#dispatch(records), options);
  }

  get acknowledged(): number {
    return this.#acknowledged;
  }

  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.#batcher.add(records);
  }

  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await kafkaCall(ErrorCodes.PRODUCE, {}, () => this.#producer.disconnect());
    }
  }

  async #dispatch(records: OutgoingRecord[]): Promise<void> {
    const topicMessages = byTopic(records);
    try {
      await this.#producer.sendBatch({ acks: -1, compression: this.#compression, topicMessages });
    } catch (err) {
      throw fromKafkaError(err, ErrorCodes.PRODUCE, { topic: topicMessages.map((t) => t.topic).join(',') });
    }
    this.#acknowledged += records.length;
  }
}

export const producerDefaults: Required<ProducerOptions> = {
  idempotent: true,
  compression: 'lz4',
  batchCount: 1_000,
  batchBytes: 1 << 20,
  lingerMs: 5,
};

export async function createKafkaProducer(kafka: Kafka, options: ProducerOptions = {}): Promise<Producer> {
  const settings = { ...producerDefaults, ...options };
  const producer = kafka.producer({
    // Kafka's own (murmur2) partitioner, named so kafkajs does not warn about its v2 default change.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: settings.idempotent,
    // Idempotence keeps order across retries only with one request in flight per broker.
    ...(settings.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await connectKafka(kafka, producer);
  return new KafkaProducer(producer, settings);
}
