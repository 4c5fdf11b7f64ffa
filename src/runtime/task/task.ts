/**
 * A task: everything a stage instance holds for one partition number of its
 * input (all co-partitioned input topics' partition N), as Kafka Streams
 * splits its runtime. It owns
 *
 * - a watermark per input topic: the commit position (offsets.ts),
 * - a floor per input topic: records below it are already in the task's
 *   stores (and their outputs acknowledged), so a re-read skips them,
 * - its state stores, each with a changelog partition N,
 * - the state shares of records absorbed into the stores since the last
 *   changelog write, and the outputs emitted on commit (a global window's
 *   updates): the next changelog write waits for both,
 * - its transactional producer (exactly-once).
 *
 * Nothing of a task is shared with another: dropping one on revoke drops all
 * of its state at once.
 */
import type { CachedStore, ChangelogEntry } from '../../state/index.ts';
import type { TransactionalProducer } from '../../transport/index.ts';
import { PartitionWatermark, type Completion } from '../offsets.ts';
import type { ReadPosition } from '../../transport/index.ts';

/** A store of a task and where its changes go. */
export interface TaskStore {
  readonly name: string;
  readonly store: CachedStore;
  readonly changelog: string;
  /**
   * Lower bound of the changelog's next offset: what was read at restore
   * plus what was written since. Transaction markers make the real end
   * larger; restoring from a lower bound re-reads a few changes, harmless
   * since each carries a whole value and later ones win.
   */
  next: number;
}

/** The name of a table's store, in restores and for its local copy: `table-<topic>` (task-manager.ts opens it so). */
export function tableStoreName(topic: string): string {
  return `table-${topic}`;
}

/** What one changelog write carries and waits for. */
export interface StateSnapshot {
  readonly entries: ReadonlyArray<{ store: TaskStore; entries: ChangelogEntry[] }>;
  /** State shares of the records whose effects the entries hold. */
  readonly held: Completion[];
  /** Outputs emitted for the snapshot (updates on commit): written before it. */
  readonly emitted: Completion[];
}

/** An output emitted on commit: the changelog write that follows waits until it is acknowledged. */
export class EmitToken implements Completion {
  #pending = 1;
  fanOut(count: number): void {
    this.#pending += count - 1;
  }
  done(): void {
    if (this.#pending > 0) this.#pending--;
  }
  get remaining(): number {
    return this.#pending;
  }
}

export class Task {
  readonly id: number;
  readonly watermarks = new Map<string, PartitionWatermark>();
  readonly floors = new Map<string, bigint>();
  readonly stores: TaskStore[] = [];
  /**
   * Tables by topic (steps/table-join.ts): stores whose changelog is the input topic itself, so they
   * are never written to one and take no part in snapshots.
   */
  readonly tables = new Map<string, TaskStore>();
  producer: Promise<TransactionalProducer> | undefined;
  /** A snapshot taken for the task's next changelog write, until that write is done. */
  pending: StateSnapshot | undefined;
  readonly #closing = new AbortController();
  /** Aborted when the task closes, so what holds work of it (a sink's batch and its timer) drops it at once. */
  readonly closing: AbortSignal = this.#closing.signal;
  #held: Completion[] = [];
  #emitted: Completion[] = [];

  constructor(
    id: number,
    topics: readonly string[],
    position: (topic: string, partition: number) => ReadPosition | undefined,
  ) {
    this.id = id;
    for (const topic of topics) this.watermarks.set(topic, new PartitionWatermark(topic, id, () => position(topic, id)));
  }

  get closed(): boolean {
    return this.closing.aborted;
  }

  get stateful(): boolean {
    return this.stores.length > 0;
  }

  store(name: string): CachedStore {
    const found = this.stores.find((s) => s.name === name);
    if (found === undefined) throw new RangeError(`task ${this.id} has no store ${name}`);
    return found.store;
  }

  watermark(topic: string): PartitionWatermark {
    const mark = this.watermarks.get(topic);
    if (mark === undefined) throw new RangeError(`task ${this.id} does not read ${topic}`);
    return mark;
  }

  /** Per input topic, the offset after the last record whose effect is in the stores. */
  readonly absorbed = new Map<string, bigint>();

  /** A record's effect is in the stores now: its token keeps one share until the changelog has it. */
  /** Held records whose every other output is done: only the next changelog write finishes them. */
  get heldForCommit(): number {
    let n = 0;
    for (const token of this.#held) if (token.remaining === 1) n++;
    return n;
  }

  hold(token: Completion | undefined, topic?: string, offset?: string): void {
    if (token !== undefined) this.#held.push(token);
    if (topic !== undefined && offset !== undefined) this.absorbed.set(topic, BigInt(offset) + 1n);
  }

  emitToken(): EmitToken {
    const token = new EmitToken();
    this.#emitted.push(token);
    return token;
  }

  /** Everything changed since the last snapshot, for the next changelog write; undefined when nothing did. */
  snapshot(): StateSnapshot | undefined {
    const entries = this.stores.map((store) => ({ store, entries: store.store.snapshot() }));
    if (this.#held.length === 0 && this.#emitted.length === 0 && entries.every((e) => e.entries.length === 0)) return undefined;
    const snapshot: StateSnapshot = { entries, held: this.#held, emitted: this.#emitted };
    this.#held = [];
    this.#emitted = [];
    return snapshot;
  }

  /** Marks every watermark revoked: tokens of its records say so, and no commit of it is made any more. */
  revoke(): void {
    for (const mark of this.watermarks.values()) mark.revoked = true;
    this.#closing.abort();
  }
}

/** The records of one changelog write, to the task's partition of each store's changelog. */
export function changelogRecords(task: Task, snapshot: StateSnapshot) {
  return snapshot.entries.flatMap(({ store, entries }) =>
    entries.map((e) => ({ topic: store.changelog, partition: task.id, key: e.key, value: e.value })),
  );
}

/** After a changelog write of `snapshot` is acknowledged or committed: the stores' local copies take it. */
export async function applySnapshot(snapshot: StateSnapshot): Promise<void> {
  for (const { store, entries } of snapshot.entries) {
    store.next += entries.length;
    if (entries.length > 0 || store.store.checkpoint === undefined) await store.store.applied(store.next);
  }
}

/** True once every output of the snapshot's records is acknowledged, or (exactly-once) in `batch`. */
export function snapshotReady(snapshot: StateSnapshot, inBatch: (token: Completion) => number = () => 0): boolean {
  for (const token of snapshot.held) if (token.remaining > 1 + inBatch(token)) return false;
  for (const token of snapshot.emitted) if (token.remaining > inBatch(token)) return false;
  return true;
}
