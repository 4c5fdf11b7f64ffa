/**
 * Groups records into batches by count, bytes and linger time, like Kafka's
 * own producer: a request has a fixed cost, so many records share one. Each
 * caller's promise settles when the batch holding its last record settles.
 * Batches are dispatched one after another, never side by side: concurrent
 * sends may reach a partition out of order (and kafkajs' idempotent producer
 * numbers them per call), so order wins over overlap. A dispatch reports the
 * records the broker refused on their own; each caller whose records are
 * among them is rejected with those (and only those) records.
 */
import { refusalOf, type Refusal } from './refused.ts';
import type { OutgoingRecord } from './types.ts';

export interface BatcherOptions {
  batchCount: number;
  batchBytes: number;
  lingerMs: number;
}

interface Batch {
  records: OutgoingRecord[];
  bytes: number;
  /** Its request has begun: nothing may join it any more. */
  started: boolean;
  done: Promise<readonly Refusal[]>;
  resolve: (refused: readonly Refusal[]) => void;
  reject: (err: unknown) => void;
}

/** Bytes a record puts on the wire, roughly: enough to bound a batch. */
export function recordBytes(record: OutgoingRecord): number {
  let n = sizeOf(record.key) + sizeOf(record.value) + 16;
  if (record.headers !== undefined) {
    for (const name in record.headers) n += name.length + sizeOf(record.headers[name] ?? null);
  }
  return n;
}

function sizeOf(data: Buffer | string | null): number {
  if (data === null) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

export type Dispatch = (records: OutgoingRecord[]) => Promise<readonly Refusal[]>;

export class Batcher {
  readonly #dispatch: Dispatch;
  readonly #options: BatcherOptions;
  #current: Batch | undefined;
  /** The last batch handed to the dispatch chain. */
  #waiting: Batch | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Settles when the last dispatched batch has; the next one waits for it. */
  #tail: Promise<void> = Promise.resolve();
  /** The first failure since the last flush, which flush reports. */
  #failure: unknown;

  constructor(dispatch: Dispatch, options: BatcherOptions) {
    this.#dispatch = dispatch;
    this.#options = options;
  }

  add(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const waits: Promise<readonly Refusal[]>[] = [];
    for (const record of records) {
      const batch = (this.#current ??= this.#open());
      batch.records.push(record);
      batch.bytes += recordBytes(record);
      if (batch.records.length >= this.#options.batchCount || batch.bytes >= this.#options.batchBytes) {
        waits.push(batch.done);
        this.#send();
      }
    }
    if (this.#current !== undefined) {
      waits.push(this.#current.done);
      this.#timer ??= setTimeout(() => this.#send(), this.#options.lingerMs);
    }
    const settled = waits.length === 1 ? waits[0]! : Promise.all(waits).then((each) => each.flat());
    return settled.then((refusals) => {
      const refused = refusalOf(records, refusals);
      if (refused !== undefined) throw refused;
    });
  }

  /** Sends the open batch now; resolves when every batch sent so far is acknowledged, else rejects with the first failure. */
  async flush(): Promise<void> {
    this.#send();
    await this.#tail;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined) throw failure;
  }

  #open(): Batch {
    let resolve!: (refused: readonly Refusal[]) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<readonly Refusal[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { records: [], bytes: 0, started: false, done, resolve, reject };
  }

  #send(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#current;
    if (batch === undefined) return;
    this.#current = undefined;
    // A small remainder joins the batch still waiting for its turn rather
    // than costing a request of its own.
    const waiting = this.#waiting;
    if (
      waiting !== undefined &&
      !waiting.started &&
      batch.records.length * 2 <= this.#options.batchCount &&
      waiting.bytes + batch.bytes <= this.#options.batchBytes
    ) {
      for (const record of batch.records) waiting.records.push(record);
      waiting.bytes += batch.bytes;
      waiting.done.then(batch.resolve, batch.reject);
      return;
    }
    this.#waiting = batch;
    const sent = this.#tail.then(() => {
      batch.started = true;
      return this.#dispatch(batch.records);
    });
    sent.then(batch.resolve, batch.reject);
    // A failed batch fails its own callers; the batches after it still go.
    this.#tail = sent.then(
      () => undefined,
      (err: unknown) => {
        this.#failure ??= err;
      },
    );
  }
}
