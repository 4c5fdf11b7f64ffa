/** Shared by the coordinator's integration tests: topologies, producing, reading back, waiting. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Coordinator, type CoordinatorOptions } from '../../../src/coordinator/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import type { KafkaMessage } from 'kafkajs';
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';

/** in → a → mid1 → b → mid2 → c → out, 4 partitions each, JSON records. */
export function chainTopology(instances: number, extra = ''): string {
  return `
name: chain
topics:
  in: { partitions: 4 }
  mid1: { partitions: 4 }
  mid2: { partitions: 4 }
  out: { partitions: 4 }
nodes:
  a: { from: in, to: mid1, instances: ${instances}${extra} }
  b: { from: mid1, to: mid2, instances: ${instances}${extra} }
  c: { from: mid2, to: out, instances: ${instances}${extra} }
`;
}

/** JSON records `{ id }` keyed `k<id>`, for ids [from, to). */
export async function produce(topic: string, from: number, to: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  const messages = [];
  for (let i = from; i < to; i++) messages.push({ key: `k${i}`, value: JSON.stringify({ id: i }) });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

/**
 * Reads `topic` from its start with a group of its own, handing each message to
 * `take` until it returns true; fails with `progress()` after `timeoutMs`.
 */
export async function consumeUntil(topic: string, take: (partition: number, message: KafkaMessage) => boolean, progress: () => string, timeoutMs = 60_000): Promise<void> {
  const consumer = kafka().consumer({ groupId: uniqueName('verify') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${progress()} from ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (take(partition, message)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

/** Every distinct id in the topic, once `expected` distinct ids have been read. */
export async function distinctIds(topic: string, expected: number, timeoutMs = 60_000): Promise<Set<number>> {
  const ids = new Set<number>();
  await consumeUntil(
    topic,
    (_partition, message) => ids.add((JSON.parse(message.value!.toString()) as { id: number }).id).size >= expected,
    () => `read ${ids.size} of ${expected} distinct ids`,
    timeoutMs,
  );
  return ids;
}

/** Polls `check` until it returns a value (not undefined), failing with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

/** A coordinator on the test broker with short intervals (sampling, commits, session), serving HTTP on a free port. */
export async function startCoordinator(file: string, namespace: string, options: Partial<CoordinatorOptions> = {}): Promise<Coordinator> {
  return Coordinator.start({
    topology: await loadTopology(file),
    logger: silentLogger,
    brokers: brokers(),
    namespace,
    http: { port: 0 },
    pollIntervalMs: 500,
    commitIntervalMs: 200,
    sessionTimeoutMs: 6_000,
    ...options,
  });
}

/** Graceful stop, then close; for afterAll. */
export async function stopCoordinator(coordinator: Coordinator | undefined): Promise<void> {
  if (coordinator === undefined) return;
  coordinator.stop();
  await coordinator.done;
  await coordinator.close();
}
