import type { Resolver, Type } from 'avsc';
import { ErrorCodes, SluiceError, headerString } from '../core/index.ts';
import { BlockWriter, decodeBlock } from './avro-block.ts';
import { codecError, describeValue } from './codec-error.ts';
import { CODEC_HEADERS } from './headers.ts';
import { DecimalType, TimestampMillisType } from './logical-types.ts';
import type { LoadedSchema } from './schema.ts';
import type { CodecContext, InvalidValueHandler, Serializer, WriterSchemas } from './types.ts';

/**
 * `avro` and `avro-confluent` serializers. Values are encoded with the writer
 * schema; on decode, data is read into the reader schema (the configured
 * reader, else the configured writer), resolving from whichever schema wrote
 * it: named by the Confluent schema id in the bytes, or by the fingerprint
 * header, looked up in the writer schemas (a directory or a registry).
 *
 * Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.
 * With a registry the writer's id and unseen writer schemas are fetched by
 * `prepareEncode`/`prepareDecode` (async, once each); encode and decode stay
 * synchronous and throw SCHEMA_NOT_FOUND if called for what was not fetched.
 */

export interface AvroSerializerOptions {
  name: 'avro' | 'avro-confluent';
  /** Encodes with this; undefined only for a decode-only `avro-confluent`. */
  writer: LoadedSchema | undefined;
  reader: LoadedSchema | undefined;
  schemas: WriterSchemas | undefined;
  maxBatchRecords: number;
}

interface Reading {
  type: Type;
  resolver: Resolver | undefined;
}

const CONFLUENT_MAGIC = 0;

export class AvroSerializer implements Serializer {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  private readonly writer: LoadedSchema | undefined;
  private readonly reader: LoadedSchema | undefined;
  private readonly schemas: WriterSchemas | undefined;
  private readonly maxBatchRecords: number;
  /** Confluent header of the writer schema (magic + id), undefined for plain `avro` and until a registry gave the id. */
  private prefix: Buffer | undefined;
  /** The registry request for the writer's id, shared by every record that waits for it. */
  private registering: Promise<void> | undefined;
  private readonly readings = new Map<string, Reading | SluiceError>();
  private readonly block = new BlockWriter();

  constructor(options: AvroSerializerOptions) {
    this.name = options.name;
    this.writer = options.writer;
    this.reader = options.reader ?? options.writer;
    this.schemas = options.schemas;
    this.maxBatchRecords = options.maxBatchRecords;
    const headers: Record<string, string> = {};
    if (this.writer !== undefined) {
      headers[CODEC_HEADERS.schema] = this.writer.name;
      headers[CODEC_HEADERS.fingerprint] = this.writer.fingerprint;
    }
    if (this.name === 'avro-confluent') {
      if (this.schemas === undefined) {
        throw configError('avro-confluent needs a schema registry or a schema directory to map schema ids');
      }
      if (this.writer !== undefined) {
        const id = this.schemas.idOf(this.writer);
        if (id !== undefined) {
          this.prefix = confluentPrefix(id);
          headers[CODEC_HEADERS.schemaId] = String(id);
        } else if (this.schemas.fetchIdOf === undefined) {
          throw new SluiceError(
            ErrorCodes.SCHEMA_NOT_FOUND,
            `avro-confluent: schema ${this.writer.name} (${this.writer.path}) has no id in ${this.schemas.where}; ` +
              'name a copy of it <id>-<name>.avsc there',
            { context: { codec: this.name, file: this.writer.path } },
          );
        }
      }
    }
    if (this.writer !== undefined && this.reader !== undefined) this.reading(this.writer);
    this.headers = Object.freeze(headers);
  }

  prepareEncode(): Promise<void> | undefined {
    if (this.prefix !== undefined || this.writer === undefined || this.schemas?.fetchIdOf === undefined) return undefined;
    const writer = this.writer;
    this.registering ??= this.schemas.fetchIdOf(writer).then(
      (id) => {
        this.prefix = confluentPrefix(id);
      },
      (err: unknown) => {
        // A failed request is asked again by the next record, not remembered.
        this.registering = undefined;
        throw err;
      },
    );
    return this.registering;
  }

  prepareDecode(bytes: Buffer): Promise<void> | undefined {
    if (this.name !== 'avro-confluent' || this.schemas?.fetchById === undefined) return undefined;
    if (bytes.length < 5 || bytes[0] !== CONFLUENT_MAGIC) return undefined;
    const id = bytes.readUInt32BE(1);
    if (this.schemas.byId(id) !== undefined) return undefined;
    return this.schemas.fetchById(id).then(() => undefined);
  }

  /** One pooled copy of the record (avsc's toBuffer zero-fills a buffer of its own for each). */
  encode(value: unknown): Buffer {
    return this.block.copyOut(this.prefix, this.writeOne(value));
  }

  encodeScratch(value: unknown): Buffer {
    return this.block.view(this.prefix, this.writeOne(value));
  }

  /** Writes `value` into the block writer's buffer, after the Confluent prefix if any; returns its end. */
  private writeOne(value: unknown): number {
    const writer = this.writerType();
    try {
      return this.block.write(writer, value, this.prefix?.length ?? 0);
    } catch (err) {
      throw this.invalid(value, err);
    }
  }

  decode(bytes: Buffer, ctx: CodecContext | undefined): unknown {
    const start = this.name === 'avro-confluent' ? 5 : 0;
    const reading = this.readingFor(bytes, ctx);
    try {
      return reading.type.fromBuffer(start === 0 ? bytes : bytes.subarray(start), reading.resolver);
    } catch (err) {
      throw codecError(ErrorCodes.DESERIALIZE, this.name, `cannot read ${this.readerName()}: ${(err as Error).message}`, err);
    }
  }

  encodeBatch(values: readonly unknown[], onInvalid: InvalidValueHandler | undefined): Buffer {
    return this.block.encodeBatch(this.writerType(), values, this.prefix, onInvalid, (value, err) => this.invalid(value, err));
  }

  decodeBatch(bytes: Buffer, ctx: CodecContext | undefined): unknown[] {
    const reading = this.readingFor(bytes, ctx);
    const start = this.name === 'avro-confluent' ? 5 : 0;
    return decodeBlock(reading.type, reading.resolver, bytes, start, this.maxBatchRecords, this.name);
  }

  private writerType(): Type {
    if (this.writer === undefined) throw configError('avro-confluent without a schema can only decode');
    if (this.name === 'avro-confluent' && this.prefix === undefined) {
      throw new SluiceError(ErrorCodes.SCHEMA_NOT_FOUND, `avro-confluent: the id of ${this.writer.name} is not known yet (prepareEncode first)`, {
        context: { codec: this.name, file: this.writer.path },
      });
    }
    return this.writer.type;
  }

  /** Which schema wrote `bytes`: the Confluent id, else the fingerprint header, else the configured writer. */
  private readingFor(bytes: Buffer, ctx: CodecContext | undefined): Reading {
    if (this.name === 'avro-confluent') {
      if (bytes.length < 5 || bytes[0] !== CONFLUENT_MAGIC) {
        throw codecError(ErrorCodes.DESERIALIZE, this.name, 'not Confluent wire format (expected magic byte 0 and a schema id)');
      }
      const id = bytes.readUInt32BE(1);
      const writer = this.schemas?.byId(id);
      if (writer === undefined) {
        throw new SluiceError(ErrorCodes.SCHEMA_NOT_FOUND, `${this.name}: no schema with id ${id} in ${this.schemas?.where}`, {
          context: { codec: this.name, schemaId: id },
        });
      }
      return this.reading(writer);
    }
    const fingerprint = ctx?.headers === undefined ? undefined : headerString(ctx.headers, CODEC_HEADERS.fingerprint);
    const writer = this.writer as LoadedSchema;
    if (fingerprint === undefined || fingerprint === writer.fingerprint) return this.reading(writer);
    const other = this.schemas?.byFingerprint(fingerprint);
    if (other === undefined) {
      const where = this.schemas === undefined ? 'no schema directory is configured' : `not found in ${this.schemas.where}`;
      throw new SluiceError(
        ErrorCodes.SCHEMA_NOT_FOUND,
        `${this.name}: record was written with schema fingerprint ${fingerprint}, ${where}`,
        { context: { codec: this.name, fingerprint } },
      );
    }
    return this.reading(other);
  }

  private reading(writer: LoadedSchema): Reading {
    const cached = this.readings.get(writer.fingerprint);
    if (cached instanceof SluiceError) throw cached;
    if (cached !== undefined) return cached;
    const reader = this.reader ?? writer;
    let reading: Reading | SluiceError;
    if (reader === writer || reader.fingerprint === writer.fingerprint) {
      // Same canonical form, same bytes: no resolution needed.
      reading = { type: reader.type, resolver: undefined };
    } else {
      try {
        reading = { type: reader.type, resolver: reader.type.createResolver(writer.type) };
      } catch (err) {
        reading = new SluiceError(
          ErrorCodes.SCHEMA_INCOMPATIBLE,
          `${this.name}: schema ${reader.name} (${reader.path}) cannot read data written with ${writer.name} (${writer.path}): ${(err as Error).message}`,
          { cause: err, context: { codec: this.name, file: reader.path } },
        );
      }
    }
    this.readings.set(writer.fingerprint, reading);
    if (reading instanceof SluiceError) throw reading;
    return reading;
  }

  private readerName(): string {
    return this.reader?.name ?? 'the writer schema';
  }

  private invalid(value: unknown, cause: unknown): SluiceError {
    const writer = this.writer as LoadedSchema;
    const problems: string[] = [];
    let firstPath: string | undefined;
    writer.type.isValid(value, {
      errorHook(path: string[], any: unknown, type: Type) {
        if (problems.length >= 3) return;
        const at = path.length === 0 ? '(value)' : path.join('.');
        firstPath ??= at;
        problems.push(`${at}: ${describeValue(any)} is not ${describeType(type)}`);
      },
    });
    const message =
      problems.length > 0
        ? `value does not match schema ${writer.name}: ${problems.join('; ')}`
        : `cannot encode value with schema ${writer.name}: ${(cause as Error).message}`;
    return codecError(ErrorCodes.SERIALIZE, this.name, message, cause, firstPath === undefined ? {} : { path: firstPath });
  }
}

function confluentPrefix(id: number): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(id, 1);
  return prefix;
}

function configError(message: string): SluiceError {
  return new SluiceError(ErrorCodes.CONFIG_INVALID, message, { context: { codec: 'avro-confluent' } });
}

export function describeType(type: Type): string {
  if (type instanceof DecimalType) return `a decimal(${type.precision},${type.scale}) string`;
  if (type instanceof TimestampMillisType) return 'a timestamp-millis (Date or integer epoch ms)';
  const what = type.name === undefined ? type.typeName : `${type.typeName} ${type.name}`;
  return /^[aeiou]/.test(what) ? `an ${what}` : `a ${what}`;
}
