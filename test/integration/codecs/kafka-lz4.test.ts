/**
 * Kafka record-batch LZ4 through a real broker, both ways across languages:
 * the broker (Java) must read the frames sluice's kafkajs codec writes, and the
 * codec must read the frames the broker writes.
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerKafkaLz4Codec } from '../../../src/transport/kafka/lz4-codec.ts';
import { kafka, uniqueName } from '../harness/kafka.ts';
import { countCodecCalls, createTopicWith } from './codec-calls.ts';

const { CompressionTypes } = kafkajs;

/** sluice's codec, freshly installed, with call counters: the proof it was the one at work. */
function installCountingCodec(): ReturnType<typeof countCodecCalls> {
  registerKafkaLz4Codec();
  return countCodecCalls(CompressionTypes.LZ4);
}

const COUNT = 2_000;
const messages = Array.from({ length: COUNT }, (_, i) => ({ key: `k${i % 10}`, value: JSON.stringify({ i, text: 'Zoë 数据 '.repeat(5) }) }));

async function produce(topic: string, compression: kafkajs.CompressionTypes): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    for (let start = 0; start < COUNT; start += 500) {
      await producer.send({ topic, acks: -1, compression, messages: messages.slice(start, start + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

async function consumeAll(topic: string): Promise<string[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('lz4-group') });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.length === COUNT) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

interface Case {
  name: string;
  /** The topic's compression.type: the broker recompresses to it unless it is `producer`. */
  topicCompression: string;
  produceWith: kafkajs.CompressionTypes;
  /** Whether sluice's codec must have compressed / decompressed for the records to arrive. */
  compressed: boolean;
  decompressed: boolean;
}

const cases: Case[] = [
  {
    name: "the broker reads sluice's LZ4 batches: it must decompress them to recompress as gzip",
    topicCompression: 'gzip',
    produceWith: CompressionTypes.LZ4,
    compressed: true,
    decompressed: false,
  },
  {
    name: "sluice reads the broker's LZ4 batches: the topic compresses what arrives uncompressed",
    topicCompression: 'lz4',
    produceWith: CompressionTypes.None,
    compressed: false,
    decompressed: true,
  },
  {
    name: "LZ4 end to end on a topic that keeps the producer's compression",
    topicCompression: 'producer',
    produceWith: CompressionTypes.LZ4,
    compressed: true,
    decompressed: true,
  },
];

describe('Kafka record-batch LZ4', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const calls = installCountingCodec();
      const topic = uniqueName(`lz4-${c.topicCompression}`);
      await createTopicWith(topic, c.topicCompression);
      await produce(topic, c.produceWith);
      expect(await consumeAll(topic)).toEqual(messages.map((m) => m.value));
      expect(calls.compressed > 0).toBe(c.compressed);
      expect(calls.decompressed > 0).toBe(c.decompressed);
    });
  }
});
