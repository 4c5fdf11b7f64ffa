import kafkajs from 'kafkajs';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeLz4Frame, encodeLz4Frame, type Lz4FrameOptions } from '../../codecs/index.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * LZ4 for Kafka's own record-batch compression (CompressionTypes.LZ4), which
 * kafkajs leaves to a plugin. Kafka uses the standard LZ4 frame format; these
 * frames mirror what the Java producer writes (64 KiB independent blocks, no
 * content size, no content checksum: the batch has its own CRC32C), so
 * brokers and every other client read them, and this reads theirs.
 */

const KAFKA_FRAME: Lz4FrameOptions = { blockSize: 65536, contentSize: false, contentChecksum: false };

export interface KafkaLz4CodecOptions {
  /** Largest record batch a fetched frame may decompress to. Default 64 MiB. */
  maxDecompressedBytes?: number;
}

/** kafkajs's codec shape: compress gets its encoder (whose `buffer` is the batch's records). */
export interface KafkaCompressionCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export function createKafkaLz4Codec(options: KafkaLz4CodecOptions = {}): KafkaCompressionCodec {
  const limit = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  return {
    compress: async (encoder) => encodeLz4Frame(encoder.buffer, KAFKA_FRAME),
    decompress: async (buffer) => decodeLz4Frame(buffer, limit),
  };
}

/** Installs the codec process-wide (kafkajs keeps codecs in one global table); calling again replaces it. */
export function registerKafkaLz4Codec(options: KafkaLz4CodecOptions = {}): void {
  const codec = createKafkaLz4Codec(options);
  CompressionCodecs[CompressionTypes.LZ4] = () => codec;
}
