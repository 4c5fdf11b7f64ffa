/**
 * Consumer on kafkajs, shaped around its traps:
 *
 * - `eachBatchAutoResolve: false`, `autoCommit: false`: an offset is resolved
 *   (fetch position moves on) only for records the source stream took, and
 *   nothing is committed but what the runtime commits.
 * - Backpressure: when the source refuses records the handler waits a
 *   moment for room (heartbeating); if none comes it seeks the partition
 *   back to the first refused record and pauses every subscribed topic
 *   (topic-wide pause also covers partitions assigned later); `drained()`
 *   resumes. kafkajs keeps heartbeating while paused (an empty fetch is
 *   followed by a heartbeat).
 * - Rebalance: kafkajs has no revoke callback. Its GROUP_JOIN event carries
 *   the new assignment; the difference from the previous one gives revoked
 *   and assigned partitions. Revoked ones are dropped from the stream and
 *   refused at commit (kafkajs would send those commits: issue 1046). Kept
 *   ones are sought back to where this consumer got to, since kafkajs
 *   restarts every partition from its committed offset after a rejoin; any
 *   record already delivered is skipped by offset as well. That holds only
 *   while this member stayed in the group: a join under a new member id
 *   means others may have owned and committed its partitions meanwhile, so
 *   all of them are lost (`onLost`) and what comes back is read afresh from
 *   the committed offsets. Pause is
 *   re-applied after every join.
 * - Rebalance news: whichever heartbeat brings it (the batch handler's, or
 *   kafkajs' own after an empty fetch), the rejoin waits (rejoin-hook.ts)
 *   while the records the stage has not taken yet are taken back (read again
 *   from there if the partition stays) and `beforeRejoin(true)` lets what the
 *   stage has taken finish and commits it, heartbeating meanwhile: Java's
 *   onPartitionsRevoked, before the JoinGroup. Nothing is offered until the
 *   join.
 * - A batch handler checks `isStale()` (a seek happened) before offering.
 * - Position: kafkajs hides transaction markers and aborted records, and
 *   hands a fetch holding nothing else to no handler at all (it only emits
 *   START_BATCH_PROCESS for it). The consumer follows both to know where it
 *   reads past them (`position()`): after a batch delivered whole, at its
 *   last offset + 1; after such an empty batch, at its last offset + 1 too,
 *   if it starts where this consumer was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Batch, type Consumer as KafkaJsConsumer, type EachBatchPayload, type IHeaders, type Kafka } from 'kafkajs';
import { fetchTopicOffsets } from './topic-offsets.ts';
import { ErrorCodes, type Logger } from '../../core/index.ts';
import type { ConsumedRecord, Consumer, ConsumerOptions, HeaderBytes, OffsetCommit, PartitionOffset, ReadPosition, RecordSink } from '../types.ts';
import { diffAssignment, notOwned, partitionKey, PartitionOwner, type Assignment } from '../assignment.ts';
import { rangeAssigner, roundRobinAssigner } from './assigner.ts';
import { connectKafka } from './client.ts';
import { fetchCommittedOffsets } from './committed-offsets.ts';
import { fromKafkaError, kafkaCall } from './errors.ts';
import { beforeKafkaJsRejoin } from './rejoin-hook.ts';

function headerBytes(headers: IHeaders | undefined): HeaderBytes {
  const out: HeaderBytes = {};
  if (headers === undefined) return out;
  for (const name in headers) {
    let value = headers[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value !== undefined) out[name] = typeof value === 'string' ? Buffer.from(value) : value;
  }
  return out;
}

/** The batch's records from offset `from` on (records before it were delivered already). */
export function recordsOf(batch: Batch, from: bigint | undefined): ConsumedRecord[] {
  const { topic, partition, messages } = batch;
  let start = 0;
  if (from !== undefined) while (start < messages.length && BigInt(messages[start]!.offset) < from) start++;
  const records = new Array<ConsumedRecord>(messages.length - start);
  for (let i = start; i < messages.length; i++) {
    const m = messages[i]!;
    records[i - start] = {
      key: m.key ?? null,
      value: m.value ?? null,
      headers: headerBytes(m.headers),
      timestamp: Number(m.timestamp),
      topic,
      partition,
      offset: m.offset,
    };
  }
  return records;
}

/** How long a batch handler waits for a full source to drain before pausing. */
const ROOM_WAIT_MS = 1_000;

export class KafkaConsumer extends PartitionOwner implements Consumer {
  readonly groupId: string;
  readonly #consumer: KafkaJsConsumer;
  readonly #admin: () => Promise<Admin>;
  readonly #options: ConsumerOptions;
  readonly #logger: Logger;
  #sink: RecordSink | undefined;
  /** Next offset to deliver per partition ("partition\0topic"), past markers, for partitions fetched from. */
  readonly #positions = new Map<string, bigint>();
  /** Offset of the last record delivered per partition, since it was assigned or sought. */
  readonly #delivered = new Map<string, string>();
  #paused = false;
  #stopped = false;
  /** This member's id at its last join: a new one means it was out of the group meanwhile. */
  #memberId: string | undefined;
  #rebalance: Promise<void> = Promise.resolve();
  /** Rebalance hooks (onRevoke, onAssign) started and not finished. */
  #hooksRunning = 0;
  /** The hook before a rejoin, while it runs: nothing is offered until the join. */
  #rejoining: Promise<void> | undefined;
  /** Wakes a batch handler waiting for room in the sink. */
  #room: (() => void) | undefined;

  constructor(consumer: KafkaJsConsumer, admin: () => Promise<Admin>, options: ConsumerOptions, logger: Logger) {
    super();
    this.groupId = options.groupId;
    this.#consumer = consumer;
    this.#admin = admin;
    this.#options = options;
    this.#logger = logger;
  }

  async attach(sink: RecordSink): Promise<void> {
    if (this.#sink !== undefined) throw new Error('consumer is already attached to a source stream');
    this.#sink = sink;
    const { events } = this.#consumer;
    // Rebalance news no heartbeat brought (a refused fetch or commit) gets no wait, only this head start;
    // after the rejoin hook has committed, it would only commit the same again.
    this.#consumer.on(events.REBALANCING, () => {
      if (this.#rejoining === undefined) void this.#options.beforeRejoin?.(false).catch(() => undefined);
    });
    this.#consumer.on(events.START_BATCH_PROCESS, ({ payload }) => this.#skipped(payload));
    const joined = new Promise<void>((resolve, reject) => {
      this.#consumer.on(events.GROUP_JOIN, ({ payload }) => {
        this.#onJoin(payload);
        resolve();
      });
      this.#consumer.on(events.CRASH, ({ payload }) => {
        const err = fromKafkaError(payload.error, ErrorCodes.CONSUME, { group: this.groupId });
        // kafkajs restarts itself after a retriable crash (a coordinator still
        // loading, a leader moving): keep waiting to join. Only a final crash
        // fails the join and ends the stream.
        if (payload.restart) {
          this.#logger.warn({ err, group: this.groupId }, 'consumer crashed; kafkajs restarts it');
          return;
        }
        reject(err);
        sink.fail(err);
      });
    });
    await kafkaCall(ErrorCodes.CONSUME, {}, () =>
      this.#consumer.subscribe({ topics: this.#options.topics, fromBeginning: this.#options.fromBeginning ?? false }),
    );
    const eachBatch = (payload: EachBatchPayload): Promise<void> => this.#eachBatch(payload);
    beforeKafkaJsRejoin(eachBatch, (heartbeat) => (this.#rejoining ??= this.#beforeRejoin(heartbeat)));
    await kafkaCall(ErrorCodes.CONSUME, {}, () =>
      this.#consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch }),
    );
    await joined;
  }

  drained(): void {
    this.#room?.();
    if (!this.#paused || this.#stopped) return;
    this.#paused = false;
    this.#consumer.resume(this.#options.topics.map((topic) => ({ topic })));
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<boolean[]> {
    const owned = offsets.map(({ topic, partition }) => this.owns(topic, partition));
    const stored = offsets.filter((_, i) => owned[i]);
    if (stored.length > 0) {
      await kafkaCall(ErrorCodes.CONSUME, { group: this.groupId, partitions: stored.length }, () =>
        this.#consumer.commitOffsets(stored.map(({ topic, partition, offset }) => ({ topic, partition, offset }))),
      );
    }
    return owned;
  }

  seek(topic: string, partition: number, offset: string): void {
    if (!this.owns(topic, partition)) throw notOwned(topic, partition, offset);
    this.#sink?.discard([{ topic, partitions: [partition] }]);
    const key = partitionKey(topic, partition);
    this.#positions.set(key, BigInt(offset));
    this.#delivered.delete(key);
    this.#consumer.seek({ topic, partition, offset });
  }

  position(topic: string, partition: number): ReadPosition | undefined {
    if (!this.owns(topic, partition)) return undefined;
    const key = partitionKey(topic, partition);
    const next = this.#positions.get(key);
    return next === undefined ? undefined : { lastDelivered: this.#delivered.get(key) ?? null, next: next.toString() };
  }

  /**
   * A fetch that held only markers or aborted records: kafkajs moves past it
   * without a handler. Taken as this consumer's position only when it starts
   * where this consumer was (or, before anything of the partition was
   * fetched, where kafkajs started it), so a stale fetch never moves it.
   */
  #skipped({ topic, partition, batchSize, firstOffset, lastOffset }: { topic: string; partition: number; batchSize: number; firstOffset: string | null; lastOffset: string }): void {
    if (batchSize > 0 || firstOffset === null || this.#stopped || !this.owns(topic, partition)) return;
    const key = partitionKey(topic, partition);
    const known = this.#positions.get(key);
    if (known !== undefined && known !== BigInt(firstOffset)) return;
    this.#positions.set(key, BigInt(lastOffset) + 1n);
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const admin = await this.#admin();
    const offsets = await fetchTopicOffsets(admin, topic);
    return offsets.map(({ partition, high }) => ({ partition, offset: high })).sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(topic: string): Promise<PartitionOffset[]> {
    const admin = await this.#admin();
    const [found] = await kafkaCall(ErrorCodes.CONSUME, { topic }, () =>
      fetchCommittedOffsets(admin, this.groupId, [topic]),
    );
    // Negative is no offset: -1 is none committed, -2 is what kafkajs commits when it resets a partition
    // whose position was out of range; neither is a place to resume from.
    return (found?.partitions ?? [])
      .map(({ partition, offset }) => ({ partition, offset: offset.startsWith('-') ? null : offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#room?.();
    // Paused rather than stopped: kafkajs' stop() leaves the group, and the
    // runtime still has to commit what the drained stream finishes.
    if (this.#sink !== undefined) this.#pauseAll();
    this.#sink?.end();
  }

  async disconnect(): Promise<void> {
    await this.stop();
    // A clean leave gives up everything: the runtime may still commit in onRevoke.
    const owned = this.assignment();
    if (owned.length > 0 && this.#options.onRevoke !== undefined) {
      await this.#rebalance;
      await this.#options.onRevoke(owned);
    }
    await this.#leave();
  }

  async abandon(): Promise<void> {
    await this.stop();
    await this.#leave();
  }

  /** kafkajs' disconnect sends LeaveGroup. */
  async #leave(): Promise<void> {
    await kafkaCall(ErrorCodes.CONSUME, { group: this.groupId }, () => this.#consumer.disconnect());
    this.owned = new Map();
  }

  #pauseAll(): void {
    this.#paused = true;
    this.#consumer.pause(this.#options.topics.map((topic) => ({ topic })));
  }

  #onJoin({ memberId, memberAssignment }: { memberId: string; memberAssignment: Record<string, number[]> }): void {
    const next: Assignment = new Map();
    for (const topic in memberAssignment) next.set(topic, new Set(memberAssignment[topic]));
    // A member removed from its group (session timeout) rejoins under a new id. (kafkajs' join event
    // carries no generation, so a generation this member missed under the same id goes unseen.)
    const stayed = this.#memberId === undefined || this.#memberId === memberId;
    this.#rejoining = undefined;
    this.#memberId = memberId;
    const lost = stayed ? [] : this.assignment();
    const { revoked, assigned, kept } = diffAssignment(stayed ? this.owned : new Map(), next);
    this.owned = next;
    for (const { topic, partitions } of [...revoked, ...lost]) {
      for (const partition of partitions) {
        this.#positions.delete(partitionKey(topic, partition));
        this.#delivered.delete(partitionKey(topic, partition));
      }
    }
    this.#sink?.discard([...revoked, ...lost]);
    if (lost.length > 0) {
      this.#logger.warn({ group: this.groupId, lost, memberId }, 'partitions lost: this member was out of its group; re-reading from the committed offsets');
      this.#options.onLost?.(lost);
    }
    // kafkajs restarts kept partitions from their committed offset: move them
    // back to where this consumer got to.
    for (const { topic, partitions } of kept) {
      for (const partition of partitions) {
        const position = this.#positions.get(partitionKey(topic, partition));
        if (position !== undefined) this.#consumer.seek({ topic, partition, offset: position.toString() });
      }
    }
    if (this.#paused) this.#pauseAll();
    this.#logger.debug({ group: this.groupId, revoked, assigned }, 'consumer group joined');
    const { onRevoke, onAssign } = this.#options;
    this.#hooksRunning++;
    this.#rebalance = this.#rebalance
      .then(async () => {
        if (revoked.length > 0 && onRevoke !== undefined) await onRevoke(revoked);
        if (assigned.length > 0 && onAssign !== undefined) await onAssign(assigned);
      })
      .catch((err: unknown) => {
        this.#sink?.fail(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => this.#hooksRunning--);
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    await this.#rebalanced(heartbeat);
    const sink = this.#sink;
    const { topic, partition } = batch;
    if (sink === undefined || this.#stopped || this.#rejoining !== undefined || !this.owns(topic, partition) || isStale()) return;
    const key = partitionKey(topic, partition);
    const records = recordsOf(batch, this.#positions.get(key));
    let done = 0;
    while (done < records.length) {
      if (this.#stopped || this.#rejoining !== undefined || !isRunning() || isStale() || !this.owns(topic, partition)) return;
      const taken = sink.offer(done === 0 ? records : records.slice(done));
      if (taken > 0) {
        done += taken;
        const last = records[done - 1]!.offset;
        resolveOffset(last);
        this.#positions.set(key, BigInt(last) + 1n);
        this.#delivered.set(key, last);
      }
      if (done === records.length) break;
      // Full. A reader that is merely slower than the broker frees room soon:
      // wait here (heartbeating, so a rebalance is still noticed) and go on
      // with the batch in hand. A reader that stalls gets the partitions
      // paused instead, and this batch is fetched again after drained().
      if (!(await this.#roomWithin(ROOM_WAIT_MS))) {
        this.#consumer.seek({ topic, partition, offset: records[done]!.offset });
        this.#pauseAll();
        break;
      }
      await heartbeat();
    }
    if (done === records.length) {
      // Delivered whole: whatever follows its last record in the fetch is markers or aborted records.
      const end = BigInt(batch.lastOffset()) + 1n;
      if (end > (this.#positions.get(key) ?? 0n)) this.#positions.set(key, end);
    }
    await heartbeat();
  }

  /**
   * Waits for the rebalance hooks (a restore of state stores can take a
   * while), heartbeating every second meanwhile: kafkajs heartbeats only
   * between fetches, and a member silent for its session timeout is evicted.
   */
  async #rebalanced(heartbeat: () => Promise<void>): Promise<void> {
    while (this.#hooksRunning > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#rebalance, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
      if (this.#hooksRunning > 0) await heartbeat();
    }
  }

  /**
   * The group waits for this member (rejoin-hook.ts): the records the stage
   * has not taken go back (read again from the first of them if the
   * partition stays), so that `beforeRejoin(true)` only waits for what the
   * stage has taken. A member silent for its session timeout is dropped even
   * mid-rebalance, so heartbeats go on while the hook runs.
   */
  async #beforeRejoin(heartbeat: () => Promise<void>): Promise<void> {
    const hook = this.#options.beforeRejoin;
    if (hook === undefined) return;
    if (!this.#stopped) this.#takeBackWaiting();
    let finished = false;
    const done = hook(true)
      .catch((err: unknown) => this.#logger.warn({ err, group: this.groupId }, 'commit before rejoining failed'))
      .finally(() => (finished = true));
    while (!finished) {
      await Promise.race([done, sleep(1_000)]);
      if (!finished) await heartbeat().catch(() => undefined);
    }
  }

  #takeBackWaiting(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    for (const { topic, partitions } of this.assignment()) {
      for (const partition of partitions) {
        const first = sink.takeBack(topic, partition);
        if (first === undefined) continue;
        const key = partitionKey(topic, partition);
        this.#positions.set(key, BigInt(first));
        // The last record the stage took is not known here: no position past markers until the next delivery.
        this.#delivered.delete(key);
      }
    }
  }

  /** True once the sink has called drained(); false after `ms` without. */
  #roomWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#room = undefined;
        resolve(false);
      }, ms);
      this.#room = () => {
        clearTimeout(timer);
        this.#room = undefined;
        resolve(true);
      };
    });
  }
}

export async function createKafkaConsumer(
  kafka: Kafka,
  admin: () => Promise<Admin>,
  options: ConsumerOptions,
  logger: Logger,
): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    readUncommitted: options.readCommitted === false,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    // A fetch long-polls this long; heartbeats (and so rebalance news) wait for it.
    maxWaitTimeInMs: 500,
    partitionAssigners: [options.assignor === 'roundrobin' ? roundRobinAssigner : rangeAssigner],
  });
  await connectKafka(kafka, consumer, ErrorCodes.BROKER_UNAVAILABLE, { group: options.groupId });
  return new KafkaConsumer(consumer, admin, options, logger);
}
