/**
 * The hand-written baseline of a topology stage: a kafkajs consumer whose
 * `eachBatch` maps every message, sends the batch with `sendBatch` (acks=-1,
 * idempotent, LZ4, 1,000 records a request) and commits the batch's offsets
 * once the send is acknowledged: at-least-once, the least code that does a
 * hop correctly.
 */
import type { IHeaders, Kafka, Message } from 'kafkajs';
import { createTopic, rawProducer, sendBatch } from './kafka.ts';
import { ProgressWatch, waitUntil, type Throughput } from './progress.ts';

const SEND_BATCH = 1_000;

export interface RawHopOptions {
  kafka: Kafka;
  groupId: string;
  from: string;
  to: string;
  /** Partitions of `to`, created before the hop starts (as a topology creates its topics). */
  partitions: number;
  /** An input value's output value (decode, map, encode): the hop's work. */
  transform: (value: Buffer, headers: IHeaders | undefined) => Buffer;
  /** Headers of every output message (the codec chain's, as sluice writes them). */
  headers: Record<string, string>;
}

export class RawHop {
  /** Records acknowledged by the broker and committed. */
  written = 0;
  #failure: Error | undefined;
  readonly #options: RawHopOptions;
  readonly #consumer;
  #producer: Awaited<ReturnType<typeof rawProducer>> | undefined;

  private constructor(options: RawHopOptions) {
    this.#options = options;
    // Fetch settings as sluice's Kafka consumer has them, so both wait on the broker alike.
    this.#consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  }

  /** Connected and joined: records flow once this resolves. */
  static async start(options: RawHopOptions): Promise<RawHop> {
    const hop = new RawHop(options);
    await hop.#run();
    return hop;
  }

  async #run(): Promise<void> {
    const { from, to, transform, headers } = this.#options;
    await createTopic(this.#options.kafka, to, this.#options.partitions);
    this.#producer = await rawProducer(this.#options.kafka);
    const producer = this.#producer;
    const consumer = this.#consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [from], fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    // kafkajs restarts a consumer whose handler threw and says nothing: a baseline that quietly stalls would measure nothing.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#failure ??= payload.error;
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const { messages } = batch;
        if (messages.length === 0) return;
        const out = new Array<Message>(messages.length);
        for (let i = 0; i < messages.length; i++) {
          const m = messages[i]!;
          out[i] = { key: m.key, value: transform(m.value!, m.headers), headers, timestamp: m.timestamp };
        }
        // Requests of 1,000 records at most, as sluice's producer batches: a whole fetch can exceed the broker's message size limit.
        for (let start = 0; start < out.length; start += SEND_BATCH) await sendBatch(producer, to, out.slice(start, start + SEND_BATCH));
        const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        this.written += messages.length;
        await heartbeat();
      },
    });
    await joined;
  }

  /** Whether `count` records are through; throws the first failure of the hop's handler. */
  reached(count: number): boolean {
    if (this.#failure !== undefined) throw this.#failure;
    return this.written >= count;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
    await this.#producer?.disconnect();
  }
}

/**
 * Starts hops in order (each may read what the one before writes), waits
 * until every one has `total` records through, and measures the last one's
 * sustained rate; stops them after.
 */
export async function runHops(hops: readonly RawHopOptions[], total: number): Promise<Throughput> {
  const started: RawHop[] = [];
  const watch = new ProgressWatch(() => (started.length === hops.length ? started[hops.length - 1]!.written : 0), total);
  try {
    for (const options of hops) started.push(await RawHop.start(options));
    await waitUntil(() => started.every((hop) => hop.reached(total)), 600_000);
    const throughput = watch.finish();
    for (const hop of started) await hop.stop();
    return throughput;
  } finally {
    watch.cancel();
  }
}
