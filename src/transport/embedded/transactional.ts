/**
 * Transactions in process: records and offsets of one `transact` call are
 * applied together in one synchronous step, so no reader ever sees half of
 * one, and leave a marker in each partition written, as Kafka's do. Transactional ids carry an epoch as Kafka's do: opening a producer with
 * an id fences the one opened before it.
 */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { OutgoingRecord, TransactionalProducer, TransactionOffsets } from '../types.ts';
import type { EmbeddedBroker } from './broker.ts';
import { EmbeddedProducer } from './producer.ts';

const epochs = new WeakMap<EmbeddedBroker, Map<string, number>>();

class EmbeddedTransactionalProducer implements TransactionalProducer {
  readonly #broker: EmbeddedBroker;
  readonly #producer: EmbeddedProducer;
  readonly #epoch: number;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(
    broker: EmbeddedBroker,
    readonly transactionalId: string,
  ) {
    this.#broker = broker;
    this.#producer = new EmbeddedProducer(broker);
    let ids = epochs.get(broker);
    if (ids === undefined) epochs.set(broker, (ids = new Map()));
    this.#epoch = (ids.get(transactionalId) ?? 0) + 1;
    ids.set(transactionalId, this.#epoch);
  }

  transact(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void> {
    const run = this.#lock.then(async () => {
      if (epochs.get(this.#broker)?.get(this.transactionalId) !== this.#epoch) {
        throw new SluiceError(ErrorCodes.PRODUCER_FENCED, `transactional id ${this.transactionalId} is owned by a newer producer`, {
          context: { transactionalId: this.transactionalId },
        });
      }
      this.#producer.writeTransaction(records);
      for (const o of offsets) this.#broker.group(o.groupId).commit(o.topic, o.partition, o.offset);
    });
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#lock;
    await this.#producer.close();
  }
}

export function createEmbeddedTransactionalProducer(broker: EmbeddedBroker, transactionalId: string): TransactionalProducer {
  return new EmbeddedTransactionalProducer(broker, transactionalId);
}
