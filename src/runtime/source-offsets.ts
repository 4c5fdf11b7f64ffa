/**
 * Where finite sources (files, counted generators) keep how far they got:
 * a compacted topic per node, `<topology>.<node>.source-offsets`, created
 * with the topology's topics, one record per source keyed by what it reads
 * (the file's path), the latest one winning, as Kafka Connect's offset
 * storage does. It goes through the Transport like any topic, so it works on
 * Kafka and on the embedded transport (where it lasts as long as the process).
 */
import type { Logger } from '../core/index.ts';
import type { Topology, TopologyNode, TopicSpec } from '../topology/index.ts';
import { createSourceStream, type Producer, type Transport } from '../transport/index.ts';
import { decodePosition, encodePosition, type SourcePosition } from './sources/position.ts';
import type { PositionStore } from './sources/progress.ts';
import { withRetry } from './retry.ts';

/** Nodes whose source has a position to keep: files and generators with a `count`. */
export function keepsSourcePosition(node: TopologyNode): boolean {
  return node.input.kind === 'file' || (node.input.kind === 'generator' && node.input.count !== undefined);
}

export function sourceOffsetsTopicOf(topology: Topology, node: TopologyNode): string {
  return `${topology.name}.${node.id}.source-offsets`;
}

/** The topology with the source-offsets topic of every node that keeps a source position. */
export function addSourceOffsetTopics(topology: Topology): Topology {
  const nodes = topology.nodes.filter(keepsSourcePosition);
  if (nodes.length === 0) return topology;
  const topics: Record<string, TopicSpec> = { ...topology.topics };
  for (const node of nodes) {
    const name = sourceOffsetsTopicOf(topology, node);
    // As durable as the topic the source writes into.
    const replication = Math.max(1, ...node.writes.map((t) => topology.topics[t]?.replication ?? 1));
    topics[name] = { name, partitions: 1, replication, cleanup: 'compact', codec: 'json', compression: 'lz4', declared: false, deadLetter: false };
  }
  return { ...topology, topics };
}

/**
 * The value last written under `key`: every record of the topic is read from
 * its start up to its end offsets of now, by a consumer group that never
 * commits, so each read starts from the beginning again.
 */
export async function readLatestValue(transport: Transport, topic: string, key: string, groupId: string): Promise<Buffer | null> {
  const consumer = await transport.consumer({ groupId, topics: [topic], fromBeginning: true });
  try {
    const ends = new Map<number, bigint>();
    for (const { partition, offset } of await consumer.endOffsets(topic)) {
      if (offset !== null && BigInt(offset) > 0n) ends.set(partition, BigInt(offset));
    }
    if (ends.size === 0) return null;
    let latest: Buffer | null = null;
    for await (const record of await createSourceStream(consumer)) {
      const r = record as { key: Buffer | null; value: Buffer | null; partition: number; offset: string };
      if (r.key?.toString() === key) latest = r.value;
      const end = ends.get(r.partition);
      if (end !== undefined && BigInt(r.offset) + 1n >= end) ends.delete(r.partition);
      if (ends.size === 0) break;
    }
    return latest;
  } finally {
    await consumer.disconnect();
  }
}

/** A source's positions in its source-offsets topic, under `key`. */
export class TopicPositionStore implements PositionStore {
  constructor(
    private readonly transport: Transport,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly key: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<SourcePosition | undefined> {
    // A topic created a moment ago may still be electing its leader.
    const bytes = await withRetry(() => readLatestValue(this.transport, this.topic, this.key, `${this.topic}.reader`), {
      onRetry: (err, attempt, delayMs) => this.logger.warn({ err, attempt, delayMs, topic: this.topic }, 'transient broker error reading the stored source position; retrying'),
    });
    if (bytes === null) return undefined;
    const decoded = decodePosition(bytes);
    if (decoded.ok) return decoded.position;
    // Reading again from the start repeats records; trusting a broken position could skip them.
    this.logger.warn({ topic: this.topic, key: this.key, reason: decoded.reason }, 'stored source position is unusable; reading from the start');
    return undefined;
  }

  async save(position: SourcePosition): Promise<void> {
    await this.producer.send([{ topic: this.topic, key: this.key, value: encodePosition(position) }]);
  }
}
