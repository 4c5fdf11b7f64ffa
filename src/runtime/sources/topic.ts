/**
 * A stage's topic source: a consumer group member whose records become
 * envelopes of the task that owns their partition (task-manager.ts), with
 * offset tokens. The task manager commits every `commitIntervalMs`, before
 * partitions are given up in a rebalance, and on close, so a crash
 * re-processes at most what was in flight (at-least-once) and a clean stop
 * re-processes nothing. Once all it read of a partition is settled the
 * watermark is the consumer's position, past transaction markers
 * (offsets.ts), so commits and "caught up" reach the end of topics that
 * exactly-once stages write.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/index.ts';
import {
  createSourceStream,
  type SourceStream,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type PartitionOffset,
  type TopicPartitions,
  type Transport,
} from '../../transport/index.ts';
import type { Envelope } from '../envelope.ts';
import type { TaskManager } from '../task/task-manager.ts';

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
  /** With several topics (co-partitioned, a task per partition number): how long a task waits for a caught-up partner partition (source.ts). Default 0. */
  maxTaskIdleMs?: number;
  /** Owns the tasks of the assigned partitions: their positions, stores and commits. */
  tasks: TaskManager;
}

/**
 * How long a rebalance may wait for records already in the stage to finish,
 * so that their offsets are committed before their partitions move. Well
 * under a consumer's rebalance timeout (kafkajs: 60 s), past which the group
 * moves on without this member.
 */
const REJOIN_DRAIN_MS = 10_000;

export class TopicSource {
  readonly tasks: TaskManager;
  readonly #options: TopicSourceOptions;
  readonly #logger: Logger;
  #consumer!: Consumer;
  #streams!: [SourceStream, Transform];
  #timer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  /** End offsets to reach before stopping (set by `finishWhenCaughtUp`). */
  #targets: Array<{ topic: string; partition: number; end: bigint }> | undefined;
  #stopping: Promise<void> | undefined;
  private constructor(options: TopicSourceOptions) {
    this.tasks = options.tasks;
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
    options.tasks.attach(source.#consumer);
    const raw = await createSourceStream(source.#consumer, {
      maxBuffered: options.maxBuffered ?? 10_000,
      sync: { topics: options.topics, maxIdleMs: options.maxTaskIdleMs ?? 0 },
    });
    const toEnvelopes = new Transform({
      objectMode: true,
      highWaterMark: 256,
      transform: (record: ConsumedRecord, _enc: BufferEncoding, cb: TransformCallback) => {
        const env = source.#envelope(record);
        return env === undefined ? cb() : cb(null, env);
      },
    });
    source.#streams = [raw, toEnvelopes];
    source.#timer = setInterval(() => source.#tick(), options.commitIntervalMs ?? 1_000);
    source.#timer.unref();
    return source;
  }

  /** Every commit interval: commit, and see whether a position that moved past markers has caught up. */
  #tick(): void {
    void this.commit();
    this.#checkCaughtUp();
  }

  /** The consumer's bounded stream and the step that wraps its records: the first two streams of a stage's pipeline. */
  get streams(): [SourceStream, Transform] {
    return this.#streams;
  }

  get consumer(): Consumer {
    return this.#consumer;
  }

  /**
   * Undefined for a record to skip: one read before its partition was
   * revoked that reaches the stage only now (tracking it would start a
   * watermark whose commits skip what the next owner has not read), or one
   * below its task's floor (already in its stores, or committed).
   */
  #envelope(r: ConsumedRecord): Envelope<Buffer | null> | undefined {
    const task = this.tasks.task(r.partition);
    const token = task === undefined ? undefined : this.tasks.track(task, r);
    if (token === undefined) return undefined;
    if (this.#targets !== undefined) queueMicrotask(() => this.#checkCaughtUp());
    // The consumed record is the stage's own (types.ts): its steps change it in place; origin keeps the bytes as read.
    return {
      record: r,
      token,
      task,
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

  commit(): Promise<void> {
    return this.tasks.commit();
  }

  async #onAssign(partitions: TopicPartitions[]): Promise<void> {
    await this.tasks.assign(partitions);
    this.#logger.info({ assigned: partitions }, 'partitions assigned');
  }

  /**
   * The group is rebalancing: commit what is finished at once; when the group
   * waits for this member, also let what the stage has taken finish and
   * commit that too (the consumer takes back what the stage has not taken).
   */
  async #beforeRejoin(waited: boolean): Promise<void> {
    await this.commit();
    if (!waited) return;
    const deadline = Date.now() + REJOIN_DRAIN_MS;
    while (!this.#finishedWhatItTook() && Date.now() < deadline) await sleep(20);
    await this.commit();
  }

  /** Nothing handed to the stage is still worked on (records whose effect waits in a store for the next commit count as finished). */
  #finishedWhatItTook(): boolean {
    // A rebalance while the source stream is still joining its group: nothing was handed to the stage yet.
    const streams = this.#streams as [SourceStream, Transform] | undefined;
    if (streams === undefined) return this.tasks.working === 0;
    const [raw, toEnvelopes] = streams;
    return this.tasks.working === 0 && raw.readableLength === 0 && toEnvelopes.writableLength === 0;
  }

  async #onRevoke(partitions: TopicPartitions[]): Promise<void> {
    await this.tasks.revoke(partitions);
    this.#logger.info({ revoked: partitions }, 'partitions revoked');
  }

  /**
   * Others may have committed past these partitions while this member was out
   * of its group: committing anything of them now could move their offsets
   * back, so their tasks are dropped at once, before any later commit runs.
   */
  #onLost(partitions: TopicPartitions[]): void {
    this.tasks.lost(partitions);
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
    const handed = this.tasks.handed(topic, partition);
    const next = this.#consumer.position(topic, partition)?.next;
    return next !== undefined && BigInt(next) > handed ? BigInt(next) : handed;
  }

  /**
   * True when the stage has finished everything in its input topics now: every partition it owns read
   * to its end, nothing waiting in the source's buffers, nothing handed out still being worked on
   * (records whose effect waits in a store for the next commit count as finished). A test
   * driver commits a stage only then, so its table updates do not depend on how records were spread
   * over commits.
   */
  async idle(): Promise<boolean> {
    if (!this.#finishedWhatItTook() || this.#streams[0].buffered > 0) return false;
    for (const topic of this.#options.topics) {
      for (const { partition, offset } of await this.#consumer.endOffsets(topic)) {
        if (this.tasks.task(partition) !== undefined && this.#readUpTo(topic, partition) < BigInt(offset ?? '0')) return false;
      }
    }
    return this.tasks.working === 0;
  }

  /** The stages writing its inputs have written everything for now: tasks stop waiting for more (see SourceStream). */
  inputsWritten(): void {
    this.#streams[0].releaseCaughtUp();
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
    await this.tasks.close();
    await this.#consumer.disconnect();
  }

  /**
   * After a crash: leave without committing anything more; the next owner re-reads what was in flight.
   * The group is left at once (a process killed outright cannot), so the next owner need not wait out
   * the session timeout.
   */
  async abandon(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.tasks.abandon();
    await this.#consumer.abandon();
  }
}
