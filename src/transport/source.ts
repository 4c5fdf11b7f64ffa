/**
 * The consumer's stream face. Backpressure contract: the stream holds at most
 * `maxBuffered` records (its own queue plus what sits in the Readable's
 * buffer). A consumer offers records; what does not fit is refused, and the
 * consumer must stop fetching (Kafka: pause + seek back) until `drained()` is
 * called, which happens once the buffer falls to half of the bound, so a slow
 * reader costs a bounded amount of memory whatever waits in the topic.
 */
import { Readable } from 'node:stream';
import { partitionKey } from './assignment.ts';
import type { ConsumedRecord, Consumer, RecordSink, TopicPartitions } from './types.ts';

export interface SourceStreamOptions {
  /** Most records held at once. Default 10,000. */
  maxBuffered?: number;
}

export class SourceStream extends Readable implements RecordSink {
  readonly maxBuffered: number;
  readonly #consumer: Consumer;
  /** Records not yet pushed, from #head on; slots before it are cleared as they go. */
  #queue: (ConsumedRecord | undefined)[] = [];
  #head = 0;
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
  }

  /** Records held now, never more than `maxBuffered`. */
  get buffered(): number {
    return this.#queue.length - this.#head + this.readableLength;
  }

  offer(records: readonly ConsumedRecord[]): number {
    if (this.destroyed || this.#ended) return 0;
    const room = this.maxBuffered - this.buffered;
    const taken = Math.min(room, records.length);
    for (let i = 0; i < taken; i++) this.#queue.push(records[i]!);
    if (taken < records.length) this.#refused = true;
    if (this.#wanting) this.#pump();
    return taken;
  }

  discard(partitions: readonly TopicPartitions[]): void {
    if (partitions.length === 0) return;
    const gone = new Set<string>();
    for (const { topic, partitions: ps } of partitions) for (const p of ps) gone.add(partitionKey(topic, p));
    this.#queue = this.#queue.slice(this.#head).filter((r) => r !== undefined && !gone.has(partitionKey(r.topic, r.partition)));
    this.#head = 0;
    this.#maybeDrained();
  }

  end(): void {
    this.#ended = true;
    if (this.#wanting) this.#pump();
  }

  fail(err: Error): void {
    this.destroy(err);
  }

  override _read(): void {
    this.#wanting = true;
    this.#pump();
    this.#maybeDrained();
  }

  #pump(): void {
    while (this.#wanting && this.#head < this.#queue.length) {
      const record = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      this.#wanting = this.push(record);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      if (this.#ended && this.#wanting) {
        this.#wanting = false;
        this.push(null);
        return;
      }
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Never called from offer(): the consumer marks itself paused only after offer returns. */
  #maybeDrained(): void {
    if (this.#refused && this.buffered * 2 <= this.maxBuffered) {
      this.#refused = false;
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
