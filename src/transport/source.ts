/**
 * The consumer's stream face. Backpressure contract: the stream holds at most
 * `maxBuffered` records (its own queue plus what sits in the Readable's
 * buffer). A consumer offers records; what does not fit is refused, and the
 * consumer must stop fetching (Kafka: pause + seek back) until `drained()` is
 * called, which happens once the buffer falls to half of the bound, so a slow
 * reader costs a bounded amount of memory whatever waits in the topic.
 *
 * Order: records of one partition leave in offset order. Across partitions
 * the stream hands out, among the records it holds, the one with the
 * smallest timestamp first, as a Kafka Streams task chooses between its
 * partitions: event-time windows downstream then see the stream close to time
 * order even when a consumer fetched one partition far ahead of another.
 * With `sync`, a task (one partition number across co-partitioned topics)
 * also waits for a partner partition with nothing held yet, as a Kafka
 * Streams task does (task-sync.ts); the other tasks' records go on meanwhile.
 * Should every record held belong to waiting tasks while the stream is full,
 * the earliest goes anyway: the consumer fetches nothing more until the
 * stream drains, so waiting could not end.
 */
import { Readable } from 'node:stream';
import { EarliestQueues } from './earliest-queues.ts';
import { TaskSync, type SyncOptions } from './task-sync.ts';
import type { ConsumedRecord, Consumer, RecordSink, TopicPartitions } from './types.ts';

export interface SourceStreamOptions {
  /** Most records held at once. Default 10,000. */
  maxBuffered?: number;
  /** Read these co-partitioned topics in timestamp order per task; only for two topics or more. */
  sync?: SyncOptions;
}

export class SourceStream extends Readable implements RecordSink {
  readonly maxBuffered: number;
  readonly #consumer: Consumer;
  /** Records not yet pushed. */
  readonly #queues = new EarliestQueues();
  readonly #sync: TaskSync | undefined;
  /** Full with only waiting tasks' records: they go without waiting until the stream drains. */
  #forced = false;
  #count = 0;
  #pumpScheduled = false;
  #wanting = false;
  #refused = false;
  #ended = false;

  constructor(consumer: Consumer, options: SourceStreamOptions = {}) {
    // Records wait in #queue, where a rebalance or a seek can still take
    // them back (discard). The Readable's own buffer holds at most the one
    // record pushed for a read that did not take it (read(0), a paused pipe).
    super({ objectMode: true, highWaterMark: 0 });
    this.maxBuffered = Math.max(1, options.maxBuffered ?? 10_000);
    this.#consumer = consumer;
    const sync = options.sync;
    if (sync !== undefined && sync.topics.length > 1) this.#sync = new TaskSync(consumer, this.#queues, sync, () => this.#schedulePump());
  }

  /** Records held now, never more than `maxBuffered`. */
  get buffered(): number {
    return this.#count + this.readableLength;
  }

  offer(records: readonly ConsumedRecord[]): number {
    if (this.destroyed || this.#ended) return 0;
    const room = this.maxBuffered - this.buffered;
    const taken = Math.min(room, records.length);
    for (let i = 0; i < taken; i++) this.#queues.push(records[i]!);
    const sync = this.#sync;
    if (sync !== undefined) {
      // Records come partition by partition: one call per run of a partition.
      for (let i = 0; i < taken; i++) {
        const r = records[i]!;
        if (i === 0 || r.partition !== records[i - 1]!.partition || r.topic !== records[i - 1]!.topic) sync.received(r.topic, r.partition);
      }
    }
    this.#count += taken;
    if (taken < records.length) this.#refused = true;
    this.#schedulePump();
    return taken;
  }

  discard(partitions: readonly TopicPartitions[]): void {
    if (partitions.length === 0) return;
    for (const { topic, partitions: ps } of partitions) {
      for (const p of ps) {
        this.#count -= this.#queues.drop(topic, p);
        this.#sync?.forget(topic, p);
      }
    }
    // A task may have waited for one of them, now gone.
    this.#sync?.wake();
    this.#maybeDrained();
  }

  /** Tasks stop waiting for partners caught up with the broker, until those receive records (TaskSync.release). */
  releaseCaughtUp(): void {
    this.#sync?.release();
  }

  takeBack(topic: string, partition: number): string | undefined {
    const first = this.#queues.first(topic, partition)?.offset;
    if (first !== undefined) this.discard([{ topic, partitions: [partition] }]);
    return first;
  }

  end(): void {
    this.#ended = true;
    // Nothing more comes for a waiting task to wait for.
    this.#sync?.close();
    this.#schedulePump();
  }

  /**
   * Pumps on the next turn, not inside offer(): a consumer offers several
   * partitions' records in one go, and the choice by timestamp must see all of them.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#wanting) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  fail(err: Error): void {
    this.destroy(err);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#sync?.close();
    callback(err);
  }

  override _read(): void {
    this.#wanting = true;
    this.#pump();
    this.#maybeDrained();
  }

  #pump(): void {
    const sync = this.#sync;
    if (sync === undefined) {
      while (this.#wanting && this.#count > 0) {
        this.#count--;
        this.#wanting = this.push(this.#queues.shift());
      }
    } else {
      this.#pumpSynced(sync);
    }
    if (this.#count === 0 && this.#ended && this.#wanting) {
      this.#wanting = false;
      this.push(null);
    }
  }

  #pumpSynced(sync: TaskSync): void {
    while (this.#wanting && this.#count > 0) {
      const next = this.#queues.peek();
      if (next === undefined) {
        if (!this.#refused || this.#forced) return;
        this.#forced = true;
        sync.wake();
        continue;
      }
      if (!this.#forced && !this.#ended && !sync.admit(next)) continue;
      this.#count--;
      this.#wanting = this.push(this.#queues.shift());
    }
  }

  /** Never called from offer(): the consumer marks itself paused only after offer returns. */
  #maybeDrained(): void {
    if (this.#refused && this.buffered * 2 <= this.maxBuffered) {
      this.#refused = false;
      this.#forced = false;
      this.#consumer.drained();
    }
  }
}

/**
 * Attaches a consumer to a new bounded stream and joins its group. Destroying
 * the stream does not leave the group: call `consumer.disconnect()` after the
 * last commit.
 */
export async function createSourceStream(consumer: Consumer, options: SourceStreamOptions = {}): Promise<SourceStream> {
  const stream = new SourceStream(consumer, options);
  await consumer.attach(stream);
  return stream;
}
