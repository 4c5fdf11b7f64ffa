/**
 * An in-process broker: topics of append-only partition logs with Kafka's
 * offsets, and consumer groups (group.ts). Topics are created on first use
 * with one partition, as a broker with auto.create.topics.enable does.
 * Retention is not enforced: logs live as long as the process, unless records
 * are deleted up to an offset (`deleteBefore`), which moves a log's start. A
 * transaction leaves a marker in each partition it wrote, as Kafka's do: an
 * entry that takes an offset and is never delivered.
 */
import type { ConsumedRecord, PartitionOffset, PartitionRange, TopicDescription, TopicSpec } from '../types.ts';
import { EmbeddedGroup } from './group.ts';

/** Kafka's defaults, reported by describeTopics when a spec leaves them out. */
const DEFAULT_CONFIG = { 'cleanup.policy': 'delete', 'retention.ms': '604800000' };

/** Kafka's default `max.message.bytes`: the largest record batch a topic takes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** A record, or null for a transaction marker. */
export type LogEntry = ConsumedRecord | null;

export interface EmbeddedTopic {
  spec: TopicSpec;
  /** One log per partition; an entry's offset is its index. */
  logs: LogEntry[][];
  /** Each log's first offset still held: entries before it are deleted. */
  starts: number[];
}

export class EmbeddedBroker {
  readonly #topics = new Map<string, EmbeddedTopic>();
  readonly #groups = new Map<string, EmbeddedGroup>();
  readonly #listeners = new Set<(topic: string) => void>();

  createTopic(spec: TopicSpec): EmbeddedTopic {
    let topic = this.#topics.get(spec.name);
    if (topic === undefined) {
      const partitions = Math.max(1, spec.partitions);
      topic = { spec, logs: Array.from({ length: partitions }, () => []), starts: new Array<number>(partitions).fill(0) };
      this.#topics.set(spec.name, topic);
    }
    return topic;
  }

  /** The topic, created with one partition if it does not exist. */
  topic(name: string): EmbeddedTopic {
    return this.#topics.get(name) ?? this.createTopic({ name, partitions: 1 });
  }

  describe(name: string): TopicDescription | undefined {
    const topic = this.#topics.get(name);
    if (topic === undefined) return undefined;
    const { spec } = topic;
    const config: Record<string, string> = { ...DEFAULT_CONFIG, ...spec.config };
    if (spec.cleanupPolicy !== undefined) config['cleanup.policy'] = spec.cleanupPolicy;
    if (spec.retentionMs !== undefined) config['retention.ms'] = String(spec.retentionMs);
    return { name, partitions: topic.logs.length, replicationFactor: spec.replicationFactor ?? 1, config };
  }

  /** The largest record `name` takes: its `max.message.bytes`, else Kafka's default. */
  maxMessageBytes(name: string): number {
    const configured = Number(this.topic(name).spec.config?.['max.message.bytes']);
    return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Appends to the record's partition, which assigns its offset. */
  append(record: Omit<ConsumedRecord, 'offset'>): void {
    const log = this.topic(record.topic).logs[record.partition]!;
    const stored = record as ConsumedRecord;
    stored.offset = String(log.length);
    log.push(stored);
  }

  /** Ends a transaction in one partition of `topic`: a marker takes the next offset. */
  appendMarker(topic: string, partition: number): void {
    this.topic(topic).logs[partition]!.push(null);
  }

  /** Tells consumers that `topic` has new records. */
  notify(topic: string): void {
    for (const listener of this.#listeners) listener(topic);
  }

  onAppend(listener: (topic: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  endOffsets(name: string): PartitionOffset[] {
    return this.topic(name).logs.map((log, partition) => ({ partition, offset: String(log.length) }));
  }

  /** First and end offset of every partition, as Kafka's ListOffsets gives them. */
  ranges(name: string): PartitionRange[] {
    const { logs, starts } = this.topic(name);
    return logs.map((log, partition) => ({ partition, low: String(starts[partition]), high: String(log.length) }));
  }

  /** Moves the partition's start to `offset` (never back, never past its end); what it passes is freed. */
  deleteBefore(name: string, partition: number, offset: number): void {
    const { logs, starts } = this.topic(name);
    const log = logs[partition]!;
    const from = starts[partition]!;
    const to = Math.min(Math.max(from, offset), log.length);
    log.fill(null, from, to);
    starts[partition] = to;
  }

  group(id: string): EmbeddedGroup {
    let group = this.#groups.get(id);
    if (group === undefined) this.#groups.set(id, (group = new EmbeddedGroup(id, this)));
    return group;
  }
}

let shared: EmbeddedBroker | undefined;

/** The process-wide broker, so stages of one process meet at the same topics. */
export function getEmbeddedBroker(): EmbeddedBroker {
  return (shared ??= new EmbeddedBroker());
}
