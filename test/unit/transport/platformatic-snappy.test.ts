/**
 * Snappy record batches of the @platformatic/kafka driver: the client's raw
 * blocks and kafkajs' read each other, xerial frames (the Java producer's)
 * are read, and a batch that claims more than the cap, or is garbage, is
 * refused with a SluiceError instead of taking memory or crashing in WebAssembly.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { createKafkaSnappyCodec } from '../../../src/transport/kafka/snappy-codec.ts';
import { registerPlatformaticSnappy } from '../../../src/transport/platformatic/snappy.ts';

const batch = Buffer.from(Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ i, text: 'Zoë 数据 '.repeat(i % 7) })).join('\n'));
const kafkajsSnappy = createKafkaSnappyCodec();
const snappy = compressionsAlgorithms.snappy;

function xerial(...blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  return Buffer.concat([header, ...blocks.flatMap((block) => [Buffer.from([0, 0, 0, 0].map((_, i) => (block.length >>> (8 * (3 - i))) & 0xff)), block])]);
}

describe('snappy record batches for @platformatic/kafka', () => {
  registerPlatformaticSnappy();

  it('the client’s snappy and kafkajs’ read each other’s blocks', async () => {
    expect((await kafkajsSnappy.decompress(snappy.compressSync(batch))).equals(batch)).toBe(true);
    expect(snappy.decompressSync(await kafkajsSnappy.compress({ buffer: batch })).equals(batch)).toBe(true);
  });

  it('reads xerial frames as the Java producer writes them', () => {
    const [a, b] = [batch.subarray(0, 30_000), batch.subarray(30_000)];
    expect(snappy.decompressSync(xerial(snappy.compressSync(a), snappy.compressSync(b))).equals(batch)).toBe(true);
  });

  it('refuses a batch that claims more than its cap, and garbage, with coded errors', () => {
    registerPlatformaticSnappy(batch.length - 1);
    try {
      expect(() => snappy.decompressSync(snappy.compressSync(batch))).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DECOMPRESS_LIMIT' }));
    } finally {
      registerPlatformaticSnappy();
    }
    // Declares 5 bytes, then a copy from before the start of the output.
    expect(() => snappy.decompressSync(Buffer.from([0x05, 0x0a, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DECOMPRESS' }));
    expect(snappy.decompressSync(snappy.compressSync(batch)).equals(batch)).toBe(true);
  });
});
