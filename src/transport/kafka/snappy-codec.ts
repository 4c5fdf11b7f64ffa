import kafkajs from 'kafkajs';
import createSnappyCodec from 'kafkajs-snappy';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../../codecs/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { KafkaCompressionCodec } from './lz4-codec.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * Snappy for Kafka's record-batch compression (CompressionTypes.Snappy), the
 * codec kafkajs documents (kafkajs-snappy, pure JavaScript over snappyjs). It
 * reads both the raw blocks it writes and the xerial frames the Java
 * producer writes. snappyjs allocates whatever length a block declares, so a
 * fetched batch's declared lengths are checked against a cap before anything
 * is decompressed: a few hostile bytes must not claim gigabytes.
 */

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, then a 4-byte version and a 4-byte compatible version. */
const XERIAL_HEADER_BYTES = 16;

function malformed(what: string, cause?: unknown): SluiceError {
  return new SluiceError(ErrorCodes.DECOMPRESS, `snappy record batch: ${what}`, { context: { codec: 'snappy' }, ...(cause !== undefined ? { cause } : {}) });
}

/** The uncompressed length a raw snappy block starts with (a little-endian base-128 varint of at most 32 bits). */
export function snappyDeclaredLength(block: Buffer): number {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    const byte = block[i];
    if (byte === undefined) throw malformed('truncated length');
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return length;
  }
  throw malformed('length longer than 32 bits');
}

/** The raw snappy blocks of a record batch: itself, or the blocks of a xerial frame (as the Java producer writes). */
export function snappyBlocks(buffer: Buffer): Buffer[] {
  if (!buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return [buffer];
  const blocks: Buffer[] = [];
  for (let offset = XERIAL_HEADER_BYTES; offset + 4 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset);
    offset += 4;
    if (offset + size > buffer.length) throw malformed('a xerial block runs past the batch');
    blocks.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return blocks;
}

/** What the batch claims to decompress to: one raw block, or the sum over a xerial frame's blocks. */
export function snappyDeclaredTotal(buffer: Buffer): number {
  return snappyBlocks(buffer).reduce((total, block) => total + snappyDeclaredLength(block), 0);
}

/** Refuses a batch that claims more than `limit` bytes (SLUICE_ERR_DECOMPRESS_LIMIT), before anything is decompressed. */
export function checkSnappyDeclared(buffer: Buffer, limit: number): void {
  const declared = snappyDeclaredTotal(buffer);
  if (declared > limit) {
    throw new SluiceError(ErrorCodes.DECOMPRESS_LIMIT, `snappy record batch claims ${declared} bytes, more than the ${limit} allowed`, { context: { codec: 'snappy' } });
  }
}

/** A codec's failure to decompress a batch, as SLUICE_ERR_DECOMPRESS. */
export function snappyMalformed(cause: unknown): SluiceError {
  return malformed(cause instanceof Error ? cause.message : String(cause), cause);
}

export interface KafkaSnappyCodecOptions {
  /** Largest record batch a fetched batch may decompress to. Default 64 MiB. */
  maxDecompressedBytes?: number;
}

export function createKafkaSnappyCodec(options: KafkaSnappyCodecOptions = {}): KafkaCompressionCodec {
  const limit = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const codec = createSnappyCodec();
  return {
    compress: (encoder) => codec.compress(encoder),
    decompress: async (buffer) => {
      checkSnappyDeclared(buffer, limit);
      try {
        return await codec.decompress(buffer);
      } catch (err) {
        throw snappyMalformed(err);
      }
    },
  };
}

/** Installs the codec process-wide (kafkajs keeps codecs in one global table); calling again replaces it. */
export function registerKafkaSnappyCodec(options: KafkaSnappyCodecOptions = {}): void {
  const codec = createKafkaSnappyCodec(options);
  CompressionCodecs[CompressionTypes.Snappy] = () => codec;
}
