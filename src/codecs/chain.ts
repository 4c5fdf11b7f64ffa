import { ErrorCodes, SluiceError, headerString, toSluiceError, type ErrorCode } from '../core/index.ts';
import { AesGcmCodec } from './aes-gcm.ts';
import { AvroSerializer } from './avro.ts';
import { createBytesSerializer } from './bytes.ts';
import { crc32cCodec } from './crc32c.ts';
import { CODEC_HEADERS, buildCodecHeaders } from './headers.ts';
import { jsonSerializer } from './json.ts';
import { createLz4Codec, DEFAULT_MAX_DECOMPRESSED_BYTES } from './lz4.ts';
import { isSerializerName, parseCodecChain, type ByteCodecName, type SerializerName } from './names.ts';
import { base64Codec, hexCodec } from './text.ts';
import type { ByteCodec, CodecChain, CodecChainOptions, CodecContext, InvalidValueHandler, Serializer } from './types.ts';

export const DEFAULT_MAX_BATCH_RECORDS = 1_000_000;

/** What a step's unexpected failure (not already a SluiceError) is reported as, by direction. */
const ENCODE_CODES: Record<string, ErrorCode> = { lz4: ErrorCodes.COMPRESS, 'aes-gcm': ErrorCodes.ENCRYPT };
const DECODE_CODES: Record<string, ErrorCode> = {
  lz4: ErrorCodes.DECOMPRESS,
  'aes-gcm': ErrorCodes.DECRYPT_AUTH,
  base64: ErrorCodes.DECODE_TEXT,
  hex: ErrorCodes.DECODE_TEXT,
  crc32c: ErrorCodes.CHECKSUM_MISMATCH,
};

/**
 * Builds a chain from its spec. Everything a step needs (schemas, keys) is
 * checked here, so a misconfigured chain fails when the stage is built, not
 * when the first record arrives.
 */
export function createCodecChain(spec: string, options: CodecChainOptions = {}): CodecChain {
  const steps = parseCodecChain(spec);
  const first = steps[0] as string;
  const serializer = isSerializerName(first) ? createSerializer(first, spec, options) : undefined;
  const byteSteps = (serializer === undefined ? steps : steps.slice(1)) as ByteCodecName[];
  return new Chain(
    steps,
    serializer ?? createBytesSerializer(options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS),
    byteSteps.map((name) => createByteCodec(name, spec, options)),
  );
}

function createSerializer(name: SerializerName, spec: string, options: CodecChainOptions): Serializer {
  if (name === 'json') return jsonSerializer;
  // avro-confluent may go without: the schema id in each message names its writer.
  if (name === 'avro' && options.schema === undefined) {
    throw chainConfigError(spec, name, 'avro needs a writer schema (options.schema)');
  }
  return new AvroSerializer({
    name,
    writer: options.schema,
    reader: options.readerSchema,
    schemas: options.schemas,
    maxBatchRecords: options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
  });
}

function createByteCodec(name: ByteCodecName, spec: string, options: CodecChainOptions): ByteCodec {
  switch (name) {
    case 'lz4':
      return createLz4Codec(options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    case 'aes-gcm':
      if (options.keys === undefined) {
        throw chainConfigError(spec, name, 'aes-gcm needs keys (options.keys: KeyRing.fromEnv() or KeyRing.fromFile())');
      }
      return new AesGcmCodec(options.keys);
    case 'crc32c':
      return crc32cCodec;
    case 'base64':
      return base64Codec;
    case 'hex':
      return hexCodec;
  }
}

function chainConfigError(spec: string, codec: string, message: string): SluiceError {
  return new SluiceError(ErrorCodes.CONFIG_INVALID, `codec chain "${spec}": ${message}`, { context: { codec } });
}

class Chain implements CodecChain {
  readonly spec: string;
  private readonly headerMap: Readonly<Record<string, string>>;

  constructor(
    readonly steps: readonly string[],
    private readonly serializer: Serializer,
    private readonly codecs: readonly ByteCodec[],
  ) {
    this.spec = steps.join('|');
    this.headerMap = Object.freeze({ ...buildCodecHeaders({ chain: this.spec }), ...serializer.headers });
  }

  headers(): Readonly<Record<string, string>> {
    return this.headerMap;
  }

  encode(value: unknown, ctx?: CodecContext): Buffer {
    // With byte codecs after it, the serializer's output is read once right away: it need not be a buffer of its own.
    const scratch = this.codecs.length > 0 && this.serializer.encodeScratch !== undefined;
    let bytes: Buffer;
    try {
      bytes = scratch ? this.serializer.encodeScratch!(value) : this.serializer.encode(value);
    } catch (err) {
      throw this.failure(err, this.serializer.name, ErrorCodes.SERIALIZE);
    }
    const out = this.encodeBytes(bytes, ctx);
    // A codec that handed back a view of its input would otherwise return the scratch bytes.
    return scratch && out.buffer === bytes.buffer ? Buffer.from(out) : out;
  }

  decode(bytes: Buffer, ctx?: CodecContext): unknown {
    return this.deserialize(this.decodeBytes(bytes, ctx), ctx);
  }

  private deserialize(serialized: Buffer, ctx: CodecContext | undefined): unknown {
    try {
      return this.serializer.decode(serialized, ctx);
    } catch (err) {
      throw this.failure(err, this.serializer.name, ErrorCodes.DESERIALIZE);
    }
  }

  prepareEncode(): Promise<void> | undefined {
    return this.serializer.prepareEncode?.();
  }

  decodeFetching(bytes: Buffer, ctx?: CodecContext): unknown {
    const serialized = this.decodeBytes(bytes, ctx);
    const wait = this.serializer.prepareDecode?.(serialized);
    return wait === undefined ? this.deserialize(serialized, ctx) : wait.then(() => this.deserialize(serialized, ctx));
  }

  encodeBatch(values: readonly unknown[], ctx?: CodecContext, onInvalid?: InvalidValueHandler): Buffer {
    let bytes: Buffer;
    try {
      bytes = this.serializer.encodeBatch(values, onInvalid);
    } catch (err) {
      throw this.failure(err, this.serializer.name, ErrorCodes.SERIALIZE);
    }
    return this.encodeBytes(bytes, ctx);
  }

  decodeBatch(bytes: Buffer, ctx?: CodecContext): unknown[] {
    return this.deserializeBatch(this.decodeBytes(bytes, ctx), ctx);
  }

  decodeBatchFetching(bytes: Buffer, ctx?: CodecContext): unknown[] | Promise<unknown[]> {
    const serialized = this.decodeBytes(bytes, ctx);
    // A batch starts with the same Confluent prefix as one record: its id is the one to fetch.
    const wait = this.serializer.prepareDecode?.(serialized);
    return wait === undefined ? this.deserializeBatch(serialized, ctx) : wait.then(() => this.deserializeBatch(serialized, ctx));
  }

  private deserializeBatch(serialized: Buffer, ctx: CodecContext | undefined): unknown[] {
    try {
      return this.serializer.decodeBatch(serialized, ctx);
    } catch (err) {
      throw this.failure(err, this.serializer.name, ErrorCodes.DESERIALIZE);
    }
  }

  private encodeBytes(bytes: Buffer, ctx: CodecContext | undefined): Buffer {
    for (const codec of this.codecs) {
      try {
        bytes = codec.encode(bytes, ctx);
      } catch (err) {
        throw this.failure(err, codec.name, ENCODE_CODES[codec.name] ?? ErrorCodes.SERIALIZE);
      }
    }
    return bytes;
  }

  private decodeBytes(bytes: Buffer, ctx: CodecContext | undefined): Buffer {
    this.checkChainHeader(ctx);
    for (let step = this.codecs.length - 1; step >= 0; step--) {
      const codec = this.codecs[step] as ByteCodec;
      try {
        bytes = codec.decode(bytes, ctx);
      } catch (err) {
        throw this.failure(err, codec.name, DECODE_CODES[codec.name] ?? ErrorCodes.DESERIALIZE);
      }
    }
    return bytes;
  }

  /** Bytes written by another chain would fail somewhere confusing; say so up front. */
  private checkChainHeader(ctx: CodecContext | undefined): void {
    if (ctx?.headers === undefined) return;
    const written = headerString(ctx.headers, CODEC_HEADERS.chain);
    if (written === undefined || written === this.spec) return;
    let canonical: string;
    try {
      canonical = parseCodecChain(written).join('|');
    } catch {
      canonical = written;
    }
    if (canonical === this.spec) return;
    throw new SluiceError(ErrorCodes.CODEC_MISMATCH, `record was written with codec chain "${written}", this chain decodes "${this.spec}"`, {
      context: { codec: this.spec, header: CODEC_HEADERS.chain },
    });
  }

  /** Names the step that failed; SluiceErrors from steps already carry their code and codec. */
  private failure(err: unknown, codec: string, code: ErrorCode): SluiceError {
    if (err instanceof SluiceError) return err.context.codec === undefined ? err.withContext({ codec }) : err;
    return toSluiceError(err, code, { codec });
  }
}
