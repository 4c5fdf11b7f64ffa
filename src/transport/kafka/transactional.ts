/**
 * Transactions on kafkajs: one producer per transactional id, one transaction
 * at a time (a promise chain is the lock kafkajs lacks), and a fresh producer
 * after any failure whose outcome is unknown, since kafkajs cannot say whether
 * a timed-out commit happened.
 *
 * A transaction the broker refuses records of, for reasons of their own (too
 * large for the topic), is aborted, and the refused records are found by
 * sending the refused partitions' records again in halves, each in a probe
 * transaction that is always aborted (read_committed readers never see it):
 * `transact` then rejects with exactly those records (RecordsRefusedError),
 * so the caller can commit the rest with dead letters in their place.
 */
import kafkajs, { type Kafka, type Producer as KafkaJsProducer } from 'kafkajs';
import { ErrorCodes, SluiceError, type Logger } from '../../core/index.ts';
import { isolateRefused, refusalOf, type Refusal } from '../refused.ts';
import type { OutgoingRecord, ProducerOptions, TransactionalProducer, TransactionOffsets } from '../types.ts';
import { compressionType, connectKafka } from './client.ts';
import { fromKafkaError, kafkaCall } from './errors.ts';
import { byTopic, pinned, refusalError, refusedPartitions } from './producer.ts';
import type { PartitionResult } from './produce-results.ts';

const { KafkaJSProtocolError } = kafkajs;

/** Kafka's protocol error types that mean "a newer producer owns this transactional id". */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

function isFenced(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof KafkaJSProtocolError && FENCED.has(e.type)) return true;
  }
  return false;
}

function groupOffsets(offsets: readonly TransactionOffsets[]) {
  const byGroup = new Map<string, Map<string, Array<{ partition: number; offset: string }>>>();
  for (const o of offsets) {
    let topics = byGroup.get(o.groupId);
    if (topics === undefined) byGroup.set(o.groupId, (topics = new Map()));
    let partitions = topics.get(o.topic);
    if (partitions === undefined) topics.set(o.topic, (partitions = []));
    partitions.push({ partition: o.partition, offset: o.offset });
  }
  return [...byGroup].map(([consumerGroupId, topics]) => ({
    consumerGroupId,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  }));
}

class KafkaTransactionalProducer implements TransactionalProducer {
  readonly #kafka: Kafka;
  readonly #compression: ReturnType<typeof compressionType>;
  readonly #logger: Logger;
  #producer: KafkaJsProducer | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #fenced = false;

  constructor(
    kafka: Kafka,
    readonly transactionalId: string,
    options: ProducerOptions,
    logger: Logger,
  ) {
    this.#kafka = kafka;
    this.#compression = compressionType(options.compression ?? 'lz4');
    this.#logger = logger;
  }

  async connect(): Promise<void> {
    const producer = this.#kafka.producer({
      // Kafka's own (murmur2) partitioner, named so kafkajs does not warn about its v2 default change.
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
    });
    await connectKafka(this.#kafka, producer);
    // kafkajs' connect() only gets an idempotent producer id. The transactional InitProducerId, which
    // bumps the epoch (fencing any older producer with this id) and waits until that producer's last
    // transaction has committed or aborted, comes with the first transaction: open and drop an empty
    // one (no request reaches the broker for the drop), so a new owner is fenced in before it reads.
    await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, {}, async () => {
      const txn = await producer.transaction();
      await txn.abort();
    });
    this.#producer = producer;
  }

  transact(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void> {
    const run = this.#lock.then(() => this.#run(records, offsets));
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #run(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void> {
    if (this.#fenced) throw this.#fencedError();
    if (this.#producer === undefined) await this.connect();
    const producer = this.#producer!;
    let txn: Awaited<ReturnType<KafkaJsProducer['transaction']>> | undefined;
    try {
      txn = await producer.transaction();
      if (records.length > 0) await txn.sendBatch({ acks: -1, compression: this.#compression, topicMessages: byTopic(records) });
      for (const group of groupOffsets(offsets)) await txn.sendOffsets(group);
      await txn.commit();
    } catch (err) {
      await this.#failed(producer, txn, err);
      const partial = refusedPartitions(err);
      if (partial !== undefined) {
        const refusals: Refusal[] = [];
        for (const result of partial.refused) refusals.push(...(await this.#isolate(result, result.records, refusalError(result))));
        throw refusalOf(records, refusals) ?? fromKafkaError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
      }
      this.#logger.warn({ err, transactionalId: this.transactionalId }, 'transaction failed; producer re-initialised');
      throw fromKafkaError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
    }
  }

  /**
   * After a failed transaction: fenced, this producer is done (throws
   * SLUICE_ERR_PRODUCER_FENCED). Otherwise what is open is aborted and the
   * producer dropped: the outcome may be unknown (a timed-out commit), so the
   * next transaction starts with a fresh producer id.
   */
  async #failed(producer: KafkaJsProducer, txn: Awaited<ReturnType<KafkaJsProducer['transaction']>> | undefined, err: unknown): Promise<void> {
    if (isFenced(err)) {
      this.#fenced = true;
      await producer.disconnect().catch(() => undefined);
      throw this.#fencedError(err);
    }
    if (txn?.isActive()) await txn.abort().catch(() => undefined);
    this.#producer = undefined;
    await producer.disconnect().catch(() => undefined);
  }

  /** The refused records among `records` (one partition's), found with probe transactions that are always aborted. */
  #isolate(result: PartitionResult, records: OutgoingRecord[], error: SluiceError): Promise<Refusal[]> {
    return isolateRefused(records, error, async (part) => {
      const refused = await this.#probe(pinned(result, part));
      return refused === undefined ? undefined : refusalError(refused);
    });
  }

  /** Sends `records` in a transaction it aborts; the partition's refusal, if it refused them. */
  async #probe(records: OutgoingRecord[]): Promise<PartitionResult | undefined> {
    if (this.#producer === undefined) await this.connect();
    const producer = this.#producer!;
    const txn = await producer.transaction();
    try {
      await txn.sendBatch({ acks: -1, compression: this.#compression, topicMessages: byTopic(records) });
      await txn.abort();
      return undefined;
    } catch (err) {
      await this.#failed(producer, txn, err);
      const refused = refusedPartitions(err)?.refused[0];
      if (refused === undefined) throw fromKafkaError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
      return refused;
    }
  }

  #fencedError(cause?: unknown): SluiceError {
    return new SluiceError(ErrorCodes.PRODUCER_FENCED, `transactional id ${this.transactionalId} is owned by a newer producer`, {
      ...(cause !== undefined ? { cause } : {}),
      context: { transactionalId: this.transactionalId },
    });
  }

  async close(): Promise<void> {
    await this.#lock;
    await this.#producer?.disconnect().catch(() => undefined);
    this.#producer = undefined;
  }
}

export async function createKafkaTransactionalProducer(
  kafka: Kafka,
  transactionalId: string,
  options: ProducerOptions,
  logger: Logger,
): Promise<TransactionalProducer> {
  const producer = new KafkaTransactionalProducer(kafka, transactionalId, options, logger);
  await producer.connect();
  return producer;
}
