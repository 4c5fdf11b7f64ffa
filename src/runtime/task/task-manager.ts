/**
 * The task manager of a stage instance: creates a task per input partition
 * number on assignment (its stores opened and restored from their changelogs
 * before its first record), commits tasks, and closes or drops them on
 * revoke, lost and shutdown. Rebalance correctness lives here and only here.
 *
 * Commit protocol (every commit interval, before a revoke, at the end):
 *
 * - At-least-once: a stateful task takes a snapshot of its stores' changes
 *   (with the input positions they include and its stream time), waits until
 *   the outputs of the records in it are acknowledged, writes the changes to
 *   the changelog and waits for that acknowledgement, applies them to the
 *   local copy with its checkpoint, and only then lets those records' offsets
 *   be committed. A crash in between leaves state at least as far as the
 *   committed offsets, never behind; the stored positions tell a restart
 *   which re-read records the state already holds (their outputs were
 *   acknowledged before), so counts stay exact.
 * - Exactly-once: the task's changes, outputs and offsets go in one
 *   transaction (TransactionalSink), and the local copy takes the changes
 *   only after it commits: an aborted transaction never reaches it, so a
 *   restart replays the changelog from the last checkpoint only.
 *
 * Repartition topics keep their records forever (repartition.ts), so their
 * reader deletes them, as Kafka Streams does: after a commit, at most every
 * PURGE_INTERVAL_MS, and once more when the stage stops (a stage that runs
 * for less than an interval, a cron run, would otherwise never delete any),
 * records below the group's committed offsets of the partitions this instance
 * owns go. Only the group's committed offsets count, never a position known
 * here alone: a next owner resumes from those, and one below the log start
 * would reset by policy and skip records. A failed purge is only logged;
 * the next one deletes what it missed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/index.ts';
import { CachedStore, type StoreBackend } from '../../state/index.ts';
import { partitionKey, type ConsumedRecord, type Consumer, type PartitionOffset, type Producer, type ProducerOptions, type TopicPartitions, type Transport } from '../../transport/index.ts';
import type { OffsetToken, PartitionWatermark } from '../offsets.ts';
import { withRetry } from '../retry.ts';
import { readPositions, writePositions } from './positions.ts';
import { restoreStore, type RestoreProgress } from './restore.ts';
import { Task, applySnapshot, tableStoreName, changelogRecords, snapshotReady, type StateSnapshot } from './task.ts';

export interface StoreDeclaration {
  name: string;
  changelog: string;
}

export interface TaskManagerOptions {
  transport: Transport;
  logger: Logger;
  groupId: string;
  /** `<topology>.<node>`: a task's transactional id is `<prefix>.<task>`. */
  idPrefix: string;
  /** Input topics; empty for a stage whose source is not a topic (it has one task, 0). */
  topics: readonly string[];
  /** The input topics that are sluice's repartition topics: their committed records are deleted (see above). */
  repartitionTopics: readonly string[];
  stores: readonly StoreDeclaration[];
  /** Input topics each task keeps as a table: restored from the topic itself, then kept by the stage (steps/table-join.ts). */
  tables?: readonly string[];
  openBackend: (task: number, store: string) => Promise<StoreBackend>;
  exactlyOnce: boolean;
  producer?: ProducerOptions;
  /** At-least-once changelog writes. */
  changelogProducer?: () => Promise<Producer>;
}

/** How long a changelog write waits for the outputs of the records it holds before it gives up for this round. */
const READY_WAIT_MS = 30_000;
const FINAL_COMMIT_ATTEMPTS = 5;
const FINAL_COMMIT_BACKOFF_MS = 200;
/** Kafka Streams' `repartition.purge.interval.ms` default. */
export const PURGE_INTERVAL_MS = 30_000;

export class TaskManager {
  readonly tasks = new Map<number, Task>();
  readonly #options: TaskManagerOptions;
  readonly #logger: Logger;
  #consumer: Consumer | undefined;
  #committing: Promise<void> = Promise.resolve();
  #lastPurge = Date.now();
  #purging: Promise<void> | undefined;
  /** Per `topic/partition`, the offset records were last deleted below, so an unchanged one is not asked again. */
  readonly #purged = new Map<string, bigint>();
  /** Runs right before a task's snapshot: a global window emits its changed aggregates. */
  beforeSnapshot: ((task: Task) => void) | undefined;
  /** Exactly-once: commits the transactions of these tasks (all when undefined). */
  transactions: ((tasks?: readonly Task[]) => Promise<void>) | undefined;
  readonly restores = new Map<string, RestoreProgress>();
  committed = 0;

  constructor(options: TaskManagerOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  get stateful(): boolean {
    return this.#options.stores.length > 0;
  }

  get exactlyOnce(): boolean {
    return this.#options.exactlyOnce;
  }

  attach(consumer: Consumer): void {
    this.#consumer = consumer;
  }

  /** The one task of a stage whose source is not a topic. */
  async openSingle(): Promise<Task> {
    const task = new Task(0, [], () => undefined);
    await this.#openStores(task);
    this.tasks.set(0, task);
    return task;
  }

  task(id: number): Task | undefined {
    const task = this.tasks.get(id);
    return task === undefined || task.closed ? undefined : task;
  }

  /**
   * The token of a record read from a topic, in `task` (the task of its
   * partition number); undefined when it must be skipped (not current, or
   * below its task's floor). Per record: its offset is parsed here only.
   */
  track(task: Task, r: ConsumedRecord): OffsetToken | undefined {
    if (task.closed || this.#consumer?.owns(r.topic, r.partition) === false) return undefined;
    const floor = task.floors.get(r.topic);
    const offset = BigInt(r.offset);
    if (floor !== undefined && offset < floor) return undefined;
    return task.watermark(r.topic).track(offset);
  }

  /** Next offset of a partition after what the stage was handed since the task got it; 0 when nothing was. */
  handed(topic: string, partition: number): bigint {
    const last = this.task(partition)?.watermarks.get(topic)?.lastTracked;
    return last === undefined ? 0n : last + 1n;
  }

  async assign(partitions: readonly TopicPartitions[]): Promise<void> {
    const ids = [...new Set(partitions.flatMap((p) => p.partitions))].filter((id) => !this.tasks.has(id));
    const created: Task[] = [];
    for (const id of ids) {
      const task = new Task(id, this.#options.topics, (topic, partition) => this.#consumer?.position(topic, partition));
      // Exactly-once: a newer epoch for the task's transactional id fences its previous owner first.
      if (this.exactlyOnce) task.producer = this.#options.transport.transactionalProducer(`${this.#options.idPrefix}.${id}`, this.#options.producer);
      created.push(task);
    }
    await Promise.all(created.map((t) => t.producer));
    const committed = await this.#committed(created);
    await Promise.all(created.map((t) => this.#openStores(t, committed)));
    await this.#resume(created, committed);
    // Only now: a query (or anything else) must not see a store still restoring.
    for (const task of created) this.tasks.set(task.id, task);
  }

  /**
   * A table restores only up to the group's committed offset of its topic (or its checkpoint, when further),
   * as Kafka Streams restores a source-topic changelog: the rest is read with the stream, in timestamp order.
   */
  async #openStores(task: Task, committed: ReadonlyMap<string, PartitionOffset[]> = new Map()): Promise<void> {
    const tables = (this.#options.tables ?? []).map((topic) => ({ name: tableStoreName(topic), changelog: topic, table: true }));
    for (const { name, changelog, table } of [...this.#options.stores.map((s) => ({ ...s, table: false })), ...tables]) {
      const store = new CachedStore(await this.#options.openBackend(task.id, name));
      const target = { name, store, changelog, next: 0 };
      if (table) task.tables.set(changelog, target);
      else task.stores.push(target);
      const done = committed.get(changelog)?.find((c) => c.partition === task.id)?.offset;
      const until = !table ? undefined : done === undefined || done === null ? null : BigInt(done);
      await restoreStore(this.#options.transport, task.id, target, this.#logger.child({ partition: task.id }), (p) => this.restores.set(`${name}/${task.id}`, { ...p }), until);
    }
  }

  /**
   * The group's committed offsets of the input topics new tasks need them for: every topic when
   * stores or transactions say where to resume, or when several topics are read together (a table,
   * a join: the source syncs them and must know their positions); none otherwise.
   */
  async #committed(tasks: readonly Task[]): Promise<Map<string, PartitionOffset[]>> {
    const consumer = this.#consumer;
    const committed = new Map<string, PartitionOffset[]>();
    if (consumer === undefined || tasks.length === 0 || !(this.exactlyOnce || this.stateful || this.#synced)) return committed;
    for (const topic of this.#options.topics) committed.set(topic, await withRetry(() => consumer.committedOffsets(topic)));
    return committed;
  }

  /** Several input topics: the source reads each task's partitions in timestamp order (transport/task-sync.ts). */
  get #synced(): boolean {
    return this.#options.topics.length > 1;
  }

  /**
   * Where each new task starts reading: the committed offset, or (at-least-once)
   * the position its stores say they hold, when further. Exactly-once reads the
   * committed offsets only after fencing, so the previous owner's last
   * transaction has committed or aborted by then.
   */
  async #resume(tasks: readonly Task[], committed: ReadonlyMap<string, PartitionOffset[]>): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined || tasks.length === 0) return;
    for (const topic of this.#options.topics) {
      for (const task of tasks) {
        const offset = committed.get(topic)?.find((c) => c.partition === task.id)?.offset;
        const done = offset === null || offset === undefined ? undefined : BigInt(offset);
        const table = task.tables.get(topic)?.store.checkpoint;
        // A table reads on from where its restore stopped; any other input from where its stores say.
        const stored = table !== undefined ? BigInt(table) : task.stateful ? readPositions(task.stores[0]!.store).get(topic) : undefined;
        const from = stored !== undefined && (done === undefined || stored > done) ? stored : done;
        if (from === undefined) continue;
        task.floors.set(topic, from);
        // The group's own offset, not `from`: stores ahead of it (a crash after their changelog write) still need
        // that position committed, or the group lags for good where no new record comes to move it.
        if (done !== undefined) task.watermark(topic).markCommitted(done);
        // Synced topics too: a consumer may know no position before its first fetch (kafkajs), and
        // the source could then not tell that a partner partition is caught up.
        if (this.exactlyOnce || from !== done || this.#synced) consumer.seek(topic, task.id, from.toString());
      }
    }
  }

  /** Commits every task (serialised, so commits never go backwards); a failure waits for the next interval. */
  commit(tasks?: readonly Task[]): Promise<void> {
    return this.#serialised(tasks).catch((err: unknown) => {
      this.#logger.warn({ err }, 'commit failed; will retry at the next interval');
    });
  }

  #serialised(tasks?: readonly Task[]): Promise<void> {
    const run = this.#committing.then(() => this.#commitNow(tasks)).then(() => this.#maybePurge());
    this.#committing = run.catch(() => undefined);
    return run;
  }

  /** Starts a purge when the interval has passed and none is under way; commits never wait for it. */
  #maybePurge(): void {
    if (this.#options.repartitionTopics.length === 0 || this.#purging !== undefined || Date.now() - this.#lastPurge < PURGE_INTERVAL_MS) return;
    this.#lastPurge = Date.now();
    this.#purging = this.#purge().finally(() => (this.#purging = undefined));
  }

  /** Deletes what the group has committed of the repartition partitions of live tasks; never rejects. */
  async #purge(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const owned = new Set([...this.tasks.values()].filter((t) => !t.closed).map((t) => t.id));
    try {
      for (const topic of this.#options.repartitionTopics) {
        const starts = (await consumer.committedOffsets(topic)).flatMap(({ partition, offset }) =>
          offset !== null && owned.has(partition) && BigInt(offset) > (this.#purged.get(partitionKey(topic, partition)) ?? 0n) ? [{ partition, offset }] : [],
        );
        if (starts.length === 0) continue;
        await this.#options.transport.deleteRecordsBefore(topic, starts);
        for (const { partition, offset } of starts) this.#purged.set(partitionKey(topic, partition), BigInt(offset));
        this.#logger.debug({ topic, starts }, 'deleted committed repartition records');
      }
    } catch (err) {
      this.#logger.warn({ err }, 'deleting committed repartition records failed; the next purge deletes them');
    }
  }

  /**
   * The commit at the end of a run has no next interval: a failure (a
   * rebalance under way, a broker busy for a moment) is tried again, since
   * what it leaves uncommitted is read twice.
   */
  async #commitFinal(tasks?: readonly Task[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#serialised(tasks);
        return;
      } catch (err) {
        if (attempt >= FINAL_COMMIT_ATTEMPTS) {
          this.#logger.error({ err }, 'final commit failed; what it held is read again by the next owner');
          return;
        }
        this.#logger.warn({ err, attempt }, 'final commit failed; trying again');
        await sleep(FINAL_COMMIT_BACKOFF_MS * attempt);
      }
    }
  }

  async #commitNow(only?: readonly Task[]): Promise<void> {
    const tasks = only ?? [...this.tasks.values()].filter((t) => !t.closed);
    if (this.exactlyOnce) {
      await this.transactions?.(tasks);
      return;
    }
    // Tables keep no changelog: their local copies take what was read, with its position, for the next restore.
    await Promise.all(tasks.flatMap((task) => [...task.tables.values()].map((t) => t.store.flush())));
    // Every task's changelog first, then one commit request for all of them: a commit's cost is its round trip.
    const written = await Promise.allSettled(tasks.map((task) => (task.stateful ? this.#writeChangelog(task) : undefined)));
    await this.#commitOffsets(tasks.filter((_, i) => written[i]!.status === 'fulfilled'));
    const failed = written.find((w) => w.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * The snapshot a task's next changelog write carries (taken once, kept until
   * that write is done): positions and stream time go in with the changes.
   */
  prepare(task: Task): StateSnapshot | undefined {
    if (task.pending !== undefined) return task.pending;
    this.beforeSnapshot?.(task);
    writePositions(task.stores[0]!.store, task);
    task.pending = task.snapshot();
    return task.pending;
  }

  async #writeChangelog(task: Task): Promise<void> {
    const snapshot = this.prepare(task);
    if (snapshot === undefined) return;
    const deadline = Date.now() + READY_WAIT_MS;
    while (!snapshotReady(snapshot)) {
      if (task.closed || Date.now() > deadline) return;
      await sleep(2);
    }
    const records = changelogRecords(task, snapshot);
    if (records.length > 0) {
      const producer = await this.#options.changelogProducer!();
      await producer.send(records);
    }
    await applySnapshot(snapshot);
    task.pending = undefined;
    for (const token of snapshot.held) token.done();
  }

  async #commitOffsets(tasks: readonly Task[]): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const marks: Array<{ task: Task; mark: PartitionWatermark; next: bigint }> = [];
    for (const task of tasks) {
      for (const mark of task.watermarks.values()) {
        const next = mark.committable();
        if (next !== undefined && !mark.revoked) marks.push({ task, mark, next });
      }
    }
    if (marks.length === 0) return;
    const stored = await consumer.commit(marks.map(({ mark, next }) => ({ topic: mark.topic, partition: mark.partition, offset: next.toString() })));
    marks.forEach(({ task, mark, next }, i) => {
      if (stored[i]) {
        mark.markCommitted(next);
        this.committed++;
      } else {
        // Not ours any more: the new owner re-reads from its committed offset.
        this.#drop([task]);
      }
    });
  }

  /** Before partitions go: commit their tasks (what is finished), then close them. */
  async revoke(partitions: readonly TopicPartitions[]): Promise<void> {
    const tasks = this.#tasksOf(partitions);
    // Once: the group waits for this member, and a rebalance that moves on without it costs more than a retry saves.
    await this.commit(tasks);
    await this.#close(tasks);
  }

  /** Lost while this member was out of its group: others may be past them, so nothing of them is committed. */
  lost(partitions: readonly TopicPartitions[]): void {
    void this.#close(this.#tasksOf(partitions));
  }

  #tasksOf(partitions: readonly TopicPartitions[]): Task[] {
    const ids = new Set(partitions.flatMap((p) => p.partitions));
    return [...this.tasks.values()].filter((t) => ids.has(t.id));
  }

  #drop(tasks: readonly Task[]): void {
    for (const task of tasks) {
      task.revoke();
      this.tasks.delete(task.id);
    }
  }

  async #close(tasks: readonly Task[]): Promise<void> {
    this.#drop(tasks);
    await Promise.all(tasks.map(async (task) => {
      for (const s of [...task.stores, ...task.tables.values()]) {
        s.store.discard();
        await s.store.close().catch((err: unknown) => this.#logger.warn({ err, store: s.name, partition: task.id }, 'closing a store failed'));
      }
      if (task.producer !== undefined) await (await task.producer).close().catch((err: unknown) => this.#logger.warn({ err, partition: task.id }, 'closing the producer of a task failed'));
    }));
  }

  /** Records read and still being worked on: in flight, and not merely waiting in a store for the next commit. */
  get working(): number {
    let n = 0;
    for (const task of this.tasks.values()) {
      for (const mark of task.watermarks.values()) n += mark.inFlight;
      n -= task.heldForCommit;
    }
    return n;
  }

  /** The final commit (after the pipeline drained) and purge, then every task closed. */
  async close(): Promise<void> {
    await this.#commitFinal();
    if (this.#options.repartitionTopics.length > 0) {
      await this.#purging;
      await this.#purge();
    }
    await this.#close([...this.tasks.values()]);
  }

  /** After a crash: close without committing anything more. */
  async abandon(): Promise<void> {
    await this.#close([...this.tasks.values()]);
  }
}

