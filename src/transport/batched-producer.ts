/**
 * A `Producer` over a client's "send one batch and wait for its
 * acknowledgement" call: records are grouped by `Batcher`, acknowledged ones
 * counted, and `close` flushes before it disconnects. A driver supplies the
 * two client calls (src/transport/platformatic/producer.ts).
 */
import { Batcher, type BatcherOptions, type Dispatch } from './batcher.ts';
import type { OutgoingRecord, Producer } from './types.ts';

export class BatchedProducer implements Producer {
  readonly #batcher: Batcher;
  readonly #disconnect: () => Promise<void>;
  #acknowledged = 0;

  /** `dispatch` sends one batch and resolves the records the broker refused on their own: all others are acknowledged. */
  constructor(dispatch: Dispatch, disconnect: () => Promise<void>, options: BatcherOptions) {
    this.#disconnect = disconnect;
    this.#batcher = new Batcher(async (records) => {
      const refused = await dispatch(records);
      this.#acknowledged += records.length - refused.length;
      return refused;
    }, options);
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
      await this.#disconnect();
    }
  }
}
