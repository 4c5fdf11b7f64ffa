/**
 * Transactions on @platformatic/kafka: one producer per transactional id, one
 * transaction at a time (a promise chain), a fresh producer after any failure
 * whose outcome is unknown, and fencing by transactional id: the first
 * InitProducerId of a new owner bumps the epoch, and the old owner's next
 * request is refused (SLUICE_ERR_PRODUCER_FENCED), as kafka/transactional.ts
 * does on kafkajs.
 *
 * Consumed offsets go in through the client's `Transaction.addConsumer` and
 * `addOffset`, which expect a consumer and one of its messages: they read only
 * the group id, and a message's topic, partition, offset and group metadata.
 * The offsets are committed with generation -1 and no member id, as kafkajs
 * and Java's `sendOffsetsToTransaction(offsets, groupId)` do, so the broker
 * takes them whatever the group's generation; zombies are fenced by the
 * transactional id instead.
 *
 * A transaction the broker refuses records of, for reasons of their own, is
 * aborted and the refused records found as kafka/transactional.ts finds them:
 * the refused partitions' records sent again in halves, each in a probe
 * transaction that is always aborted; `transact` then rejects with exactly
 * those (RecordsRefusedError).
 */
import { Producer as PlatformaticProducer, type Consumer as PlatformaticConsumer, type Message as ConsumedMessage } from '@platformatic/kafka';
import { ErrorCodes, type Logger, type SluiceError } from '../../core/index.ts';
import { createPartitioner } from '../partitioner.ts';
import { isolateRefused, refusalOf, type Refusal } from '../refused.ts';
import { producerFenced, TransactionQueue } from '../transactions.ts';
import type { OutgoingRecord, ProducerOptions, TransactionalProducer, TransactionOffsets } from '../types.ts';
import { guardSeedBrokers } from './broker-guard.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { fromPlatformaticError, hasProtocolError, platformaticCall } from './errors.ts';
import { compressionOf, messagesTo, partitionRefusal, partitionsOf, placeRecords, type Message } from './producer.ts';
import { produceOutcomes, type PartitionOutcome } from './produce-results.ts';

/** Kafka's answers that mean "a newer producer owns this transactional id" (kafkajs' list in kafka/transactional.ts). */
const FENCED = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'];
/** Also the transaction timeout: the client sends its request timeout as InitProducerId's. */
const TRANSACTION_TIMEOUT_MS = 60_000;

type Client = PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>;
type Transaction = Awaited<ReturnType<Client['beginTransaction']>>;

/** The node coordinating a consumer group, where its transactional offsets go. */
export type GroupCoordinator = (groupId: string) => Promise<number>;

/** What `addOffset` reads of a consumed message: the offset it commits is this one plus one. */
function offsetMessage(o: TransactionOffsets, coordinatorId: number): ConsumedMessage<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic: o.topic,
    partition: o.partition,
    offset: BigInt(o.offset) - 1n,
    metadata: { consumer: { groupId: o.groupId, generationId: -1, memberId: '', coordinatorId } },
  } as unknown as ConsumedMessage<Buffer, Buffer, Buffer, Buffer>;
}

class PlatformaticTransactionalProducer implements TransactionalProducer {
  readonly #client: PlatformaticClientOptions;
  readonly #compression: ReturnType<typeof compressionOf>;
  readonly #partitioner = createPartitioner();
  readonly #coordinator: GroupCoordinator;
  readonly #logger: Logger;
  #producer: Client | undefined;
  readonly #queue = new TransactionQueue();
  #fenced = false;

  constructor(
    client: PlatformaticClientOptions,
    readonly transactionalId: string,
    options: ProducerOptions,
    coordinator: GroupCoordinator,
    logger: Logger,
  ) {
    this.#client = client;
    this.#compression = compressionOf(options.compression);
    this.#coordinator = coordinator;
    this.#logger = logger;
  }

  async connect(): Promise<void> {
    const producer: Client = new PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>({
      ...clientOptions(this.#client, TRANSACTION_TIMEOUT_MS),
      transactionalId: this.transactionalId,
      // A new producer has no id and epoch yet (KIP-360): the client's default, id 0 and epoch 0, asks
      // the broker to bump producer 0, and every producer but the first with this transactional id
      // was refused as fenced.
      producerId: -1n,
      producerEpoch: -1,
      idempotent: true,
      acks: -1,
    });
    logClientEvents(producer, this.#logger, { transactionalId: this.transactionalId });
    guardSeedBrokers(producer, this.#client.brokers);
    // The first transaction's InitProducerId bumps the epoch (fencing any older producer with this id)
    // and waits until that producer's last transaction has committed or aborted; cancelling it sends
    // nothing more, so a new owner is fenced in before it reads.
    try {
      await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { transactionalId: this.transactionalId }, async () => {
        const txn = await producer.beginTransaction();
        await txn.cancel();
      });
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw err;
    }
    this.#producer = producer;
  }

  transact(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void> {
    return this.#queue.run(() => this.#run(records, offsets));
  }

  async #run(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void> {
    if (this.#fenced) throw producerFenced(this.transactionalId);
    if (this.#producer === undefined) await this.connect();
    const producer = this.#producer!;
    let txn: Transaction | undefined;
    let messages: Message[] = [];
    try {
      messages = await placeRecords(producer, records, this.#partitioner);
      txn = await producer.beginTransaction();
      if (records.length > 0) await txn.send({ messages, compression: this.#compression });
      // One at a time: the client runs concurrent calls of one kind as one request.
      for (const groupId of new Set(offsets.map((o) => o.groupId))) {
        await txn.addConsumer({ groupId } as unknown as PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>);
        const coordinatorId = await this.#coordinator(groupId);
        for (const o of offsets) if (o.groupId === groupId) await txn.addOffset(offsetMessage(o, coordinatorId));
      }
      await txn.commit();
    } catch (err) {
      await this.#failed(producer, txn, err);
      const outcomes = produceOutcomes(err, records, partitionsOf(messages));
      if (outcomes !== undefined) {
        const refusals: Refusal[] = [];
        for (const outcome of outcomes) {
          if (outcome.refused === undefined) continue;
          refusals.push(...(await isolateRefused(outcome.records, outcome.refused, (part) => this.#probe(outcome, part))));
        }
        throw refusalOf(records, refusals) ?? fromPlatformaticError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
      }
      this.#logger.warn({ err, transactionalId: this.transactionalId }, 'transaction failed; producer re-initialised');
      throw fromPlatformaticError(err, ErrorCodes.TRANSACTION_ABORTED, { transactionalId: this.transactionalId });
    }
  }

  /**
   * After a failed transaction: fenced, this producer is done (throws
   * SLUICE_ERR_PRODUCER_FENCED). Otherwise what is open is aborted and the
   * producer dropped: the outcome may be unknown (a timed-out commit), so the
   * next transaction starts with a fresh producer id.
   */
  async #failed(producer: Client, txn: Transaction | undefined, err: unknown): Promise<void> {
    this.#producer = undefined;
    if (hasProtocolError(err, ...FENCED)) {
      this.#fenced = true;
      await producer.close().catch(() => undefined);
      throw producerFenced(this.transactionalId, err);
    }
    if (txn !== undefined && !txn.completed) await txn.abort().catch(() => undefined);
    await producer.close().catch(() => undefined);
  }

  /** Sends records of one refused partition, pinned to it, in a transaction it aborts; their refusal, if it refused them again. */
  async #probe(outcome: PartitionOutcome, records: OutgoingRecord[]): Promise<SluiceError | undefined> {
    if (this.#producer === undefined) await this.connect();
    const producer = this.#producer!;
    let txn: Transaction | undefined;
    try {
      txn = await producer.beginTransaction();
      await txn.send({ messages: messagesTo(records, outcome.partition), compression: this.#compression });
      await txn.abort();
      return undefined;
    } catch (err) {
      await this.#failed(producer, txn, err);
      return partitionRefusal(err, outcome, records, ErrorCodes.TRANSACTION_ABORTED);
    }
  }

  async close(): Promise<void> {
    await this.#queue.idle();
    await this.#producer?.close().catch(() => undefined);
    this.#producer = undefined;
  }
}

export async function createPlatformaticTransactionalProducer(
  client: PlatformaticClientOptions,
  transactionalId: string,
  options: ProducerOptions,
  coordinator: GroupCoordinator,
  logger: Logger,
): Promise<TransactionalProducer> {
  const producer = new PlatformaticTransactionalProducer(client, transactionalId, options, coordinator, logger);
  await producer.connect();
  return producer;
}
