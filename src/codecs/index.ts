/**
 * Codecs: pure encode/decode functions and the chains made of them
 * (`avro|lz4|aes-gcm|base64`). Knows nothing of Kafka; the transport writes
 * `chain.headers()` onto messages and passes them back to `chain.decode`.
 */
export { codecNames, parseCodecChain, serializerNames, byteCodecNames } from './names.ts';
export type { CodecName, SerializerName, ByteCodecName } from './names.ts';
export {
  loadSchemaFile,
  loadSchemaDirectory,
  schemaFromJson,
  MAX_SCHEMA_BYTES,
  checkReadable,
  SchemaDirectory,
} from './schema.ts';
export type { LoadedSchema } from './schema.ts';
export { KeyRing, DEFAULT_KEYS_ENV } from './keyring.ts';
export { CODEC_HEADERS, buildCodecHeaders, parseCodecHeaders } from './headers.ts';
export type { CodecHeaderInfo } from './headers.ts';
export type { CodecChain, CodecChainOptions, CodecContext, InvalidValueHandler, WriterSchemas } from './types.ts';
export { createCodecChain, DEFAULT_MAX_BATCH_RECORDS } from './chain.ts';
export { DEFAULT_MAX_DECOMPRESSED_BYTES } from './lz4.ts';
export { encodeLz4Frame, decodeLz4Frame } from './lz4-frame.ts';
export type { Lz4FrameOptions, Lz4BlockSize } from './lz4-frame.ts';
export { crc32c } from './crc32c.ts';
export { createEncodeStream, createDecodeStream } from './streams.ts';
export type { EncodeStreamOptions, DecodeStreamOptions, CodecStreamOptions, CodecErrorHandler } from './streams.ts';
export { coerceJsonForSchema } from './coerce.ts';
export type { CoerceOptions } from './coerce.ts';
export { logicalTypes } from './logical-types.ts';
export { minWireBytes, MAX_ZERO_WIDTH_ITEMS } from './avro-limits.ts';
export { encodeContainerHeader, decodeContainerHeader, encodeContainerBlock, endOfLastBlock, SYNC_BYTES, type ContainerHeader } from './avro-container.ts';
