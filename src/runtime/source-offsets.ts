/**
 * Where finite sources (files, counted generators) keep how far they got:
 * a compacted topic per node, `<topology>.<node>.source-offsets`, created
 * with the topology's topics, one record per source keyed by what it reads
 * (the file's path), the latest one winning, as Kafka Connect's offset
 * storage does. It goes through the Transport like any topic, so it works on
 * Kafka and on the embedded transport (where it lasts as long as the process).
 */
import type { Logger } from '../core/index.ts';
import type { Producer, Transport } from '../transport/index.ts';
import { decodePosition, encodePosition, type SourcePosition } from './sources/position.ts';
import type { PositionStore } from './sources/progress.ts';
import { withRetry } from './retry.ts';

/** The value last written under `key`: the whole topic read, outside any group, up to its end offsets of now. */
export async function readLatestValue(transport: Transport, topic: string, key: string): Promise<Buffer | null> {
  let latest: Buffer | null = null;
  await transport.readPartitions(
    topic,
    (await transport.endOffsets(topic)).map(({ partition }) => ({ partition, from: null })),
    async (records) => {
      for (const r of records) if (r.key?.toString() === key) latest = r.value;
    },
  );
  return latest;
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
    const bytes = await withRetry(() => readLatestValue(this.transport, this.topic, this.key), {
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
