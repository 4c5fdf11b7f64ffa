/**
 * Snappy record batches for @platformatic/kafka. The client compresses with
 * its own WebAssembly snappy: raw blocks, which every Kafka client reads (and
 * kafkajs-snappy writes too). Its decompressor reads raw blocks only, not the
 * xerial frames the Java producer writes, and allocates whatever a block
 * declares; so the driver puts a decompressor in the client's table that
 * checks the declared lengths against a cap first (as kafka/snappy-codec.ts
 * does for kafkajs) and unwraps xerial frames into blocks for the client's.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../../codecs/index.ts';
import { checkSnappyDeclared, snappyBlocks, snappyMalformed } from '../kafka/snappy-codec.ts';
import { bytes } from './lz4.ts';

type Codec = { decompressSync: (data: unknown) => Buffer };

// Taken before anything replaces it: registering again must not wrap the wrapper.
const rawBlock = (compressionsAlgorithms.snappy as Codec).decompressSync;

/** The client keeps its codecs in one process-wide table; calling again replaces the entry with a new limit. */
export function registerPlatformaticSnappy(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): void {
  (compressionsAlgorithms.snappy as Codec).decompressSync = (data) => {
    const batch = bytes(data);
    checkSnappyDeclared(batch, maxDecompressedBytes);
    const blocks = snappyBlocks(batch);
    try {
      const out = blocks.map((block) => Buffer.from(rawBlock(block)));
      return out.length === 1 ? out[0]! : Buffer.concat(out);
    } catch (err) {
      throw snappyMalformed(err);
    }
  };
}
