/**
 * Consumer of the embedded broker. Delivery is a pull from the partition logs
 * into the source stream, partition by partition in turns: when the stream
 * refuses records, delivery stops (the same pause) until `drained()`, and new
 * appends wake it. Positions start at the group's committed offset, else the
 * log's start or end per `fromBeginning` (as does a position whose records
 * were deleted), and move past transaction markers as Kafka's consumer does.
 */
import { randomUUID } from 'node:crypto';
import { notOwned, partitionKey, PartitionOwner } from '../assignment.ts';
import type { ConsumedRecord, Consumer, ConsumerOptions, OffsetCommit, PartitionOffset, ReadPosition, RecordSink, TopicPartitions } from '../types.ts';
import type { EmbeddedBroker } from './broker.ts';
import type { EmbeddedGroup, MemberHandle } from './group.ts';

/** Records handed to the stream per partition per turn. */
const CHUNK = 512;

export class EmbeddedConsumer extends PartitionOwner implements Consumer {
  readonly groupId: string;
  readonly #broker: EmbeddedBroker;
  readonly #group: EmbeddedGroup;
  readonly #options: ConsumerOptions;
  readonly #member: MemberHandle;
  #sink: RecordSink | undefined;
  /** Next offset to deliver, per "partition\0topic" owned. */
  readonly #positions = new Map<string, number>();
  /** Offset of the last record delivered per partition, since it was assigned or sought. */
  readonly #delivered = new Map<string, string>();
  #paused = false;
  #stopped = false;
  #left = false;
  #rebalancing = 0;
  #scheduled = false;
  #unlisten: (() => void) | undefined;

  constructor(broker: EmbeddedBroker, options: ConsumerOptions) {
    super();
    this.groupId = options.groupId;
    this.#broker = broker;
    this.#group = broker.group(options.groupId);
    this.#options = options;
    this.#member = {
      id: `${options.groupId}-${randomUUID()}`,
      topics: options.topics,
      assignor: options.assignor ?? 'range',
      revoke: (partitions) => this.#revoke(partitions),
      assign: (partitions) => this.#assign(partitions),
    };
  }

  async attach(sink: RecordSink): Promise<void> {
    if (this.#sink !== undefined) throw new Error('consumer is already attached to a source stream');
    this.#sink = sink;
    for (const topic of this.#options.topics) this.#broker.topic(topic);
    const topics = new Set(this.#options.topics);
    this.#unlisten = this.#broker.onAppend((topic) => {
      if (topics.has(topic)) this.#schedule();
    });
    await this.#group.join(this.#member);
  }

  drained(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<boolean[]> {
    return offsets.map(({ topic, partition, offset }) => {
      if (!this.owns(topic, partition)) return false;
      this.#group.commit(topic, partition, offset);
      return true;
    });
  }

  seek(topic: string, partition: number, offset: string): void {
    if (!this.owns(topic, partition)) throw notOwned(topic, partition, offset);
    this.#sink?.discard([{ topic, partitions: [partition] }]);
    this.#positions.set(partitionKey(topic, partition), Number(offset));
    this.#delivered.delete(partitionKey(topic, partition));
    this.#schedule();
  }

  position(topic: string, partition: number): ReadPosition | undefined {
    if (!this.owns(topic, partition)) return undefined;
    const key = partitionKey(topic, partition);
    const next = this.#positions.get(key);
    return next === undefined ? undefined : { lastDelivered: this.#delivered.get(key) ?? null, next: String(next) };
  }

  async endOffsets(topic: string): Promise<PartitionOffset[]> {
    return this.#broker.endOffsets(topic);
  }

  async committedOffsets(topic: string): Promise<PartitionOffset[]> {
    return this.#group.committedOffsets(topic);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unlisten?.();
    this.#sink?.end();
  }

  /**
   * A clean leave gives up partitions as a rebalance would: revoke first, so
   * the runtime can commit, then let the others take them.
   */
  disconnect(): Promise<void> {
    return this.#leave(() => this.#revoke(this.assignment()));
  }

  abandon(): Promise<void> {
    return this.#leave(async () => {
      this.#sink?.discard(this.assignment());
      this.owned.clear();
    });
  }

  async #leave(giveUp: () => Promise<void>): Promise<void> {
    await this.stop();
    if (this.#left || this.#sink === undefined) return;
    this.#left = true;
    await giveUp();
    await this.#group.leave(this.#member.id);
  }

  async #revoke(partitions: TopicPartitions[]): Promise<void> {
    this.#rebalancing++;
    try {
      this.#sink?.discard(partitions);
      await this.#options.onRevoke?.(partitions);
    } finally {
      for (const { topic, partitions: ps } of partitions) {
        for (const p of ps) {
          this.owned.get(topic)?.delete(p);
          this.#positions.delete(partitionKey(topic, p));
          this.#delivered.delete(partitionKey(topic, p));
        }
      }
      this.#rebalancing--;
    }
  }

  async #assign(partitions: TopicPartitions[]): Promise<void> {
    this.#rebalancing++;
    try {
      for (const { topic, partitions: ps } of partitions) {
        let owned = this.owned.get(topic);
        if (owned === undefined) this.owned.set(topic, (owned = new Set()));
        for (const p of ps) {
          owned.add(p);
          const committed = this.#group.committed(topic, p);
          this.#positions.set(partitionKey(topic, p), committed !== undefined ? Number(committed) : this.#reset(topic, p));
        }
      }
      await this.#options.onAssign?.(partitions);
    } finally {
      this.#rebalancing--;
      this.#schedule();
    }
  }

  /** Where a partition with no position, or one its log no longer holds, is read from (Kafka's auto.offset.reset). */
  #reset(topic: string, partition: number): number {
    const { logs, starts } = this.#broker.topic(topic);
    return this.#options.fromBeginning ? starts[partition]! : logs[partition]!.length;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    const sink = this.#sink;
    let progress = true;
    while (progress && sink !== undefined && !this.#stopped && !this.#paused && this.#rebalancing === 0) {
      progress = false;
      for (const [topic, partitions] of this.owned) {
        const { logs, starts } = this.#broker.topic(topic);
        for (const partition of partitions) {
          const key = partitionKey(topic, partition);
          let position = this.#positions.get(key)!;
          if (position < starts[partition]!) this.#positions.set(key, (position = this.#reset(topic, partition)));
          const log = logs[partition]!;
          if (position >= log.length) continue;
          const entries = log.slice(position, position + CHUNK);
          // The log's entries are every reader's: each delivery gets copies (types.ts).
          const records: ConsumedRecord[] = [];
          for (const e of entries) if (e !== null) records.push({ ...e });
          const taken = records.length > 0 ? sink.offer(records) : 0;
          if (taken > 0) this.#delivered.set(key, records[taken - 1]!.offset);
          // All taken: past the markers that follow too. Else up to the first record refused.
          this.#positions.set(key, taken === records.length ? position + entries.length : Number(records[taken]!.offset));
          progress = true;
          if (taken < records.length) {
            this.#paused = true;
            return;
          }
        }
      }
    }
  }
}
