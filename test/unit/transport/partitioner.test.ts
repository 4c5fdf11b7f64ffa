import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createPartitioner, murmur2, partitionForKey } from '../../../src/transport/partitioner.ts';

const kafkajsPartition = kafkajs.Partitioners.DefaultPartitioner();

function viaKafkajs(key: Buffer, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return kafkajsPartition({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('default partitioner', () => {
  it('puts every key on the partition kafkajs DefaultPartitioner chooses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (bytes, partitions) => {
        const key = Buffer.from(bytes);
        expect(partitionForKey(key, partitions)).toBe(viaKafkajs(key, partitions));
      }),
      { numRuns: 2_000 },
    );
  });

  it('hashes a string key as its UTF-8 bytes', () => {
    expect(partitionForKey('ключ-42', 12)).toBe(viaKafkajs(Buffer.from('ключ-42', 'utf8'), 12));
  });

  it("matches the Java client's murmur2 on its own test vectors", () => {
    // From Kafka's UtilsTest.testMurmur2.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it('deals keyless records round-robin over every partition', () => {
    const choose = createPartitioner();
    const seen = Array.from({ length: 8 }, () => choose('t', null, 4));
    expect(new Set(seen).size).toBe(4);
    for (let i = 4; i < 8; i++) expect(seen[i]).toBe(seen[i - 4]);
  });
});
