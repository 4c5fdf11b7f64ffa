/**
 * Proves the harness, not a feature: a real broker answers kafkajs 2.2.4 for
 * admin, produce and group consume (the APIs Kafka 4.0's KIP-896 could break).
 */
import { describe, expect, it } from 'vitest';
import { createTopic, kafka, uniqueName } from './harness/kafka.ts';

const RECORDS = 10_000;
const KEYS = 50;

describe('real Kafka broker', () => {
  it('delivers 10,000 keyed records exactly once and in per-key order through a consumer group', async () => {
    const topic = uniqueName('harness');
    await createTopic(topic, 3);
    const client = kafka();

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let start = 0; start < RECORDS; start += 1_000) {
      const messages = [];
      for (let i = start; i < start + 1_000; i++) {
        messages.push({ key: `k${i % KEYS}`, value: JSON.stringify({ i }) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    const consumer = client.consumer({ groupId: uniqueName('harness-group') });
    const seen = new Map<string, number[]>();
    const partitionsOfKey = new Map<string, Set<number>>();
    let count = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const key = message.key!.toString();
          const { i } = JSON.parse(message.value!.toString()) as { i: number };
          (seen.get(key) ?? seen.set(key, []).get(key)!).push(i);
          (partitionsOfKey.get(key) ?? partitionsOfKey.set(key, new Set()).get(key)!).add(partition);
          if (++count === RECORDS) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(count).toBe(RECORDS);
    const all = [...seen.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    for (const [key, values] of seen) {
      expect(partitionsOfKey.get(key)!.size, `key ${key} is on one partition`).toBe(1);
      expect(values, `key ${key} in produce order`).toEqual([...values].sort((a, b) => a - b));
    }
    // 50 keys over 3 partitions: the default partitioner must have used all three.
    expect(new Set([...partitionsOfKey.values()].flatMap((s) => [...s])).size).toBe(3);
  });
});
