/**
 * What every driver's TransactionalProducer shares: one transaction at a time
 * (each `transact` waits for the one before it, failed or not: a promise
 * chain is the lock kafkajs and @platformatic/kafka lack), and the error a
 * fenced producer gives (see `TransactionalProducer` in types.ts).
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';

export class TransactionQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(transaction: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(transaction);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Settles once every transaction queued so far has. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}

export function producerFenced(transactionalId: string, cause?: unknown): SluiceError {
  return new SluiceError(ErrorCodes.PRODUCER_FENCED, `transactional id ${transactionalId} is owned by a newer producer`, {
    ...(cause !== undefined ? { cause } : {}),
    context: { transactionalId },
  });
}
