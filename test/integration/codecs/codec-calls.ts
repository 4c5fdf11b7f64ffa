/** Shared by the record-batch codec tests: proving which codec was at work, and topics with a compression of their own. */
import { compressionsAlgorithms } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { withAdmin } from '../harness/kafka.ts';
// The platformatic driver loads on first use (transport/lazy.ts); its client module installs sluice's codecs
// into the client's table as it loads, and the counters below must wrap those.
import '../../../src/transport/platformatic/client.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

export interface CodecCalls {
  compressed: number;
  decompressed: number;
}

type PlatformaticCodec = { compressSync(data: unknown): Buffer; decompressSync(data: unknown): Buffer };

/**
 * Wraps the codec installed for `type` with call counters, in both drivers' tables
 * (kafkajs' and @platformatic/kafka's): the one SLUICE_KAFKA_CLIENT picks is counted.
 */
export function countCodecCalls(type: kafkajs.CompressionTypes.LZ4 | kafkajs.CompressionTypes.Snappy): CodecCalls {
  const inner = CompressionCodecs[type]() as { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
  const calls = { compressed: 0, decompressed: 0 };
  CompressionCodecs[type] = () => ({
    compress: (encoder: { buffer: Buffer }) => (calls.compressed++, inner.compress(encoder)),
    decompress: (buffer: Buffer) => (calls.decompressed++, inner.decompress(buffer)),
  });
  const platformatic = compressionsAlgorithms[type === CompressionTypes.LZ4 ? 'lz4' : 'snappy'] as PlatformaticCodec;
  const { compressSync, decompressSync } = platformatic;
  platformatic.compressSync = (data) => (calls.compressed++, compressSync(data));
  platformatic.decompressSync = (data) => (calls.decompressed++, decompressSync(data));
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
