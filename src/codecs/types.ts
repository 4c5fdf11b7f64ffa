import type { Headers, SluiceError } from '../core/index.ts';
import type { KeyRing } from './keyring.ts';
import type { LoadedSchema } from './schema.ts';

/** What a caller may pass along with one encode or decode. */
export interface CodecContext {
  /**
   * Extra authenticated data for aes-gcm (for example the topic name): bound
   * into the tag on encode, and decode must pass the same bytes or fail
   * authentication. Ignored by chains without aes-gcm.
   */
  aad?: Buffer;
  /**
   * Decode only: the headers the bytes arrived with. When they name a codec
   * chain it must be this chain's; when they name a writer schema (fingerprint
   * or id) it is looked up in `CodecChainOptions.schemas`.
   */
  headers?: Headers;
}

/**
 * Where writer schemas are found by Confluent id or by fingerprint: a local
 * schema directory (SchemaDirectory), or a schema registry client with a cache
 * (src/runtime/registry/). Lookups answer synchronously from what is known;
 * the `fetch` methods serve a miss, so a chain needs a promise only for an id
 * it has not seen yet, never per record.
 */
export interface WriterSchemas {
  /** Names the source in errors: a directory or a registry URL. */
  readonly where: string;
  byId(id: number): LoadedSchema | undefined;
  byFingerprint(fingerprint: string): LoadedSchema | undefined;
  /** The id `schema` is written with; undefined until known. */
  idOf(schema: LoadedSchema): number | undefined;
  /** Loads the schema of `id`, after which `byId` knows it. Absent for a directory, which knows all it will. */
  fetchById?(id: number): Promise<LoadedSchema>;
  /** Registers or looks up `schema` (under the chain's subject), after which `idOf` knows it. */
  fetchIdOf?(schema: LoadedSchema): Promise<number>;
}

/** Called for each value a batch encode skips because it cannot be encoded. */
export type InvalidValueHandler = (error: SluiceError, index: number) => void;

/** value ↔ bytes: the first step of a chain (`avro`, `avro-confluent`, `json`, or raw bytes when none is named). */
export interface Serializer {
  readonly name: string;
  encode(value: unknown): Buffer;
  /**
   * Like `encode`, into bytes that are valid only until the serializer's next
   * call: for a chain whose byte codecs read them at once and write their own.
   */
  encodeScratch?(value: unknown): Buffer;
  decode(bytes: Buffer, ctx: CodecContext | undefined): unknown;
  /** Frames many values in one buffer; without `onInvalid` the first bad value throws. */
  encodeBatch(values: readonly unknown[], onInvalid: InvalidValueHandler | undefined): Buffer;
  decodeBatch(bytes: Buffer, ctx: CodecContext | undefined): unknown[];
  /** Headers naming the schema, to travel with every message. */
  readonly headers: Readonly<Record<string, string>>;
  /** A promise while the writer schema's id must still be fetched before `encode`, else undefined. */
  prepareEncode?(): Promise<void> | undefined;
  /** A promise while the schema that wrote `bytes` must still be fetched before `decode`, else undefined. */
  prepareDecode?(bytes: Buffer): Promise<void> | undefined;
}

/** bytes ↔ bytes: every step after the serializer. */
export interface ByteCodec {
  readonly name: string;
  encode(bytes: Buffer, ctx: CodecContext | undefined): Buffer;
  decode(bytes: Buffer, ctx: CodecContext | undefined): Buffer;
}

export interface CodecChainOptions {
  /** Writer schema for `avro`/`avro-confluent`: encodes with it, and decodes data written with it. */
  schema?: LoadedSchema;
  /** Decode into this schema instead (Avro schema resolution from the writer's). */
  readerSchema?: LoadedSchema;
  /** Writer schemas by id (required for `avro-confluent`) and by fingerprint (records written with an older schema). */
  schemas?: WriterSchemas;
  /** Keys for `aes-gcm`; load them with `KeyRing.fromEnv` or `KeyRing.fromFile`, never from the topology file. */
  keys?: KeyRing;
  /** Largest output `lz4` will decompress to, against decompression bombs. Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** Most records one decoded batch may declare. Default 1,000,000. */
  maxBatchRecords?: number;
}

export interface CodecChain {
  /** The canonical spec (`avro|lz4|base64`). */
  readonly spec: string;
  readonly steps: readonly string[];
  /** One record (one Kafka message value). */
  encode(value: unknown, ctx?: CodecContext): Buffer;
  decode(bytes: Buffer, ctx?: CodecContext): unknown;
  /** Many records framed together, then every byte step once over the whole batch. */
  encodeBatch(values: readonly unknown[], ctx?: CodecContext, onInvalid?: InvalidValueHandler): Buffer;
  decodeBatch(bytes: Buffer, ctx?: CodecContext): unknown[];
  /**
   * A promise while the writer schema's id must still come from a schema
   * registry (await it before `encode`), else undefined: one request per chain.
   */
  prepareEncode(): Promise<void> | undefined;
  /** `decode`, or a promise of it when the schema id in the bytes is one the registry must first be asked for. */
  decodeFetching(bytes: Buffer, ctx?: CodecContext): unknown;
  /** `decodeBatch`, or a promise of it, as `decodeFetching`. */
  decodeBatchFetching(bytes: Buffer, ctx?: CodecContext): unknown[] | Promise<unknown[]>;
  /** The headers to put on every message this chain encodes (chain spec, schema name and fingerprint or id). */
  headers(): Readonly<Record<string, string>>;
}
