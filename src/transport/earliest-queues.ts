/**
 * Records waiting in a source stream, one queue per partition, with the
 * queue whose next record is earliest (by timestamp, then the partition seen first) at the
 * top of a binary heap: taking a record costs log(partitions), not a scan of
 * every partition queue.
 *
 * A task (one partition number across the topics) can be parked: its queues
 * leave the heap, keeping their records, so the earliest of the other tasks'
 * records comes out while it waits for a partner partition (sync.ts).
 */
import type { ConsumedRecord } from './types.ts';

/** One partition's waiting records, taken from the front without shifting the array. */
class PartitionQueue {
  #records: (ConsumedRecord | undefined)[] = [];
  #head = 0;
  /** The timestamp of the next record, kept here for the heap's comparisons. */
  next = 0;
  /** Where this queue sits in the heap; -1 while it is empty or parked (not in the heap). */
  slot = -1;
  /** Out of the heap while its task waits; records still join it. */
  parked = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Creation order: breaks timestamp ties, the queue made first going first. */
    readonly order: number,
  ) {}

  get size(): number {
    return this.#records.length - this.#head;
  }

  push(record: ConsumedRecord): void {
    if (this.#records.push(record) === this.#head + 1) this.next = record.timestamp;
  }

  /** The next record, still waiting. */
  peek(): ConsumedRecord | undefined {
    return this.#records[this.#head];
  }

  /** Whether this queue's next record goes before `other`'s. */
  before(other: PartitionQueue): boolean {
    return this.next < other.next || (this.next === other.next && this.order < other.order);
  }

  shift(): ConsumedRecord {
    const record = this.#records[this.#head]!;
    this.#records[this.#head++] = undefined;
    if (this.#head === this.#records.length) {
      this.#records = [];
      this.#head = 0;
      return record;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
    this.next = this.#records[this.#head]!.timestamp;
    return record;
  }
}

export class EarliestQueues {
  /** Per topic, per partition. */
  readonly #queues = new Map<string, Map<number, PartitionQueue>>();
  /** The non-empty queues, earliest next record first. */
  readonly #heap: PartitionQueue[] = [];
  #created = 0;
  #last: PartitionQueue | undefined;

  push(record: ConsumedRecord): void {
    const queue = this.#queueOf(record.topic, record.partition);
    queue.push(record);
    // A queue that had records keeps its head, so its place in the heap stands.
    if (queue.size === 1 && !queue.parked) this.#insert(queue);
  }

  #insert(queue: PartitionQueue): void {
    queue.slot = this.#heap.length;
    this.#heap.push(queue);
    this.#up(queue.slot);
  }

  /** A consumer offers a partition's records together: the queue of the last one is most likely the next one's. */
  #queueOf(topic: string, partition: number): PartitionQueue {
    const last = this.#last;
    if (last !== undefined && last.partition === partition && last.topic === topic) return last;
    let partitions = this.#queues.get(topic);
    if (partitions === undefined) this.#queues.set(topic, (partitions = new Map()));
    let queue = partitions.get(partition);
    if (queue === undefined) partitions.set(partition, (queue = new PartitionQueue(topic, partition, this.#created++)));
    this.#last = queue;
    return queue;
  }

  /** The earliest record of the tasks not parked, still waiting; undefined when none waits. */
  peek(): ConsumedRecord | undefined {
    return this.#heap[0]?.peek();
  }

  /** Takes the queues of partition number `partition`, of every topic, out of the heap; records still join them. */
  park(partition: number): void {
    for (const partitions of this.#queues.values()) {
      const queue = partitions.get(partition);
      if (queue === undefined || queue.parked) continue;
      queue.parked = true;
      if (queue.slot >= 0) this.#remove(queue);
    }
  }

  /** Puts the parked queues of partition number `partition` back in the heap. */
  unpark(partition: number): void {
    for (const partitions of this.#queues.values()) {
      const queue = partitions.get(partition);
      if (queue === undefined || !queue.parked) continue;
      queue.parked = false;
      if (queue.size > 0) this.#insert(queue);
    }
  }

  /** The earliest waiting record of the tasks not parked; call only while `peek()` finds one. */
  shift(): ConsumedRecord {
    const top = this.#heap[0]!;
    const record = top.shift();
    if (top.size > 0) this.#down(0);
    else this.#remove(top);
    return record;
  }

  /** The partition's next waiting record, if any waits. */
  first(topic: string, partition: number): ConsumedRecord | undefined {
    return this.#queues.get(topic)?.get(partition)?.peek();
  }

  /** Drops the partition's waiting records; how many there were. */
  drop(topic: string, partition: number): number {
    const partitions = this.#queues.get(topic);
    const queue = partitions?.get(partition);
    if (queue === undefined) return 0;
    partitions!.delete(partition);
    if (this.#last === queue) this.#last = undefined;
    if (partitions!.size === 0) this.#queues.delete(topic);
    if (queue.slot >= 0) this.#remove(queue);
    return queue.size;
  }

  #remove(queue: PartitionQueue): void {
    const at = queue.slot;
    const last = this.#heap.pop()!;
    queue.slot = -1;
    if (last === queue) return;
    this.#heap[at] = last;
    last.slot = at;
    this.#down(at);
    this.#up(last.slot);
  }

  #up(at: number): void {
    const heap = this.#heap;
    const queue = heap[at]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!queue.before(heap[parent]!)) break;
      this.#place(heap[parent]!, at);
      at = parent;
    }
    this.#place(queue, at);
  }

  #down(at: number): void {
    const heap = this.#heap;
    const queue = heap[at]!;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.before(heap[left]!) ? right : left;
      if (!heap[child]!.before(queue)) break;
      this.#place(heap[child]!, at);
      at = child;
    }
    this.#place(queue, at);
  }

  #place(queue: PartitionQueue, at: number): void {
    this.#heap[at] = queue;
    queue.slot = at;
  }
}
