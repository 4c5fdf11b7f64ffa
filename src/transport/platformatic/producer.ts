/**
 * Producer on @platformatic/kafka: batches through `Batcher`, one `send` per
 * batch (acks=-1, LZ4 record batches), idempotent by default. Every record
 * goes with its partition chosen here, by sluice's partitioner: the client's
 * default one hashes keys with murmur2 `>>> 0` where Kafka masks with
 * `& 0x7fffffff`, which puts about half the keys on another partition than
 * Java clients and kafkajs do; and a send the broker refuses in part is read
 * by partition, which needs to know where each record went.
 *
 * A batch the broker refuses in part, for a reason of some records' own (one
 * too large for its topic, say), is not failed whole, as on kafkajs
 * (kafka/producer.ts): the partitions written stay written, the refused
 * partition's records are sent again in halves until the refused ones stand
 * alone, and those are reported. The client advances its sequence numbers
 * only for requests that succeeded whole, so after a refused request that
 * wrote anything the idempotent producer takes a new producer id: with the
 * old numbering the broker would take the next batches for duplicates.
 */
import { Producer as PlatformaticProducer, type CompressionAlgorithmValue, type MessageToProduce } from '@platformatic/kafka';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { BatchedProducer } from '../batched-producer.ts';
import { producerDefaults } from '../kafka/producer.ts';
import { createPartitioner } from '../partitioner.ts';
import { isolateRefused, type Refusal } from '../refused.ts';
import type { Compression, OutgoingRecord, Producer, ProducerOptions } from '../types.ts';
import { guardSeedBrokers } from './broker-guard.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { fromPlatformaticError, platformaticCall } from './errors.ts';
import { produceOutcomes, type PartitionOutcome } from './produce-results.ts';

export type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function toBuffer(data: Buffer | string | null | undefined): Buffer | undefined {
  if (data === null || data === undefined) return undefined;
  return typeof data === 'string' ? Buffer.from(data) : data;
}

type Client = PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>;
export type Partitioner = ReturnType<typeof createPartitioner>;

/**
 * Headers the client gets as a Map of bytes. Most records carry their
 * encoder's one frozen header object (runtime/stage-steps.ts), which cannot
 * change: its Map is made once, not a Map and a Buffer per name per record.
 */
const frozenHeaders = new WeakMap<object, Map<Buffer, Buffer>>();

function headerMap(headers: Record<string, Buffer | string>): Map<Buffer, Buffer> {
  const frozen = Object.isFrozen(headers);
  const made = frozen ? frozenHeaders.get(headers) : undefined;
  if (made !== undefined) return made;
  const map = new Map<Buffer, Buffer>();
  for (const name in headers) map.set(Buffer.from(name), toBuffer(headers[name])!);
  if (frozen) frozenHeaders.set(headers, map);
  return map;
}

/** One record as the client sends it, to `partition`: bytes only, headers as a Map, a bigint timestamp. */
function toMessage(record: OutgoingRecord, partition: number): Message {
  const message: Message = { topic: record.topic, key: toBuffer(record.key), value: toBuffer(record.value), partition };
  if (record.headers !== undefined) message.headers = headerMap(record.headers);
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  return message;
}

function topicsOf(records: readonly OutgoingRecord[]): string[] {
  return [...new Set(records.map((r) => r.topic))];
}

/**
 * The records as the client sends them, each to its partition: its own, else
 * the partitioner's over the key bytes the message carries (a string key is
 * encoded once). The client takes an explicit partition modulo the partition
 * count, so a record for partition 7 of a 3-partition topic would land on
 * partition 1: such a record is refused, and none of its batch is sent.
 */
export async function placeRecords(client: Pick<Client, 'metadata'>, records: readonly OutgoingRecord[], partitioner: Partitioner): Promise<Message[]> {
  const metadata = await client.metadata({ topics: topicsOf(records) });
  const messages = new Array<Message>(records.length);
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const partitions = metadata.topics.get(record.topic)?.partitionsCount ?? 0;
    if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions)) {
      throw new SluiceError(ErrorCodes.PRODUCE, `partition ${record.partition} does not exist (topic has ${partitions})`, {
        context: { topic: record.topic, partition: record.partition, index },
      });
    }
    const message = toMessage(record, record.partition ?? 0);
    if (record.partition === undefined) message.partition = partitioner(record.topic, message.key ?? null, partitions);
    messages[index] = message;
  }
  return messages;
}

/** Where each placed message goes, `records[i]` to `partitions[i]`, as `produceOutcomes` reads a failed send. */
export function partitionsOf(messages: readonly Message[]): number[] {
  return messages.map((m) => m.partition!);
}

export function compressionOf(compression: Compression | undefined): CompressionAlgorithmValue {
  return compression ?? 'lz4';
}

/** Records all sent to one partition (a refused partition's, sent again). */
export function messagesTo(records: readonly OutgoingRecord[], partition: number): Message[] {
  return records.map((record) => toMessage(record, partition));
}

/** The refusal of a send of one partition's records, which refused all of them or none; other failures are thrown. */
export function partitionRefusal(err: unknown, outcome: PartitionOutcome, records: readonly OutgoingRecord[], fallback: typeof ErrorCodes.PRODUCE | typeof ErrorCodes.TRANSACTION_ABORTED): SluiceError {
  const refused = produceOutcomes(err, records, records.map(() => outcome.partition))?.[0]?.refused;
  if (refused === undefined) throw fromPlatformaticError(err, fallback, { topic: outcome.topic, partition: outcome.partition });
  return refused;
}

class BatchSender {
  readonly #producer: Client;
  readonly #compression: CompressionAlgorithmValue;
  readonly #idempotent: boolean;
  readonly #partitioner = createPartitioner();

  constructor(producer: Client, settings: Required<ProducerOptions>) {
    this.#producer = producer;
    this.#compression = compressionOf(settings.compression);
    this.#idempotent = settings.idempotent;
  }

  /** One batch in one `send` (acks=-1); resolves the records refused on their own, all others written. */
  async dispatch(records: readonly OutgoingRecord[]): Promise<readonly Refusal[]> {
    const topic = topicsOf(records).join(',');
    const messages = await platformaticCall(ErrorCodes.PRODUCE, { topic }, () => placeRecords(this.#producer, records, this.#partitioner));
    try {
      await this.#producer.send({ messages, acks: -1, compression: this.#compression });
      return [];
    } catch (err) {
      const outcomes = produceOutcomes(err, records, partitionsOf(messages));
      if (outcomes === undefined) throw fromPlatformaticError(err, ErrorCodes.PRODUCE, { topic });
      return this.#recover(records, outcomes);
    }
  }

  /**
   * After a send refused in part: the refused partitions' records are sent
   * again until the refused ones are found, and records of requests whose
   * fate is unknown are sent again: at-least-once for those.
   */
  async #recover(records: readonly OutgoingRecord[], outcomes: PartitionOutcome[]): Promise<Refusal[]> {
    if (this.#idempotent && outcomes.some((o) => o.refused === undefined)) {
      await platformaticCall(ErrorCodes.PRODUCE, {}, () => this.#producer.initIdempotentProducer({}));
    }
    const refusals: Refusal[] = [];
    for (const outcome of outcomes) {
      if (outcome.refused === undefined) continue;
      refusals.push(...(await isolateRefused(outcome.records, outcome.refused, (part) => this.#alone(outcome, part))));
    }
    const known = new Set(outcomes.flatMap((o) => o.records));
    const unknown = records.filter((r) => !known.has(r));
    if (unknown.length > 0) refusals.push(...(await this.dispatch(unknown)));
    return refusals;
  }

  /** Sends records of one refused partition, pinned to it; their refusal, if it refused them again. */
  async #alone(outcome: PartitionOutcome, records: OutgoingRecord[]): Promise<SluiceError | undefined> {
    try {
      // One partition per request: when it is refused, nothing of it was written, and the client's numbering stays right.
      await this.#producer.send({ messages: messagesTo(records, outcome.partition), acks: -1, compression: this.#compression });
      return undefined;
    } catch (err) {
      return partitionRefusal(err, outcome, records, ErrorCodes.PRODUCE);
    }
  }
}

export async function createPlatformaticProducer(client: PlatformaticClientOptions, options: ProducerOptions = {}): Promise<Producer> {
  const settings = { ...producerDefaults, ...options };
  const producer: Client = new PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>({
    ...clientOptions(client),
    idempotent: settings.idempotent,
    acks: -1,
  });
  logClientEvents(producer, client.logger);
  guardSeedBrokers(producer, client.brokers);
  // The client connects on first use: reach a broker now, so a bad address or credential fails here, as kafkajs' connect() does.
  try {
    await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, {}, () => producer.metadata({ topics: [] }));
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
  const sender = new BatchSender(producer, settings);
  return new BatchedProducer((records) => sender.dispatch(records), () => platformaticCall(ErrorCodes.PRODUCE, {}, () => producer.close()), settings);
}
