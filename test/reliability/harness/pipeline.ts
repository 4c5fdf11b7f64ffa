/**
 * The pipeline every scenario drives: `in → first → mid → second → out`, three
 * partitions each, Avro events `{ id, seq, hops }` keyed by `k<id % keys>`
 * with `seq` counting per key. The feeder remembers what the broker
 * acknowledged; the reader writes a marker to every output partition and reads
 * back (read_committed) up to it. kafkajs is used directly here, never the
 * transport under test, so the verdict does not lean on the code it judges.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { createCodecChain, schemaFromJson } from '../../../src/codecs/index.ts';
import { fetchCommittedOffsets } from '../../../src/transport/kafka/committed-offsets.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import type { ReadRecord, SentRecord } from '../checker.ts';

const { logLevel } = kafkajs;

export const PARTITIONS = 3;
export const EVENT_SCHEMA = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'seq', type: 'int' },
    { name: 'hops', type: 'int' },
  ],
};
export interface Event {
  id: number;
  seq: number;
  hops: number;
}
export const avro = createCodecChain('avro', { schema: schemaFromJson(EVENT_SCHEMA) });

export type Guarantee = 'at-least-once' | 'exactly-once';

export interface PipelineOptions {
  guarantee: Guarantee;
  /** Source of `first`'s processor module (default: sets `hops: 1`). */
  processor?: string;
  /** Extra YAML lines under `first:` (indented four spaces). */
  firstExtra?: string;
  /** Source of `second`'s processor module (default: the built-in map setting `hops: 2`). */
  secondProcessor?: string;
  /** More files for the topology folder (paths relative to it), such as modules the processors import. */
  files?: Record<string, string>;
}

const PASS_THROUGH = `import { defineProcessor } from 'sluice';
export default defineProcessor<{ id: number; seq: number; hops: number }>((v) => ({ ...v, hops: 1 }));`;

/** Writes the topology folder; returns the topology file. */
export function writePipeline(options: PipelineOptions): string {
  return writeTopology({
    'schemas/event.avsc': JSON.stringify(EVENT_SCHEMA),
    'processors/first.ts': options.processor ?? PASS_THROUGH,
    ...(options.secondProcessor === undefined ? {} : { 'processors/second.ts': options.secondProcessor }),
    ...options.files,
    'none.ndjson': '',
    'topology.yaml': `
name: rel
schemas: { Event: ./schemas/event.avsc }
defaults: { guarantee: ${options.guarantee} }
topics:
  in: { partitions: ${PARTITIONS}, schema: Event, codec: avro }
  mid: { partitions: ${PARTITIONS}, schema: Event, codec: avro }
  out: { partitions: ${PARTITIONS}, schema: Event, codec: avro }
nodes:
  first:
    from: in
    process:
      - map: { module: ./processors/first.ts }
    to: mid
${options.firstExtra ?? ''}
  second:
    from: mid
    process:
      - map: ${options.secondProcessor === undefined ? '{ set: { hops: 2 } }' : '{ module: ./processors/second.ts }'}
    to: out
  feed:
    source: { file: ./none.ndjson }
    to: in
`,
  });
}

/** Consumer group of a node, as the runtime names it under a namespace. */
export function groupOf(namespace: string, node: string): string {
  return `${namespace}rel.${node}`;
}

export function client(brokers: string[], clientId = 'sluice-reliability'): Kafka {
  return new kafkajs.Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(kafka: Kafka, namespace: string): Promise<void> {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: ['in', 'mid', 'out', 'in.dlq', 'mid.dlq'].map((t) => ({
        topic: `${namespace}${t}`,
        numPartitions: t.endsWith('.dlq') ? 1 : PARTITIONS,
        replicationFactor: 1,
      })),
    }),
  );
}

/** Sends events with consecutive ids; keeps those the broker acknowledged. */
export class Feeder {
  readonly sent: SentRecord[] = [];
  readonly #seq = new Map<string, number>();
  readonly #producer;
  #next = 0;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    readonly keys = 1_000,
  ) {
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  async connect(): Promise<void> {
    await this.#producer.connect();
  }

  /**
   * The next `count` ids, in batches. A batch the broker refuses is sent
   * again (same ids and sequence numbers) until acknowledged, so the
   * acknowledged list has no gaps and keys keep their order.
   */
  async send(count: number, options: { batch?: number; perSecond?: number; poison?: (id: number) => Buffer | undefined } = {}): Promise<void> {
    const { batch = 2_000, perSecond, poison } = options;
    const end = this.#next + count;
    const t0 = Date.now();
    const first = this.#next;
    while (this.#next < end) {
      // Paced: the batch waits until the rate allows it.
      if (perSecond !== undefined) await sleep(Math.max(0, t0 + ((this.#next - first) * 1_000) / perSecond - Date.now()));
      const records: SentRecord[] = [];
      const messages = [];
      for (let id = this.#next; id < Math.min(end, this.#next + batch); id++) {
        const key = `k${id % this.keys}`;
        const seq = (this.#seq.get(key) ?? 0) + 1;
        this.#seq.set(key, seq);
        records.push({ id, key, seq });
        messages.push({ key, value: poison?.(id) ?? avro.encode({ id, seq, hops: 0 }) });
      }
      for (;;) {
        try {
          await this.#producer.send({ topic: this.topic, acks: -1, messages });
          break;
        } catch {
          await sleep(500);
        }
      }
      this.sent.push(...records);
      this.#next += records.length;
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

export interface ReadBack {
  records: ReadRecord[];
  /** From the markers' acknowledgement until a read_committed consumer had seen every one. */
  markerMs: number;
}

/**
 * Writes a marker to every partition of `topic`, waits (≤ `markerTimeoutMs`)
 * until a read_committed consumer sees each one, which proves no transaction
 * was left open in front of it, then reads the whole topic up to the markers.
 */
export async function readBack(kafka: Kafka, topic: string, markerTimeoutMs = 60_000): Promise<ReadBack> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const markers = new Map<number, string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ partition: p, key: 'marker', value: avro.encode({ id: -1 - p, seq: 0, hops: 0 }) }] });
    markers.set(p, meta!.baseOffset!);
  }
  await producer.disconnect();
  const t0 = Date.now();
  await consume(kafka, topic, markers, markers, markerTimeoutMs, () => undefined);
  const markerMs = Date.now() - t0;
  const records: ReadRecord[] = [];
  await consume(kafka, topic, undefined, markers, 300_000, (r) => records.push(r));
  return { records, markerMs };
}

/** Reads partitions from `from` (default: the beginning) until each one's `until` offset has been read. */
async function consume(
  kafka: Kafka,
  topic: string,
  from: Map<number, string> | undefined,
  until: Map<number, string>,
  timeoutMs: number,
  onRecord: (r: ReadRecord) => void,
): Promise<void> {
  const consumer = kafka.consumer({ groupId: `verify-${Math.random().toString(36).slice(2)}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const waiting = new Set(until.keys());
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`read_committed consumer of ${topic} did not reach the markers of partitions ${[...waiting].join(', ')} within ${timeoutMs} ms`)), timeoutMs);
      void consumer
        .run({
          eachBatch: async ({ batch }) => {
            const stop = BigInt(until.get(batch.partition)!);
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= stop) {
                waiting.delete(batch.partition);
                break;
              }
              const v = avro.decode(m.value!) as Event;
              onRecord({ id: v.id, seq: v.seq, key: m.key!.toString(), partition: batch.partition, offset: m.offset });
            }
            if (waiting.size === 0) resolve();
          },
        })
        .catch(reject);
      if (from !== undefined) for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

/** Per partition: the group's committed offset (-1 when none) and the topic's high watermark. */
export async function offsets(admin: Admin, group: string, topic: string): Promise<Array<{ partition: number; committed: bigint; high: bigint }>> {
  // Retried while a group's transaction is open (UNSTABLE_OFFSET_COMMIT): a plain kafkajs read otherwise.
  const [committed, ends] = await Promise.all([fetchCommittedOffsets(admin, group, [topic]), admin.fetchTopicOffsets(topic)]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return ends
    .map((e) => ({ partition: e.partition, committed: byPartition.get(e.partition) ?? -1n, high: BigInt(e.high) }))
    .sort((a, b) => a.partition - b.partition);
}

/** Records between a group's commits and the high watermark, over every partition. */
export async function lag(admin: Admin, group: string, topic: string): Promise<number> {
  const rows = await offsets(admin, group, topic);
  return rows.reduce((n, r) => n + Number(r.high - (r.committed < 0n ? 0n : r.committed)), 0);
}

/** Polls until `done` returns true; false once `timeoutMs` has passed. */
export async function waitFor(done: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await done()) return true;
    } catch {
      // a probe that fails (broker away) is a "not yet"
    }
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/**
 * Follows the output (read_committed) while a scenario runs: distinct ids so
 * far and when the last new one arrived, so a scenario knows when everything
 * is through and how long output stalled after a fault.
 */
export class Watcher {
  readonly ids = new Set<number>();
  lastProgress = Date.now();
  /** Longest time between two reads that brought new ids. */
  longestStallMs = 0;
  readonly #consumer;

  private constructor(kafka: Kafka) {
    this.#consumer = kafka.consumer({ groupId: `watch-${Math.random().toString(36).slice(2)}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  }

  static async start(kafka: Kafka, topic: string): Promise<Watcher> {
    const w = new Watcher(kafka);
    await w.#consumer.connect();
    await w.#consumer.subscribe({ topic, fromBeginning: true });
    await w.#consumer.run({
      eachBatch: async ({ batch }) => {
        const before = w.ids.size;
        for (const m of batch.messages) {
          const id = (avro.decode(m.value!) as Event).id;
          if (id >= 0) w.ids.add(id);
        }
        if (w.ids.size > before) {
          const now = Date.now();
          w.longestStallMs = Math.max(w.longestStallMs, now - w.lastProgress);
          w.lastProgress = now;
        }
      },
    });
    return w;
  }

  /** Resolves once `count` distinct ids have been read; false after `timeoutMs`. */
  reach(count: number, timeoutMs: number): Promise<boolean> {
    return waitFor(() => this.ids.size >= count, timeoutMs, 250);
  }

  /** Milliseconds from `since` until output next grew (polled every 100 ms); undefined if not within `timeoutMs`. */
  async resumedAfter(since: number, timeoutMs: number): Promise<number | undefined> {
    const ok = await waitFor(() => this.lastProgress > since, timeoutMs, 100);
    return ok ? this.lastProgress - since : undefined;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

export interface DeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** The first `count` records of a dead-letter topic (read_committed), or what arrived within `timeoutMs`. */
export async function readDeadLetters(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000): Promise<DeadLetter[]> {
  const consumer = kafka.consumer({ groupId: `dlq-${Math.random().toString(36).slice(2)}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const out: DeadLetter[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({ key: message.key?.toString() ?? null, value: message.value, headers });
    },
  });
  await waitFor(() => out.length >= count, timeoutMs, 200);
  await consumer.disconnect();
  return out;
}
