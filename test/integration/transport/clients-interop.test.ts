/**
 * The two Kafka drivers on one cluster: Kafka's LZ4 record batches written by
 * one are read by the other, both ways, and the broker (Java) reads and writes
 * them too: it must decompress a producer's batches to recompress a topic
 * whose `compression.type` differs, and compresses uncompressed batches for a
 * topic that asks for LZ4. Keys land where each other's partitioner puts them.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { describe, expect, it, vi } from 'vitest';
// The platformatic driver loads on first use (transport/lazy.ts); its client module installs sluice's LZ4
// into the client's codec table as it loads, and the spies below must wrap that one.
import '../../../src/transport/platformatic/client.ts';
import type { KafkaClient } from '../../../src/transport/index.ts';
import { uniqueName, withAdmin } from '../harness/kafka.ts';
import { join, take } from './contract.ts';
import { kafkaTransport } from './kafka-contract.ts';

async function topicWith(compression: string): Promise<string> {
  const topic = uniqueName(`interop-${compression}`);
  await withAdmin((admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'compression.type', value: compression }] }], waitForLeaders: true }),
  );
  return topic;
}

const COUNT = 2_000;
const records = (topic: string) => Array.from({ length: COUNT }, (_, i) => ({ topic, key: `k${i % 50}`, value: JSON.stringify({ i, text: 'Zoë 数据 '.repeat(5) }) }));

async function write(client: KafkaClient, topic: string, compression: 'lz4' | 'none'): Promise<void> {
  const transport = kafkaTransport(client);
  try {
    const producer = await transport.producer({ compression });
    await producer.send(records(topic));
    await producer.close();
  } finally {
    await transport.close();
  }
}

/** Every record of `topic`, read by `client`'s driver, as "partition:key:value" sorted. */
async function read(client: KafkaClient, topic: string): Promise<string[]> {
  const transport = kafkaTransport(client);
  try {
    const { consumer, stream } = await join(transport, { groupId: uniqueName('interop'), topics: [topic], fromBeginning: true });
    const got = await take(stream, COUNT);
    await consumer.disconnect();
    return got.map((r) => `${r.partition}:${r.key!.toString()}:${r.value!.toString()}`).sort();
  } finally {
    await transport.close();
  }
}

const expected = async (topic: string): Promise<string[]> => {
  const { partitionForKey } = await import('../../../src/transport/index.ts');
  return records(topic)
    .map((r) => `${partitionForKey(r.key, 3)}:${r.key}:${r.value}`)
    .sort();
};

describe('kafkajs and @platformatic/kafka on one cluster', () => {
  it.for([
    ['kafkajs', 'platformatic'],
    ['platformatic', 'kafkajs'],
  ] as const)('LZ4 batches written by %s are read by %s, keys on the same partitions', async ([writer, reader]) => {
    const topic = await topicWith('producer');
    const lz4 = vi.spyOn(compressionsAlgorithms.lz4, writer === 'platformatic' ? 'compressSync' : 'decompressSync');
    try {
      await write(writer, topic, 'lz4');
      expect(await read(reader, topic)).toEqual(await expected(topic));
      // The platformatic side really went through LZ4 (kafkajs' side is counted in kafka-lz4.test.ts).
      expect(lz4).toHaveBeenCalled();
    } finally {
      lz4.mockRestore();
    }
  });

  it("the broker reads @platformatic/kafka's LZ4 batches: it must decompress them to recompress as gzip", async () => {
    const topic = await topicWith('gzip');
    await write('platformatic', topic, 'lz4');
    expect(await read('kafkajs', topic)).toEqual(await expected(topic));
  });

  it("@platformatic/kafka reads the broker's LZ4 batches: the topic compresses what arrives uncompressed", async () => {
    const topic = await topicWith('lz4');
    const decompress = vi.spyOn(compressionsAlgorithms.lz4, 'decompressSync');
    try {
      await write('kafkajs', topic, 'none');
      expect(await read('platformatic', topic)).toEqual(await expected(topic));
      expect(decompress).toHaveBeenCalled();
    } finally {
      decompress.mockRestore();
    }
  });
});
