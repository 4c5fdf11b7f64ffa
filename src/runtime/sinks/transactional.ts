/**
 * The sink of an exactly-once stage (`guarantee: exactly-once`, topics in and
 * out). Outputs are grouped by the *input* partition they came from, and each
 * input partition has its own transactional producer,
 * `<topology>.<node>.<topic>.<partition>`: a newer owner of the partition
 * fences an older one, which is the zombie protection kafkajs cannot give
 * through group generations (KIP-447).
 *
 * A partition's batch is written in one transaction together with the
 * consumed offset up to which every input is finished, dead letters included,
 * so outputs and progress commit or abort together. A batch is cut only at an
 * input record's boundary: outputs of a record that fanned out never straddle
 * two transactions. A partition whose consumer has moved past transaction
 * markers with nothing left to write commits that position in a transaction
 * of offsets alone. A record the broker refuses on its own (too large) aborts
 * its transaction; it is committed again with the record's dead letter in
 * its place (cut down if the dead-letter topic refuses that too), so one
 * record never blocks its partition. A failed transaction fails the stage; its instance is
 * restarted from the last committed offsets.
 */
import { Writable } from 'node:stream';
import { ErrorCodes, isSluiceError, type Logger, type SluiceError } from '../../core/index.ts';
import { refusedRecords, type OutgoingRecord, type ProducerOptions, type TransactionalProducer, type TransactionOffsets, type Transport } from '../../transport/index.ts';
import { smallerDeadLetter } from '../dead-letter.ts';
import type { Envelope } from '../envelope.ts';
import type { Completion, OffsetTracker } from '../offsets.ts';

interface Entry {
  record: OutgoingRecord;
  token: Completion | undefined;
  env: Envelope;
  /** The record is a dead letter already: refused again, it is cut down, not dead-lettered. */
  deadLetter: boolean;
}

class PartitionBatch {
  entries: Entry[] = [];
  timer: NodeJS.Timeout | undefined;
  producer: Promise<TransactionalProducer> | undefined;
  /** The transaction in progress, so batches of one partition commit in order. */
  flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

export interface TransactionalSinkOptions {
  transport: Transport;
  tracker: OffsetTracker;
  groupId: string;
  /** `<topology>.<node>`: transactional ids are `<prefix>.<topic>.<partition>`. */
  idPrefix: string;
  logger: Logger;
  producer?: ProducerOptions;
  /** Commit a partition's transaction once it holds this many records. Default 1,000. */
  batchRecords?: number;
  /** ... or once its first record has waited this long. Default 100 ms. */
  lingerMs?: number;
  /** The dead letter of an output the broker refused (the stage's dead-letter writer builds it). */
  deadLetterOf: (error: SluiceError, env: Envelope) => OutgoingRecord;
}

function toOutgoing(env: Envelope): OutgoingRecord {
  const r = env.record;
  return { topic: r.topic!, key: r.key, value: r.value as Buffer | null, headers: r.headers, timestamp: r.timestamp };
}

export class TransactionalSink extends Writable {
  readonly #options: TransactionalSinkOptions;
  readonly #batches = new Map<string, PartitionBatch>();
  readonly #batchRecords: number;
  readonly #lingerMs: number;
  #failure: Error | undefined;
  acknowledged = 0;
  transactions = 0;

  constructor(options: TransactionalSinkOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#options = options;
    this.#batchRecords = options.batchRecords ?? 1_000;
    this.#lingerMs = options.lingerMs ?? 100;
  }

  #batch(topic: string, partition: number): PartitionBatch {
    const id = `${topic}\u0000${partition}`;
    let batch = this.#batches.get(id);
    if (batch === undefined) this.#batches.set(id, (batch = new PartitionBatch(topic, partition)));
    return batch;
  }

  /**
   * Undefined for a record of a partition being given up: were its outputs
   * committed now (with no offset, which has gone to the next owner), that
   * owner would write them again.
   */
  #add(env: Envelope, record: OutgoingRecord, deadLetter: boolean): PartitionBatch | undefined {
    if (env.token?.revoked === true) return undefined;
    const batch = this.#batch(env.origin.topic!, env.origin.partition!);
    batch.entries.push({ record, token: env.token, env, deadLetter });
    batch.timer ??= setTimeout(() => void this.#flush(batch).catch((err: Error) => this.destroy(err)), this.#lingerMs);
    return batch;
  }

  /** The error channel of an exactly-once stage: the dead letter joins its partition's next transaction. */
  readonly deadLetter = async (record: OutgoingRecord, env: Envelope): Promise<void> => {
    this.#add(env, record, true);
  };

  override _write(env: Envelope, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#failure !== undefined) return callback(this.#failure);
    const batch = this.#add(env, toOutgoing(env), false);
    if (batch === undefined || batch.entries.length < this.#batchRecords) return callback();
    // A full batch: take no more until it is committed (backpressure).
    this.#flush(batch).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flushAll().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    for (const batch of this.#batches.values()) if (batch.timer !== undefined) clearTimeout(batch.timer);
    callback(err);
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.#batches.values()].map((b) => this.#flush(b)));
  }

  /** Before partitions are given up: commit what is finished, then close their producers. */
  release(partitions: ReadonlyArray<{ topic: string; partitions: number[] }>): Promise<void> {
    return this.#letGo(partitions, true);
  }

  /**
   * Partitions lost while this member was out of its group: their next owner
   * may have committed past them, and kafkajs' transactional offset commits
   * carry no group generation to refuse a stale one, so nothing of them is
   * committed; their producers are closed (an open transaction aborts).
   */
  abandon(partitions: ReadonlyArray<{ topic: string; partitions: number[] }>): void {
    void this.#letGo(partitions, false);
  }

  async #letGo(partitions: ReadonlyArray<{ topic: string; partitions: number[] }>, commit: boolean): Promise<void> {
    // First, so that records still on their way through the stage stay out of every later transaction.
    for (const { topic, partitions: ps } of partitions) for (const p of ps) this.#options.tracker.revoke(topic, p);
    const gone = partitions.flatMap(({ topic, partitions: ps }) => ps.map((p) => this.#batches.get(`${topic}\u0000${p}`)));
    for (const batch of gone) if (batch !== undefined) this.#batches.delete(`${batch.topic}\u0000${batch.partition}`);
    await Promise.all(
      gone.map(async (batch) => {
        if (batch === undefined) return;
        if (commit) await this.#flush(batch).catch((err: unknown) => this.#options.logger.warn({ err, topic: batch.topic, partition: batch.partition }, 'commit before revoke failed'));
        else if (batch.timer !== undefined) clearTimeout(batch.timer);
        if (batch.producer !== undefined) await (await batch.producer).close().catch((err: unknown) => this.#options.logger.warn({ err, topic: batch.topic, partition: batch.partition }, 'closing the producer of a lost partition failed'));
      }),
    );
  }

  /**
   * When partitions arrive: their producers are made now, which fences the
   * previous owner's (a newer epoch for the same transactional id) and waits
   * until its last transaction has committed or aborted.
   */
  async claim(partitions: ReadonlyArray<{ topic: string; partitions: number[] }>): Promise<void> {
    const batches = partitions.flatMap(({ topic, partitions: ps }) => ps.map((p) => this.#batch(topic, p)));
    await Promise.all(batches.map((batch) => this.#producerOf(batch)));
  }

  #producerOf(batch: PartitionBatch): Promise<TransactionalProducer> {
    const { transport, idPrefix, producer } = this.#options;
    batch.producer ??= transport.transactionalProducer(`${idPrefix}.${batch.topic}.${batch.partition}`, producer);
    return batch.producer;
  }

  async closeProducers(): Promise<void> {
    const producers = [...this.#batches.values()].flatMap((b) => (b.producer !== undefined ? [b.producer] : []));
    await Promise.all(producers.map(async (p) => (await p).close().catch(() => undefined)));
  }

  #flush(batch: PartitionBatch): Promise<void> {
    batch.flushing = batch.flushing.then(() => this.#commit(batch));
    return batch.flushing;
  }

  async #commit(batch: PartitionBatch): Promise<void> {
    if (batch.timer !== undefined) {
      clearTimeout(batch.timer);
      batch.timer = undefined;
    }
    if (this.#failure !== undefined) throw this.#failure;
    const cut = completeUpTo(batch.entries);
    if (cut === 0 && batch.entries.length > 0) {
      batch.timer = setTimeout(() => void this.#flush(batch).catch((err: Error) => this.destroy(err)), this.#lingerMs);
      return;
    }
    const entries = batch.entries.splice(0, cut);
    for (const e of entries) e.token?.done();
    const mark = this.#options.tracker.watermark(batch.topic, batch.partition);
    const next = mark.committable();
    // With no record, a transaction of offsets alone moves the group past markers the consumer skipped.
    if (entries.length === 0 && next === undefined) return;
    const offsets = next === undefined ? [] : [{ groupId: this.#options.groupId, topic: batch.topic, partition: batch.partition, offset: next.toString() }];
    try {
      await this.#transact(batch, entries, offsets);
    } catch (err) {
      // A partition being given up may be fenced by its next owner first: nothing is lost (that owner
      // re-reads from the committed offset) and the stage goes on with its other partitions.
      if (!(mark.revoked && isSluiceError(err) && err.code === ErrorCodes.PRODUCER_FENCED)) this.#failure = err as Error;
      throw err;
    }
    if (next !== undefined) mark.markCommitted(next);
    this.acknowledged += entries.length;
    this.transactions++;
    if (batch.entries.length > 0) batch.timer ??= setTimeout(() => void this.#flush(batch).catch((err: Error) => this.destroy(err)), this.#lingerMs);
  }

  /** One transaction of `entries`; refused records are replaced (dead-lettered, or cut down) and the transaction made again. */
  async #transact(batch: PartitionBatch, entries: Entry[], offsets: TransactionOffsets[]): Promise<void> {
    for (;;) {
      try {
        await (await this.#producerOf(batch)).transact(entries.map((e) => e.record), offsets);
        return;
      } catch (err) {
        const refused = refusedRecords(err);
        if (refused === undefined) throw err;
        for (const { index, error } of refused) {
          const entry = entries[index]!;
          const replacement = entry.deadLetter ? smallerDeadLetter(entry.record) : this.#options.deadLetterOf(error, entry.env);
          if (replacement === undefined) throw err;
          this.#options.logger.warn({ err: error, topic: batch.topic, partition: batch.partition, deadLetter: entry.deadLetter }, entry.deadLetter ? 'dead letter refused by its topic; cut down to fit' : 'record refused by its topic; dead-lettered');
          entries[index] = { ...entry, record: replacement, deadLetter: true };
        }
      }
    }
  }
}

/**
 * How many leading entries can be committed now: up to (not including) the
 * first entry whose input still has outputs outside this batch. Inputs of one
 * partition arrive in offset order, so everything after that entry comes from
 * later offsets and must wait with it.
 */
export function completeUpTo(entries: readonly { token: Completion | undefined }[]): number {
  const counts = new Map<Completion, number>();
  for (const e of entries) if (e.token !== undefined) counts.set(e.token, (counts.get(e.token) ?? 0) + 1);
  for (let i = 0; i < entries.length; i++) {
    const token = entries[i]!.token;
    if (token !== undefined && counts.get(token)! < token.remaining) return i;
  }
  return entries.length;
}
