/**
 * Kafka record-batch Snappy through a real broker, both ways across languages:
 * a topic declared `compression: snappy` gets snappy batches from its stage
 * (not lz4), which the broker (Java) must decompress to recompress them as
 * gzip; and sluice's consumer reads the xerial-framed snappy the broker writes.
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createSourceStream, createTransport, type ConsumedRecord } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { countCodecCalls, createTopicWith } from './codec-calls.ts';

const { CompressionTypes } = kafkajs;

const COUNT = 2_000;
const values = Array.from({ length: COUNT }, (_, i) => JSON.stringify({ i, text: 'Zoë 数据 '.repeat(5) }));

async function readBack(topic: string): Promise<string[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('snappy-read') });
  const out: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (out.push(message.value!.toString()) === COUNT && resolve()) }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

describe('Kafka record-batch Snappy', () => {
  it("a stage writes snappy batches to a `compression: snappy` topic, and the broker reads them", async () => {
    const namespace = `${uniqueName('snappy')}.`;
    const file = writeTopology({
      'in.ndjson': values.join('\n') + '\n',
      'topology.yaml': `
name: zipped
topics:
  zipped: { partitions: 1, compression: snappy }
nodes:
  feed:
    source: { file: ./in.ndjson }
    to: zipped
`,
    });
    // gzip on the broker: it has to decompress what the stage sent before it can recompress it.
    await createTopicWith(`${namespace}zipped`, 'gzip');
    const snappy = countCodecCalls(CompressionTypes.Snappy);
    const lz4 = countCodecCalls(CompressionTypes.LZ4);
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-snappy-test', logger: silentLogger });
    try {
      const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, namespace });
      const report = await run.done;
      expect(report.failed).toEqual([]);
    } finally {
      await transport.close();
    }
    expect(snappy.compressed).toBeGreaterThan(0);
    expect(lz4.compressed).toBe(0);
    expect((await readBack(`${namespace}zipped`)).map((v) => JSON.parse(v) as unknown)).toEqual(values.map((v) => JSON.parse(v) as unknown));
  });

  it("sluice's consumer reads the snappy batches the broker writes", async () => {
    const topic = uniqueName('snappy-broker');
    await createTopicWith(topic, 'snappy');
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
    const snappy = countCodecCalls(CompressionTypes.Snappy);
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-snappy-read', logger: silentLogger });
    const consumer = await transport.consumer({ groupId: uniqueName('snappy-group'), topics: [topic], fromBeginning: true });
    const read: string[] = [];
    try {
      for await (const r of await createSourceStream(consumer)) if (read.push((r as ConsumedRecord).value!.toString()) === COUNT) break;
    } finally {
      await transport.close();
    }
    expect(read).toEqual(values);
    expect(snappy.decompressed).toBeGreaterThan(0);
  });
});
