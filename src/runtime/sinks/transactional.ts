/**
 * The sink of an exactly-once stage (`guarantee: exactly-once`, topics in and
 * out). Outputs are grouped by the task (input partition) they came from,
 * and each task has its own transactional producer, `<topology>.<node>.<task>`
 * (made by the task manager on assignment): a newer owner of the partition
 * fences an older one, which is the zombie protection kafkajs cannot give
 * through group generations (KIP-447).
 *
 * A task's batch is written in one transaction together with the consumed
 * offsets up to which every input is finished, dead letters included, and
 * the changes of its state stores that those inputs made, so outputs,
 * progress and state commit or abort together; the stores' local copies take
 * the changes only once the transaction has committed. A batch is cut only
 * at an input record's boundary: outputs of a record that fanned out never
 * straddle two transactions. A task whose consumer has moved past
 * transaction markers with nothing left to write commits that position in a
 * transaction of offsets alone. A record the broker refuses on its own (too
 * large) aborts its transaction; it is committed again with the record's
 * dead letter in its place (cut down if the dead-letter topic refuses that
 * too), so one record never blocks its partition. A failed transaction fails
 * the stage; its instance is restarted from the last committed offsets.
 */
import { Writable } from 'node:stream';
import { ErrorCodes, isSluiceError, type Logger, type SluiceError } from '../../core/index.ts';
import { refusedRecords, type OutgoingRecord, type TransactionOffsets } from '../../transport/index.ts';
import { smallerDeadLetter } from '../dead-letter.ts';
import type { Envelope } from '../envelope.ts';
import type { Completion } from '../offsets.ts';
import { applySnapshot, changelogRecords, snapshotReady, type Task } from '../task/task.ts';
import type { TaskManager } from '../task/task-manager.ts';

interface Entry {
  record: OutgoingRecord;
  token: Completion | undefined;
  env: Envelope;
  /** The record is a dead letter already: refused again, it is cut down, not dead-lettered. */
  deadLetter: boolean;
}

class TaskBatch {
  entries: Entry[] = [];
  timer: NodeJS.Timeout | undefined;
  /** The transaction in progress, so batches of one task commit in order. */
  flushing: Promise<void> = Promise.resolve();
  /** Since when the task's state changes have waited for the outputs of their records (undefined: not waiting). */
  waitingSince: number | undefined;

  constructor(readonly task: Task) {}
}

export interface TransactionalSinkOptions {
  tasks: TaskManager;
  groupId: string;
  logger: Logger;
  /** Commit a task's transaction once it holds this many records. Default 1,000. */
  batchRecords?: number;
  /** ... or once its first record has waited this long. Default 100 ms. */
  lingerMs?: number;
  /** The dead letter of an output the broker refused (the stage's dead-letter writer builds it). */
  deadLetterOf: (error: SluiceError, env: Envelope) => OutgoingRecord;
}

const STALLED_WAIT_MS = 30_000;

function toOutgoing(env: Envelope): OutgoingRecord {
  const r = env.record;
  return { topic: r.topic!, key: r.key, value: r.value as Buffer | null, headers: r.headers, timestamp: r.timestamp };
}

export class TransactionalSink extends Writable {
  readonly #options: TransactionalSinkOptions;
  readonly #batches = new Map<Task, TaskBatch>();
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
    options.tasks.transactions = (tasks) => this.flush(tasks);
  }

  #batch(task: Task): TaskBatch {
    let batch = this.#batches.get(task);
    if (batch === undefined) {
      this.#batches.set(task, (batch = new TaskBatch(task)));
      const made = batch;
      task.closing.addEventListener('abort', () => this.#discard(made), { once: true });
    }
    return batch;
  }

  /**
   * Close is final: a closed task's batch goes with it, timer included. Its records' offsets belong
   * to the partition's next owner now, who writes their outputs again; committed here as well, they
   * would be written twice.
   */
  #discard(batch: TaskBatch): void {
    clearTimeout(batch.timer);
    batch.timer = undefined;
    batch.entries = [];
    this.#batches.delete(batch.task);
  }

  /**
   * Undefined for a record of a task being given up: were its outputs
   * committed now (with no offset, which has gone to the next owner), that
   * owner would write them again.
   */
  #add(env: Envelope, record: OutgoingRecord, deadLetter: boolean): TaskBatch | undefined {
    const task = env.task;
    if (task === undefined || task.closed || env.token?.revoked === true) return undefined;
    const batch = this.#batch(task);
    batch.entries.push({ record, token: env.token, env, deadLetter });
    this.#arm(batch);
    return batch;
  }

  #arm(batch: TaskBatch): void {
    if (batch.task.closed || this.destroyed) return;
    batch.timer ??= setTimeout(() => void this.#flush(batch).catch((err: Error) => this.destroy(err)), this.#lingerMs);
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

  /** Commits the transactions of these tasks (every task's by default), state and positions included. */
  async flush(tasks?: readonly Task[]): Promise<void> {
    const all = tasks ?? [...this.#options.tasks.tasks.values()];
    await Promise.all(all.map((task) => this.#flush(this.#batch(task))));
  }

  async flushAll(): Promise<void> {
    await this.flush();
  }

  #flush(batch: TaskBatch): Promise<void> {
    batch.flushing = batch.flushing.then(() => this.#commit(batch));
    return batch.flushing;
  }

  async #commit(batch: TaskBatch): Promise<void> {
    if (batch.timer !== undefined) {
      clearTimeout(batch.timer);
      batch.timer = undefined;
    }
    if (this.#failure !== undefined) throw this.#failure;
    const { task } = batch;
    if (task.closed) return this.#discard(batch);
    // The state changes go in with the outputs of the records that made them, once all of those are here.
    const snapshot = task.stateful ? this.#options.tasks.prepare(task) : undefined;
    if (snapshot !== undefined) {
      const counts = countTokens(batch.entries);
      if (!snapshotReady(snapshot, (t) => counts.get(t) ?? 0)) {
        this.#waiting(batch);
        this.#arm(batch);
        return;
      }
      batch.waitingSince = undefined;
      for (const token of snapshot.held) token.done();
    }
    const cut = completeUpTo(batch.entries);
    if (cut === 0 && batch.entries.length > 0 && snapshot === undefined) {
      this.#arm(batch);
      return;
    }
    const entries = batch.entries.splice(0, cut);
    for (const e of entries) e.token?.done();
    const offsets: TransactionOffsets[] = [];
    for (const mark of task.watermarks.values()) {
      const next = mark.committable();
      if (next !== undefined) offsets.push({ groupId: this.#options.groupId, topic: mark.topic, partition: mark.partition, offset: next.toString() });
    }
    const changes = snapshot === undefined ? [] : changelogRecords(task, snapshot);
    // With no record, a transaction of offsets alone moves the group past markers the consumer skipped.
    if (entries.length === 0 && offsets.length === 0 && changes.length === 0) {
      if (snapshot !== undefined) task.pending = undefined;
      return;
    }
    try {
      await this.#transact(batch, entries, changes, offsets);
    } catch (err) {
      // A task being given up may be fenced by its next owner first: nothing is lost (that owner
      // re-reads from the committed offset) and the stage goes on with its other tasks.
      if (!(task.closed && isSluiceError(err) && err.code === ErrorCodes.PRODUCER_FENCED)) this.#failure = err as Error;
      throw err;
    }
    for (const o of offsets) task.watermark(o.topic).markCommitted(BigInt(o.offset));
    if (snapshot !== undefined) {
      await applySnapshot(snapshot);
      task.pending = undefined;
    }
    this.acknowledged += entries.length;
    this.transactions++;
    if (batch.entries.length > 0) this.#arm(batch);
  }

  /** A task that commits nothing is stalled: said once a wait passes STALLED_WAIT_MS, not left silent. */
  #waiting(batch: TaskBatch): void {
    const now = Date.now();
    batch.waitingSince ??= now;
    if (now - batch.waitingSince < STALLED_WAIT_MS) return;
    this.#options.logger.warn({ partition: batch.task.id, waitedMs: now - batch.waitingSince, batched: batch.entries.length }, 'state changes still wait for the outputs of their records; nothing of this task commits meanwhile');
    batch.waitingSince = now;
  }

  /** One transaction of `entries`; refused records are replaced (dead-lettered, or cut down) and the transaction made again. */
  async #transact(batch: TaskBatch, entries: Entry[], changes: readonly OutgoingRecord[], offsets: TransactionOffsets[]): Promise<void> {
    const producer = batch.task.producer;
    if (producer === undefined) throw new Error(`task ${batch.task.id} has no transactional producer`);
    for (;;) {
      try {
        await (await producer).transact([...entries.map((e) => e.record), ...changes], offsets);
        return;
      } catch (err) {
        const refused = refusedRecords(err);
        if (refused === undefined) throw err;
        for (const { index, error } of refused) {
          const entry = entries[index]!;
          const replacement = entry.deadLetter ? smallerDeadLetter(entry.record) : this.#options.deadLetterOf(error, entry.env);
          if (replacement === undefined) throw err;
          this.#options.logger.warn({ err: error, partition: batch.task.id, deadLetter: entry.deadLetter }, entry.deadLetter ? 'dead letter refused by its topic; cut down to fit' : 'record refused by its topic; dead-lettered');
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
  const counts = countTokens(entries);
  for (let i = 0; i < entries.length; i++) {
    const token = entries[i]!.token;
    if (token !== undefined && counts.get(token)! < token.remaining) return i;
  }
  return entries.length;
}

/** How many entries each token has in a batch. */
function countTokens(entries: readonly { token: Completion | undefined }[]): Map<Completion, number> {
  const counts = new Map<Completion, number>();
  for (const e of entries) if (e.token !== undefined) counts.set(e.token, (counts.get(e.token) ?? 0) + 1);
  return counts;
}
