/**
 * Co-partitioned inputs read in timestamp order, as a Kafka Streams task
 * reads them (PartitionGroup.readyToProcess, `max.task.idle.ms`). A task is
 * one partition number across the topics read together. Choosing the
 * earliest record among those held is not enough: a partition whose records
 * are not fetched yet (still on the broker, or not written yet by a stage
 * upstream) would let its partners' later records go first, and stream time
 * run past its records (late for a join window; a table lookup before the
 * row it should see).
 *
 * So a record of task P waits while another topic's partition P, owned by
 * this consumer, has nothing buffered and either
 *
 * - the broker has records of it not yet fetched (its position is before the
 *   end the broker gave, asked once per wait; the record waits for the
 *   answer too), or
 * - it is caught up, and `maxIdleMs` has not passed since it was found so:
 *   records may still come (0, the default, waits for none).
 *
 * A partition's wait ends when it receives records. The source stream parks
 * a waiting task's queues (earliest-queues.ts) so other tasks go on, and this
 * module wakes it when something it waits for changes.
 */
import { partitionKey } from './assignment.ts';
import type { EarliestQueues } from './earliest-queues.ts';
import type { ConsumedRecord, Consumer } from './types.ts';

export interface SyncOptions {
  /** The topics read together, co-partitioned. */
  topics: readonly string[];
  /** How long a task waits for a partner partition that is caught up with the broker. */
  maxIdleMs: number;
}

/**
 * How often a task waiting for records known to be on the broker looks at
 * the position again: a fetch that held only transaction markers moves it to
 * the end without delivering anything, so no arrival would wake the task.
 */
const POSITION_POLL_MS = 50;

/**
 * How long a task waits for a partner whose position the consumer cannot
 * say (kafkajs knows none before a fetch delivers a record, which never
 * happens where every record was deleted): then it counts as caught up.
 */
const UNKNOWN_POSITION_MS = 5_000;

/** One partition that holds its task back, from when it was first found empty until it receives records. */
interface Wait {
  topic: string;
  partition: number;
  /** The partition's end as the broker answered; undefined while asked. */
  end: bigint | undefined;
  /** Once caught up: when it stops holding its task back. */
  deadline: number | undefined;
  /** When it was first found empty. */
  since: number;
  /** Caught up, and nothing more is coming for now (release()): it holds nothing back. */
  released?: true;
}

export class TaskSync {
  readonly #topics: ReadonlySet<string>;
  readonly #maxIdleMs: number;
  readonly #consumer: Consumer;
  readonly #queues: EarliestQueues;
  /** The stream pumps again: what a parked task waited for may have changed. */
  readonly #onWake: () => void;
  /** Per partition key. */
  readonly #waits = new Map<string, Wait>();
  /** Topics whose end offsets are asked now. */
  readonly #asking = new Set<string>();
  /** Partition numbers of the tasks parked. */
  readonly #parked = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(consumer: Consumer, queues: EarliestQueues, options: SyncOptions, onWake: () => void) {
    this.#consumer = consumer;
    this.#queues = queues;
    this.#topics = new Set(options.topics);
    this.#maxIdleMs = Math.max(0, options.maxIdleMs);
    this.#onWake = onWake;
  }

  /** Whether `record` may go now; when not, its task is parked until woken. */
  admit(record: ConsumedRecord): boolean {
    const { topic, partition } = record;
    if (!this.#topics.has(topic)) return true;
    const now = Date.now();
    let ready = true;
    // Every partner is looked at, not only the first that blocks: their end offsets are asked together.
    for (const other of this.#topics) {
      if (other === topic || this.#queues.first(other, partition) !== undefined || !this.#consumer.owns(other, partition)) continue;
      if (this.#blocks(other, partition, now)) ready = false;
    }
    if (!ready) {
      this.#queues.park(partition);
      this.#parked.add(partition);
    }
    return ready;
  }

  #blocks(topic: string, partition: number, now: number): boolean {
    const key = partitionKey(topic, partition);
    let wait = this.#waits.get(key);
    if (wait === undefined) {
      this.#waits.set(key, (wait = { topic, partition, end: undefined, deadline: undefined, since: now }));
      this.#ask(topic);
    }
    if (wait.end === undefined) return true;
    const next = this.#consumer.position(topic, partition)?.next;
    if (next === undefined ? now - wait.since < UNKNOWN_POSITION_MS : BigInt(next) < wait.end) {
      this.#wakeAt(now + POSITION_POLL_MS);
      return true;
    }
    wait.deadline ??= now + this.#maxIdleMs;
    if (now >= wait.deadline || wait.released) return false;
    this.#wakeAt(wait.deadline);
    return true;
  }

  /** One request per topic answers every partition of it waiting now. */
  #ask(topic: string): void {
    if (this.#asking.has(topic)) return;
    this.#asking.add(topic);
    this.#consumer.endOffsets(topic).then(
      (ends) => {
        this.#asking.delete(topic);
        const byPartition = new Map(ends.map((e) => [e.partition, e.offset]));
        for (const wait of this.#waits.values()) {
          if (wait.topic === topic && wait.end === undefined) wait.end = BigInt(byPartition.get(wait.partition) ?? '0');
        }
        this.wake();
      },
      () => {
        // Asked again when the task next looks, a moment later, rather than read unsynchronised.
        this.#asking.delete(topic);
        for (const [key, wait] of this.#waits) if (wait.topic === topic && wait.end === undefined) this.#waits.delete(key);
        this.#wakeAt(Date.now() + POSITION_POLL_MS);
      },
    );
  }

  /** Records of the partition came: its wait is over, and its task looks again. */
  received(topic: string, partition: number): void {
    if (this.#waits.size > 0) this.#waits.delete(partitionKey(topic, partition));
    if (this.#parked.delete(partition)) {
      this.#queues.unpark(partition);
      this.#onWake();
    }
  }

  /** The partition was revoked or sought: what was known of its position is void. */
  forget(topic: string, partition: number): void {
    this.#waits.delete(partitionKey(topic, partition));
  }

  /**
   * Whoever writes the partners has written all it will for now (a test
   * driver knows): a partner caught up with the broker holds nothing back
   * until it receives records again. Records known on the broker are still
   * waited for.
   */
  release(): void {
    for (const wait of this.#waits.values()) if (wait.end !== undefined) wait.released = true;
    this.wake();
  }

  /** Every parked task back in the heap, to look again at what it waits for. */
  wake(): void {
    if (this.#closed) return;
    for (const partition of this.#parked) this.#queues.unpark(partition);
    this.#parked.clear();
    this.#onWake();
  }

  #wakeAt(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, at - Date.now()));
  }

  /** No more waiting: parked tasks go back, and no timer is left behind. */
  close(): void {
    this.wake();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
