/**
 * Transactions on kafkajs: one producer per transactional id, one transaction
 * at a time (a promise chain is the lock kafkajs lacks), and a fresh producer
 * after any failure whose outcome is unknown, since kafkajs cannot say whether
 * a timed-out commit happened.
 */
import kafkajs, { type Kafka, type Producer as KafkaJsProducer } from 'kafkajs';
import { ErrorCodes, SluiceError, type Logger } from '../../core/index.ts';
import type { OutgoingRecord, ProducerOptions, TransactionalProducer, TransactionOffsets } from '../types.ts';
import { compressionType, connectKafka } from './client.ts';
import { fromKafkaError, kafkaCall } from './errors.ts';
import { byTopic } from './producer.ts';

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
      if (isFenced(err)) {
        this.#fenced = true;
        await producer.disconnect().catch(() => undefined);
        throw this.#fencedError(err);
      }
      if (txn?.isActive()) await txn.abort().catch(() => undefined);
      // The outcome may be unknown (a timed-out commit): start over with a fresh producer id.
      this.#producer = undefined;
      await producer.disconnect().catch(() => undefined);
      this.#logger.warn({ err, transactionalId: this.transactionalId }, 'transaction failed; producer re-initialised');
      throw fromKafkaError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
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
