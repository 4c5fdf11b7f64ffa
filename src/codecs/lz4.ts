import type { ByteCodec } from './types.ts';
import { decodeLz4Frame, encodeLz4Frame } from './lz4-frame.ts';

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** `lz4` step: one standard LZ4 frame per call, readable by the reference `lz4` tool. */
export function createLz4Codec(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): ByteCodec {
  return {
    name: 'lz4',
    encode: (bytes) => encodeLz4Frame(bytes),
    decode: (bytes) => decodeLz4Frame(bytes, maxDecompressedBytes),
  };
}
