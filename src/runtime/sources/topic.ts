/**
 * A stage's topic source: a consumer group member whose records become
 * envelopes carrying offset tokens. Commits are the watermark of settled
 * offsets, written every `commitIntervalMs`, before partitions are given up in
 * a rebalance, and on close, so a crash re-processes at most what was in
 * flight (at-least-once) and a clean stop re-processes nothing. Once all it
 * read of a partition is settled the watermark is the consumer's position,
 * past transaction markers (offsets.ts), so commits and "caught up" reach
 * the end of topics that exactly-once stages write.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/index.ts';
import {
  createSourceStream,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type PartitionOffset,
  type TopicPartitions,
  type Transport,
} from '../../transport/index.ts';
import type { Envelope } from '../envelope.ts';
import { OffsetTracker } from '../offsets.ts';
import { withRetry } from '../retry.ts';

export interface TopicSourceOptions {
  groupId: string;
  topics: string[];
  logger: Logger;
  fromBeginning?: boolean;
  readCommitted?: boolean;
  /** How often settled offsets are committed. Default 1,000 ms. */
  commitIntervalMs?: number;
  /** Records buffered between the consumer and the stage (bounds memory). Default 10,000. */
  maxBuffered?: number;
  sessionTimeoutMs?: number;
  /**
   * Offsets are committed by the stage's transactions (exactly-once), never
   * by this source; `beforeRevoke` lets the stage commit before partitions go.
   */
  transactional?: boolean;
  beforeRevoke?: (partitions: TopicPartitions[]) => Promise<void>;
  /** Partitions lost while this member was out of its group: the stage drops their work without committing it. */
  onLost?: (partitions: TopicPartitions[]) => void;
  /**
   * Exactly-once: runs when partitions arrive, before any of their records is
   * read, so the stage can fence their previous owner (whose last transaction
   * then either commits or aborts); the source then resumes each partition
   * from the offset committed by now, not the one the consumer fetched when
   * it joined, which that owner may still have been moving.
   */
  afterAssign?: (partitions: TopicPartitions[]) => Promise<void>;
  /** Shared with an exactly-once sink, which has to exist before the first assignment arrives. */
  tracker?: OffsetTracker;
  /** Exactly-once: commits the transactions of what the stage has finished (where others commit offsets). */
  flushTransactions?: () => Promise<void>;
}

/**
 * How long a rebalance may wait for records already in the stage to finish,
 * so that their offsets are committed before their partitions move.
 */
const REJOIN_DRAIN_MS = 1_000;

export class TopicSource {
  readonly tracker: OffsetTracker;
  readonly #options: TopicSourceOptions;
  readonly #logger: Logger;
  #consumer!: Consumer;
  #streams!: [Readable, Transform];
  #timer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  /** End offsets to reach before stopping (set by `finishWhenCaughtUp`). */
  #targets: Array<{ topic: string; partition: number; end: bigint }> | undefined;
  /** Next offset to read per partition: what has been handed to the stage. */
  readonly #positions = new Map<string, bigint>();
  /** Per partition (exactly-once): the committed offset it was resumed from; records below it are stale. */
  readonly #floors = new Map<string, bigint>();
  #stopping: Promise<void> | undefined;
  committed = 0;

  private constructor(options: TopicSourceOptions) {
    this.tracker = options.tracker ?? new OffsetTracker();
    this.#options = options;
    this.#logger = options.logger;
  }

  static async open(transport: Transport, options: TopicSourceOptions): Promise<TopicSource> {
    const source = new TopicSource(options);
    const consumerOptions: ConsumerOptions = {
      groupId: options.groupId,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      readCommitted: options.readCommitted ?? true,
      onAssign: (partitions) => source.#onAssign(partitions),
      onRevoke: (partitions) => source.#onRevoke(partitions),
      onLost: (partitions) => source.#onLost(partitions),
      beforeRejoin: (waited) => source.#beforeRejoin(waited),
      ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
    };
    source.#consumer = await transport.consumer(consumerOptions);
    source.tracker.readPositionsFrom((topic, partition) => source.#consumer.position(topic, partition));
    const raw = await createSourceStream(source.#consumer, { maxBuffered: options.maxBuffered ?? 10_000 });
    const toEnvelopes = new Transform({
      objectMode: true,
      highWaterMark: 256,
      transform: (record: ConsumedRecord, _enc: BufferEncoding, cb: TransformCallback) =>
        source.#current(record) ? cb(null, source.#envelope(record)) : cb(),
    });
    source.#streams = [raw, toEnvelopes];
    source.#timer = setInterval(() => source.#tick(), options.commitIntervalMs ?? 1_000);
    source.#timer.unref();
    return source;
  }

  /**
   * Every commit interval: commit (exactly-once: let the stage's transactions
   * commit positions that moved past markers with no record to carry them),
   * and see whether a position that moved so has caught up.
   */
  #tick(): void {
    if (this.#options.transactional) {
      this.#options.flushTransactions?.().catch((err: unknown) => this.#logger.warn({ err }, 'committing transactions failed; the next write fails the stage'));
    } else {
      void this.commit();
    }
    this.#checkCaughtUp();
  }

  /** The consumer's bounded stream and the step that wraps its records: the first two streams of a stage's pipeline. */
  get streams(): [Readable, Transform] {
    return this.#streams;
  }

  get consumer(): Consumer {
    return this.#consumer;
  }

  /**
   * False for a record read before its partition was revoked that reaches the
   * stage only now: tracking it would start a new watermark whose commits
   * skip what the partition's next owner has not read. (Its new owner, or
   * this instance once it has the partition back, reads it again.)
   */
  #current(r: ConsumedRecord): boolean {
    if (!this.#consumer.owns(r.topic, r.partition)) return false;
    const floor = this.#floors.get(`${r.topic}\u0000${r.partition}`);
    return floor === undefined || BigInt(r.offset) >= floor;
  }

  #envelope(r: ConsumedRecord): Envelope<Buffer | null> {
    const token = this.tracker.track(r.topic, r.partition, r.offset);
    this.#positions.set(`${r.topic}\u0000${r.partition}`, BigInt(r.offset) + 1n);
    if (this.#targets !== undefined) queueMicrotask(() => this.#checkCaughtUp());
    return {
      record: {
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
      },
      token,
      origin: {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        rawKey: r.key,
        rawValue: r.value,
        rawHeaders: r.headers,
        timestamp: r.timestamp,
      },
    };
  }

  /** Commits every partition's settled watermark; serialised so commits never go backwards. */
  commit(): Promise<void> {
    if (this.#options.transactional) return this.#committing;
    // Partitions in parallel: before a rebalance every round trip counts.
    this.#committing = this.#committing.then(() =>
      Promise.all(
        this.tracker.committable().map(async ({ topic, partition, offset }) => {
          try {
            const stored = await this.#consumer.commit(topic, partition, offset);
            if (stored) {
              this.tracker.markCommitted(topic, partition, offset);
              this.committed++;
            } else {
              // Not ours any more: the new owner re-reads from its committed offset.
              this.tracker.drop(topic, partition);
            }
          } catch (err) {
            this.#logger.warn({ err, topic, partition, offset }, 'commit failed; will retry at the next interval');
          }
        }),
      ).then(() => undefined),
    );
    return this.#committing;
  }

  async #onAssign(partitions: TopicPartitions[]): Promise<void> {
    // A watermark for each, so a partition whose consumer moves only past markers still commits.
    for (const { topic, partitions: ps } of partitions) for (const p of ps) this.tracker.watermark(topic, p);
    if (this.#options.afterAssign !== undefined) {
      await this.#options.afterAssign(partitions);
      await this.#resumeFromCommitted(partitions);
    }
    this.#logger.info({ assigned: partitions }, 'partitions assigned');
  }

  async #resumeFromCommitted(partitions: TopicPartitions[]): Promise<void> {
    for (const { topic, partitions: ps } of partitions) {
      // Unstable (a transaction moving it is still completing) is retriable: wait it out.
      for (const { partition, offset } of await withRetry(() => this.#consumer.committedOffsets(topic))) {
        if (offset === null || !ps.includes(partition)) continue;
        this.#floors.set(`${topic}\u0000${partition}`, BigInt(offset));
        this.#consumer.seek(topic, partition, offset);
        this.tracker.markCommitted(topic, partition, offset);
      }
    }
  }

  /**
   * The group is rebalancing: commit what is finished at once; when the group
   * waits for this member, also let what is in flight finish (briefly) and
   * commit that too.
   */
  async #beforeRejoin(waited: boolean): Promise<void> {
    const flush = () => (this.#options.transactional ? (this.#options.flushTransactions?.() ?? Promise.resolve()) : this.commit());
    await flush();
    if (!waited) return;
    const deadline = Date.now() + REJOIN_DRAIN_MS;
    while (this.tracker.inFlight > 0 && Date.now() < deadline) await sleep(20);
    await flush();
  }

  async #onRevoke(partitions: TopicPartitions[]): Promise<void> {
    await this.#options.beforeRevoke?.(partitions);
    await this.commit();
    this.#forget(partitions);
    this.#logger.info({ revoked: partitions }, 'partitions revoked');
  }

  /**
   * Others may have committed past these partitions while this member was out
   * of its group: committing anything of them now could move their offsets
   * back, so their work is dropped at once, before any later commit runs.
   */
  #onLost(partitions: TopicPartitions[]): void {
    this.#options.onLost?.(partitions);
    this.#forget(partitions);
  }

  #forget(partitions: TopicPartitions[]): void {
    for (const { topic, partitions: ps } of partitions) {
      for (const p of ps) {
        this.tracker.drop(topic, p);
        this.#positions.delete(`${topic}\u0000${p}`);
        this.#floors.delete(`${topic}\u0000${p}`);
      }
    }
  }

  /**
   * Stop once every partition has been read up to the end offsets that exist
   * now (`--until-caught-up`, and embedded runs once upstream stages are done).
   */
  async finishWhenCaughtUp(): Promise<void> {
    const targets: Array<{ topic: string; partition: number; end: bigint }> = [];
    for (const topic of this.#options.topics) {
      const [ends, committed] = await Promise.all([this.#consumer.endOffsets(topic), this.#consumer.committedOffsets(topic)]);
      const done = new Map(committed.map((c: PartitionOffset) => [c.partition, c.offset]));
      for (const { partition, offset } of ends) {
        const end = BigInt(offset ?? '0');
        const from = BigInt(done.get(partition) ?? '0');
        if (end > from) targets.push({ topic, partition, end });
      }
    }
    this.#targets = targets;
    this.#checkCaughtUp();
  }

  #checkCaughtUp(): void {
    if (this.#targets === undefined || this.#stopping !== undefined) return;
    for (const { topic, partition, end } of this.#targets) {
      if (this.#readUpTo(topic, partition) < end) return;
    }
    this.#logger.info('caught up with the end offsets; stopping');
    void this.stop();
  }

  /**
   * How far a partition is read: what the stage was handed, or the
   * consumer's position past markers after it (what the consumer holds
   * beyond the stage still drains through once the source stops).
   */
  #readUpTo(topic: string, partition: number): bigint {
    const handed = this.#positions.get(`${topic}\u0000${partition}`) ?? 0n;
    const next = this.#consumer.position(topic, partition)?.next;
    return next !== undefined && BigInt(next) > handed ? BigInt(next) : handed;
  }

  /** Stops fetching; the stream ends once what is buffered has been read. */
  stop(): Promise<void> {
    this.#stopping ??= this.#consumer.stop();
    return this.#stopping;
  }

  /** Final commit of everything settled, then leave the group. Call after the pipeline has drained. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.stop();
    await this.commit();
    await this.#consumer.disconnect();
  }

  /** After a crash: leave without committing anything more; the next owner re-reads what was in flight. */
  async abandon(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#consumer.disconnect();
  }
}
