/**
 * LZ4 record batches of the @platformatic/kafka driver. The client's own
 * WebAssembly LZ4 writes standard frames that sluice's decoder reads, and
 * reads the frames sluice writes as Kafka's Java producer does; the driver
 * puts sluice's codec in the client's table (faster, and capped), so a
 * hostile batch is refused instead of taking any amount of memory.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { lz4Compress, lz4Decompress } from '@platformatic/wasm-utils';
import { describe, expect, it } from 'vitest';
import { decodeLz4Frame, encodeLz4Frame } from '../../../src/codecs/index.ts';
import { registerPlatformaticLz4 } from '../../../src/transport/platformatic/lz4.ts';

const batch = Buffer.from(Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ i, text: 'Zoë 数据 '.repeat(i % 7) })).join('\n'));
const javaFrame = { blockSize: 65536 as const, contentSize: false, contentChecksum: false };

describe('LZ4 record batches for @platformatic/kafka', () => {
  it('the client’s own LZ4 and sluice’s read each other’s frames', () => {
    expect(decodeLz4Frame(Buffer.from(lz4Compress(batch)), 1 << 26).equals(batch)).toBe(true);
    expect(Buffer.from(lz4Decompress(encodeLz4Frame(batch, javaFrame))).equals(batch)).toBe(true);
  });

  it('the registered codec writes Java’s frames and refuses a batch that decompresses past its cap', () => {
    registerPlatformaticLz4(batch.length - 1);
    try {
      const lz4 = compressionsAlgorithms.lz4;
      const compressed = lz4.compressSync(batch);
      expect(compressed.equals(encodeLz4Frame(batch, javaFrame))).toBe(true);
      expect(() => lz4.decompressSync(compressed)).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DECOMPRESS_LIMIT' }));
      registerPlatformaticLz4();
      expect(lz4.decompressSync(compressed).equals(batch)).toBe(true);
    } finally {
      registerPlatformaticLz4();
    }
  });
});
