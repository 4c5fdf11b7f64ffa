/** Shared by the record-batch codec tests: proving which codec was at work, and topics with a compression of their own. */
import kafkajs from 'kafkajs';
import { withAdmin } from '../harness/kafka.ts';

const { CompressionCodecs } = kafkajs;

export interface CodecCalls {
  compressed: number;
  decompressed: number;
}

/** Wraps the codec installed for `type` with call counters. */
export function countCodecCalls(type: kafkajs.CompressionTypes.LZ4 | kafkajs.CompressionTypes.Snappy): CodecCalls {
  const inner = CompressionCodecs[type]() as { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
  const calls = { compressed: 0, decompressed: 0 };
  CompressionCodecs[type] = () => ({
    compress: (encoder: { buffer: Buffer }) => (calls.compressed++, inner.compress(encoder)),
    decompress: (buffer: Buffer) => (calls.decompressed++, inner.decompress(buffer)),
  });
  return calls;
}

/** A one-partition topic whose broker-side `compression.type` is `compression` (`producer` keeps the producer's). */
export async function createTopicWith(topic: string, compression: string): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'compression.type', value: compression }] }],
      waitForLeaders: true,
    });
  });
}
