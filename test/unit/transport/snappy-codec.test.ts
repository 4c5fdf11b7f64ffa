import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { createKafkaSnappyCodec, registerKafkaSnappyCodec, snappyDeclaredTotal } from '../../../src/transport/kafka/snappy-codec.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** A xerial frame as Kafka's Java producer writes it: magic, two versions, then [u32 size][raw snappy block]... */
async function xerialFrame(...chunks: Buffer[]): Promise<Buffer> {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const raw = createKafkaSnappyCodec();
  const blocks = [];
  for (const chunk of chunks) {
    const block = await raw.compress({ buffer: chunk });
    const size = Buffer.alloc(4);
    size.writeUInt32BE(block.length);
    blocks.push(size, block);
  }
  return Buffer.concat([header, ...blocks]);
}

describe('kafkajs Snappy codec', () => {
  const codec = createKafkaSnappyCodec();

  it('round-trips record batches', async () => {
    for (const input of [Buffer.from('x'), randomBytes(100_000), Buffer.alloc(3_000_000, 'kafka ')]) {
      expect((await codec.decompress(await codec.compress({ buffer: input }))).equals(input)).toBe(true);
    }
  });

  it("reads the xerial frames Kafka's Java clients write", async () => {
    const a = Buffer.alloc(40_000, 'first ');
    const b = randomBytes(5_000);
    const frame = await xerialFrame(a, b);
    expect(snappyDeclaredTotal(frame)).toBe(a.length + b.length);
    expect((await codec.decompress(frame)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a batch that claims more than its limit before allocating it, and malformed bytes', async () => {
    const small = createKafkaSnappyCodec({ maxDecompressedBytes: 1024 });
    await expect(small.decompress(await small.compress({ buffer: Buffer.alloc(4096) }))).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS_LIMIT });
    // Five bytes claiming 4 GiB - 1: refused from the length alone.
    await expect(codec.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS_LIMIT });
    await expect(codec.decompress(Buffer.from([0x80, 0x80]))).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS });
    await expect(codec.decompress(Buffer.from([0x0a, 0xff, 0xff]))).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS });
  });

  it("registers itself as kafkajs's Snappy codec", async () => {
    expect(() => CompressionCodecs[CompressionTypes.Snappy]()).toThrow(/Snappy compression not implemented/);
    registerKafkaSnappyCodec();
    const installed = CompressionCodecs[CompressionTypes.Snappy]() as ReturnType<typeof createKafkaSnappyCodec>;
    const input = Buffer.from('registered');
    expect((await installed.decompress(await installed.compress({ buffer: input }))).equals(input)).toBe(true);
  });
});
