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
  checkReadable,
  SchemaDirectory,
} from './schema.ts';
export type { LoadedSchema } from './schema.ts';
export { KeyRing, DEFAULT_KEYS_ENV } from './keyring.ts';
export { CODEC_HEADERS, buildCodecHeaders, parseCodecHeaders } from './headers.ts';
export type { CodecHeaderInfo } from './headers.ts';
export type { CodecChain, CodecChainOptions, CodecContext, InvalidValueHandler } from './types.ts';
