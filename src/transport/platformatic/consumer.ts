/**
 * Consumer on @platformatic/kafka. The client's `Consumer` runs the group
 * (join, sync, heartbeats on a timer, rejoin when a heartbeat says so) and
 * this module runs the fetch loop itself, over the client's `fetch`, rather
 * than through its `MessagesStream`: that stream cannot seek, cannot take back
 * records of a revoked partition it has already buffered, and after a rejoin
 * restarts every partition from its committed offset.
 *
 * - Positions: the next offset to fetch per owned partition, resolved from
 *   the group's committed offset (read stable) or the reset policy once
 *   `onAssign` has run, and kept across rebalances for the partitions kept.
 *   A seek or a revoke bumps the partition's epoch: a fetch answer or a
 *   refused remainder from before it is dropped.
 * - Backpressure: what the source refuses is held (one fetch answer at most)
 *   and fetching stops until `drained()`; nothing is fetched twice. Heartbeats
 *   run on the client's own timer, so they go on while paused, and pausing is
 *   this loop's state, so it survives rebalances.
 * - Fetches long-poll on a connection pool of their own: the group's
 *   heartbeats and commits never queue behind them on one connection.
 * - Rebalance: the client emits `consumer:group:rebalance` when a heartbeat
 *   answers REBALANCE_IN_PROGRESS and rejoins; its JoinGroup waits (one
 *   heartbeat interval at most) for `beforeRejoin(true)`, and nothing is
 *   fetched or delivered until the join (held-rejoin.ts). The client's
 *   `consumer:group:join` carries the new assignment, whose difference
 *   from the previous one gives revoked and assigned partitions, as for
 *   kafkajs. A join under a new member id means this member was out of the
 *   group: everything it held is lost (`onLost`).
 * - Commits are sent here, with the generation this member has, not through
 *   the client's `commit`: that one rejoins and sends the commit again in the
 *   new generation, whoever owns the partition by then (kafkajs issue 1046's
 *   trap). Here a commit the broker refuses for a rebalance waits for the
 *   rejoin and is sent again only if this member, under the same id, still
 *   owns the partition; otherwise it is refused (`false`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConnectionPool,
  FetchIsolationLevels,
  kGetApi,
  type Admin,
  type API,
  type ConsumerGroupJoinPayload,
  type fetchV17,
  type GroupPartitionsAssigner,
  type offsetCommitV9,
} from '@platformatic/kafka';
import { ErrorCodes, type Logger } from '../../core/index.ts';
import { diffAssignment, notOwned, partitionKey, PartitionOwner, rangeAssign, roundRobinAssign, type Assignment, type Assignor } from '../assignment.ts';
import type { ConsumedRecord, Consumer, ConsumerOptions, OffsetCommit, PartitionOffset, ReadPosition, RecordSink } from '../types.ts';
import { guardSeedBrokers } from './broker-guard.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { fromPlatformaticError, hasProtocolError, platformaticCall } from './errors.ts';
import { fetchRequests, MAX_BYTES } from './fetch-requests.ts';
import { HeldRejoinConsumer } from './held-rejoin.ts';
import { committedOffsets, topicRanges } from './reads.ts';
import { committedBatches, consumedRecords, nextOffset } from './records.ts';

/**
 * sluice's assignors for the client's group leader, named as the Java client
 * names them. The client passes the leader's own topics; members may
 * subscribe to others, which are assigned too (the metadata covers them).
 */
function assigner(assign: Assignor): GroupPartitionsAssigner {
  return (_self, members, topics, metadata) => {
    const subscriptions = [...members.values()].map((m) => ({ id: m.memberId, topics: m.topics ?? [...topics] }));
    const subscribed = new Set(subscriptions.flatMap((m) => m.topics));
    const partitionsPerTopic = new Map([...subscribed].map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
    return [...assign(subscriptions, partitionsPerTopic)].map(([memberId, assignment]) => ({
      memberId,
      assignments: new Map([...assignment].map(([topic, ps]) => [topic, { topic, partitions: [...ps].sort((a, b) => a - b) }])),
    }));
  };
}

/** A long poll returns after this long without records; stop() and drained() are noticed within it. */
const MAX_WAIT_MS = 500;
/** Waits between fetch attempts while brokers are away (the client has retried each attempt already). */
const FETCH_BACKOFF_MAX_MS = 5_000;
/** Times a commit refused for a rebalance is sent again after the rejoin. */
const COMMIT_REJOINS = 3;

const REJOIN_ERRORS = ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'];

type Client = HeldRejoinConsumer;
type FetchResponse = fetchV17.FetchResponse;
type OffsetCommitArgs = [groupId: string, generationId: number, memberId: string | null, groupInstanceId: string | null, topics: offsetCommitV9.OffsetCommitRequestTopic[]];

/** The client's heartbeat timer; a held rejoin waits no longer than one, as the member sends no heartbeat meanwhile. */
function heartbeatIntervalMs(options: ConsumerOptions): number {
  return Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3));
}

interface Held {
  key: string;
  epoch: number;
  records: ConsumedRecord[];
}

interface Requested {
  topic: string;
  partition: number;
  key: string;
  epoch: number;
  offset: bigint;
}

export class PlatformaticConsumerAdapter extends PartitionOwner implements Consumer {
  readonly groupId: string;
  readonly #client: Client;
  readonly #fetchPool: ConnectionPool;
  readonly #admin: () => Admin;
  readonly #options: ConsumerOptions;
  readonly #logger: Logger;
  readonly #isolation: number;
  #sink: RecordSink | undefined;
  /** Next offset to fetch per owned partition: past the markers and aborted records of the last answer. */
  readonly #positions = new Map<string, bigint>();
  /** Offset of the last record the source took per partition, since it was assigned or sought. */
  readonly #delivered = new Map<string, string>();
  readonly #epochs = new Map<string, number>();
  /** Records the source refused, in the order offered; fetching waits until they are taken. */
  #held: Held[] = [];
  #paused = false;
  /** From the rebalance news to the join: what is taken meanwhile would be finished after the last commit before it. */
  #rejoining = false;
  #stopped = false;
  #memberId: string | undefined;
  /** Bumped whenever this member's partitions were lost: a commit begun before must not be sent again after. */
  #membership = 0;
  #rebalance: Promise<void> = Promise.resolve();
  #joins: Array<() => void> = [];
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(client: Client, fetchPool: ConnectionPool, admin: () => Admin, options: ConsumerOptions, logger: Logger) {
    super();
    this.groupId = options.groupId;
    this.#client = client;
    this.#fetchPool = fetchPool;
    this.#admin = admin;
    this.#options = options;
    this.#logger = logger;
    this.#isolation = options.readCommitted === false ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED;
  }

  async attach(sink: RecordSink): Promise<void> {
    if (this.#sink !== undefined) throw new Error('consumer is already attached to a source stream');
    this.#sink = sink;
    this.#client.on('consumer:group:join', (payload) => this.#onJoin(payload));
    this.#client.on('consumer:group:rebalance', () => this.#beforeRejoin());
    // The client gave up rejoining (its retries are spent): no more heartbeats, so the member is gone.
    this.#client.on('error', (err: unknown) => this.#fail(fromPlatformaticError(err, ErrorCodes.CONSUME, { group: this.groupId })));
    for (const topic of this.#options.topics) this.#client.topics.track(topic);
    await platformaticCall(ErrorCodes.CONSUME, { group: this.groupId }, () => this.#client.joinGroup({}));
    this.#loop = this.#run();
  }

  drained(): void {
    this.#paused = false;
    this.#wakeUp();
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<boolean[]> {
    const membership = this.#membership;
    for (let rejoins = 0; ; rejoins++) {
      const owned = offsets.map(({ topic, partition }) => membership === this.#membership && this.owns(topic, partition));
      const stored = offsets.filter((_, i) => owned[i]);
      if (stored.length === 0) return owned;
      try {
        await this.#offsetCommit(stored);
        return owned;
      } catch (err) {
        if (!hasProtocolError(err, ...REJOIN_ERRORS) || rejoins >= COMMIT_REJOINS) {
          throw fromPlatformaticError(err, ErrorCodes.CONSUME, { group: this.groupId, partitions: stored.length });
        }
        // The member rejoins on its next heartbeat; after that it either still owns each partition or not.
        await this.#nextJoin();
      }
    }
  }

  seek(topic: string, partition: number, offset: string): void {
    if (!this.owns(topic, partition)) throw notOwned(topic, partition, offset);
    const key = partitionKey(topic, partition);
    this.#forget(key);
    this.#positions.set(key, BigInt(offset));
    this.#sink?.discard([{ topic, partitions: [partition] }]);
    this.#wakeUp();
  }

  /**
   * The fetch position, unless the source refused records of the partition:
   * then where the first of those is, since nothing from it on is delivered.
   */
  position(topic: string, partition: number): ReadPosition | undefined {
    if (!this.owns(topic, partition)) return undefined;
    const key = partitionKey(topic, partition);
    const fetched = this.#positions.get(key);
    if (fetched === undefined) return undefined;
    const epoch = this.#epochs.get(key) ?? 0;
    const held = this.#held.find((h) => h.key === key && h.epoch === epoch);
    return { lastDelivered: this.#delivered.get(key) ?? null, next: held?.records[0]?.offset ?? fetched.toString() };
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    const ranges = await platformaticCall(ErrorCodes.CONSUME, { topic }, () => topicRanges(this.#admin(), [topic]));
    return (ranges.get(topic) ?? []).map(({ partition, high }) => ({ partition, offset: high }));
  }

  async committedOffsets(topic: string): Promise<PartitionOffset[]> {
    const found = await platformaticCall(ErrorCodes.CONSUME, { topic }, () => committedOffsets(this.#admin(), this.groupId, [topic]));
    return found.get(topic) ?? [];
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wakeUp();
    // The group is kept (heartbeats go on): the runtime still commits what the drained stream finishes.
    this.#sink?.end();
  }

  async disconnect(): Promise<void> {
    await this.stop();
    await this.#loop;
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
    await this.#loop;
    await this.#leave();
  }

  /** The client's close sends LeaveGroup. */
  async #leave(): Promise<void> {
    this.owned = new Map();
    await platformaticCall(ErrorCodes.CONSUME, { group: this.groupId }, async () => {
      await this.#client.close();
      await this.#fetchPool.close();
    });
  }

  /** The group waits for this member (its JoinGroup held) while what it finished is committed. */
  #beforeRejoin(): void {
    const hook = this.#options.beforeRejoin;
    if (hook === undefined) return;
    this.#rejoining = true;
    const committed = hook(true).catch((err: unknown) => this.#logger.warn({ err, group: this.groupId }, 'commit before rejoining failed'));
    this.#client.holdRejoin(committed, heartbeatIntervalMs(this.#options));
  }

  #fail(err: Error): void {
    this.#stopped = true;
    this.#wakeUp();
    this.#sink?.fail(err);
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #nextJoin(): Promise<void> {
    const session = this.#options.sessionTimeoutMs ?? 30_000;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, session);
      this.#joins.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops what is held and in flight for the partition: its next records come from a new position. */
  #forget(key: string): void {
    this.#epochs.set(key, (this.#epochs.get(key) ?? 0) + 1);
    this.#held = this.#held.filter((h) => h.key !== key);
    this.#delivered.delete(key);
  }

  #onJoin({ memberId, assignments }: ConsumerGroupJoinPayload): void {
    const next: Assignment = new Map();
    for (const { topic, partitions } of assignments ?? []) if (this.#options.topics.includes(topic)) next.set(topic, new Set(partitions));
    // A member removed from its group (session timeout) rejoins under a new id.
    const stayed = this.#memberId === undefined || this.#memberId === memberId;
    this.#memberId = memberId;
    this.#rejoining = false;
    const lost = stayed ? [] : this.assignment();
    const { revoked, assigned } = diffAssignment(stayed ? this.owned : new Map(), next);
    this.owned = next;
    if (lost.length > 0) this.#membership++;
    for (const { topic, partitions } of [...revoked, ...lost]) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        this.#forget(key);
        this.#positions.delete(key);
      }
    }
    this.#sink?.discard([...revoked, ...lost]);
    if (lost.length > 0) {
      this.#logger.warn({ group: this.groupId, lost, memberId }, 'partitions lost: this member was out of its group; re-reading from the committed offsets');
      this.#options.onLost?.(lost);
    }
    this.#logger.debug({ group: this.groupId, revoked, assigned }, 'consumer group joined');
    const { onRevoke, onAssign } = this.#options;
    this.#rebalance = this.#rebalance
      .then(async () => {
        if (revoked.length > 0 && onRevoke !== undefined) await onRevoke(revoked);
        if (assigned.length > 0 && onAssign !== undefined) await onAssign(assigned);
      })
      .catch((err: unknown) => this.#fail(err instanceof Error ? err : new Error(String(err))));
    const joins = this.#joins;
    this.#joins = [];
    for (const resolve of joins) resolve();
    this.#wakeUp();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      await this.#rebalance;
      if (this.#stopped) break;
      if (this.#held.length > 0 && !this.#paused && !this.#rejoining) this.#offerHeld();
      if (this.#paused || this.#rejoining || this.#held.length > 0 || this.owned.size === 0) {
        await this.#sleep();
        continue;
      }
      try {
        await this.#fetchOnce();
        failures = 0;
      } catch (err) {
        const error = fromPlatformaticError(err, ErrorCodes.CONSUME, { group: this.groupId });
        if (!error.retriable) {
          this.#fail(error);
          break;
        }
        // As kafkajs does after a retriable crash: brokers away or leaders moving, so keep trying.
        failures++;
        this.#logger.warn({ err: error, group: this.groupId, failures }, 'fetch failed; retrying');
        this.#client.clearMetadata();
        await sleep(Math.min(250 * 2 ** failures, FETCH_BACKOFF_MAX_MS));
      }
    }
  }

  /** Offers held records again in order; stops at the first the source refuses. */
  #offerHeld(): void {
    while (this.#held.length > 0) {
      const held = this.#held[0]!;
      if (held.epoch !== (this.#epochs.get(held.key) ?? 0)) {
        this.#held.shift();
        continue;
      }
      const taken = this.#sink!.offer(held.records);
      this.#taken(held.key, held.records, taken);
      if (taken < held.records.length) {
        held.records = held.records.slice(taken);
        this.#paused = true;
        return;
      }
      this.#held.shift();
    }
  }

  #deliver(key: string, epoch: number, records: ConsumedRecord[]): void {
    if (records.length === 0) return;
    if (this.#held.length > 0) {
      this.#held.push({ key, epoch, records });
      return;
    }
    const taken = this.#sink!.offer(records);
    this.#taken(key, records, taken);
    if (taken < records.length) {
      this.#held.push({ key, epoch, records: taken === 0 ? records : records.slice(taken) });
      this.#paused = true;
    }
  }

  #taken(key: string, records: readonly ConsumedRecord[], taken: number): void {
    if (taken > 0) this.#delivered.set(key, records[taken - 1]!.offset);
  }

  /** Positions of owned partitions that have none: the committed offset, else the reset policy. */
  async #resolvePositions(): Promise<void> {
    const missing = this.assignment()
      .map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => !this.#positions.has(partitionKey(topic, p))) }))
      .filter((tp) => tp.partitions.length > 0);
    if (missing.length === 0) return;
    const epochs = new Map(missing.flatMap(({ topic, partitions }) => partitions.map((p) => [partitionKey(topic, p), this.#epochs.get(partitionKey(topic, p)) ?? 0])));
    const topics = missing.map((m) => m.topic);
    const [committed, ranges] = await Promise.all([committedOffsets(this.#admin(), this.groupId, topics), topicRanges(this.#admin(), topics)]);
    for (const { topic, partitions } of missing) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        // Sought or revoked meanwhile: that decided the position.
        if (this.#positions.has(key) || epochs.get(key) !== (this.#epochs.get(key) ?? 0) || !this.owns(topic, partition)) continue;
        const stored = committed.get(topic)?.find((c) => c.partition === partition)?.offset;
        const range = ranges.get(topic)?.find((r) => r.partition === partition);
        // A committed offset whose records are gone (retention, deleted records) is out of range, as Kafka's
        // consumer finds: the reset policy decides. Taken as it is, every fetch failed and reset to it again.
        const held = stored !== null && stored !== undefined && (range === undefined || BigInt(stored) >= BigInt(range.low));
        this.#positions.set(key, BigInt(held ? stored : this.#resetOffset(range)));
      }
    }
  }

  #resetOffset(range: { low: string; high: string } | undefined): string {
    return (this.#options.fromBeginning ? range?.low : range?.high) ?? '0';
  }

  async #fetchOnce(): Promise<void> {
    await this.#resolvePositions();
    const metadata = await this.#client.metadata({ topics: this.#options.topics });
    const requested = new Map<string, Requested>();
    for (const { topic, partitions } of this.assignment()) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        const offset = this.#positions.get(key);
        if (offset !== undefined) requested.set(key, { topic, partition, key, epoch: this.#epochs.get(key) ?? 0, offset });
      }
    }
    const { byLeader, topicNames } = fetchRequests(metadata.topics, requested.values());
    if (byLeader.size === 0) {
      await sleep(MAX_WAIT_MS);
      return;
    }
    const answers = await Promise.all(
      [...byLeader].map(([node, topics]) =>
        this.#client
          .fetch({ node, topics, maxWaitTime: MAX_WAIT_MS, minBytes: 1, maxBytes: MAX_BYTES, isolationLevel: this.#isolation, connectionPool: this.#fetchPool })
          .catch((err: unknown) => this.#outOfRange(err, topicNames, requested)),
      ),
    );
    for (const answer of answers) if (answer !== undefined) this.#take(answer, topicNames, requested);
  }

  /** A position the log no longer holds (retention, a truncated topic) moves by the reset policy; other errors go on up. */
  async #outOfRange(err: unknown, topicNames: Map<string, string>, requested: Map<string, Requested>): Promise<undefined> {
    const response = (err as { response?: FetchResponse }).response;
    if (!hasProtocolError(err, 'OFFSET_OUT_OF_RANGE') || response === undefined) throw err;
    for (const t of response.responses) {
      const topic = topicNames.get(t.topicId);
      for (const p of t.partitions) {
        const wanted = topic === undefined ? undefined : requested.get(partitionKey(topic, p.partitionIndex));
        if (wanted === undefined || p.errorCode === 0) continue;
        this.#logger.warn({ group: this.groupId, topic, partition: p.partitionIndex, offset: wanted.offset.toString() }, 'offset out of range; resetting');
        if (wanted.epoch === (this.#epochs.get(wanted.key) ?? 0)) this.#positions.delete(wanted.key);
      }
    }
    return undefined;
  }

  #take(answer: FetchResponse, topicNames: Map<string, string>, requested: Map<string, Requested>): void {
    for (const t of answer.responses) {
      const topic = topicNames.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const wanted = requested.get(partitionKey(topic, p.partitionIndex));
        const batches = p.records;
        if (wanted === undefined || batches === undefined || batches.length === 0) continue;
        // Sought, revoked or lost since the request: this answer is not for the current position (rejoining: fetched again after).
        if (wanted.epoch !== (this.#epochs.get(wanted.key) ?? 0) || !this.owns(topic, p.partitionIndex) || this.#stopped || this.#rejoining) continue;
        const visible = this.#isolation === FetchIsolationLevels.READ_COMMITTED ? committedBatches(batches, p.abortedTransactions) : batches;
        const records: ConsumedRecord[] = [];
        consumedRecords(topic, p.partitionIndex, visible, wanted.offset, records);
        const next = nextOffset(batches);
        if (next !== undefined && next > wanted.offset) this.#positions.set(wanted.key, next);
        this.#deliver(wanted.key, wanted.epoch, records);
      }
    }
  }

  async #offsetCommit(offsets: readonly OffsetCommit[]): Promise<void> {
    const client = this.#client;
    const generationId = client.generationId;
    const memberId = client.memberId;
    const byTopic = new Map<string, offsetCommitV9.OffsetCommitRequestTopic>();
    for (const { topic, partition, offset } of offsets) {
      let entry = byTopic.get(topic);
      if (entry === undefined) byTopic.set(topic, (entry = { name: topic, partitions: [] }));
      entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null });
    }
    const coordinator = await client.findGroupCoordinator();
    const metadata = await client.metadata({ topics: [...byTopic.keys()] });
    const broker = metadata.brokers.get(coordinator);
    if (broker === undefined) throw fromPlatformaticError(new Error(`group coordinator ${coordinator} is not in the metadata`), ErrorCodes.BROKER_UNAVAILABLE);
    const connection = await client.connections.get(broker);
    const api = await new Promise<API<OffsetCommitArgs, offsetCommitV9.OffsetCommitResponse>>((resolve, reject) =>
      client[kGetApi]<OffsetCommitArgs, offsetCommitV9.OffsetCommitResponse>('OffsetCommit', (err, found) => (err ? reject(err) : resolve(found!))),
    );
    await api.async(connection, this.groupId, generationId, memberId, null, [...byTopic.values()]);
  }
}

export async function createPlatformaticConsumer(client: PlatformaticClientOptions, admin: () => Admin, options: ConsumerOptions, logger: Logger): Promise<Consumer> {
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const base = clientOptions(client);
  const consumer: Client = new HeldRejoinConsumer({
    ...base,
    groupId: options.groupId,
    autocommit: false,
    sessionTimeout,
    heartbeatInterval: heartbeatIntervalMs(options),
    rebalanceTimeout: 60_000,
    protocols: [{ name: options.assignor === 'roundrobin' ? 'roundrobin' : 'range', version: 0 }],
    partitionAssigner: assigner(options.assignor === 'roundrobin' ? roundRobinAssign : rangeAssign),
  });
  logClientEvents(consumer, logger, { group: options.groupId });
  guardSeedBrokers(consumer, client.brokers);
  // Reach a broker now, so a bad address or credential fails here, as kafkajs' connect() does.
  try {
    await platformaticCall(ErrorCodes.BROKER_UNAVAILABLE, { group: options.groupId }, () => consumer.metadata({ topics: [] }));
  } catch (err) {
    await consumer.close().catch(() => undefined);
    throw err;
  }
  const fetchPool = new ConnectionPool(base.clientId, { ...base });
  return new PlatformaticConsumerAdapter(consumer, fetchPool, admin, options, logger);
}
