import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { createKafkaLz4Codec, registerKafkaLz4Codec } from '../../../src/transport/kafka/lz4-codec.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

describe('kafkajs LZ4 codec', () => {
  const codec = createKafkaLz4Codec();

  it('round-trips record batches of any size', async () => {
    for (const input of [Buffer.alloc(0), Buffer.from('x'), randomBytes(100_000), Buffer.alloc(3_000_000, 'kafka ')]) {
      const compressed = await codec.compress({ buffer: input });
      expect((await codec.decompress(compressed)).equals(input)).toBe(true);
    }
  });

  it('writes frames like Kafka\'s Java producer: 64 KiB blocks, no content size, no content checksum', async () => {
    const frame = await codec.compress({ buffer: Buffer.alloc(200_000, 'a') });
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]).toBe(0x60);
    expect(frame[5]).toBe(0x40);
  });

  it('writes frames the reference lz4 tool reads', async () => {
    const input = Buffer.from('{"kafka":"batch"}'.repeat(10_000));
    const frame = await codec.compress({ buffer: input });
    expect(execFileSync('/usr/bin/lz4', ['-d', '-c'], { input: frame, stdio: ['pipe', 'pipe', 'pipe'] }).equals(input)).toBe(true);
  });

  it('guards against decompression bombs with its own limit', async () => {
    const small = createKafkaLz4Codec({ maxDecompressedBytes: 1024 });
    const frame = await small.compress({ buffer: Buffer.alloc(4096) });
    await expect(small.decompress(frame)).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS_LIMIT });
    await expect(codec.decompress(frame.subarray(0, 9))).rejects.toMatchObject({ code: ErrorCodes.DECOMPRESS });
  });

  it('registers itself as kafkajs\'s LZ4 codec', async () => {
    expect(() => CompressionCodecs[CompressionTypes.LZ4]()).toThrow(/LZ4 compression not implemented/);
    registerKafkaLz4Codec();
    const installed = CompressionCodecs[CompressionTypes.LZ4]() as ReturnType<typeof createKafkaLz4Codec>;
    const input = Buffer.from('registered');
    expect((await installed.decompress(await installed.compress({ buffer: input }))).equals(input)).toBe(true);
  });
});
