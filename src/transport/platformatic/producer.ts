/**
 * Producer on @platformatic/kafka: batches through `Batcher`, one `send` per
 * batch (acks=-1, LZ4 record batches), idempotent by default. Partitions are
 * chosen by sluice's partitioner: the client's default one hashes keys with
 * murmur2 `>>> 0` where Kafka masks with `& 0x7fffffff`, which puts about
 * half the keys on another partition than Java clients and kafkajs do.
 */
import { Producer as PlatformaticProducer, type MessageToProduce } from '@platformatic/kafka';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { BatchedProducer } from '../batched-producer.ts';
import { producerDefaults } from '../kafka/producer.ts';
import { murmur2, toPositive } from '../partitioner.ts';
import type { Compression, OutgoingRecord, Producer, ProducerOptions } from '../types.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { fromPlatformaticError, platformaticCall } from './errors.ts';

export type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function toBuffer(data: Buffer | string | null | undefined): Buffer | undefined {
  if (data === null || data === undefined) return undefined;
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/**
 * Kafka's partitioner for keyed records; a per-topic counter from a random
 * start for keyless ones. The client takes the result modulo the partition
 * count, so the hash goes as it is.
 */
export function kafkaPartitioner(): (message: Message, key: Buffer | undefined) => number {
  const counters = new Map<string, number>();
  return (message, key) => {
    if (key !== undefined) return toPositive(murmur2(key));
    const next = ((counters.get(message.topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(message.topic, next);
    return next;
  };
}

/** One record as the client sends it: bytes only, headers as a Map, a bigint timestamp. */
export function toMessage(record: OutgoingRecord): Message {
  const message: Message = { topic: record.topic, key: toBuffer(record.key), value: toBuffer(record.value) };
  if (record.headers !== undefined) {
    const headers = new Map<Buffer, Buffer>();
    for (const name in record.headers) headers.set(Buffer.from(name), toBuffer(record.headers[name])!);
    message.headers = headers;
  }
  if (record.partition !== undefined) message.partition = record.partition;
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  return message;
}

/**
 * The client takes an explicit partition modulo the partition count, so a
 * record for partition 7 of a 3-partition topic would land on partition 1:
 * such a record is refused, and none of its batch is sent.
 */
export async function checkPartitions(client: Pick<PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>, 'metadata'>, records: readonly OutgoingRecord[]): Promise<void> {
  if (records.every((r) => r.partition === undefined)) return;
  const metadata = await client.metadata({ topics: [...new Set(records.map((r) => r.topic))] });
  records.forEach((record, index) => {
    if (record.partition === undefined) return;
    const partitions = metadata.topics.get(record.topic)?.partitionsCount ?? 0;
    if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
      throw new SluiceError(ErrorCodes.PRODUCE, `partition ${record.partition} does not exist (topic has ${partitions})`, {
        context: { topic: record.topic, partition: record.partition, index },
      });
    }
  });
}

export function compressionOf(compression: Compression | undefined): 'lz4' | 'gzip' | 'none' {
  return compression ?? 'lz4';
}

/** One batch in one `send` (acks=-1), with the partitions checked first. */
async function sendBatch(producer: PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>, compression: 'lz4' | 'gzip' | 'none', records: OutgoingRecord[]): Promise<void> {
  const messages = new Array<Message>(records.length);
  for (let i = 0; i < records.length; i++) messages[i] = toMessage(records[i]!);
  try {
    await checkPartitions(producer, records);
    await producer.send({ messages, acks: -1, compression });
  } catch (err) {
    throw fromPlatformaticError(err, ErrorCodes.PRODUCE, { topic: [...new Set(records.map((r) => r.topic))].join(',') });
  }
}

export async function createPlatformaticProducer(client: PlatformaticClientOptions, options: ProducerOptions = {}): Promise<Producer> {
  const settings = { ...producerDefaults, ...options };
  const producer = new PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>({
    ...clientOptions(client),
    idempotent: settings.idempotent,
    acks: -1,
    partitioner: kafkaPartitioner(),
  });
  logClientEvents(producer, client.logger);
  // The client connects on first use: reach a broker now, so a bad address or credential fails here, as kafkajs' connect() does.
  try {
    await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => producer.metadata({ topics: [] }));
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
  const compression = compressionOf(settings.compression);
  return new BatchedProducer((records) => sendBatch(producer, compression, records), () => platformaticCall(ErrorCodes.PRODUCE, {}, () => producer.close()), settings);
}
