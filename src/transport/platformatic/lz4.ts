/**
 * LZ4 record batches for @platformatic/kafka through sluice's own codec, the
 * one the kafkajs driver registers (kafka/lz4-codec.ts): standard LZ4 frames
 * as Kafka's Java producer writes them, and a cap on what one fetched batch
 * may decompress to. The client's own LZ4 (WebAssembly) writes standard
 * frames too, and each side reads the other's (test/unit/transport/
 * platformatic-lz4.test.ts), but it has no such cap, so a hostile batch could
 * take any amount of memory, and it measured slower here: 580 µs against
 * 343 µs to compress a 96 KB batch, 709 against 250 µs to decompress it.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeLz4Frame, encodeLz4Frame, type Lz4FrameOptions } from '../../codecs/index.ts';

const KAFKA_FRAME: Lz4FrameOptions = { blockSize: 65536, contentSize: false, contentChecksum: false };

/** The client hands a Buffer or its own DynamicBuffer, whose `buffer` is the bytes. */
export function bytes(data: unknown): Buffer {
  return Buffer.isBuffer(data) ? data : (data as { buffer: Buffer }).buffer;
}

/** The client keeps its codecs in one process-wide table; calling again replaces the entry with a new limit. */
export function registerPlatformaticLz4(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): void {
  const lz4 = compressionsAlgorithms.lz4 as { compressSync: (data: unknown) => Buffer; decompressSync: (data: unknown) => Buffer };
  lz4.compressSync = (data) => encodeLz4Frame(bytes(data), KAFKA_FRAME);
  lz4.decompressSync = (data) => decodeLz4Frame(bytes(data), maxDecompressedBytes);
}
