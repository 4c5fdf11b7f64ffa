/**
 * Producer on kafkajs: batches through `Batcher`, sends each batch with one
 * `sendBatch` (acks=-1, record-batch compression), idempotent by default.
 *
 * A batch the broker refuses in part, for a reason of some records' own
 * (one too large for its topic, say), is not failed whole: the partitions
 * the broker wrote stay written, and the refused partition's records are
 * sent again in halves, in order, until the refused ones stand alone. Those
 * are reported (`RecordsRefusedError`), every other record is written once.
 * kafkajs takes back the sequence numbers of every partition of a failed
 * request, written ones too, which would make the broker take the next
 * batches for duplicates; so the idempotent producer is replaced (a new
 * producer id) when a refused request wrote anything.
 */
import kafkajs, { type CompressionTypes, type Kafka, type Message, type Producer as KafkaJsProducer, type TopicMessages } from 'kafkajs';
import { ErrorCodes } from '../../core/index.ts';
import { Batcher } from '../batcher.ts';
import { isolateRefused, PER_RECORD_ERRORS, recordRefused, type Refusal } from '../refused.ts';
import type { OutgoingRecord, Producer, ProducerOptions } from '../types.ts';
import { compressionType, connectKafka } from './client.ts';
import { fromKafkaError, kafkaCall } from './errors.ts';
import { partitionResults, type PartitionResult } from './produce-results.ts';

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

/** The partitions of a failed request, when it failed only because some of them refused records of their own. */
export function refusedPartitions(err: unknown): { results: PartitionResult[]; refused: PartitionResult[] } | undefined {
  const results = partitionResults(err);
  if (results === undefined) return undefined;
  const refused = results.filter((r) => r.errorCode !== 0);
  if (refused.length === 0 || refused.some((r) => !PER_RECORD_ERRORS.has(r.errorType))) return undefined;
  return { results, refused };
}

export function refusalError(result: PartitionResult): ReturnType<typeof recordRefused> {
  return recordRefused(result.errorType, result.errorMessage, { topic: result.topic, partition: result.partition, brokerErrorCode: result.errorCode });
}

/** The records of one partition, pinned to it: sent again, keyless ones must not move. */
export function pinned(result: PartitionResult, records: readonly OutgoingRecord[]): OutgoingRecord[] {
  return records.map((r) => (r.partition === result.partition ? r : { ...r, partition: result.partition }));
}

type NewProducer = () => Promise<KafkaJsProducer>;

class KafkaProducer implements Producer {
  #producer: KafkaJsProducer;
  readonly #renew: NewProducer;
  readonly #idempotent: boolean;
  readonly #batcher: Batcher;
  readonly #compression: CompressionTypes;
  #acknowledged = 0;

  constructor(producer: KafkaJsProducer, renew: NewProducer, options: Required<ProducerOptions>) {
    this.#producer = producer;
    this.#renew = renew;
    this.#idempotent = options.idempotent;
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

  async #dispatch(records: OutgoingRecord[]): Promise<readonly Refusal[]> {
    const topicMessages = byTopic(records);
    try {
      await this.#producer.sendBatch({ acks: -1, compression: this.#compression, topicMessages });
      this.#acknowledged += records.length;
      return [];
    } catch (err) {
      const partial = refusedPartitions(err);
      if (partial === undefined) throw fromKafkaError(err, ErrorCodes.PRODUCE, { topic: topicMessages.map((t) => t.topic).join(',') });
      return this.#recover(records, partial.results, partial.refused);
    }
  }

  /**
   * After a request refused in part: what the broker wrote is counted, the
   * refused partitions' records are sent again until the refused ones are
   * found, and records of partitions another broker leads (outside this
   * request, their fate unknown) are sent again: at-least-once for those.
   */
  async #recover(records: OutgoingRecord[], results: PartitionResult[], refused: PartitionResult[]): Promise<readonly Refusal[]> {
    const inRequest = new Set(results.flatMap((r) => r.records));
    for (const r of results) if (r.errorCode === 0) this.#acknowledged += r.records.length;
    if (this.#idempotent && results.some((r) => r.errorCode === 0)) await this.#replace();
    const refusals: Refusal[] = [];
    for (const result of refused) refusals.push(...(await this.#isolate(result, result.records, refusalError(result))));
    const elsewhere = records.filter((r) => !inRequest.has(r));
    if (elsewhere.length > 0) refusals.push(...(await this.#dispatch(elsewhere)));
    return refusals;
  }

  /** Sends `records` (one refused partition's, in order) in halves until each refused one is alone; the rest are written once. */
  #isolate(result: PartitionResult, records: OutgoingRecord[], error: ReturnType<typeof recordRefused>): Promise<Refusal[]> {
    return isolateRefused(records, error, async (part) => {
      try {
        // One partition per request: when it is refused, nothing of it was written, and kafkajs' numbering stays right.
        await this.#producer.sendBatch({ acks: -1, compression: this.#compression, topicMessages: byTopic(pinned(result, part)) });
        this.#acknowledged += part.length;
        return undefined;
      } catch (err) {
        const again = refusedPartitions(err)?.refused[0];
        if (again === undefined) throw fromKafkaError(err, ErrorCodes.PRODUCE, { topic: result.topic, partition: result.partition });
        return refusalError(again);
      }
    });
  }

  async #replace(): Promise<void> {
    const old = this.#producer;
    this.#producer = await this.#renew();
    await old.disconnect().catch(() => undefined);
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
  const connected = async (): Promise<KafkaJsProducer> => {
    const producer = kafka.producer({
      // Kafka's own (murmur2) partitioner, named so kafkajs does not warn about its v2 default change.
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      idempotent: settings.idempotent,
      // Idempotence keeps order across retries only with one request in flight per broker.
      ...(settings.idempotent ? { maxInFlightRequests: 1 } : {}),
    });
    await connectKafka(kafka, producer);
    return producer;
  };
  return new KafkaProducer(await connected(), connected, settings);
}
